/**
 * Options every command that consults the chain parameters shares (--network, --assumeutxo,
 * --signetchallenge, --conf, --datadir), and turning them into ChainParams.
 */
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import path from 'node:path';
import type { Argv } from 'yargs';
import { coreChainName, getChainParams, parseNetworkName, type ChainParams, type NetworkName } from '../consensus/params.js';
import { configValue, configValues, readConfig, type Config } from '../node/config.js';
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
  if (args.conf) return readConfig(args.conf);
  const file = path.join(args.datadir ?? defaultDatadir(), 'chainsnap.conf');
  return existsSync(file) ? readConfig(file) : undefined;
}

/** The network from --network or the config file (chain=, regtest=1, ...), if either names one. */
export function networkFromArgs(args: ParamsArgs, cfg: Config | undefined): NetworkName | undefined {
  const named = args.network ?? configValue(cfg, 'main', 'chain');
  if (named) return wrap(() => parseNetworkName(named));
  for (const flag of ['regtest', 'testnet4', 'signet', 'testnet'] as const) {
    if (configValue(cfg, 'main', flag) === '1') return wrap(() => parseNetworkName(flag));
  }
  return undefined;
}

/** Parameters of `network` with the trusted entries of the config file and the command line. */
export function paramsFor(network: NetworkName, args: ParamsArgs, cfg: Config | undefined): ChainParams {
  const core = coreChainName(network);
  const challenge = args.signetchallenge ?? configValue(cfg, core, 'signetchallenge');
  const base = wrap(() => getChainParams(network, { signetChallenge: challenge }));
  // Top-level `assumeutxo=` lines serve the test networks that accept them; like Core's network-only
  // options they do not leak into networks that refuse them. In a network's own section they are explicit.
  const acceptsTrusted = network === 'regtest' || base.isCustomSignet;
  const fromConfig = acceptsTrusted ? configValues(cfg, core, 'assumeutxo') : (cfg?.sections.get(core)?.get('assumeutxo') ?? []);
  const entries = [...fromConfig, ...(args.assumeutxo ?? [])];
  return wrap(() => getChainParams(network, { signetChallenge: challenge, assumeutxo: entries }));
}

/** Bad option values are usage errors (exit status 2), reported in one line. */
function wrap<T>(f: () => T): T {
  try {
    return f();
  } catch (e) {
    throw new UserError((e as Error).message, 2);
  }
}
