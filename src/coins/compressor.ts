/**
 * Core's coin compression (compressor.cpp): amounts as a decimal-exponent code, and the six special
 * script templates (P2PKH, P2SH, P2PK with compressed or uncompressed keys) stored without their opcodes.
 * Everything here is consensus-critical for snapshot bytes and UTXO hashes, so it mirrors Core exactly,
 * including its quirks (64-bit wrapping in decompression, empty script for an off-curve x).
 */
import { writeVarIntInto } from '../primitives/bytes.js';
import { decompressPubKey, isFullyValidPubKey } from '../primitives/pubkey.js';

export const MAX_MONEY = 21_000_000 * 100_000_000;
/** Core's MAX_SCRIPT_SIZE: longer scripts are never stored, only skipped. */
export const MAX_SCRIPT_SIZE = 10_000;
/** Number of special script codes (0..5); raw scripts are stored with size + this. */
export const SPECIAL_SCRIPTS = 6;

const OP_DUP = 0x76;
const OP_HASH160 = 0xa9;
const OP_EQUALVERIFY = 0x88;
const OP_CHECKSIG = 0xac;
const OP_EQUAL = 0x87;

export function moneyRange(value: number): boolean {
  return value >= 0 && value <= MAX_MONEY;
}

/**
 * Core's CompressAmount. Codes of large amounts with many significant digits pass 2^53 (the code is about
 * 9× the amount), so those come back as a bigint.
 */
export function compressAmount(n: number): number | bigint {
  if (n === 0) return 0;
  let e = 0;
  while (n % 10 === 0 && e < 9) {
    n /= 10;
    e++;
  }
  if (e < 9) {
    const d = n % 10;
    n = (n - d) / 10;
    if (n < 2 ** 46) return 1 + (n * 9 + d - 1) * 10 + e;
    return 1n + (BigInt(n) * 9n + BigInt(d - 1)) * 10n + BigInt(e);
  }
  return 1 + (n - 1) * 10 + 9;
}

const POW10 = [1, 10, 100, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9];

/** Largest code whose decompression stays exact in doubles (result ≤ 2^53) on the fast path. */
const FAST_AMOUNT_LIMIT = 2 ** 40;

/**
 * Inverse of compressAmount, as a signed CAmount. Core computes it in uint64 arithmetic and then stores it
 * in an int64, so hostile codes wrap; the slow path reproduces that exactly.
 */
export function decompressAmount(x: number | bigint): number {
  if (typeof x === 'number' && x < FAST_AMOUNT_LIMIT) {
    if (x === 0) return 0;
    const c = x - 1;
    // Floor of a double quotient, not %: codes pass 2^31, where % on doubles is a call to fmod per
    // coin. Exact here: below 2^40 a quotient's distance to the next integer (≥ 1/10) dwarfs rounding.
    const q = Math.floor(c / 10);
    const e = c - q * 10;
    let n: number;
    if (e < 9) {
      const q9 = Math.floor(q / 9);
      n = q9 * 10 + (q - q9 * 9) + 1;
    } else {
      n = q + 1;
    }
    n *= POW10[e]!;
    if (n <= Number.MAX_SAFE_INTEGER) return n;
  }
  return Number(decompressAmountBig(BigInt(x)));
}

function decompressAmountBig(x: bigint): bigint {
  const wrap = (v: bigint) => BigInt.asUintN(64, v);
  if (x === 0n) return 0n;
  x = wrap(x - 1n);
  let e = x % 10n;
  x /= 10n;
  let n: bigint;
  if (e < 9n) {
    const d = (x % 9n) + 1n;
    x /= 9n;
    n = wrap(x * 10n + d);
  } else {
    n = wrap(x + 1n);
  }
  while (e > 0n) {
    n = wrap(n * 10n);
    e--;
  }
  return BigInt.asIntN(64, n);
}

/** Bytes that follow a special script code (Core's GetSpecialScriptSize). */
export function specialScriptSize(code: number): number {
  return code === 0 || code === 1 ? 20 : 32;
}

