/**
 * Rebuilds the block index from its stored entries (Core's LoadBlockIndexGuts): each header is hashed
 * (Core's ConstructBlockHash) and copied straight into a row of the index's columns, the hash checked
 * against the entry's key, then the rows linked in height order, each parent and proof of work checked.
 * Kept lean because a mainnet index has ~925,000 entries: stored values are decoded in place, nothing is
 * allocated per entry but the hash, and one proof and target are computed per distinct `bits`.
 */
import { HEADER_SIZE } from '../primitives/block.js';
import { blockProof, targetFromBits } from '../consensus/pow.js';
import type { ChainParams } from '../consensus/params.js';
import { encodeStatus } from './block-status.js';
import { BlockIndex, type BlockIndexOptions, type StoredFields } from './block-index.js';
import { keyAt } from './index-entry.js';
import { headerHashInto } from './header-hash.js';
import { canonicalStatusCode, R_BITS, R_MERKLE, R_TIME, R_VERSION, RECORD, workLimbs, type IndexStore } from './index-store.js';

/** Rows are ordered by height × ORDER_SPAN + row, in one native sort of doubles. */
const ORDER_SPAN = 2 ** 23;
const MAX_SAFE = Number.MAX_SAFE_INTEGER;

interface BitsInfo {
  proof: Uint32Array | bigint;
  /** The target, little-endian like a hash; undefined when `bits` is not a valid target for the network. */
  target: Uint8Array | undefined;
}

/**
 * Entries as read are staged row by row, all of a row's fields in STRIDE bytes, so that linking them
 * in height order (a random order of the rows) touches three cache lines per entry, not a dozen:
 * the index record (hash and header fields, as index-store.ts lays it out), then the previous hash
 * and the stored numbers.
 */
const STRIDE = 160;
const S_PREV = RECORD;
/** In 32-bit words. */
const W_HEIGHT = 28;
const W_STATUS = 29;
const W_TX = 30;
const W_DATA_FILE = 31;
const W_DATA_OFFSET = 32;
const W_UNDO_FILE = 33;
const W_UNDO_OFFSET = 34;
const W_SEQUENCE = 35;
/** In doubles. */
const D_CHAIN_TX = 18;
/** Parents are looked up in the hash table when there are more rows than this at their height. */
const PARENT_SCAN = 16;
const W = STRIDE / 4;
const D = STRIDE / 8;

export class BlockIndexLoader {
  private readonly index: BlockIndex;
  private readonly store: IndexStore;
  private stage = new Uint8Array(0);
  private u32 = new Uint32Array(0);
  private i32 = new Int32Array(0);
  private f64 = new Float64Array(0);
  private staged = 0;
  private readonly bits = new Map<number, BitsInfo>();
  private nextSequence = 0;
  /** Every entry came with the key it is stored under: no two hashes are equal (LevelDB keys are unique). */
  private keyed = true;
  /** Where decoding a stored value stopped. */
  private pos = 0;

  constructor(
    private readonly params: ChainParams,
    opts: BlockIndexOptions = {},
    /** Entries expected, when known: the staging area is sized once. */
    expected = 0,
  ) {
    this.index = new BlockIndex(params, opts);
    this.store = this.index.store;
    if (expected > 0) this.reserve(expected);
  }

  /** One stored entry: its 80 header bytes, the hash its key names (undefined: not checked), its fields. */
  add(header: Uint8Array, keyHash: Uint8Array | undefined, f: StoredFields): void {
    if (header.length !== HEADER_SIZE) throw new Error('block index is corrupt: short header');
    if (!keyHash) this.keyed = false;
    const w = this.addHeader(header, 0, keyHash, 0, f.height) * W;
    const u = this.u32;
    u[w + W_STATUS] = encodeStatus(f.status);
    u[w + W_TX] = f.txCount;
    this.f64[w / 2 + D_CHAIN_TX] = f.chainTxCount;
    u[w + W_DATA_FILE] = f.dataPos ? f.dataPos.file + 1 : 0;
    u[w + W_DATA_OFFSET] = f.dataPos?.offset ?? 0;
    u[w + W_UNDO_FILE] = f.undoPos ? f.undoPos.file + 1 : 0;
    u[w + W_UNDO_OFFSET] = f.undoPos?.offset ?? 0;
    this.setSequence(w, f.sequenceId);
  }

