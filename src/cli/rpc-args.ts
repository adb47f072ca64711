/**
 * bitcoin-cli's options and where its settings come from: `-name=value` (one or two dashes), `-name` alone
 * for 1, `-noname` for 0; the data directory, `-conf` (relative to it) and the network; then, as
 * bitcoin-cli reads them, the command line first, then the config file's network section, then its top
 * level (first value wins in the file; -rpcport is network-only). Gives the RpcClient options for the node.
 */
import { existsSync, statSync } from 'node:fs';
import path from 'node:path';
import { getChainParams, parseNetworkName, type NetworkName } from '../consensus/params.js';
import { readConfig, type Config } from '../node/config.js';
import type { RpcClientOptions } from '../rpc/client.js';
import { defaultDatadir } from './options.js';

/** A failure bitcoin-cli reports before or instead of an RPC reply: printed as given, exit status 1. */
export class CliError extends Error {
  constructor(
    message: string,
    /** Printed without bitcoin-cli's "error: " prefix (its own startup messages). */
    readonly bare = false,
  ) {
    super(message);
  }
}

/** Options bitcoin-cli knows that chainsnap's client implements; `false` = cannot be negated. */
const OPTIONS: Record<string, boolean> = {
  conf: true, datadir: false, named: true, rpcclienttimeout: true, rpcconnect: true, rpccookiefile: true,
  rpcpassword: true, rpcport: true, rpcuser: true, rpcwait: true, rpcwaittimeout: false, rpcwallet: true,
  stdin: true, stdinrpcpass: true, regtest: true, testnet: true, testnet4: true, signet: true, chain: true,
  help: true, h: true, '?': true, version: true,
  // The node-command options (chainsnap dumptxoutset FILE --rollback H).
  rollback: true,
};
/** Options that take the next argument as their value when written without '=' (node commands only, where
 * `--datadir DIR` is as natural as in chainsnap's other commands). */
const SPACED_VALUE = new Set(['rollback', 'datadir', 'conf', 'chain', 'rpcconnect', 'rpcport', 'rpcuser', 'rpcpassword', 'rpccookiefile', 'rpcclienttimeout', 'rpcwaittimeout', 'rpcwallet']);
const NETWORK_FLAGS = ['regtest', 'testnet', 'testnet4', 'signet'] as const;
const NETWORK_DIRS: Record<NetworkName, string> = { main: '', testnet3: 'testnet3', testnet4: 'testnet4', signet: 'signet', regtest: 'regtest' };
const DEFAULT_WAIT_CLIENT_TIMEOUT = 0;
const DEFAULT_HTTP_CLIENT_TIMEOUT = 900;

export interface CliArgs {
  /** Values in order of appearance: '' for a bare -name, '0' for -noname. */
  options: Map<string, string[]>;
  /** Everything else: the method and its arguments. */
  positional: string[];
}

/**
 * Core's ParseParameters. bitcoin-cli style (`anywhere` false): options stop at the first argument that
 * is not one, so the method's own arguments (even "-1") are never taken for options. Node commands
 * (`anywhere` true) accept options after their arguments too.
 */
export function parseCliArgs(argv: string[], anywhere = false): CliArgs {
  const options = new Map<string, string[]>();
  const positional: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '-' || !arg.startsWith('-') || (anywhere && /^-\d/.test(arg))) {
      if (!anywhere) {
        positional.push(...argv.slice(i));
        break;
      }
      positional.push(arg);
      continue;
    }
    const eq = arg.indexOf('=');
    let key = (eq < 0 ? arg : arg.slice(0, eq)).replace(/^--?/, '');
    let value: string | undefined = eq < 0 ? undefined : arg.slice(eq + 1);
    let negated = false;
    if (!(key in OPTIONS) && key.startsWith('no') && key.slice(2) in OPTIONS) {
      key = key.slice(2);
      negated = true;
    }
    if (!(key in OPTIONS) || (key === 'rollback' && !anywhere)) throw new CliError(`Error parsing command line arguments: Invalid parameter ${arg}`, true);
    if (negated) {
      if (!OPTIONS[key]) throw new CliError(`Error parsing command line arguments: Negating of -${key} is meaningless and therefore forbidden`, true);
      // -nofoo=0 is a double negative: foo=1.
      value = value === undefined || isTrue(value) ? '0' : '1';
    } else if (anywhere && value === undefined && SPACED_VALUE.has(key) && i + 1 < argv.length && !argv[i + 1].startsWith('-')) {
      value = argv[++i];
    }
    options.set(key, [...(options.get(key) ?? []), value ?? '']);
  }
  return { options, positional };
}

/** Core's InterpretBool: empty means true, otherwise a number that is not 0. */
function isTrue(v: string): boolean {
  return v === '' || (Number.parseInt(v, 10) || 0) !== 0;
}

export interface CliSettings {
  network: NetworkName;
  datadir: string;
  networkDir: string;
  /** The config file in use (for Core's "Could not locate RPC credentials" message). */
  configPath: string;
  get(name: string): string | undefined;
  flag(name: string, fallback?: boolean): boolean;
}

