/**
 * Coin records: the uncompressed form in which Core feeds a coin to its UTXO-set hashes
 * (txid ‖ u32 vout ‖ u32 (height·2 + coinbase) ‖ i64 value ‖ CompactSize(len) ‖ script).
 *
 * Records are the currency between the snapshot reader, the hashers, the exporters and the writers:
 * they are self-delimiting, carry everything about a coin, and can be produced into one large buffer
 * without allocating anything per coin, which is what lets a snapshot be verified at millions of coins
 * per second.
 */
import { compactSizeLength, readU32LE, writeCompactSizeInto, writeI64LE, writeU32LE } from '../primitives/bytes.js';
import { DeserializeError, END_OF_DATA, VARINT_TOO_LARGE } from '../primitives/errors.js';
import { orderByKeys, voutOrderStats } from './vout-order.js';
import { decompressAmount, decompressScriptInto, MAX_SCRIPT_SIZE, SPECIAL_SCRIPTS, specialScriptSize } from './compressor.js';

export const RECORD_TXID = 0;
export const RECORD_VOUT = 32;
export const RECORD_CODE = 36;
export const RECORD_VALUE = 40;
export const RECORD_SCRIPT_LEN = 48;
/** The largest record: fixed part, a 3-byte CompactSize and a script of MAX_SCRIPT_SIZE. */
export const MAX_RECORD_SIZE = RECORD_SCRIPT_LEN + 3 + MAX_SCRIPT_SIZE;

const TWO_32 = 0x1_0000_0000;

export interface CoinRecord {
  txid: Uint8Array;
  vout: number;
  height: number;
  coinbase: boolean;
  value: number;
  script: Uint8Array;
}

/** Length of the record starting at `off`. */
export function recordLength(buf: Uint8Array, off: number): number {
  const first = buf[off + RECORD_SCRIPT_LEN];
  if (first < 253) return RECORD_SCRIPT_LEN + 1 + first;
  // Scripts in records are at most MAX_SCRIPT_SIZE, so the 3-byte form is the only other one.
  return RECORD_SCRIPT_LEN + 3 + (buf[off + RECORD_SCRIPT_LEN + 1] | (buf[off + RECORD_SCRIPT_LEN + 2] << 8));
}

export function recordScriptOffset(buf: Uint8Array, off: number): number {
  return off + RECORD_SCRIPT_LEN + (buf[off + RECORD_SCRIPT_LEN] < 253 ? 1 : 3);
}

export function recordVout(buf: Uint8Array, off: number): number {
  return readU32LE(buf, off + RECORD_VOUT);
}

export function recordValue(buf: Uint8Array, off: number): number {
  return readU32LE(buf, off + RECORD_VALUE) + (readU32LE(buf, off + RECORD_VALUE + 4) | 0) * TWO_32;
}

/**
 * Reorders the records in buf[from, to) — the outputs of one transaction — by numeric vout, the order
 * of the UTXO hashes (keys and snapshots order them by the bytes of VARINT(vout) instead).
 */
export function sortRecordsByVout(buf: Uint8Array, from: number, to: number): void {
  let n = 0;
  for (let off = from; off < to; off += recordLength(buf, off)) {
    if (n + 1 >= sortOffsets.length) growSortScratch();
    sortOffsets[n] = off;
    sortKeys[n++] = recordVout(buf, off);
  }
  sortOffsets[n] = to;
  const order = orderByKeys(sortKeys, n);
  if (sortBytes.length < to - from) sortBytes = new Uint8Array((to - from) * 2);
  // Records that stay neighbours move as one span: a merge of a few runs leaves a few long spans.
  let p = 0;
  for (let i = 0; i < n; ) {
    const first = order[i]!;
    let last = first;
    while (++i < n && order[i] === last + 1) last++;
    const start = sortOffsets[first]!;
    const end = sortOffsets[last + 1]!;
    sortBytes.set(buf.subarray(start, end), p);
    p += end - start;
  }
  buf.set(sortBytes.subarray(0, p), from);
}

/**
 * Like sortRecordsByVout, for records whose ascending runs are known: run r starts at runStarts[r] (the
 * first at `from`) and ends where the next starts (the last at `to`) — what a reader sees as it appends
 * (a run ends where the vout drops). Each step takes, from the run with the smallest next vout, every
 * record below the other runs' next vouts, and moves them as one span: per record, a read of its vout.
 */
