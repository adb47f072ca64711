/**
 * The block index's memory (Core's BlockMap of CBlockIndex): one row per entry, in columns. Hash and
 * header fields sit in 80-byte records in chunked slabs (hash, version, merkle root, time, bits, nonce;
 * the previous hash is the parent's, as in Core); the rest are typed arrays indexed by row; lookups go
 * through an open-addressing table of rows keyed by the hash's low bytes (Core's BlockHasher). A
 * mainnet index (~925,000 entries) then costs ~170 bytes per entry and almost no objects: entry objects
 * (index-entry.ts) are made only for the rows someone asks for, and kept, so identity holds.
 */
import { BLOCK_FAILED_CHILD, BLOCK_FAILED_VALID, decodeStatus, encodeStatus, HEADER_STATUS, type BlockStatus } from './block-status.js';

/** Bytes per record: hash 32, version 4, merkle root 32, time 4, bits 4, nonce 4. */
export const RECORD = 80;
export const R_VERSION = 32;
export const R_MERKLE = 36;
export const R_TIME = 68;
export const R_BITS = 72;
export const R_NONCE = 76;
const CHUNK_BITS = 12;
const CHUNK = 1 << CHUNK_BITS;
const CHUNK_MASK = CHUNK - 1;
/** Chain work in four 32-bit limbs, least significant first; more than 2^128 goes to `bigWork`. */
const LIMBS = 4;
const FAILED = BLOCK_FAILED_VALID | BLOCK_FAILED_CHILD;

const statusByCode = new Map<number, BlockStatus>([[encodeStatus(HEADER_STATUS), HEADER_STATUS]]);
const canonicalCode = new Map<number, number>();

/** The shared status object for Core's status bits. */
export function statusOfCode(code: number): BlockStatus {
  let s = statusByCode.get(code);
  if (!s) statusByCode.set(code, (s = decodeStatus(code)));
  return s;
}

/** Core's bits as stored, validated and normalised (both failure bits → the block's own failure). */
export function canonicalStatusCode(raw: number): number {
  let c = canonicalCode.get(raw);
  if (c === undefined) canonicalCode.set(raw, (c = encodeStatus(statusOfCode(raw))));
  return c;
}

/** Core's InvertLowestOne / GetSkipHeight: a height whose skip pattern keeps ancestor walks logarithmic. */
export function skipHeight(height: number): number {
  if (height < 2) return 0;
  const invertLowestOne = (n: number) => n & (n - 1);
  return height & 1 ? invertLowestOne(invertLowestOne(height - 1)) + 1 : invertLowestOne(height);
}

const seed = (Math.random() * 0x100000000) >>> 0;

export class IndexStore {
  count = 0;
  private cap = 0;
  readonly chunks: Uint8Array[] = [];
  height = new Int32Array(0);
  prev = new Int32Array(0);
  skip = new Int32Array(0);
  firstChild = new Int32Array(0);
  nextSibling = new Int32Array(0);
  sequenceId = new Int32Array(0);
  status = new Uint16Array(0);
  txCount = new Uint32Array(0);
  chainTxCount = new Float64Array(0);
  /** file + 1 (0: none) and offset. */
  dataFile = new Int32Array(0);
  dataOffset = new Uint32Array(0);
  undoFile = new Int32Array(0);
  undoOffset = new Uint32Array(0);
  work = new Uint32Array(0);
  private bigWork: Map<number, bigint> | undefined;
  /** Rows + 1 by hash; 0 is empty. Kept at most half full. */
  private table = new Int32Array(16);
  private tableShift = 28;
  /** Entry objects handed out, by row (chunked like the records, made on demand). */
  readonly objects: unknown[][] = [];

  /** Makes room for `n` rows in all. */
  reserve(n: number): void {
    if (n > this.cap) this.resize(Math.max(n, 1024));
  }

  /** Gives back room beyond the rows in use and `slack` more (after a load that grew by doubling). */
  trim(slack: number): void {
    if (this.cap > this.count + 2 * slack) this.resize(this.count + slack);
  }

  private resize(cap: number): void {
    const grow = <T extends Int32Array | Uint32Array | Uint16Array | Float64Array>(a: T, per = 1): T => {
      const b = new (a.constructor as new (n: number) => T)(cap * per);
      b.set(a.subarray(0, this.count * per));
      return b;
    };
    this.height = grow(this.height);
    this.prev = grow(this.prev);
    this.skip = grow(this.skip);
    this.firstChild = grow(this.firstChild);
    this.nextSibling = grow(this.nextSibling);
    this.sequenceId = grow(this.sequenceId);
    this.status = grow(this.status);
    this.txCount = grow(this.txCount);
    this.chainTxCount = grow(this.chainTxCount);
    this.dataFile = grow(this.dataFile);
    this.dataOffset = grow(this.dataOffset);
    this.undoFile = grow(this.undoFile);
    this.undoOffset = grow(this.undoOffset);
    this.work = grow(this.work, LIMBS);
    this.cap = cap;
    let size = 16;
    while (size < 2 * cap) size *= 2;
    if (size !== this.table.length) this.rehash(size);
  }