  /**
   * One stored value as block-index-db.ts writes it (80-byte header, then VARINTs: height, status,
   * txCount, chainTxCount, data position, undo position, sequenceId), decoded in place; `key[keyAt..]`
   * is the 32-byte hash it is stored under.
   */
  addStored(key: Uint8Array, keyAt: number, value: Uint8Array, at: number, len: number): void {
    if (len < HEADER_SIZE) throw new Error(`block index is corrupt: entry ${keyAtHex(key, keyAt)} is too short`);
    const end = at + len;
    this.pos = at + HEADER_SIZE;
    const height = this.varint(value, end, 0x7fffffff);
    const w = this.addHeader(value, at, key, keyAt, height) * W;
    const u = this.u32;
    u[w + W_STATUS] = canonicalStatusCode(this.varint(value, end, 0xffffffff));
    u[w + W_TX] = this.varint(value, end, 0xffffffff);
    this.f64[w / 2 + D_CHAIN_TX] = this.varint(value, end, MAX_SAFE);
    const df = (u[w + W_DATA_FILE] = this.varint(value, end, 0xffffffff));
    u[w + W_DATA_OFFSET] = df === 0 ? 0 : this.varint(value, end, 0xffffffff);
    const uf = (u[w + W_UNDO_FILE] = this.varint(value, end, 0xffffffff));
    u[w + W_UNDO_OFFSET] = uf === 0 ? 0 : this.varint(value, end, 0xffffffff);
    this.setSequence(w, this.varint(value, end, MAX_SAFE));
    if (this.pos !== end) throw new Error('block index is corrupt: trailing bytes in block index entry');
  }

  /**
   * Links every entry added, in height order, so that rows of one height sit together and a parent is
   * found among the rows just before; throws "block index is corrupt: …" when the stored index cannot be
   * trusted.
   */
  finish(): BlockIndex {
    const s = this.store;
    const { stage, u32, i32, f64 } = this;
    const order = heightOrder(i32, this.staged);
    s.reserve(s.count + this.staged + 4096);
    // With unique keys, rows are entered in the lookup table in bulk: before a lookup needs them, and at the end.
    const keyed = this.keyed;
    let unindexed = s.count;
    // Rows of the parents' height, and where the current height's rows start (genesis: row 0).
    let parentsFrom = 0;
    let parentsTo = 0;
    let height = 0;
    let from = 0;
    for (let k = 0; k < order.length; k++) {
      const i = order[k];
      const b = i * STRIDE;
      const w = i * W;
      const h = i32[w + W_HEIGHT];
      let row: number;
      if (h === 0) {
        if (!s.hashEquals(0, stage, b)) throw new Error(`block index is corrupt: genesis ${keyAtHex(stage, b)} is not ${this.params.name}'s`);
        // Our genesis takes over its stored fields.
        row = 0;
      } else {
        if (h !== height) {
          parentsFrom = h === height + 1 ? from : 0;
          parentsTo = h === height + 1 ? s.count : 0;
          height = h;
          from = s.count;
        }
        if (keyed && parentsTo - parentsFrom > PARENT_SCAN && unindexed < parentsTo) {
          s.indexRows(unindexed);
          unindexed = s.count;
        }
        const parent = this.parentOf(b + S_PREV, parentsFrom, parentsTo);
        if (parent < 0) throw new Error(`block index is corrupt: parent of ${keyAtHex(stage, b)} (height ${h}) is missing`);
        const info = this.bitsInfo(u32[w + R_BITS / 4]);
        if (!info.target || !meetsTarget(stage, b, info.target)) throw new Error(`block index is corrupt: CheckProofOfWork failed: ${keyAtHex(stage, b)}`);
        // A keyed entry can only repeat the genesis hash (stored under another height).
        row = !keyed ? s.addRawRecord(stage, b) : s.hashEquals(0, stage, b) ? -1 : s.appendRawRecord(stage, b);
        if (row < 0) throw new Error(`block index is corrupt: ${keyAtHex(stage, b)} stored twice`);
        s.link(row, parent);
        s.setWork(row, parent, info.proof);
      }
      s.status[row] = u32[w + W_STATUS];
      s.txCount[row] = u32[w + W_TX];
      s.chainTxCount[row] = f64[i * D + D_CHAIN_TX];
      s.dataFile[row] = u32[w + W_DATA_FILE];
      s.dataOffset[row] = u32[w + W_DATA_OFFSET];
      s.undoFile[row] = u32[w + W_UNDO_FILE];
      s.undoOffset[row] = u32[w + W_UNDO_OFFSET];
      s.sequenceId[row] = i32[w + W_SEQUENCE];
    }
    if (keyed) s.indexRows(unindexed);
    this.stage = new Uint8Array(0);
    this.index.finishRestore(this.nextSequence);
    return this.index;
  }