export function mergeRecordRunsByVout(buf: Uint8Array, from: number, to: number, runStarts: Int32Array, runs: number): void {
  voutOrderStats.groupsReordered++;
  if (runHeads.length < runs) {
    runHeads = new Int32Array(2 * runs);
    runEnds = new Int32Array(2 * runs);
  }
  for (let r = 0; r < runs; r++) {
    runHeads[r] = runStarts[r]!;
    runEnds[r] = r + 1 < runs ? runStarts[r + 1]! : to;
  }
  if (sortBytes.length < to - from) sortBytes = new Uint8Array((to - from) * 2);
  let p = 0;
  for (;;) {
    let m = -1;
    let least = Infinity;
    let next = Infinity;
    for (let r = 0; r < runs; r++) {
      if (runHeads[r]! >= runEnds[r]!) continue;
      const v = recordVout(buf, runHeads[r]!);
      if (v < least) {
        next = least;
        least = v;
        m = r;
      } else if (v < next) {
        next = v;
      }
    }
    if (m < 0) break;
    const start = runHeads[m]!;
    const end = runEnds[m]!;
    let q = start + recordLength(buf, start);
    while (q < end && recordVout(buf, q) < next) q += recordLength(buf, q);
    sortBytes.set(buf.subarray(start, q), p);
    p += q - start;
    runHeads[m] = q;
  }
  buf.set(sortBytes.subarray(0, p), from);
}

let runHeads = new Int32Array(16);
let runEnds = new Int32Array(16);

// Scratch of sortRecordsByVout, kept between calls: a dump reorders hundreds of large groups.
let sortOffsets = new Int32Array(1024);
let sortKeys = new Float64Array(1024);
let sortBytes = new Uint8Array(1 << 16);

function growSortScratch(): void {
  const offsets = new Int32Array(sortOffsets.length * 2);
  offsets.set(sortOffsets);
  const keys = new Float64Array(sortKeys.length * 2);
  keys.set(sortKeys);
  sortOffsets = offsets;
  sortKeys = keys;
}

/** Decodes the record at `off` into an object (copies its bytes). */
export function readRecord(buf: Uint8Array, off: number): CoinRecord {
  const code = readU32LE(buf, off + RECORD_CODE);
  const scriptOff = recordScriptOffset(buf, off);
  return {
    txid: new Uint8Array(buf.subarray(off, off + 32)),
    vout: recordVout(buf, off),
    height: Math.floor(code / 2),
    coinbase: (code & 1) === 1,
    value: recordValue(buf, off),
    script: new Uint8Array(buf.subarray(scriptOff, off + recordLength(buf, off))),
  };
}

/** Writes a record at `pos`; returns the position after it. */
export function writeRecord(out: Uint8Array, pos: number, r: CoinRecord): number {
  out.set(r.txid, pos);
  writeU32LE(out, pos + RECORD_VOUT, r.vout);
  writeU32LE(out, pos + RECORD_CODE, r.height * 2 + (r.coinbase ? 1 : 0));
  writeI64LE(out, pos + RECORD_VALUE, r.value);
  const p = writeCompactSizeInto(out, pos + RECORD_SCRIPT_LEN, r.script.length);
  out.set(r.script, p);
  return p + r.script.length;
}

export function encodeRecord(r: CoinRecord): Uint8Array {
  const out = new Uint8Array(RECORD_SCRIPT_LEN + compactSizeLength(r.script.length) + r.script.length);
  writeRecord(out, 0, r);
  return out;
}

/** Calls `fn(offset)` for every record in `batch[0, length)`. */
export function forEachRecord(batch: Uint8Array, length: number, fn: (off: number) => void): void {
  for (let off = 0; off < length; off += recordLength(batch, off)) fn(off);
}

/**
 * What decodeCompressedCoin learnt about the coin it decoded. A module-level object so the hot loop
 * allocates nothing.
 */
export const decoded = {
  height: 0,
  coinbase: false,
  value: 0,
  /** Length of the decompressed script. */
  scriptLen: 0,
  /** Position in `out` after the record. */
  outEnd: 0,
  failEnd(at: number, baseOffset: number): never {
    throw new DeserializeError(END_OF_DATA, baseOffset + at);
  },
};