  /**
   * A new row with the hash and header fields of an 80-byte header at `header[at..]` and its hash at
   * `hash[hashAt..]`; links and numbers are set by the caller. Returns -1-row of an existing row with
   * that hash instead.
   */
  addRecord(hash: Uint8Array, hashAt: number, header: Uint8Array, at: number): number {
    const found = this.find(hash, hashAt);
    if (found >= 0) return -1 - found;
    const row = this.newRow();
    const rec = this.chunks[row >> CHUNK_BITS];
    const o = (row & CHUNK_MASK) * RECORD;
    for (let j = 0; j < 32; j++) rec[o + j] = hash[hashAt + j];
    for (let j = 0; j < 4; j++) rec[o + R_VERSION + j] = header[at + j];
    for (let j = 0; j < 32; j++) rec[o + R_MERKLE + j] = header[at + 36 + j];
    for (let j = 0; j < 12; j++) rec[o + R_TIME + j] = header[at + 68 + j];
    this.insert(row);
    return row;
  }

  /**
   * A new row whose record is the RECORD bytes at src[at..] (same layout: hash first), or -1-row of an
   * existing row with that hash. Links, numbers and work are the caller's.
   */
  addRawRecord(src: Uint8Array, at: number): number {
    const found = this.find(src, at);
    if (found >= 0) return -1 - found;
    const row = this.newRow();
    const rec = this.chunks[row >> CHUNK_BITS];
    const o = (row & CHUNK_MASK) * RECORD;
    for (let j = 0; j < RECORD; j++) rec[o + j] = src[at + j];
    this.insert(row);
    return row;
  }

  /**
   * Like addRawRecord, for hashes the caller knows to be new (a loader's, whose stored keys are unique and
   * checked against the headers), and without entering the row in the lookup table: indexRows does that
   * for many rows in one tight loop, whose cache misses overlap.
   */
  appendRawRecord(src: Uint8Array, at: number): number {
    const row = this.newRow();
    const rec = this.chunks[row >> CHUNK_BITS];
    const o = (row & CHUNK_MASK) * RECORD;
    for (let j = 0; j < RECORD; j++) rec[o + j] = src[at + j];
    return row;
  }

  /** Enters rows [from, count) in the lookup table (rows appended by appendRawRecord). */
  indexRows(from: number): void {
    for (let row = from; row < this.count; row++) this.insert(row);
  }

  /** Whether the hash of `row` is hash[at, at + 32). */
  hashEquals(row: number, hash: Uint8Array, at: number): boolean {
    const rec = this.chunks[row >> CHUNK_BITS];
    const o = (row & CHUNK_MASK) * RECORD;
    for (let j = 0; j < 32; j++) if (rec[o + j] !== hash[at + j]) return false;
    return true;
  }

  private newRow(): number {
    if (this.count === this.cap) this.reserve(this.cap + (this.cap >> 2) + 4096);
    const row = this.count++;
    if (row >> CHUNK_BITS === this.chunks.length) this.chunks.push(new Uint8Array(CHUNK * RECORD));
    this.prev[row] = -1;
    this.skip[row] = -1;
    this.firstChild[row] = -1;
    this.nextSibling[row] = -1;
    return row;
  }

  /** The row whose hash is `hash[at..at+32]`, or -1. */
  find(hash: Uint8Array, at = 0): number {
    const t = this.table;
    const mask = t.length - 1;
    for (let s = this.slot(hash, at); ; s = (s + 1) & mask) {
      const v = t[s];
      if (v === 0) return -1;
      const row = v - 1;
      const rec = this.chunks[row >> CHUNK_BITS];
      const o = (row & CHUNK_MASK) * RECORD;
      let j = 0;
      while (j < 32 && rec[o + j] === hash[at + j]) j++;
      if (j === 32) return row;
    }
  }

  /** The record slab of `row` and the offset of its record in it. */
  chunkOf(row: number): Uint8Array {
    return this.chunks[row >> CHUNK_BITS];
  }

  offsetOf(row: number): number {
    return (row & CHUNK_MASK) * RECORD;
  }

  u32(row: number, field: number): number {
    const b = this.chunks[row >> CHUNK_BITS];
    const o = (row & CHUNK_MASK) * RECORD + field;
    return (b[o] | (b[o + 1] << 8) | (b[o + 2] << 16) | (b[o + 3] << 24)) >>> 0;
  }

  /** A view of the row's hash (internal order); records never move and never change. */
  hashView(row: number): Uint8Array {
    const o = (row & CHUNK_MASK) * RECORD;
    return this.chunks[row >> CHUNK_BITS].subarray(o, o + 32);
  }

  statusOf(row: number): BlockStatus {
    return statusOfCode(this.status[row]);
  }

  failed(row: number): boolean {
    return (this.status[row] & FAILED) !== 0;
  }

