/**
 * The block index: every header we accepted, linked into a tree (Core's CBlockIndex / BlockMap, chain.h and
 * validation.cpp). Owns chain work, the skip pointers that make getAncestor O(log n), the best header,
 * invalidity propagation, chain transaction counts, dirty tracking for persistence, and the search for the
 * most-work chain whose blocks we have (Core's FindMostWorkChain). Rules for accepting a header live in
 * header-validation.ts; persistence in block-index-db.ts.
 */
import { blockHash, HEADER_SIZE, type BlockHeader } from '../primitives/block.js';
import { hashToHex } from '../primitives/hash.js';
import { blockProof, checkProofOfWork } from '../consensus/pow.js';
import type { ChainParams } from '../consensus/params.js';
import { ValidationError } from '../consensus/validation-error.js';
import {
  BlockStatus,
  HEADER_STATUS,
  isFailed,
  isValid,
  raiseValidity,
  ValidityLevel,
  withData,
  withFailure,
  withoutFailure,
  withUndo,
} from './block-status.js';
import { checkHeader } from './header-validation.js';

/** Core's FlatFilePos: file number and the offset of the data (after magic and size). */
export interface FilePos {
  file: number;
  offset: number;
}

export interface BlockIndexEntry {
  /** Internal byte order. */
  readonly hash: Uint8Array;
  /** Display hex of the hash: the map key, and what users and params (checkpoints, assumeutxo) quote. */
  readonly key: string;
  readonly header: BlockHeader;
  readonly height: number;
  readonly chainWork: bigint;
  readonly prev: BlockIndexEntry | undefined;
  /** Core's pskip: an ancestor at GetSkipHeight(height), so walks down the tree take O(log n) steps. */
  readonly skip: BlockIndexEntry | undefined;
  readonly status: BlockStatus;
  readonly dataPos: FilePos | undefined;
  readonly undoPos: FilePos | undefined;
  /** Transactions in this block; 0 until its data arrived. */
  readonly txCount: number;
  /** Transactions from genesis through this block; 0 = unknown (some ancestor's data is missing). */
  readonly chainTxCount: number;
  /** Arrival order: set when the header arrives and renewed when the block data arrives (Core's nSequenceId). */
  readonly sequenceId: number;
}

/** What persistence stores per entry; the rest (hash, work, links) is recomputed on load. */
export interface StoredEntry {
  header: BlockHeader;
  height: number;
  status: BlockStatus;
  dataPos: FilePos | undefined;
  undoPos: FilePos | undefined;
  txCount: number;
  chainTxCount: number;
  sequenceId: number;
}

/** A copy of what persistence stores, taken now: later changes to the entry do not reach it. */
export function storedEntryOf(e: BlockIndexEntry): StoredEntry & { hash: Uint8Array } {
  const { hash, header, height, status, dataPos, undoPos, txCount, chainTxCount, sequenceId } = e;
  return { hash, header, height, status, dataPos, undoPos, txCount, chainTxCount, sequenceId };
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] };
const mut = (e: BlockIndexEntry): Mutable<IndexEntry> => e as IndexEntry as Mutable<IndexEntry>;

/** Bytes per entry in a slab: the 32-byte hash, then the 80-byte header. */
const RECORD = 112;
const SLAB_RECORDS = 4096;
let slab = new Uint8Array(RECORD * SLAB_RECORDS);
let slabUsed = 0;

/**
 * Copies hash and header into a shared slab, so an entry holds no buffer of its own and never a view
 * into a block it was parsed from (Core's CBlockIndex keeps copies of the header fields, ~150 bytes).
 */
function storeRecord(hash: Uint8Array, header: BlockHeader): [Uint8Array, number] {
  if (slabUsed === SLAB_RECORDS) {
    slab = new Uint8Array(RECORD * SLAB_RECORDS);
    slabUsed = 0;
  }
  const at = RECORD * slabUsed++;
  slab.set(hash, at);
  const v = new DataView(slab.buffer, slab.byteOffset + at + 32, HEADER_SIZE);
  v.setInt32(0, header.version, true);
  slab.set(header.prevHash, at + 36);
  slab.set(header.merkleRoot, at + 68);
  v.setUint32(68, header.time, true);
  v.setUint32(72, header.bits, true);
  v.setUint32(76, header.nonce, true);
  return [slab, at];
}

