/**
 * Argument parsing and result formatting shared by RPC methods, with Core's words (rpc/util.cpp,
 * univalue, core_write.cpp): hashes, integers, booleans, verbosity, amounts with 8 decimals, difficulty,
 * targets, and verification progress.
 */
import type { ChainParams, NetworkName } from '../consensus/params.js';
import { hexToHash } from '../primitives/hash.js';
import type { RpcContext } from './context.js';
import { RPC, RpcError } from './errors.js';
import { JsonNumber } from './request.js';

/** Core treats a missing argument and JSON null alike (UniValue::isNull). */
export function isNull(v: unknown): v is null | undefined {
  return v === null || v === undefined;
}

/** UniValue's uvTypeName. */
export function uvTypeName(v: unknown): string {
  if (isNull(v)) return 'null';
  if (typeof v === 'boolean') return 'bool';
  if (typeof v === 'number' || typeof v === 'bigint') return 'number';
  if (typeof v === 'string') return 'string';
  if (Array.isArray(v)) return 'array';
  return 'object';
}

/** UniValue::type_error, which Core's server reports as RPC_TYPE_ERROR. */
export function typeError(v: unknown, expected: string): RpcError {
  return new RpcError(RPC.TYPE_ERROR, `JSON value of type ${uvTypeName(v)} is not of expected type ${expected}`);
}

export function getStr(v: unknown): string {
  if (typeof v !== 'string') throw typeError(v, 'string');
  return v;
}

export function getBool(v: unknown): boolean {
  if (typeof v !== 'boolean') throw typeError(v, 'bool');
  return v;
}

const INT_RANGES = {
  int: [-(2 ** 31), 2 ** 31 - 1],
  uint32: [0, 2 ** 32 - 1],
  int64: [Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER],
} as const;

/** UniValue::getInt<T>: a number that is an integer within T's range, else "JSON integer out of range". */
export function getInt(v: unknown, kind: keyof typeof INT_RANGES = 'int'): number {
  if (typeof v !== 'number') throw typeError(v, 'number');
  const [min, max] = INT_RANGES[kind];
  // std::runtime_error in Core, which its server turns into RPC_MISC_ERROR.
  if (!Number.isInteger(v) || v < min || v > max) throw new RpcError(RPC.MISC_ERROR, 'JSON integer out of range');
  return v;
}

/** An optional argument: its default when null or missing. */
export function optional<T>(v: unknown, parse: (v: unknown) => T, fallback: T): T {
  return isNull(v) ? fallback : parse(v);
}

/** Core's ParseHashV: 64 hex digits (either case), as a display-order hex key and the internal-order hash. */
export function parseHashV(v: unknown, name: string): { hash: Uint8Array; hex: string } {
  const s = getStr(v);
  if (s.length === 64 && /^[0-9a-fA-F]{64}$/.test(s)) return { hash: hexToHash(s), hex: s.toLowerCase() };
  if (s.length !== 64) throw new RpcError(RPC.INVALID_PARAMETER, `${name} must be of length 64 (not ${s.length}, for '${s}')`);
  throw new RpcError(RPC.INVALID_PARAMETER, `${name} must be hexadecimal string (not '${s}')`);
}

/** Core's ParseVerbosity. */
export function parseVerbosity(v: unknown, defaultVerbosity: number, allowBool: boolean): number {
  if (isNull(v)) return defaultVerbosity;
  if (typeof v === 'boolean') {
    if (!allowBool) throw new RpcError(RPC.TYPE_ERROR, 'Verbosity was boolean but only integer allowed');
    return v ? 1 : 0;
  }
  return getInt(v);
}

/** Core's ValueFromAmount: satoshis as a BTC number with exactly eight decimals ("%s%d.%08d"). */
export function valueFromAmount(sats: number | bigint): JsonNumber {
  const n = BigInt(sats);
  const abs = n < 0n ? -n : n;
  return new JsonNumber(`${n < 0n ? '-' : ''}${abs / 100_000_000n}.${(abs % 100_000_000n).toString().padStart(8, '0')}`);
}

/**
 * A double as UniValue::setFloat writes it: `ostream << setprecision(16)`, i.e. printf's %.16g (16
 * significant digits, trailing zeros dropped, exponent form below 1e-4 and from 1e16). Not finite: null.
 */
export function coreReal(v: number): JsonNumber | null {
  if (!Number.isFinite(v)) return null;
  if (v === 0) return new JsonNumber('0');
  const [mantissa, expText] = v.toExponential(15).split('e');
  const exp = Number(expText);
  const trim = (t: string) => (t.includes('.') ? t.replace(/\.?0+$/, '') : t);
  if (exp < -4 || exp >= 16) return new JsonNumber(`${trim(mantissa)}e${exp < 0 ? '-' : '+'}${String(Math.abs(exp)).padStart(2, '0')}`);
  return new JsonNumber(trim(v.toFixed(15 - exp)));
}

export { getDifficulty } from '../consensus/pow.js';

/** A 256-bit number as uint256::GetHex: 64 hex digits. */
export function uint256Hex(n: bigint): string {
  return n.toString(16).padStart(64, '0');
}

/** strprintf("%08x", nBits / nVersion). */
export function hex32(n: number): string {
  return (n >>> 0).toString(16).padStart(8, '0');
}

export { targetHex } from '../consensus/pow.js';

/** Core's ChainTxData (kernel/chainparams.cpp): transactions at a recent block and the rate since. */
interface ChainTxData {
  time: number;
  txCount: number;
  txRate: number;
}

const CHAIN_TX_DATA: Record<NetworkName, ChainTxData> = {
  main: { time: 1756722903, txCount: 1235299397, txRate: 5.456290459519495 },
  testnet3: { time: 1751816758, txCount: 508468699, txRate: 7.172978845985714 },
  testnet4: { time: 1752470331, txCount: 11414302, txRate: 0.2842619757327476 },
  signet: { time: 1756723017, txCount: 26185472, txRate: 0.7452721495389969 },
  regtest: { time: 0, txCount: 0, txRate: 0.001 },
};

export interface ProgressBlock {
  height: number;
  chainTxCount: number;
  header: { time: number };
}

/**
 * Core's GuessVerificationProgress: transactions through `block` over the transactions estimated to exist
 * now. `now` is the node's time (mock time when set).
 */
export function guessVerificationProgress(params: ChainParams, block: ProgressBlock, bestHeaderHeight: number, now: number): number {
  if (block.chainTxCount === 0) return 0;
  // A custom signet has no data (Core's zeros).
  const data = params.isCustomSignet ? { time: 0, txCount: 0, txRate: 0 } : CHAIN_TX_DATA[params.name];
  const recent = Math.abs(now - block.header.time) <= 2 * 60 * 60 && bestHeaderHeight >= block.height;
  // Near the tip Core counts by height, so the value settles at exactly 1 instead of following miners' clocks.
  const blockTime = recent ? now - (bestHeaderHeight - block.height) * params.powTargetSpacing : block.header.time;
  const total = block.chainTxCount <= data.txCount ? data.txCount + (now - data.time) * data.txRate : block.chainTxCount + (now - blockTime) * data.txRate;
  return Math.min(block.chainTxCount / total, 1.0);
}

/** GuessVerificationProgress of a block for this node: its best header and its time (mock time when set). */
export function verificationProgress(ctx: RpcContext, block: ProgressBlock): number {
  return guessVerificationProgress(ctx.params, block, ctx.manager.storage.index.bestHeader.height, ctx.now());
}
