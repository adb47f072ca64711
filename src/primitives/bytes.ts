/**
 * Byte-level encodings shared by every Bitcoin format: fixed-width little-endian integers, the P2P
 * CompactSize and Core's own VARINT (big-endian base-128 with the "minus one" rule, used in coins and undo
 * data). Readers throw DeserializeError with Core's message and the offset of the failing field.
 */
import {
  COMPACT_SIZE_TOO_LARGE,
  DeserializeError,
  END_OF_DATA,
  NON_CANONICAL_COMPACT_SIZE,
  VARINT_TOO_LARGE,
} from './errors.js';

/** Core's MAX_SIZE: the largest CompactSize accepted when range checking is on. */
export const MAX_COMPACT_SIZE = 0x02000000;

const TWO_32 = 0x1_0000_0000;

export function toHex(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex');
}

export function fromHex(hex: string): Uint8Array {
  if (hex.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(hex)) throw new Error(`invalid hex string: ${hex.slice(0, 80)}`);
  return new Uint8Array(Buffer.from(hex, 'hex'));
}

export function concatBytes(...parts: Uint8Array[]): Uint8Array {
  return new Uint8Array(Buffer.concat(parts));
}

/** Up to this length a JavaScript loop beats Buffer.compare, whose binding call costs more than the bytes. */
const SHORT_COMPARE = 64;

export function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  if (a.length > SHORT_COMPARE) return Buffer.compare(a, b) === 0;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Bytewise comparison (LevelDB's default order and the snapshot's txid order). */
export function compareBytes(a: Uint8Array, b: Uint8Array): number {
  return Buffer.compare(a, b);
}

export function compactSizeLength(n: number): number {
  return n < 253 ? 1 : n <= 0xffff ? 3 : n <= 0xffffffff ? 5 : 9;
}

export function varIntLength(n: number): number {
  let len = 1;
  while (n > 0x7f) {
    n = Math.floor(n / 128) - 1;
    len++;
  }
  return len;
}

/** Writes Core's VARINT of a non-negative safe integer into `out` at `pos`; returns the new position. */
export function writeVarIntInto(out: Uint8Array, pos: number, n: number): number {
  const len = varIntLength(n);
  let i = pos + len - 1;
  out[i] = n & 0x7f;
  while (n > 0x7f) {
    n = Math.floor(n / 128) - 1;
    out[--i] = (n & 0x7f) | 0x80;
  }
  return pos + len;
}

/** writeVarIntInto for values that may exceed 2^53. */
export function writeVarIntBigInto(out: Uint8Array, pos: number, n: number | bigint): number {
  if (typeof n === 'number') return writeVarIntInto(out, pos, n);
  const digits: number[] = [Number(n & 0x7fn)];
  while (n > 0x7fn) {
    n = (n >> 7n) - 1n;
    digits.push(Number(n & 0x7fn) | 0x80);
  }
  for (let i = digits.length - 1; i >= 0; i--) out[pos++] = digits[i];
  return pos;
}

export function encodeVarInt(n: number): Uint8Array {
  const out = new Uint8Array(varIntLength(n));
  writeVarIntInto(out, 0, n);
  return out;
}

/** Writes a CompactSize into `out` at `pos`; returns the new position. */
export function writeCompactSizeInto(out: Uint8Array, pos: number, n: number): number {
  if (n < 253) {
    out[pos] = n;
    return pos + 1;
  }
  if (n <= 0xffff) {
    out[pos] = 0xfd;
    out[pos + 1] = n & 0xff;
    out[pos + 2] = n >>> 8;
    return pos + 3;
  }
  if (n <= 0xffffffff) {
    out[pos] = 0xfe;
    writeU32LE(out, pos + 1, n);
    return pos + 5;
  }
  out[pos] = 0xff;
  writeU32LE(out, pos + 1, n % TWO_32);
  writeU32LE(out, pos + 5, Math.floor(n / TWO_32));
  return pos + 9;
}

export function writeU32LE(out: Uint8Array, pos: number, n: number): void {
  out[pos] = n & 0xff;
  out[pos + 1] = (n >>> 8) & 0xff;
  out[pos + 2] = (n >>> 16) & 0xff;
  out[pos + 3] = (n >>> 24) & 0xff;
}

export function readU32LE(buf: Uint8Array, pos: number): number {
  return (buf[pos] | (buf[pos + 1] << 8) | (buf[pos + 2] << 16)) + buf[pos + 3] * 0x1000000;
}

