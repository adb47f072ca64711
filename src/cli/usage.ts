/**
 * The offline commands' command lines checked before yargs parses them, so that every usage error is one
 * line in plain words that names the command, option or argument (yargs would say "Unknown argument: h",
 * "Not enough non-option arguments: got 0, need at least 1", or take an unknown option's neighbour as
 * its value), and yargs' own remaining messages made one line.
 */
import { UserError } from './errors.js';
import { checkOptionValues, takesValue } from './options.js';

const PARAMS = ['--network', '--chain', '--assumeutxo', '--signetchallenge', '--conf', '--datadir'];
const STATS = ['--muhash', '--threads', '--json'];

/** Each offline command: its positional argument and the options it accepts (besides --help, -h, --version). */
export const OFFLINE_COMMANDS: Record<string, Record<string, { positional: string; options: string[] }>> = {
  snapshot: {
    info: { positional: '<file>', options: [...PARAMS, '--json'] },
    verify: { positional: '<file>', options: [...PARAMS, ...STATS] },
    export: { positional: '<file>', options: [...PARAMS, '--format', '--output', '-o'] },
  },
  chainstate: { stats: { positional: '<dir>', options: ['--hash-type', ...STATS] } },
};
const ALWAYS = ['--help', '-h', '--version'];

/** Throws a usage error (status 2) for an unknown command, an unknown option, or a missing or extra argument. */
export function checkUsage(argv: string[]): void {
  const [group, command] = argv;
  if (group !== undefined && !group.startsWith('-') && group !== 'node' && !(group in OFFLINE_COMMANDS)) {
    throw new UserError(`unknown command ${group}`, 2);
  }
  const commands = OFFLINE_COMMANDS[group];
  if (commands && command !== undefined && !command.startsWith('-') && !(command in commands)) {
    throw new UserError(`unknown command ${group} ${command}`, 2);
  }
  checkOptionValues(argv);
  const spec = commands?.[command];
  if (!spec) return;
  const name = `chainsnap ${group} ${command}`;
  const positionals: string[] = [];
  let help = false;
  for (let i = 2; i < argv.length; i++) {
    const token = argv[i];
    if (token === '--') throw new UserError(`unexpected argument '--': ${name} takes options and one ${spec.positional}`, 2);
    if (!token.startsWith('-') || token === '-' || /^-\d/.test(token)) {
      positionals.push(token);
      continue;
    }
    const option = optionName(token);
    const known = [...spec.options, ...ALWAYS];
    if (!known.includes(option) && !(option.startsWith('--no-') && known.includes(`--${option.slice(5)}`))) {
      throw new UserError(`unknown option ${option} for ${name} (its options: ${spec.options.join(', ')})`, 2);
    }
    if (option === '--help' || option === '-h') help = true;
    // A value given as the next word belongs to the option, not to the positionals.
    if (takesValue(option) && !token.includes('=')) i++;
  }
  if (help) return;
  if (positionals.length === 0) throw new UserError(`missing ${spec.positional}: ${name} ${spec.positional} [options]`, 2);
  if (positionals.length > 1) throw new UserError(`unexpected argument '${positionals[1]}': ${name} takes one ${spec.positional}`, 2);
}

/** "--network=x" → "--network". A single dash takes one letter ("-ofile" would be read as -o -f -i ...). */
function optionName(token: string): string {
  const eq = token.indexOf('=');
  return token.startsWith('--') && eq > 0 ? token.slice(0, eq) : token;
}

/** yargs' messages that can still come through, as one line ("Invalid values:\n  Argument: format, ..."). */
export function oneLineUsage(msg: string): string {
  const choice = /^Invalid values:\s+Argument: (\S+), Given: (".*"), Choices: (.+)$/s.exec(msg.trim());
  if (choice) return `--${choice[1]} must be one of ${choice[3].trim()}, got ${choice[2]}`;
  return msg.trim().replace(/\s*\n\s*/g, ' ');
}