const u32 = (b: Uint8Array, at: number) => (b[at] | (b[at + 1] << 8) | (b[at + 2] << 16) | (b[at + 3] << 24)) >>> 0;

/** One index entry. Hash and header live in a slab; derived objects (header, positions) are built on access. */
class IndexEntry implements BlockIndexEntry {
  chainTxCount = 0;
  txCount = 0;
  /** A stored position is file+1 (0: none) and offset, as numbers: no object per entry. */
  private dataFile = 0;
  private dataOffset = 0;
  private undoFile = 0;
  private undoOffset = 0;
  /** The entries whose prev is this one, as a linked list (no array per entry). */
  firstChild: IndexEntry | undefined = undefined;
  nextSibling: IndexEntry | undefined = undefined;

  constructor(
    readonly key: string,
    private readonly slab: Uint8Array,
    private readonly at: number,
    readonly height: number,
    readonly chainWork: bigint,
    readonly prev: IndexEntry | undefined,
    readonly skip: IndexEntry | undefined,
    public status: BlockStatus,
    public sequenceId: number,
  ) {}

  get hash(): Uint8Array {
    return this.slab.subarray(this.at, this.at + 32);
  }

  get time(): number {
    return u32(this.slab, this.at + 100);
  }

  /** A fresh object on each access; prevHash and merkleRoot are views of the index's own copy. */
  get header(): BlockHeader {
    const b = this.slab;
    const at = this.at + 32;
    return {
      version: u32(b, at) | 0,
      prevHash: b.subarray(at + 4, at + 36),
      merkleRoot: b.subarray(at + 36, at + 68),
      time: u32(b, at + 68),
      bits: u32(b, at + 72),
      nonce: u32(b, at + 76),
    };
  }

  get dataPos(): FilePos | undefined {
    return this.dataFile === 0 ? undefined : { file: this.dataFile - 1, offset: this.dataOffset };
  }

  set dataPos(pos: FilePos | undefined) {
    this.dataFile = pos ? pos.file + 1 : 0;
    this.dataOffset = pos ? pos.offset : 0;
  }

  get undoPos(): FilePos | undefined {
    return this.undoFile === 0 ? undefined : { file: this.undoFile - 1, offset: this.undoOffset };
  }

  set undoPos(pos: FilePos | undefined) {
    this.undoFile = pos ? pos.file + 1 : 0;
    this.undoOffset = pos ? pos.offset : 0;
  }
}

function* childrenOf(e: BlockIndexEntry): Generator<IndexEntry> {
  for (let c = (e as IndexEntry).firstChild; c; c = c.nextSibling) yield c;
}

export function keyOf(hash: Uint8Array): string {
  return hashToHex(hash);
}

/** Core's InvertLowestOne / GetSkipHeight: a height whose skip pattern keeps ancestor walks logarithmic. */
function skipHeight(height: number): number {
  if (height < 2) return 0;
  const invertLowestOne = (n: number) => n & (n - 1);
  return height & 1 ? invertLowestOne(invertLowestOne(height - 1)) + 1 : invertLowestOne(height);
}

/** Core's CBlockIndex::GetAncestor. Undefined when height is out of [0, entry.height]. */
export function getAncestor(entry: BlockIndexEntry, height: number): BlockIndexEntry | undefined {
  if (height > entry.height || height < 0) return undefined;
  let walk: BlockIndexEntry = entry;
  while (walk.height > height) {
    const hSkip = skipHeight(walk.height);
    const hSkipPrev = skipHeight(walk.height - 1);
    // Take the skip unless it overshoots, or unless prev's skip is a better jump (Core's exact condition).
    if (walk.skip && (hSkip === height || (hSkip > height && !(hSkipPrev < hSkip - 2 && hSkipPrev >= height)))) {
      walk = walk.skip;
    } else {
      walk = walk.prev!;
    }
  }
  return walk;
}

/** Core's GetMedianTimePast: median time of this block and up to 10 ancestors. */
export function medianTimePast(entry: BlockIndexEntry): number {
  const times: number[] = [];
  for (let e: BlockIndexEntry | undefined = entry; e && times.length < 11; e = e.prev) times.push((e as IndexEntry).time);
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)];
}