/** Writes an int64 given as a safe integer (amounts fit) or a bigint, little-endian. */
export function writeI64LE(out: Uint8Array, pos: number, v: number | bigint): void {
  if (typeof v === 'bigint') {
    const u = BigInt.asUintN(64, v);
    writeU32LE(out, pos, Number(u & 0xffffffffn));
    writeU32LE(out, pos + 4, Number(u >> 32n));
    return;
  }
  // Floor division, not `%`: a double's remainder is a call into the C library, and the floor gives the
  // two's-complement low word of a negative value directly (-1 → hi -1, lo 2^32 - 1). Both steps are exact.
  const hi = Math.floor(v / TWO_32);
  writeU32LE(out, pos, v - hi * TWO_32);
  writeU32LE(out, pos + 4, hi < 0 ? hi + TWO_32 : hi);
}

/** A cursor over a byte array. Every read checks bounds and reports the offset where it failed. */
export class ByteReader {
  pos: number;

  constructor(
    readonly buf: Uint8Array,
    offset = 0,
    /** Added to positions in error offsets, so a reader over a slice reports file offsets. */
    readonly baseOffset = 0,
  ) {
    this.pos = offset;
  }

  get remaining(): number {
    return this.buf.length - this.pos;
  }

  get eof(): boolean {
    return this.pos >= this.buf.length;
  }

  fail(message: string, at = this.pos): never {
    throw new DeserializeError(message, this.baseOffset + at);
  }

  private need(n: number): void {
    if (this.pos + n > this.buf.length) this.fail(END_OF_DATA);
  }

  readU8(): number {
    this.need(1);
    return this.buf[this.pos++];
  }

  readU16LE(): number {
    this.need(2);
    const v = this.buf[this.pos] | (this.buf[this.pos + 1] << 8);
    this.pos += 2;
    return v;
  }

  readU32LE(): number {
    this.need(4);
    const v = readU32LE(this.buf, this.pos);
    this.pos += 4;
    return v;
  }

  readI32LE(): number {
    return this.readU32LE() | 0;
  }

  /** u64 as a bigint (exact). */
  readU64LE(): bigint {
    const lo = this.readU32LE();
    const hi = this.readU32LE();
    return (BigInt(hi) << 32n) | BigInt(lo);
  }

  /** int64 as a number: exact within ±2^53, which holds every valid amount. */
  readI64LE(): number {
    const lo = this.readU32LE();
    const hi = this.readU32LE() | 0;
    return hi * TWO_32 + lo;
  }

  readBytes(n: number): Uint8Array {
    this.need(n);
    const out = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }

  skip(n: number): void {
    this.need(n);
    this.pos += n;
  }

  /** Core's ReadCompactSize: canonical encodings only; with rangeCheck, at most MAX_COMPACT_SIZE. */
  readCompactSize(rangeCheck = true): number {
    const start = this.pos;
    const first = this.readU8();
    let n: number;
    if (first < 253) {
      n = first;
    } else if (first === 253) {
      n = this.readU16LE();
      if (n < 253) this.fail(NON_CANONICAL_COMPACT_SIZE, start);
    } else if (first === 254) {
      n = this.readU32LE();
      if (n < 0x10000) this.fail(NON_CANONICAL_COMPACT_SIZE, start);
    } else {
      const v = this.readU64LE();
      if (v < 0x100000000n) this.fail(NON_CANONICAL_COMPACT_SIZE, start);
      if (rangeCheck) this.fail(COMPACT_SIZE_TOO_LARGE, start);
      n = v > BigInt(Number.MAX_SAFE_INTEGER) ? Number.MAX_SAFE_INTEGER : Number(v);
    }
    if (rangeCheck && n > MAX_COMPACT_SIZE) this.fail(COMPACT_SIZE_TOO_LARGE, start);
    return n;
  }

  /**
   * Core's ReadVarInt into an unsigned integer of `bits` width (32 or 64). Fails with Core's message when
   * the value would not fit. Values above 2^53 are only possible for 64 bits; use readVarIntBig for those.
   */
  readVarInt(bits: 32 | 64 = 32): number {
    const v = this.readVarIntBig(bits);
    return Number(v);
  }