  /** Sets the chain work of `row` to its parent's (none: zero) plus `proof` (limbs, or a bigint beyond 2^128). */
  setWork(row: number, parent: number, proof: Uint32Array | bigint): void {
    const w = this.work;
    if (typeof proof === 'bigint' || (parent >= 0 && this.bigWork?.has(parent))) {
      this.setBigWork(row, (parent >= 0 ? this.chainWork(parent) : 0n) + (typeof proof === 'bigint' ? proof : limbsToBigInt(proof, 0)));
      return;
    }
    let carry = 0;
    for (let k = 0; k < LIMBS; k++) {
      const s = (parent >= 0 ? w[parent * LIMBS + k] : 0) + proof[k] + carry;
      carry = s > 0xffffffff ? 1 : 0;
      w[row * LIMBS + k] = s >>> 0;
    }
    if (carry) this.setBigWork(row, (parent >= 0 ? this.chainWork(parent) : 0n) + limbsToBigInt(proof, 0));
  }

  chainWork(row: number): bigint {
    const big = this.bigWork?.get(row);
    return big ?? limbsToBigInt(this.work, row * LIMBS);
  }

  /** Sign of work(a) - work(b). */
  compareWork(a: number, b: number): number {
    if (this.bigWork && (this.bigWork.has(a) || this.bigWork.has(b))) {
      const wa = this.chainWork(a);
      const wb = this.chainWork(b);
      return wa === wb ? 0 : wa > wb ? 1 : -1;
    }
    const w = this.work;
    for (let k = LIMBS - 1; k >= 0; k--) {
      const d = w[a * LIMBS + k] - w[b * LIMBS + k];
      if (d !== 0) return d;
    }
    return 0;
  }

  /** Core's CBlockIndexWorkComparator as "a is better than b": more work, then earlier arrival. */
  moreWork(a: number, b: number): boolean {
    const c = this.compareWork(a, b);
    return c !== 0 ? c > 0 : this.sequenceId[a] < this.sequenceId[b];
  }

  /** Core's CBlockIndex::GetAncestor on rows; -1 when `height` is out of [0, height of `row`]. */
  ancestor(row: number, height: number): number {
    const hs = this.height;
    if (height > hs[row] || height < 0) return -1;
    let walk = row;
    while (hs[walk] > height) {
      const hSkip = skipHeight(hs[walk]);
      const hSkipPrev = skipHeight(hs[walk] - 1);
      // Take the skip unless it overshoots, or unless prev's skip is a better jump (Core's exact condition).
      const sk = this.skip[walk];
      if (sk >= 0 && (hSkip === height || (hSkip > height && !(hSkipPrev < hSkip - 2 && hSkipPrev >= height)))) walk = sk;
      else walk = this.prev[walk];
    }
    return walk;
  }

  /** Links `row` under `parent` (height, skip pointer, child list in arrival order); work is set apart. */
  link(row: number, parent: number): void {
    if (parent < 0) {
      this.height[row] = 0;
      return;
    }
    const h = this.height[parent] + 1;
    this.height[row] = h;
    this.prev[row] = parent;
    this.skip[row] = this.ancestor(parent, skipHeight(h));
    let last = this.firstChild[parent];
    if (last < 0) {
      this.firstChild[parent] = row;
      return;
    }
    while (this.nextSibling[last] >= 0) last = this.nextSibling[last];
    this.nextSibling[last] = row;
  }

  private setBigWork(row: number, work: bigint): void {
    (this.bigWork ??= new Map()).set(row, work);
    this.work.fill(0xffffffff, row * LIMBS, row * LIMBS + LIMBS);
  }

  private slot(hash: Uint8Array, at: number): number {
    const lo = hash[at] | (hash[at + 1] << 8) | (hash[at + 2] << 16) | (hash[at + 3] << 24);
    const hi = hash[at + 4] | (hash[at + 5] << 8) | (hash[at + 6] << 16) | (hash[at + 7] << 24);
    return Math.imul(lo ^ Math.imul(hi, 0x85ebca6b) ^ seed, 0x9e3779b1) >>> this.tableShift;
  }

  private insert(row: number): void {
    const t = this.table;
    const mask = t.length - 1;
    let s = this.slot(this.chunks[row >> CHUNK_BITS], (row & CHUNK_MASK) * RECORD);
    while (t[s] !== 0) s = (s + 1) & mask;
    t[s] = row + 1;
  }

  private rehash(size: number): void {
    this.table = new Int32Array(size);
    this.tableShift = 32 - Math.log2(size);
    for (let row = 0; row < this.count; row++) this.insert(row);
  }
}

export function limbsToBigInt(w: Uint32Array, at: number): bigint {
  const lo = w[at] + w[at + 1] * 0x100000000;
  if (w[at + 2] === 0 && w[at + 3] === 0 && w[at + 1] < 0x200000) return BigInt(lo);
  return (BigInt(w[at + 3]) << 96n) | (BigInt(w[at + 2]) << 64n) | (BigInt(w[at + 1]) << 32n) | BigInt(w[at]);
}

/** A proof of work as limbs, or the bigint itself when it does not fit in 128 bits. */
export function workLimbs(work: bigint): Uint32Array | bigint {
  if (work >> 128n) return work;
  const out = new Uint32Array(LIMBS);
  for (let k = 0; k < LIMBS; k++) out[k] = Number((work >> BigInt(32 * k)) & 0xffffffffn);
  return out;
}