/** Core's LastCommonAncestor (the fork point); undefined only for entries of different trees. */
export function lastCommonAncestor(a: BlockIndexEntry, b: BlockIndexEntry): BlockIndexEntry | undefined {
  let pa: BlockIndexEntry | undefined = a.height > b.height ? getAncestor(a, b.height) : a;
  let pb: BlockIndexEntry | undefined = b.height > a.height ? getAncestor(b, a.height) : b;
  while (pa && pb && pa !== pb) {
    pa = pa.prev;
    pb = pb.prev;
  }
  return pa === pb ? pa : undefined;
}

/** Core's CBlockIndexWorkComparator, as "a is better than b": more work, then earlier arrival. */
export function hasMoreWork(a: BlockIndexEntry, b: BlockIndexEntry): boolean {
  if (a.chainWork !== b.chainWork) return a.chainWork > b.chainWork;
  return a.sequenceId < b.sequenceId;
}

export interface BlockIndexOptions {
  /** Clock in seconds for the time-too-new rule; defaults to the system clock. */
  now?: () => number;
}

export class BlockIndex {
  readonly genesis: BlockIndexEntry;
  private readonly map = new Map<string, BlockIndexEntry>();
  private readonly dirty = new Set<BlockIndexEntry>();
  private readonly clock: () => number;
  private best: BlockIndexEntry;
  private nextSequence = 0;

  constructor(
    readonly params: ChainParams,
    opts: BlockIndexOptions = {},
  ) {
    this.clock = opts.now ?? (() => Math.floor(Date.now() / 1000));
    this.genesis = this.link(params.genesis.header, blockHash(params.genesis.header), undefined, HEADER_STATUS);
    this.best = this.genesis;
  }

  /**
   * Rebuilds an index from stored entries (any order). Work and skip pointers are recomputed; an entry
   * whose parent is missing, a wrong genesis, or a header failing its own proof of work means the stored
   * index cannot be trusted.
   */
  static restore(params: ChainParams, records: Iterable<StoredEntry>, opts: BlockIndexOptions = {}): BlockIndex {
    const index = new BlockIndex(params, opts);
    const sorted = [...records].sort((a, b) => a.height - b.height);
    for (const r of sorted) {
      const hash = blockHash(r.header);
      const key = keyOf(hash);
      let e: BlockIndexEntry;
      if (r.height === 0) {
        if (key !== index.genesis.key) throw new Error(`block index is corrupt: genesis ${key} is not ${params.name}'s`);
        e = index.genesis;
      } else {
        const prev = index.map.get(keyOf(r.header.prevHash));
        if (!prev || prev.height !== r.height - 1) throw new Error(`block index is corrupt: parent of ${key} (height ${r.height}) is missing`);
        if (index.map.has(key)) throw new Error(`block index is corrupt: ${key} stored twice`);
        if (!checkProofOfWork(hash, r.header.bits, params.powLimit)) throw new Error(`block index is corrupt: CheckProofOfWork failed: ${key}`);
        e = index.link(r.header, hash, prev, r.status);
      }
      Object.assign(mut(e), {
        status: r.status,
        dataPos: r.dataPos,
        undoPos: r.undoPos,
        txCount: r.txCount,
        chainTxCount: r.chainTxCount,
        sequenceId: r.sequenceId,
      });
      index.nextSequence = Math.max(index.nextSequence, r.sequenceId + 1);
    }
    index.recomputeBestHeader();
    index.dirty.clear();
    return index;
  }

  get size(): number {
    return this.map.size;
  }

  /** By internal-order hash or display hex. */
  get(hash: Uint8Array | string): BlockIndexEntry | undefined {
    return this.map.get(typeof hash === 'string' ? hash.toLowerCase() : keyOf(hash));
  }

  entries(): IterableIterator<BlockIndexEntry> {
    return this.map.values();
  }

  /** Most work among headers not known to be invalid; ties go to the earlier arrival (Core's m_best_header). */
  get bestHeader(): BlockIndexEntry {
    return this.best;
  }

