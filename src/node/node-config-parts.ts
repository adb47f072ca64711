/**
 * Two parts of NodeConfig resolved from the settings: the chain (parameters, trusted assumeutxo entries,
 * -assumevalid, -minimumchainwork) and the RPC server's (binds as Core's HTTPBindAddresses picks them,
 * credentials, limits), each refused in Core's words.
 */
import path from 'node:path';
import { getChainParams, parseNetworkName, withTrustedAssumeutxo, type ChainParams, type NetworkName } from '../consensus/params.js';
import type { ArgsManager } from './args.js';
import { parseRpcWhitelist, type RpcWhitelist } from '../rpc/whitelist.js';

/** Thrown as the node's config error by the caller (kept apart to avoid an import cycle). */
export class ConfigValueError extends Error {
  override name = 'ConfigValueError';
}

export interface RpcConfig {
  /** -server (bitcoind's default 1); false: no RPC server. */
  server: boolean;
  binds: { host: string; port: number }[];
  allowIps: string[];
  port: number;
  user?: string;
  password?: string;
  rpcauth: string[];
  /** `.cookie` in the network dir by default; undefined under -norpccookiefile. */
  cookieFile?: string;
  cookiePerms?: 'owner' | 'group' | 'all';
  threads: number;
  workQueue: number;
  /** Seconds. */
  serverTimeout: number;
  /** -rpcwhitelist and -rpcwhitelistdefault. */
  whitelist: RpcWhitelist;
}

/** Core's uint256::FromUserHex: optional 0x, up to 64 hex digits, left-padded. Returns display hex. */
export function fromUserHex(s: string): string | undefined {
  const hex = s.startsWith('0x') ? s.slice(2) : s;
  if (hex.length > 64 || !/^[0-9a-fA-F]*$/.test(hex)) return undefined;
  return hex.toLowerCase().padStart(64, '0');
}

/** Core's ToIntegral<uint16_t>, non-zero (CheckHostPortOptions). */
function parsePort(s: string): number | undefined {
  if (!/^[0-9]+$/.test(s)) return undefined;
  const n = Number(s);
  return n > 0 && n <= 65535 ? n : undefined;
}

/** Core's SplitHostPort: false for a bad port. */
export function splitHostPort(input: string, defaultPort: number): { host: string; port: number; valid: boolean } {
  let s = input;
  let port = defaultPort;
  let valid = false;
  const colon = s.lastIndexOf(':');
  const haveColon = colon >= 0;
  const bracketed = haveColon && s[0] === '[' && s[colon - 1] === ']';
  const multiColon = haveColon && colon !== 0 && s.lastIndexOf(':', colon - 1) >= 0;
  if (haveColon && (colon === 0 || bracketed || !multiColon)) {
    const p = s.slice(colon + 1);
    if (/^[0-9]+$/.test(p) && Number(p) <= 65535) {
      s = s.slice(0, colon);
      port = Number(p);
      valid = port !== 0;
    }
  } else {
    valid = true;
  }
  const host = s.length > 0 && s[0] === '[' && s[s.length - 1] === ']' ? s.slice(1, -1) : s;
  return { host, port, valid };
}

export interface ChainConfig {
  network: NetworkName;
  params: ChainParams;
  assumeValid?: string;
}

export function resolveChain(args: ArgsManager, coreChain: string): ChainConfig {
  const network = parseNetworkName(coreChain);
  let challenge: string | undefined;
  if (network === 'signet' && args.getArgs('signetchallenge').length > 0) {
    const values = args.getArgs('signetchallenge');
    if (values.length !== 1) throw new ConfigValueError('-signetchallenge cannot be multiple values.');
    challenge = values[0].replace(/\s+/g, '');
    if (!/^([0-9a-fA-F]{2})+$/.test(challenge)) throw new ConfigValueError(`-signetchallenge must be hex, not '${values[0]}'.`);
  }
  let params = getChainParams(network, { signetChallenge: challenge });
  // Top-of-file entries serve the networks that accept trusted entries and never leak into the others; a
  // command-line or network-section entry is explicit, so a network that refuses it says so.
  const accepts = network === 'regtest' || params.isCustomSignet;
  const entries = accepts ? args.getArgs('assumeutxo') : args.getSettingsListRaw(coreChain, 'assumeutxo', true).map(String);
  try {
    params = withTrustedAssumeutxo(params, entries);
  } catch (e) {
    throw new ConfigValueError((e as Error).message);
  }
  const minWork = args.getArg('minimumchainwork');
  if (minWork !== undefined) {
    const hex = fromUserHex(minWork);
    if (hex === undefined) throw new ConfigValueError(`Invalid minimum work specified (${minWork}), must be up to 64 hex digits`);
    params = Object.freeze({ ...params, minimumChainWork: BigInt('0x' + hex) });
  }
  const av = args.getArg('assumevalid');
  let assumeValid: string | undefined;
  if (av !== undefined) {
    assumeValid = fromUserHex(av);
    if (assumeValid === undefined) {
      throw new ConfigValueError(`Invalid assumevalid block hash specified (${av}), must be up to 64 hex digits (or 0 to disable)`);
    }
  }
  return { network, params, assumeValid };
}

