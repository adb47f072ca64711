/**
 * The chainsnap command line. Each command group lives in its own module; this file only wires them.
 */
import yargs from 'yargs';
import { chainstateCommands } from './chainstate-commands.js';
import { UserError } from './errors.js';
import { snapshotCommands } from './snapshot-commands.js';
import { checkUsage, oneLineUsage } from './usage.js';
import { CLIENT_COMMANDS, isClientCommand, runClientCommand } from './rpc-commands.js';

export async function main(argv: string[]): Promise<void> {
  // bitcoin-cli's single-dash options are not yargs syntax: the client commands parse their own.
  if (isClientCommand(argv)) return runClientCommand(argv);
  // The daemon takes bitcoind's command line as it is (chainsnapd is the same program).
  if (argv[0] === 'node') {
    const { daemonMain } = await import('../node/main.js');
    return daemonMain(argv.slice(1));
  }
  try {
    checkUsage(argv);
  } catch (e) {
    if (!(e instanceof UserError)) throw e;
    return usageError(e.message);
  }
  const y = yargs(argv);
  y.command('node', 'Run the node: a bitcoind-compatible daemon (also installed as chainsnapd; see chainsnap node -help)');
  // Listed for --help only; never reached by yargs.
  for (const [command, describe] of CLIENT_COMMANDS) y.command(command, describe);
  await y
    .scriptName('chainsnap')
    .usage('$0 <command> [options]\n\nA Bitcoin chainstate engine built around assumeutxo, compatible with Bitcoin Core.')
    .command('snapshot', 'Offline tools for UTXO snapshot files (dumptxoutset format, version 2)', (y) => snapshotCommands(y))
    .command('chainstate', 'Offline tools for chainstate databases (chainsnap\'s or Bitcoin Core\'s)', (y) => chainstateCommands(y))
    .demandCommand(1, 'no command given')
    .strict()
    .recommendCommands()
    .fail((msg, err) => {
      if (err) throw err;
      usageError(oneLineUsage(msg));
    })
    .help()
    .alias('h', 'help')
    .version()
    .wrap(Math.min(110, process.stdout.columns ?? 110))
    .parseAsync();
}

function usageError(msg: string): never {
  process.stderr.write(`chainsnap: error: ${msg} (see chainsnap --help)\n`);
  process.exit(2);
}