  /**
   * Core's AcceptBlockHeader: returns the entry, new or already known. Throws ValidationError with Core's
   * reason: 'duplicate-invalid' for a known-bad header, else whatever header-validation.ts refuses.
   */
  acceptHeader(header: BlockHeader, now: number = this.clock()): BlockIndexEntry {
    const hash = blockHash(header);
    const key = keyOf(hash);
    const known = this.map.get(key);
    if (known) {
      if (isFailed(known.status) && known !== this.genesis) throw new ValidationError('consensus', 'duplicate-invalid');
      return known;
    }
    const prev = this.map.get(keyOf(header.prevHash));
    checkHeader(header, hash, prev, { params: this.params, now, lastCheckpointHeight: this.lastCheckpointHeight() });
    const e = this.link(header, hash, prev!, HEADER_STATUS);
    // Strictly more work: on a tie the header that arrived first stays best, as in Core's AddToBlockIndex.
    if (e.chainWork > this.best.chainWork) this.best = e;
    return e;
  }

  /** Marks a block as having broken a rule and every descendant as failed-ancestor (Core's InvalidBlockFound + InvalidateBlock's descendant pass). */
  markInvalid(entry: BlockIndexEntry): void {
    this.setStatus(entry, withFailure(entry.status, 'failed'));
    const stack = [...childrenOf(entry)];
    while (stack.length) {
      const d = stack.pop()!;
      this.setStatus(d, withFailure(d.status, 'failed-ancestor'));
      stack.push(...childrenOf(d));
    }
    if (isFailed(this.best.status)) this.recomputeBestHeader();
  }

  /**
   * Core's ResetBlockFailureFlags + RecalculateBestHeader (reconsiderblock): clears the failure of `entry`,
   * its ancestors and its descendants. Returns the entries that changed.
   */
  resetFailureFlags(entry: BlockIndexEntry): BlockIndexEntry[] {
    const changed: BlockIndexEntry[] = [];
    const clear = (e: BlockIndexEntry) => {
      if (!isFailed(e.status)) return;
      this.setStatus(e, withoutFailure(e.status));
      changed.push(e);
    };
    for (let e: BlockIndexEntry | undefined = entry; e; e = e.prev) clear(e);
    const stack = [...childrenOf(entry)];
    while (stack.length) {
      const d = stack.pop()!;
      clear(d);
      stack.push(...childrenOf(d));
    }
    this.recomputeBestHeader();
    return changed;
  }

  /**
   * preciousblock's tie-break (Core's nSequenceId trick): a negative sequence id ranks the entry before
   * every other one of equal work. Kept in memory only, as in Core (stored entries clamp it to 0).
   */
  setSequenceId(entry: BlockIndexEntry, sequenceId: number): void {
    mut(entry).sequenceId = sequenceId;
  }

  /** Core's ReceivedBlockTransactions: data stored at `pos`, validity 'transactions', chain tx counts linked. */
  setBlockData(entry: BlockIndexEntry, pos: FilePos, txCount: number, witness = false): void {
    if (txCount < 1) throw new Error('a block has at least one transaction');
    Object.assign(mut(entry), { dataPos: pos, txCount, sequenceId: this.nextSequence++ });
    this.setStatus(entry, raiseValidity(withData(entry.status, true, witness), 'transactions'));
    if (!entry.prev) this.linkChainTx(entry, txCount);
    else if (entry.prev.chainTxCount > 0) this.linkChainTx(entry, entry.prev.chainTxCount + txCount);
  }

  setUndoData(entry: BlockIndexEntry, pos: FilePos): void {
    mut(entry).undoPos = pos;
    this.setStatus(entry, withUndo(entry.status));
  }

  raiseValidity(entry: BlockIndexEntry, level: ValidityLevel): void {
    this.setStatus(entry, raiseValidity(entry.status, level));
  }

  /** For the assumeutxo base, whose ancestors' data we do not have: the count comes from the parameters. */
  setChainTxCount(entry: BlockIndexEntry, n: number): void {
    this.linkChainTx(entry, n);
  }

  /** Entries from genesis through `entry`. */
  chainTo(entry: BlockIndexEntry): BlockIndexEntry[] {
    const out = new Array<BlockIndexEntry>(entry.height + 1);
    for (let e: BlockIndexEntry | undefined = entry; e; e = e.prev) out[e.height] = e;
    return out;
  }