export function resolveRpc(args: ArgsManager, params: ChainParams, networkDir: string, log: string[]): RpcConfig {
  for (const option of ['port', 'rpcport']) {
    const v = args.getArg(option);
    if (v !== undefined && parsePort(v) === undefined) throw new ConfigValueError(`Invalid port specified in -${option}: '${v}'`);
  }
  // Core reads the port with GetIntArg after the check above, so it is the plain number.
  const port = args.getIntArg('rpcport') ?? params.rpcPort;
  const allowIps = args.getArgs('rpcallowip');
  const rpcbinds = args.getArgs('rpcbind');
  for (const b of rpcbinds) {
    if (!splitHostPort(b, port).valid) throw new ConfigValueError(`Invalid port specified in -rpcbind: '${b}'`);
  }
  let binds: RpcConfig['binds'];
  if (allowIps.length === 0 || rpcbinds.length === 0) {
    // Without both, bind to loopback only (refusing to expose the RPC by accident), as Core.
    binds = [{ host: '::1', port }, { host: '127.0.0.1', port }];
    if (allowIps.length > 0) log.push("WARNING: option -rpcallowip was specified without -rpcbind; this doesn't usually make sense");
    if (rpcbinds.length > 0) {
      log.push('WARNING: option -rpcbind was ignored because -rpcallowip was not specified, refusing to allow everyone to connect');
    }
  } else {
    binds = rpcbinds.map((b) => {
      const { host, port: p } = splitHostPort(b, port);
      return { host, port: p };
    });
  }
  const perms = args.getArg('rpccookieperms');
  if (perms !== undefined && perms !== 'owner' && perms !== 'group' && perms !== 'all') {
    throw new ConfigValueError(`Invalid -rpccookieperms=${perms}; must be one of 'owner', 'group', or 'all'.`);
  }
  const cookie = args.getPathArg('rpccookiefile', '.cookie');
  return {
    server: args.getBoolArg('server') ?? true,
    binds,
    allowIps,
    port,
    user: args.getArg('rpcuser'),
    password: args.getArg('rpcpassword'),
    rpcauth: args.getArgs('rpcauth'),
    cookieFile: cookie === '' ? undefined : path.resolve(networkDir, cookie),
    cookiePerms: perms,
    threads: Math.max(args.getIntArg('rpcthreads') ?? 16, 1),
    workQueue: Math.max(args.getIntArg('rpcworkqueue') ?? 64, 1),
    serverTimeout: args.getIntArg('rpcservertimeout') ?? 30,
    whitelist: parseRpcWhitelist(args.getArgs('rpcwhitelist'), args.getBoolArg('rpcwhitelistdefault')),
  };
}

/** The status page (-webport, -webbind); undefined when it is off. */
export interface WebConfig {
  host: string;
  port: number;
}

export function resolveWeb(args: ArgsManager): WebConfig | undefined {
  const v = args.getArg('webport');
  if (v === undefined || args.isArgNegated('webport') || v === '0' || v === '') return undefined;
  const port = parsePort(v);
  if (port === undefined) throw new ConfigValueError(`Invalid port specified in -webport: '${v}'`);
  const bind = args.getArg('webbind') ?? '127.0.0.1';
  const { host, port: p, valid } = splitHostPort(bind, port);
  if (!valid || host === '') throw new ConfigValueError(`Invalid -webbind address: '${bind}'`);
  return { host, port: p };
}

/** Core's TEST_OPTIONS_DOC names; chainsnap acts on bip94 only (the others configure addrman and reindexing). */
const TEST_OPTIONS = ['addrman', 'reindex_after_failure_noninteractive_yes', 'bip94'];

export interface MiningConfig {
  /** The chain parameters with -test=bip94 applied. */
  params: ChainParams;
  /** Regtest's -blockversion override for mined blocks (Core's MineBlocksOnDemand only); undefined: versionbits. */
  blockVersion?: number;
  /** Core's InitWarning for each -test option it does not know. */
  warnings: string[];
}

/** -test=<option> (AppInitParameterInteraction, ReadRegTestArgs) and -blockversion (BlockAssembler). */
export function resolveMining(args: ArgsManager, network: NetworkName, params: ChainParams): MiningConfig {
  const tests = args.getArgs('test');
  const warnings: string[] = [];
  if (tests.length > 0 && network !== 'regtest') throw new ConfigValueError('-test=<option> can only be used with regtest');
  for (const option of tests) {
    if (!TEST_OPTIONS.includes(option)) warnings.push(`Unrecognised option "${option}" provided in -test=<option>.`);
  }
  if (tests.includes('bip94')) params = Object.freeze({ ...params, enforceBIP94: true });
  const version = network === 'regtest' ? args.getIntArg('blockversion') : undefined;
  // CBlockHeader::nVersion is an int32_t: Core's assignment from int64 keeps the low 32 bits.
  return { params, blockVersion: version === undefined ? undefined : version | 0, warnings };
}

/** BIP14's characters allowed in a user agent comment (Core's SAFE_CHARS_UA_COMMENT). */
const SAFE_UA_COMMENT = /^[a-zA-Z0-9 .,;\-_?@]*$/;
const MAX_SUBVERSION_LENGTH = 256;

/** Core's strSubVersion: FormatSubVersion of our name and version with the -uacomment values, checked as Core does. */
export function resolveSubversion(args: ArgsManager, base: string): string {
  const comments = args.getArgs('uacomment');
  for (const c of comments) {
    if (!SAFE_UA_COMMENT.test(c)) throw new ConfigValueError(`User Agent comment (${c}) contains unsafe characters.`);
  }
  const sub = comments.length === 0 ? base : `${base.slice(0, -1)}(${comments.join('; ')})/`;
  if (sub.length > MAX_SUBVERSION_LENGTH) {
    throw new ConfigValueError(
      `Total length of network version string (${sub.length}) exceeds maximum length (${MAX_SUBVERSION_LENGTH}). Reduce the number or size of uacomments.`,
    );
  }
  return sub;
}