  /** The row among [from, to) (the rows one height below) whose hash is the 32 staged bytes at `at`. */
  private parentOf(at: number, from: number, to: number): number {
    const s = this.store;
    if (to - from > PARENT_SCAN) {
      const row = s.find(this.stage, at);
      return row >= from && row < to ? row : -1;
    }
    for (let r = from; r < to; r++) if (s.hashEquals(r, this.stage, at)) return r;
    return -1;
  }

  private reserve(rows: number): void {
    if (this.stage.length >= rows * STRIDE) return;
    const next = new Uint8Array(rows * STRIDE);
    next.set(this.stage.subarray(0, this.staged * STRIDE));
    this.stage = next;
    this.u32 = new Uint32Array(next.buffer);
    this.i32 = new Int32Array(next.buffer);
    this.f64 = new Float64Array(next.buffer);
  }

  /** Hashes the header at `header[at..]`, checks it against `key[keyAt..]` if given, and stages it. */
  private addHeader(header: Uint8Array, at: number, key: Uint8Array | undefined, keyAt: number, height: number): number {
    if (this.stage.length < (this.staged + 1) * STRIDE) this.reserve(2 * this.staged + 4096);
    const i = this.staged++;
    const st = this.stage;
    const b = i * STRIDE;
    headerHashInto(header, at, st, b);
    if (key) {
      for (let j = 0; j < 32; j++) if (st[b + j] !== key[keyAt + j]) throw new Error(`block index is corrupt: key ${keyAtHex(key, keyAt)} does not match its header`);
    }
    for (let j = 0; j < 4; j++) st[b + R_VERSION + j] = header[at + j];
    for (let j = 0; j < 32; j++) st[b + S_PREV + j] = header[at + 4 + j];
    for (let j = 0; j < 32; j++) st[b + R_MERKLE + j] = header[at + 36 + j];
    for (let j = 0; j < 12; j++) st[b + R_TIME + j] = header[at + 68 + j];
    this.i32[i * W + W_HEIGHT] = height;
    return i;
  }

  private setSequence(w: number, seq: number): void {
    this.i32[w + W_SEQUENCE] = seq;
    if (seq >= this.nextSequence) this.nextSequence = seq + 1;
  }

  /** Core's VARINT (base 128, most significant group first, each continuation adding one). */
  private varint(b: Uint8Array, end: number, max: number): number {
    let n = 0;
    for (;;) {
      if (this.pos >= end) throw new Error('block index is corrupt: truncated block index entry');
      const x = b[this.pos++];
      n = n * 128 + (x & 0x7f);
      if (n > max) throw new Error('block index is corrupt: number too large in block index entry');
      if (!(x & 0x80)) return n;
      n++;
    }
  }

  private bitsInfo(bits: number): BitsInfo {
    let info = this.bits.get(bits);
    if (!info) {
      const { target, negative, overflow } = targetFromBits(bits);
      const valid = !negative && !overflow && target !== 0n && target <= this.params.powLimit;
      let le: Uint8Array | undefined;
      if (valid) {
        le = new Uint8Array(32);
        for (let j = 0, t = target; j < 32; j++, t >>= 8n) le[j] = Number(t & 0xffn);
      }
      info = { proof: workLimbs(blockProof(bits)), target: le };
      this.bits.set(bits, info);
    }
    return info;
  }
}

/**
 * Staged rows by height, ties in staging order: a counting sort (an index's heights are at most its
 * size, or a parent is missing anyway), else one native sort of height × ORDER_SPAN + row.
 */
function heightOrder(words: Int32Array, n: number): Int32Array {
  const height = (i: number) => words[i * W + W_HEIGHT];
  let max = 0;
  for (let i = 0; i < n; i++) if (height(i) > max) max = height(i);
  const order = new Int32Array(n);
  if (max <= n) {
    const starts = new Int32Array(max + 2);
    for (let i = 0; i < n; i++) starts[height(i) + 1]++;
    for (let h = 1; h <= max + 1; h++) starts[h] += starts[h - 1];
    for (let i = 0; i < n; i++) order[starts[height(i)]++] = i;
    return order;
  }
  if (n >= ORDER_SPAN) throw new Error(`block index of ${n} entries is more than this loader orders`);
  const keys = new Float64Array(n);
  for (let i = 0; i < n; i++) keys[i] = height(i) * ORDER_SPAN + i;
  keys.sort();
  for (let k = 0; k < n; k++) order[k] = keys[k] % ORDER_SPAN;
  return order;
}

const keyAtHex = keyAt;

/** Core's CheckProofOfWork comparison: the hash (little-endian, at `at`) is at most the target. */
function meetsTarget(slab: Uint8Array, at: number, target: Uint8Array): boolean {
  for (let j = 31; j >= 0; j--) {
    const h = slab[at + j];
    if (h !== target[j]) return h < target[j];
  }
  return true;
}