  /**
   * The most-work entry valid up to `level` whose chain we can connect: chainTxCount known means every
   * block from genesis (or from an assumeutxo base) has its data, and failures are propagated to
   * descendants, so no ancestor has failed. Core's FindMostWorkChain without the pruning repair.
   */
  findMostWorkChain(level: ValidityLevel = 'transactions'): BlockIndexEntry | undefined {
    let best: BlockIndexEntry | undefined;
    for (const e of this.map.values()) {
      if (e.chainTxCount > 0 && e.status.haveData && isValid(e.status, level) && (!best || hasMoreWork(e, best))) best = e;
    }
    return best;
  }

  /** Entries changed since the last takeDirty (a snapshot; nothing is cleared). */
  entriesNeedingWrite(): BlockIndexEntry[] {
    return [...this.dirty];
  }

  /**
   * Takes the changed entries for writing. Encode them before awaiting anything, so later changes re-mark
   * the entry instead of being lost; if the write fails, give them back with markDirty.
   */
  takeDirty(): BlockIndexEntry[] {
    const out = [...this.dirty];
    this.dirty.clear();
    return out;
  }

  markDirty(...entries: BlockIndexEntry[]): void {
    for (const e of entries) this.dirty.add(e);
  }

  private link(header: BlockHeader, hash: Uint8Array, prev: BlockIndexEntry | undefined, status: BlockStatus): BlockIndexEntry {
    const height = prev ? prev.height + 1 : 0;
    const [slab, at] = storeRecord(hash, header);
    const parent = prev as IndexEntry | undefined;
    const skip = parent ? (getAncestor(parent, skipHeight(height)) as IndexEntry) : undefined;
    const e = new IndexEntry(keyOf(hash), slab, at, height, (parent?.chainWork ?? 0n) + blockProof(header.bits), parent, skip, status, this.nextSequence++);
    this.map.set(e.key, e);
    if (parent) {
      // Appended, so children keep their arrival order.
      let last = parent.firstChild;
      while (last?.nextSibling) last = last.nextSibling;
      if (last) last.nextSibling = e;
      else parent.firstChild = e;
    }
    this.dirty.add(e);
    return e;
  }

  private setStatus(e: BlockIndexEntry, s: BlockStatus): void {
    if (s === e.status) return;
    mut(e).status = s;
    this.dirty.add(e);
  }

  /** Sets a chain tx count and carries it to descendants whose data already arrived (Core's m_blocks_unlinked walk). */
  /**
   * Calls `fn` whenever an entry's chain tx count becomes known, i.e. it becomes connectable (chainstates
   * keep their candidate tips this way instead of scanning the whole index). Returns the unsubscribe.
   */
  onConnectable(fn: (e: BlockIndexEntry) => void): () => void {
    this.connectable.add(fn);
    return () => this.connectable.delete(fn);
  }

  private readonly connectable = new Set<(e: BlockIndexEntry) => void>();

  private linkChainTx(entry: BlockIndexEntry, n: number): void {
    const queue: Array<[BlockIndexEntry, number]> = [[entry, n]];
    while (queue.length) {
      const [e, count] = queue.pop()!;
      if (e.chainTxCount !== count) {
        mut(e).chainTxCount = count;
        this.dirty.add(e);
        for (const fn of this.connectable) fn(e);
      }
      for (const c of childrenOf(e)) if (c.txCount > 0 && c.chainTxCount === 0) queue.push([c, count + c.txCount]);
    }
  }

  private recomputeBestHeader(): void {
    let best = this.genesis;
    for (const e of this.map.values()) if (!isFailed(e.status) && hasMoreWork(e, best)) best = e;
    this.best = best;
  }

  /** Height of the highest checkpoint whose block we know (Core's GetLastCheckpoint); -1 without one. */
  private lastCheckpointHeight(): number {
    const cps = this.params.checkpoints;
    for (let i = cps.length - 1; i >= 0; i--) if (this.map.get(cps[i].hash.toLowerCase())?.height === cps[i].height) return cps[i].height;
    return -1;
  }
}
