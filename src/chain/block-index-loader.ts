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
import { canonicalStatusCode, IndexStore, R_BITS, workLimbs } from './index-store.js';

/** Rows are ordered by height × ORDER_SPAN + row, in one native sort of doubles. */
const ORDER_SPAN = 2 ** 23;
const MAX_SAFE = Number.MAX_SAFE_INTEGER;

interface BitsInfo {
  proof: Uint32Array | bigint;
  /** The target, little-endian like a hash; undefined when `bits` is not a valid target for the network. */
  target: Uint8Array | undefined;
}

export class BlockIndexLoader {
  private readonly index: BlockIndex;
  private readonly store: IndexStore;
  /** Entries as read (in key order): linked into the index's rows in height order by finish(). */
  private readonly staged = new IndexStore(false);
  /** Each staged row's previous hash. */
  private prevHashes = new Uint8Array(0);
  private readonly bits = new Map<number, BitsInfo>();
  private readonly hash = new Uint8Array(32);
  private nextSequence = 0;
  /** Where decoding a stored value stopped. */
  private pos = 0;

  constructor(
    private readonly params: ChainParams,
    opts: BlockIndexOptions = {},
    /** Entries expected, when known: the staging columns are sized once. */
    expected = 0,
  ) {
    this.index = new BlockIndex(params, opts);
    this.store = this.index.store;
    if (expected > 0) this.reserve(expected);
  }

  /** One stored entry: its 80 header bytes, the hash its key names (undefined: not checked), its fields. */
  add(header: Uint8Array, keyHash: Uint8Array | undefined, f: StoredFields): void {
    if (header.length !== HEADER_SIZE) throw new Error('block index is corrupt: short header');
    const row = this.addHeader(header, 0, keyHash, 0, f.height);
    const s = this.staged;
    s.status[row] = encodeStatus(f.status);
    s.txCount[row] = f.txCount;
    s.chainTxCount[row] = f.chainTxCount;
    s.dataFile[row] = f.dataPos ? f.dataPos.file + 1 : 0;
    s.dataOffset[row] = f.dataPos?.offset ?? 0;
    s.undoFile[row] = f.undoPos ? f.undoPos.file + 1 : 0;
    s.undoOffset[row] = f.undoPos?.offset ?? 0;
    this.setSequence(row, f.sequenceId);
  }

  /**
   * One stored value as block-index-db.ts writes it (80-byte header, then VARINTs: height, status,
   * txCount, chainTxCount, data position, undo position, sequenceId), decoded in place; `key[keyAt..]`
   * is the 32-byte hash it is stored under.
   */
  addStored(key: Uint8Array, keyAt: number, value: Uint8Array, at: number, len: number): void {
    if (len < HEADER_SIZE) throw new Error(`block index is corrupt: entry ${keyOfBytes(key, keyAt)} is too short`);
    const end = at + len;
    this.pos = at + HEADER_SIZE;
    const height = this.varint(value, end, 0x7fffffff);
    const row = this.addHeader(value, at, key, keyAt, height);
    const s = this.staged;
    s.status[row] = canonicalStatusCode(this.varint(value, end, 0xffffffff));
    s.txCount[row] = this.varint(value, end, 0xffffffff);
    s.chainTxCount[row] = this.varint(value, end, MAX_SAFE);
    const df = (s.dataFile[row] = this.varint(value, end, 0xffffffff));
    s.dataOffset[row] = df === 0 ? 0 : this.varint(value, end, 0xffffffff);
    const uf = (s.undoFile[row] = this.varint(value, end, 0xffffffff));
    s.undoOffset[row] = uf === 0 ? 0 : this.varint(value, end, 0xffffffff);
    this.setSequence(row, this.varint(value, end, MAX_SAFE));
    if (this.pos !== end) throw new Error('block index is corrupt: trailing bytes in block index entry');
  }