function readVarIntU32(src: Uint8Array, pos: number, end: number, baseOffset: number): number {
  const start = pos;
  let n = 0;
  for (;;) {
    if (pos >= end) decoded.failEnd(pos, baseOffset);
    const b = src[pos++];
    if (n > 0x1ffffff) throw new DeserializeError(VARINT_TOO_LARGE, baseOffset + start);
    n = n * 128 + (b & 0x7f);
    if (b & 0x80) {
      if (n === 0xffffffff) throw new DeserializeError(VARINT_TOO_LARGE, baseOffset + start);
      n++;
    } else {
      varIntEnd = pos;
      return n;
    }
  }
}

/** Reads a u64 VARINT; exact as a number below 2^53, else returned as a bigint. */
function readVarIntU64(src: Uint8Array, pos: number, end: number, baseOffset: number): number | bigint {
  const start = pos;
  let n = 0;
  for (;;) {
    if (pos >= end) decoded.failEnd(pos, baseOffset);
    const b = src[pos++];
    if (n >= 2 ** 45) return readVarIntU64Big(src, start, end, baseOffset);
    n = n * 128 + (b & 0x7f);
    if (b & 0x80) {
      n++;
    } else {
      varIntEnd = pos;
      return n;
    }
  }
}

function readVarIntU64Big(src: Uint8Array, pos: number, end: number, baseOffset: number): bigint {
  const start = pos;
  const max = 0xffffffffffffffffn;
  let n = 0n;
  for (;;) {
    if (pos >= end) decoded.failEnd(pos, baseOffset);
    const b = src[pos++];
    if (n > max >> 7n) throw new DeserializeError(VARINT_TOO_LARGE, baseOffset + start);
    n = (n << 7n) | BigInt(b & 0x7f);
    if (b & 0x80) {
      if (n === max) throw new DeserializeError(VARINT_TOO_LARGE, baseOffset + start);
      n++;
    } else {
      varIntEnd = pos;
      return n;
    }
  }
}

let varIntEnd = 0;

// DataViews of the buffers copyBytes saw last: a producer works through one input and one output buffer
// for thousands of coins, so the views are made once per buffer, not per coin.
let lastSrc: Uint8Array = new Uint8Array(0);
let srcView: DataView = new DataView(lastSrc.buffer);
let lastOut: Uint8Array = new Uint8Array(0);
let outView: DataView = new DataView(lastOut.buffer);

/**
 * Copies src[from, from + n) to out[to, …) four bytes at a time: script payloads are 20–34 bytes, and
 * byte-by-byte moves were the largest single cost of decoding. Both ranges must be in bounds.
 */
export function copyBytes(src: Uint8Array, from: number, out: Uint8Array, to: number, n: number): void {
  if (src !== lastSrc) {
    lastSrc = src;
    srcView = new DataView(src.buffer, src.byteOffset, src.byteLength);
  }
  if (out !== lastOut) {
    lastOut = out;
    outView = new DataView(out.buffer, out.byteOffset, out.byteLength);
  }
  let i = 0;
  for (; i + 4 <= n; i += 4) outView.setInt32(to + i, srcView.getInt32(from + i, true), true);
  for (; i < n; i++) out[to + i] = src[from + i]!;
}

/**
 * Decodes the compressed coin at src[pos..end) and writes the record's tail (code, value, script) into
 * `out` starting at `outPos` (the caller has written txid and vout before it). Returns the position in
 * `src` after the coin. For a script longer than MAX_SCRIPT_SIZE, Core skips its bytes and keeps `6a`;
 * the returned position may then lie beyond `end`, which a streaming caller resolves by skipping in the
 * file. Sets `decoded`.
 */
