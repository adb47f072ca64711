/**
 * Options every command that consults the chain parameters shares (--network, --assumeutxo,
 * --signetchallenge, --conf, --datadir), and turning them into ChainParams.
 */
import { existsSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import path from 'node:path';
import type { Argv } from 'yargs';
import { coreChainName, getChainParams, parseNetworkName, type ChainParams, type NetworkName } from '../consensus/params.js';
import { ConfigError, configValuesWhere, readConfig, type Config, type ConfigValue } from '../node/config.js';
import { UserError } from './errors.js';

export interface ParamsArgs {
  network?: string;
  assumeutxo?: string[];
  signetchallenge?: string;
  conf?: string;
  datadir?: string;
}

export function withParamsOptions<T>(y: Argv<T>): Argv<T & ParamsArgs> {
  return y
    .option('network', {
      alias: 'chain',
      type: 'string',
      describe: 'main, testnet3 (or test), testnet4, signet or regtest',
    })
    .option('assumeutxo', {
      type: 'string',
      array: true,
      describe:
        'Trust an extra snapshot: HEIGHT:BLOCKHASH:HASH_SERIALIZED_3:CHAIN_TX_COUNT (repeatable; regtest and custom signets only)',
    })
    .option('signetchallenge', { type: 'string', describe: 'Hex of a custom signet challenge (signet only)' })
    .option('conf', { type: 'string', describe: 'Config file (default: <datadir>/chainsnap.conf when it exists)' })
    .option('datadir', { type: 'string', describe: 'Data directory (default: ~/.chainsnap)' }) as Argv<T & ParamsArgs>;
}

export function defaultDatadir(): string {
  return path.join(homedir(), '.chainsnap');
}

export function loadConfig(args: ParamsArgs): Config | undefined {
  // Core's words: a --datadir that is not there is a typo to report, not a default to fall back on.
  if (args.datadir !== undefined && !isDirectory(args.datadir)) throw new ConfigError(`Specified data directory "${args.datadir}" does not exist.`);
  if (args.conf) return readConfig(args.conf);
  const file = path.join(args.datadir ?? defaultDatadir(), 'chainsnap.conf');
  return existsSync(file) ? readConfig(file) : undefined;
}

/** The network from --network or the config file (chain=, regtest=1, ...), if either names one. */
export function networkFromArgs(args: ParamsArgs, cfg: Config | undefined): NetworkName | undefined {
  if (args.network !== undefined) return wrap(() => parseNetworkName(args.network!));
  const chain = configValuesWhere(cfg, 'main', 'chain').at(-1);
  if (chain) return fromConfig(chain, () => parseNetworkName(chain.value));
  for (const flag of ['regtest', 'testnet4', 'signet', 'testnet'] as const) {
    if (configValuesWhere(cfg, 'main', flag).at(-1)?.value === '1') return parseNetworkName(flag);
  }
  return undefined;
}

/**
 * Parameters of `network` with the trusted entries of the config file and the command line. A bad value
 * from the config file is reported at its file and line (status 1, as any config error); one from the
 * command line is a usage error (status 2).
 */
export function paramsFor(network: NetworkName, args: ParamsArgs, cfg: Config | undefined): ChainParams {
  const core = coreChainName(network);
  const challengeInConfig = configValuesWhere(cfg, core, 'signetchallenge').at(-1);
  const challenge = args.signetchallenge ?? challengeInConfig?.value;
  const base =
    args.signetchallenge === undefined && challengeInConfig
      ? fromConfig(challengeInConfig, () => getChainParams(network, { signetChallenge: challenge }))
      : wrap(() => getChainParams(network, { signetChallenge: challenge }));
  // Top-level `assumeutxo=` lines serve the test networks that accept them; like Core's network-only
  // options they do not leak into networks that refuse them. In a network's own section they are explicit.
  const acceptsTrusted = network === 'regtest' || base.isCustomSignet;
  const inConfig = configValuesWhere(cfg, core, 'assumeutxo', { topLevel: acceptsTrusted });
  // Each config line is checked with the ones before it, so a refused or conflicting one is named.
  inConfig.forEach((line, i) =>
    fromConfig(line, () => getChainParams(network, { signetChallenge: challenge, assumeutxo: inConfig.slice(0, i + 1).map((v) => v.value) })),
  );
  const entries = [...inConfig.map((v) => v.value), ...(args.assumeutxo ?? [])];
  return wrap(() => getChainParams(network, { signetChallenge: challenge, assumeutxo: entries }));
}

/** A bad value in the config file: an error at its file and line (status 1). */
function fromConfig<T>(v: ConfigValue, f: () => T): T {
  try {
    return f();
  } catch (e) {
    throw new ConfigError(`${v.where}: ${(e as Error).message}`);
  }
}

/** Bad option values are usage errors (exit status 2), reported in one line. */
function wrap<T>(f: () => T): T {
  try {
    return f();
  } catch (e) {
    throw new UserError((e as Error).message, 2);
  }
}

/** Options that take exactly one value, by every name they answer to (yargs would silently make an array). */
const SINGLE_VALUE = [
  ['--network', '--chain'],
  ['--signetchallenge'],
  ['--conf'],
  ['--datadir'],
  ['--threads'],
  ['--hash-type'],
  ['--format'],
  ['--output', '-o'],
];
/** Options that take a value each time they are given. */
const NEEDS_VALUE = [...SINGLE_VALUE, ['--assumeutxo']];

/** Whether an option (by any of its names) takes a value. */
export function takesValue(name: string): boolean {
  return NEEDS_VALUE.some((n) => n.includes(name));
}

/**
 * Checks the raw command line before yargs sees it: a value-taking option with no value, or a single-value
 * option given twice, is a usage error naming the option (yargs would ignore the first and crash on the second).
 */
export function checkOptionValues(argv: string[]): void {
  const seen = new Map<string, string>();
  for (let i = 0; i < argv.length; i++) {
    const token = argv[i];
    if (token === '--') break;
    const eq = token.indexOf('=');
    const name = token.startsWith('-') && eq > 0 ? token.slice(0, eq) : token;
    const names = NEEDS_VALUE.find((n) => n.includes(name));
    if (!names) continue;
    let value: string | undefined;
    if (name !== token) value = token.slice(eq + 1);
    else {
      const next = argv[i + 1];
      value = next === undefined || (next.startsWith('-') && !/^-(\d|$)/.test(next)) ? undefined : next;
      if (value !== undefined) i++;
    }
    if (value === undefined || value === '') throw new UserError(`option ${name} needs a value`, 2);
    if (!SINGLE_VALUE.includes(names)) continue;
    const first = seen.get(names[0]);
    if (first !== undefined) throw new UserError(`option ${name} given more than once (${first} ... ${name})`, 2);
    seen.set(names[0], name);
  }
}

/** --threads as the user typed it: a whole number, 0 meaning "hash on the main thread". */
export function parseThreads(raw: string | undefined): number | undefined {
  if (raw === undefined) return undefined;
  const n = /^\d+$/.test(raw) ? Number(raw) : NaN;
  if (!(n >= 0 && n <= 256)) throw new UserError(`--threads must be a positive whole number (at most 256, or 0 for none), got '${raw}'`, 2);
  return n;
}

function isDirectory(p: string): boolean {
  return statSync(p, { throwIfNoEntry: false })?.isDirectory() ?? false;
}