/** The data directory, config files and network, then settings with bitcoin-cli's precedence. */
export function resolveSettings(args: CliArgs): CliSettings {
  const cmd = (name: string) => args.options.get(name)?.at(-1);
  const datadirArg = cmd('datadir');
  if (datadirArg !== undefined && !(existsSync(datadirArg) && statSync(datadirArg).isDirectory())) {
    throw new CliError(`Error: Specified data directory "${datadirArg}" does not exist.`, true);
  }
  const datadir = path.resolve(datadirArg ?? defaultDatadir());
  const confArg = cmd('conf');
  const configPath = confArg !== undefined ? path.resolve(datadir, confArg) : path.join(datadir, 'bitcoin.conf');
  const configs: Config[] = [];
  if (confArg !== undefined && confArg !== '0') {
    if (!existsSync(configPath)) throw new CliError(`Error reading configuration file: specified config file "${configPath}" could not be opened.`, true);
    configs.push(read(configPath));
  } else if (confArg === undefined) {
    // chainsnap.conf is read too, for those who keep one file per program; bitcoin.conf comes first.
    for (const f of [configPath, path.join(datadir, 'chainsnap.conf')]) if (existsSync(f)) configs.push(read(f));
  }
  const top = (name: string) => configs.map((c) => c.top.get(name)?.[0]).find((v) => v !== undefined);
  const network = selectNetwork(args, top);
  const core = getChainParams(network).coreName;
  const section = (name: string) => configs.map((c) => c.sections.get(core)?.get(name)?.[0]).find((v) => v !== undefined);
  const get = (name: string): string | undefined => {
    const fromCmd = cmd(name);
    if (fromCmd !== undefined) return fromCmd;
    const fromSection = section(name);
    if (fromSection !== undefined) return fromSection;
    // Network-only options in the top level apply to main only (Core's NETWORK_ONLY).
    return name === 'rpcport' && network !== 'main' ? undefined : top(name);
  };
  return {
    network,
    datadir,
    networkDir: path.join(datadir, NETWORK_DIRS[network]),
    configPath,
    get,
    flag: (name, fallback = false) => {
      const v = get(name);
      return v === undefined ? fallback : isTrue(v);
    },
  };
}

function read(file: string): Config {
  try {
    return readConfig(file);
  } catch (e) {
    throw new CliError(`Error reading configuration file: ${(e as Error).message}`, true);
  }
}

/** -regtest, -testnet, -testnet4, -signet or -chain=, from the command line or the config's top level. */
function selectNetwork(args: CliArgs, top: (name: string) => string | undefined): NetworkName {
  const pick = (get: (name: string) => string | undefined): string[] => {
    const named = NETWORK_FLAGS.filter((f) => {
      const v = get(f);
      return v !== undefined && isTrue(v);
    }).map((f) => (f === 'testnet' ? 'test' : f));
    const chain = get('chain');
    return chain !== undefined ? [...named, chain] : named;
  };
  let chosen = pick((n) => args.options.get(n)?.at(-1));
  if (chosen.length === 0) chosen = pick(top);
  if (chosen.length > 1) throw new CliError('Error: Invalid combination of -regtest, -signet, -testnet, -testnet4 and -chain. Can use at most one.', true);
  if (chosen.length === 0) return 'main';
  try {
    return parseNetworkName(chosen[0]);
  } catch {
    throw new CliError(`Error: Unknown chain ${chosen[0]}.`, true);
  }
}

export interface Connection {
  client: RpcClientOptions;
  /** Where the config would be, for the missing-credentials message. */
  configPath: string;
  wait: boolean;
  /** Seconds; 0 = wait for ever. */
  waitTimeout: number;
  /** bitcoin-cli's warning when -rpcconnect and -rpcport both give a port. */
  warning?: string;
}

/** Core's CallRPC host/port rules, then the credentials: -rpcpassword, else the cookie. */
export function resolveConnection(s: CliSettings): Connection {
  const connect = s.get('rpcconnect') ?? '127.0.0.1';
  const split = /^\[([^\]]*)\](?::(.*))?$/.exec(connect) ?? (/^[^:]*:[^:]*$/.test(connect) ? [connect, ...connect.split(':')] : [connect, connect, undefined]);
  const host = split[1];
  let port = getChainParams(s.network).rpcPort;
  let connectPort = 0;
  if (split[2] !== undefined) {
    connectPort = /^\d+$/.test(split[2]) ? Number(split[2]) : 0;
    if (connectPort === 0 || connectPort > 65535) throw new CliError(`Invalid port provided in -rpcconnect: ${connect}`);
    port = connectPort;
  }
  let warning: string | undefined;
  const rpcport = s.get('rpcport');
  if (rpcport !== undefined) {
    const n = /^\d+$/.test(rpcport) ? Number(rpcport) : 0;
    if (n === 0 || n > 65535) throw new CliError(`Invalid port provided in -rpcport: ${rpcport}`);
    if (connectPort !== 0) warning = `Warning: Port specified in both -rpcconnect and -rpcport. Using -rpcport ${n}`;
    port = n;
  }
  const password = s.get('rpcpassword') ?? '';
  const cookieArg = s.get('rpccookiefile');
  // -norpccookiefile turns cookies off (Core's empty path).
  const cookieFile = cookieArg === '0' ? undefined : path.resolve(s.networkDir, cookieArg || '.cookie');
  const timeout = Number(s.get('rpcclienttimeout') ?? DEFAULT_HTTP_CLIENT_TIMEOUT);
  return {
    client: {
      host,
      port,
      user: password !== '' ? (s.get('rpcuser') ?? '') : undefined,
      password: password !== '' ? password : undefined,
      cookieFile: password === '' ? cookieFile : undefined,
      timeoutMs: Number.isFinite(timeout) && timeout > 0 ? timeout * 1000 : 0,
      wallet: s.get('rpcwallet'),
    },
    configPath: s.configPath,
    wait: s.flag('rpcwait'),
    waitTimeout: Number(s.get('rpcwaittimeout') ?? DEFAULT_WAIT_CLIENT_TIMEOUT) || 0,
    warning,
  };
}