export function decodeCompressedCoin(src: Uint8Array, pos: number, end: number, out: Uint8Array, outPos: number, baseOffset = 0): number {
  // VARINTs of up to three bytes (heights below 2,113,664 and most amount codes) decoded inline; the
  // general readers take the rest and every error.
  let code: number;
  let b0: number;
  let b1: number;
  let b2: number;
  if (pos + 3 <= end && (b0 = src[pos]) < 0x80) {
    code = b0;
    pos += 1;
  } else if (pos + 3 <= end && (b1 = src[pos + 1]) < 0x80) {
    code = ((b0! & 0x7f) + 1) * 128 + b1;
    pos += 2;
  } else if (pos + 3 <= end && (b2 = src[pos + 2]) < 0x80) {
    code = (((b0! & 0x7f) + 1) * 128 + (b1! & 0x7f) + 1) * 128 + b2;
    pos += 3;
  } else {
    code = readVarIntU32(src, pos, end, baseOffset);
    pos = varIntEnd;
  }
  const amountCode = readVarIntU64(src, pos, end, baseOffset);
  pos = varIntEnd;
  const value = decompressAmount(amountCode);
  let size: number;
  if (pos < end && (b0 = src[pos]) < 0x80) {
    size = b0;
    pos += 1;
  } else {
    size = readVarIntU32(src, pos, end, baseOffset);
    pos = varIntEnd;
  }

  writeU32LE(out, outPos, code);
  if (value >= 0) {
    // >>> 0 is the low word exactly for a safe integer, without a floating-point modulo.
    const lo = value >>> 0;
    writeU32LE(out, outPos + 4, lo);
    writeU32LE(out, outPos + 8, (value - lo) / TWO_32);
  } else {
    writeI64LE(out, outPos + 4, value);
  }
  let p = outPos + 12;
  if (size < SPECIAL_SCRIPTS) {
    const n = specialScriptSize(size);
    if (pos + n > end) decoded.failEnd(end, baseOffset);
    if (size < 4) {
      // Fast path: the payload is copied straight from the input, no key arithmetic.
      const len = size === 0 ? 25 : size === 1 ? 23 : 35;
      out[p++] = len;
      const scriptStart = p;
      if (size === 0) {
        out[p] = 0x76;
        out[p + 1] = 0xa9;
        out[p + 2] = 20;
        copyBytes(src, pos, out, p + 3, 20);
        out[p + 23] = 0x88;
        out[p + 24] = 0xac;
      } else if (size === 1) {
        out[p] = 0xa9;
        out[p + 1] = 20;
        copyBytes(src, pos, out, p + 2, 20);
        out[p + 22] = 0x87;
      } else {
        out[p] = 33;
        out[p + 1] = size;
        copyBytes(src, pos, out, p + 2, 32);
        out[p + 34] = 0xac;
      }
      p = scriptStart + len;
      decoded.scriptLen = len;
    } else {
      const len = decompressScriptInto(size, src.subarray(pos, pos + 32), out, p + 1);
      out[p] = len;
      p += 1 + len;
      decoded.scriptLen = len;
    }
    pos += n;
  } else {
    const len = size - SPECIAL_SCRIPTS;
    if (len > MAX_SCRIPT_SIZE) {
      out[p++] = 1;
      out[p++] = 0x6a;
      pos += len;
      decoded.scriptLen = 1;
    } else {
      if (pos + len > end) decoded.failEnd(end, baseOffset);
      p = writeCompactSizeInto(out, p, len);
      if (len <= 64) {
        copyBytes(src, pos, out, p, len);
      } else {
        out.set(src.subarray(pos, pos + len), p);
      }
      p += len;
      pos += len;
      decoded.scriptLen = len;
    }
  }
  decoded.height = Math.floor(code / 2);
  decoded.coinbase = (code & 1) === 1;
  decoded.value = value;
  decoded.outEnd = p;
  return pos;
}

/**
 * The position after the compressed coin at src[pos..end), without decoding it: what a reader needs to
 * find where txid groups end, at a fraction of decodeCompressedCoin's cost. On well-formed input it moves
 * exactly as decodeCompressedCoin does (a script beyond MAX_SCRIPT_SIZE may again take it past `end`);
 * malformed VARINTs need not fail here, since whoever decodes the coin later reports them.
 */
export function skipCompressedCoin(src: Uint8Array, pos: number, end: number, baseOffset = 0): number {
  // Code and amount: VARINTs end at the first byte below 0x80.
  for (let varints = 0; varints < 2; varints++) {
    while (pos < end && src[pos] >= 0x80) pos++;
    if (pos >= end) decoded.failEnd(pos, baseOffset);
    pos++;
  }
  let size: number;
  if (pos < end && src[pos] < 0x80) size = src[pos++];
  else {
    size = readVarIntU32(src, pos, end, baseOffset);
    pos = varIntEnd;
  }
  if (size < SPECIAL_SCRIPTS) {
    const n = specialScriptSize(size);
    if (pos + n > end) decoded.failEnd(end, baseOffset);
    return pos + n;
  }
  const len = size - SPECIAL_SCRIPTS;
  if (len <= MAX_SCRIPT_SIZE && pos + len > end) decoded.failEnd(end, baseOffset);
  return pos + len;
}