  /**
   * Links every entry added, in height order, so that rows of one height sit together and a parent is
   * found among the rows just before; throws "block index is corrupt: …" when the stored index cannot be
   * trusted.
   */
  finish(): BlockIndex {
    const st = this.staged;
    const s = this.store;
    const order = heightOrder(st.height, st.count);
    s.reserve(s.count + st.count + 4096);
    // Rows of the parents' height, and where the current height's rows start (genesis: row 0).
    let parentsFrom = 0;
    let parentsTo = 0;
    let height = 0;
    let from = 0;
    for (let k = 0; k < order.length; k++) {
      const i = order[k];
      const h = st.height[i];
      if (h === 0) {
        if (!s.hashEquals(0, st.chunkOf(i), st.offsetOf(i))) throw new Error(`block index is corrupt: genesis ${rowKey(st, i)} is not ${this.params.name}'s`);
        // Our genesis takes over its stored fields.
        s.status[0] = st.status[i];
        s.txCount[0] = st.txCount[i];
        s.chainTxCount[0] = st.chainTxCount[i];
        s.dataFile[0] = st.dataFile[i];
        s.dataOffset[0] = st.dataOffset[i];
        s.undoFile[0] = st.undoFile[i];
        s.undoOffset[0] = st.undoOffset[i];
        s.sequenceId[0] = st.sequenceId[i];
        continue;
      }
      if (h !== height) {
        [parentsFrom, parentsTo] = h === height + 1 ? [from, s.count] : [0, 0];
        height = h;
        from = s.count;
      }
      const parent = this.parentOf(i, parentsFrom, parentsTo);
      if (parent < 0) throw new Error(`block index is corrupt: parent of ${rowKey(st, i)} (height ${h}) is missing`);
      const info = this.bitsInfo(st.u32(i, R_BITS));
      if (!info.target || !meetsTarget(st.chunkOf(i), st.offsetOf(i), info.target)) throw new Error(`block index is corrupt: CheckProofOfWork failed: ${rowKey(st, i)}`);
      const row = s.copyRow(st, i);
      if (row < 0) throw new Error(`block index is corrupt: ${rowKey(st, i)} stored twice`);
      s.link(row, parent);
      s.setWork(row, parent, info.proof);
    }
    this.index.finishRestore(this.nextSequence);
    return this.index;
  }

  /** The row among [from, to) (the rows one height below) whose hash is staged row i's previous hash. */
  private parentOf(i: number, from: number, to: number): number {
    const s = this.store;
    if (to - from > 16) {
      const row = s.find(this.prevHashes, i * 32);
      return row >= from && row < to ? row : -1;
    }
    for (let r = from; r < to; r++) if (s.hashEquals(r, this.prevHashes, i * 32)) return r;
    return -1;
  }

  private reserve(rows: number): void {
    this.staged.reserve(rows);
    if (this.prevHashes.length < rows * 32) {
      const next = new Uint8Array(rows * 32);
      next.set(this.prevHashes);
      this.prevHashes = next;
    }
  }

  /** Hashes the header at `header[at..]`, checks it against `key[keyAt..]` if given, and stages its row. */
  private addHeader(header: Uint8Array, at: number, key: Uint8Array | undefined, keyAt: number, height: number): number {
    const hash = this.hash;
    headerHashInto(header, at, hash, 0);
    if (key) {
      for (let j = 0; j < 32; j++) if (hash[j] !== key[keyAt + j]) throw new Error(`block index is corrupt: key ${keyOfBytes(key, keyAt)} does not match its header`);
    }
    const s = this.staged;
    if (this.prevHashes.length < (s.count + 1) * 32) this.reserve(2 * s.count + 4096);
    const row = s.addRecord(hash, 0, header, at);
    s.height[row] = height;
    const p = this.prevHashes;
    for (let j = 0; j < 32; j++) p[row * 32 + j] = header[at + 4 + j];
    return row;
  }

  private setSequence(row: number, seq: number): void {
    this.staged.sequenceId[row] = seq;
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
function heightOrder(heights: Int32Array, n: number): Int32Array {
  let max = 0;
  for (let i = 0; i < n; i++) if (heights[i] > max) max = heights[i];
  const order = new Int32Array(n);
  if (max <= n) {
    const starts = new Int32Array(max + 2);
    for (let i = 0; i < n; i++) starts[heights[i] + 1]++;
    for (let h = 1; h <= max + 1; h++) starts[h] += starts[h - 1];
    for (let i = 0; i < n; i++) order[starts[heights[i]]++] = i;
    return order;
  }
  if (n >= ORDER_SPAN) throw new Error(`block index of ${n} entries is more than this loader orders`);
  const keys = new Float64Array(n);
  for (let i = 0; i < n; i++) keys[i] = heights[i] * ORDER_SPAN + i;
  keys.sort();
  for (let k = 0; k < n; k++) order[k] = keys[k] % ORDER_SPAN;
  return order;
}

const keyOfBytes = keyAt;
const rowKey = (s: IndexStore, row: number) => keyAt(s.chunkOf(row), s.offsetOf(row));

/** Core's CheckProofOfWork comparison: the hash (little-endian, at `at`) is at most the target. */
function meetsTarget(slab: Uint8Array, at: number, target: Uint8Array): boolean {
  for (let j = 31; j >= 0; j--) {
    const h = slab[at + j];
    if (h !== target[j]) return h < target[j];
  }
  return true;
}