  readVarIntBig(bits: 32 | 64 = 64): bigint {
    const start = this.pos;
    const max = bits === 32 ? 0xffffffffn : 0xffffffffffffffffn;
    let n = 0n;
    for (;;) {
      const b = this.readU8();
      if (n > max >> 7n) this.fail(VARINT_TOO_LARGE, start);
      n = (n << 7n) | BigInt(b & 0x7f);
      if (b & 0x80) {
        if (n === max) this.fail(VARINT_TOO_LARGE, start);
        n++;
      } else {
        return n;
      }
    }
  }
}

/** Message lengths ByteWriter.view() keeps a view for: signature messages are shorter; longer ones are rare. */
const CACHED_VIEWS = 512;

/** A growable output buffer. */
export class ByteWriter {
  private buf: Uint8Array;
  length = 0;
  /** view()'s views of buf by length; dropped when buf is replaced. */
  private views?: (Uint8Array | undefined)[];

  constructor(initialSize = 256) {
    this.buf = new Uint8Array(initialSize);
  }

  private ensure(n: number): void {
    if (this.length + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.length + n) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.buf.subarray(0, this.length));
    this.buf = next;
    this.views = undefined;
  }

  writeU8(v: number): this {
    this.ensure(1);
    this.buf[this.length++] = v;
    return this;
  }

  writeU16LE(v: number): this {
    this.ensure(2);
    this.buf[this.length++] = v & 0xff;
    this.buf[this.length++] = (v >>> 8) & 0xff;
    return this;
  }

  writeU32LE(v: number): this {
    this.ensure(4);
    writeU32LE(this.buf, this.length, v);
    this.length += 4;
    return this;
  }

  writeI32LE(v: number): this {
    return this.writeU32LE(v >>> 0);
  }

  writeI64LE(v: number | bigint): this {
    this.ensure(8);
    writeI64LE(this.buf, this.length, v);
    this.length += 8;
    return this;
  }

  writeU64LE(v: bigint | number): this {
    return this.writeI64LE(typeof v === 'bigint' ? BigInt.asIntN(64, v) : v);
  }

  writeBytes(b: Uint8Array): this {
    this.ensure(b.length);
    this.buf.set(b, this.length);
    this.length += b.length;
    return this;
  }

  /** A latin1 string's characters as bytes: digests kept as node:crypto's strings (primitives/hash.ts). */
  writeLatin1(s: string): this {
    this.ensure(s.length);
    for (let i = 0; i < s.length; i++) this.buf[this.length + i] = s.charCodeAt(i);
    this.length += s.length;
    return this;
  }

  writeCompactSize(n: number): this {
    this.ensure(9);
    this.length = writeCompactSizeInto(this.buf, this.length, n);
    return this;
  }

  /** CompactSize length prefix followed by the bytes. */
  writeVarBytes(b: Uint8Array): this {
    return this.writeCompactSize(b.length).writeBytes(b);
  }

  writeVarInt(n: number | bigint): this {
    this.ensure(10);
    this.length = writeVarIntBigInto(this.buf, this.length, typeof n === 'bigint' && n <= Number.MAX_SAFE_INTEGER ? Number(n) : n);
    return this;
  }

  /** `end - begin` bytes of `b`, without making a view of them first. */
  writeRange(b: Uint8Array, begin: number, end: number): this {
    const n = end - begin;
    this.ensure(n);
    // A byte loop beats a subarray and set() on the few bytes between OP_CODESEPARATORs.
    if (n < 64) for (let i = 0; i < n; i++) this.buf[this.length + i] = b[begin + i];
    else this.buf.set(b.subarray(begin, end), this.length);
    this.length += n;
    return this;
  }

  /** Starts over on the same buffer: for writers reused per message (signature hashes). */
  reset(): this {
    this.length = 0;
    return this;
  }

  /** A copy of what was written. */
  toBytes(): Uint8Array {
    return this.buf.slice(0, this.length);
  }

  /**
   * What was written, in place: valid until the next write or reset. Lets a reused writer's message be hashed
   * where it was written instead of being copied per signature.
   */
  view(): Uint8Array {
    // A reused writer's messages come in a few lengths (a segwit signature's is always 182 bytes): one view per
    // length, made once, as making a typed array over a buffer costs more than hashing a short message.
    if (this.length >= CACHED_VIEWS) return new Uint8Array(this.buf.buffer, this.buf.byteOffset, this.length);
    const views = (this.views ??= new Array<Uint8Array | undefined>(CACHED_VIEWS).fill(undefined));
    return (views[this.length] ??= new Uint8Array(this.buf.buffer, this.buf.byteOffset, this.length));
  }
}