/**
 * The special code of a script Core compresses and where its payload starts, or -1 for a script stored
 * as is. Works on a script in place (`src[off, off + n)`) so hot loops need no copy.
 */
export function specialScriptCode(src: Uint8Array, off: number, n: number): number {
  if (n === 25 && src[off] === OP_DUP && src[off + 1] === OP_HASH160 && src[off + 2] === 20 && src[off + 23] === OP_EQUALVERIFY && src[off + 24] === OP_CHECKSIG) {
    return 0;
  }
  if (n === 23 && src[off] === OP_HASH160 && src[off + 1] === 20 && src[off + 22] === OP_EQUAL) return 1;
  if (n === 35 && src[off] === 33 && src[off + 34] === OP_CHECKSIG && (src[off + 1] === 2 || src[off + 1] === 3)) return src[off + 1];
  if (n === 67 && src[off] === 65 && src[off + 66] === OP_CHECKSIG && src[off + 1] === 4 && isFullyValidPubKey(src.subarray(off + 1, off + 66))) {
    return 4 | (src[off + 65] & 1);
  }
  return -1;
}

/** Offset of the payload of special code `code` within its script. */
export function specialPayloadOffset(code: number): number {
  return code === 0 ? 3 : 2;
}

/** The [code, payload] of a script Core compresses, or undefined for one stored as is. */
export function compressScript(script: Uint8Array): [number, Uint8Array] | undefined {
  const code = specialScriptCode(script, 0, script.length);
  if (code < 0) return undefined;
  const from = specialPayloadOffset(code);
  return [code, script.subarray(from, from + specialScriptSize(code))];
}

/**
 * Writes the compressed form of the script `src[off, off + n)` into `out` at `pos`: a VARINT code and
 * the payload, or VARINT(n + 6) and the script. Returns the new position.
 */
export function writeCompressedScript(out: Uint8Array, pos: number, src: Uint8Array, off: number, n: number): number {
  const code = specialScriptCode(src, off, n);
  if (code >= 0) {
    out[pos++] = code;
    const from = off + specialPayloadOffset(code);
    const len = specialScriptSize(code);
    for (let i = 0; i < len; i++) out[pos + i] = src[from + i];
    return pos + len;
  }
  pos = writeVarIntInto(out, pos, n + SPECIAL_SCRIPTS);
  out.set(src.subarray(off, off + n), pos);
  return pos + n;
}

/**
 * Writes the script a special code stands for into `out` at `pos` and returns its length. An x that is not
 * on the curve (codes 4/5) yields an empty script, as in Core, which ignores that failure.
 */
export function decompressScriptInto(code: number, payload: Uint8Array, out: Uint8Array, pos: number): number {
  switch (code) {
    case 0:
      out[pos] = OP_DUP;
      out[pos + 1] = OP_HASH160;
      out[pos + 2] = 20;
      out.set(payload, pos + 3);
      out[pos + 23] = OP_EQUALVERIFY;
      out[pos + 24] = OP_CHECKSIG;
      return 25;
    case 1:
      out[pos] = OP_HASH160;
      out[pos + 1] = 20;
      out.set(payload, pos + 2);
      out[pos + 22] = OP_EQUAL;
      return 23;
    case 2:
    case 3:
      out[pos] = 33;
      out[pos + 1] = code;
      out.set(payload, pos + 2);
      out[pos + 34] = OP_CHECKSIG;
      return 35;
    default: {
      const compressed = new Uint8Array(33);
      compressed[0] = code - 2;
      compressed.set(payload, 1);
      const full = decompressPubKey(compressed);
      if (!full) return 0;
      out[pos] = 65;
      out.set(full, pos + 1);
      out[pos + 66] = OP_CHECKSIG;
      return 67;
    }
  }
}

export function decompressScript(code: number, payload: Uint8Array): Uint8Array {
  const out = new Uint8Array(67);
  return out.slice(0, decompressScriptInto(code, payload, out, 0));
}
