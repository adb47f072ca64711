/**
 * The block index: every header we accepted, linked into a tree (Core's CBlockIndex / BlockMap, chain.h and
 * validation.cpp). Owns chain work, the skip pointers that make getAncestor O(log n), the best header,
 * invalidity propagation, chain transaction counts, dirty tracking for persistence, and the search for the
 * most-work chain whose blocks we have (Core's FindMostWorkChain). Rules for accepting a header live in
 * header-validation.ts; persistence in block-index-db.ts.
 */
import { blockHash, serializeHeader, type BlockHeader } from '../primitives/block.js';
import { blockProof } from '../consensus/pow.js';
import type { ChainParams } from '../consensus/params.js';
import { ValidationError } from '../consensus/validation-error.js';
import {
  BLOCK_HAVE_DATA,
  BlockStatus,
  encodeStatus,
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
import { childrenOf, entryAt, hashOfKey, IndexEntry, keyAt } from './index-entry.js';
import { IndexStore, R_TIME, skipHeight, workLimbs } from './index-store.js';
import { BlockIndexLoader } from './block-index-loader.js';

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

/** What persistence stores per entry besides the header. */
export interface StoredFields {
  height: number;
  status: BlockStatus;
  dataPos: FilePos | undefined;
  undoPos: FilePos | undefined;
  txCount: number;
  chainTxCount: number;
  sequenceId: number;
}

/** What persistence stores per entry; the rest (hash, work, links) is recomputed on load. */
export interface StoredEntry extends StoredFields {
  header: BlockHeader;
}

/** A copy of what persistence stores, taken now: later changes to the entry do not reach it. */
export function storedEntryOf(e: BlockIndexEntry): StoredEntry & { hash: Uint8Array } {
  const { hash, header, height, status, dataPos, undoPos, txCount, chainTxCount, sequenceId } = e;
  return { hash, header, height, status, dataPos, undoPos, txCount, chainTxCount, sequenceId };
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] };
const mut = (e: BlockIndexEntry): Mutable<IndexEntry> => e as IndexEntry as Mutable<IndexEntry>;

export function keyOf(hash: Uint8Array): string {
  return keyAt(hash, 0);
}

/** Core's CBlockIndex::GetAncestor. Undefined when height is out of [0, entry.height]. */
export function getAncestor(entry: BlockIndexEntry, height: number): BlockIndexEntry | undefined {
  if (entry instanceof IndexEntry) {
    const row = entry.store.ancestor(entry.row, height);
    return row < 0 ? undefined : entryAt(entry.store, row);
  }
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
  if (entry instanceof IndexEntry) {
    const s = entry.store;
    for (let r = entry.row; r >= 0 && times.length < 11; r = s.prev[r]) times.push(s.u32(r, R_TIME));
  } else {
    for (let e: BlockIndexEntry | undefined = entry; e && times.length < 11; e = e.prev) times.push(e.header.time);
  }
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
  if (a instanceof IndexEntry && b instanceof IndexEntry && a.store === b.store) return a.store.moreWork(a.row, b.row);
  if (a.chainWork !== b.chainWork) return a.chainWork > b.chainWork;
  return a.sequenceId < b.sequenceId;
}

export interface BlockIndexOptions {
  /** Clock in seconds for the time-too-new rule; defaults to the system clock. */
  now?: () => number;
}

/** Proof of work per `bits`, as index-store.ts adds it. */
const proofs = new Map<number, Uint32Array | bigint>();

function proofOf(bits: number): Uint32Array | bigint {
  let p = proofs.get(bits);
  if (p === undefined) proofs.set(bits, (p = workLimbs(blockProof(bits))));
  return p;
}

const lookup = new Uint8Array(32);

export class BlockIndex {
  readonly genesis: BlockIndexEntry;
  /** The entries' columns; BlockIndexLoader fills them directly. */
  readonly store = new IndexStore();
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
    const loader = new BlockIndexLoader(params, opts);
    for (const r of records) loader.add(serializeHeader(r.header), undefined, r);
    return loader.finish();
  }

  /** For BlockIndexLoader only: every stored row is linked. */
  finishRestore(nextSequence: number): void {
    this.nextSequence = Math.max(this.nextSequence, nextSequence);
    this.recomputeBestHeader();
    this.dirty.clear();
  }

  get size(): number {
    return this.store.count;
  }

  /** By internal-order hash or display hex. */
  get(hash: Uint8Array | string): BlockIndexEntry | undefined {
    const row = typeof hash !== 'string' ? (hash.length === 32 ? this.store.find(hash) : -1) : hashOfKey(hash, lookup) ? this.store.find(lookup) : -1;
    return row < 0 ? undefined : entryAt(this.store, row);
  }

  /** Every entry (each becomes an object: prefer connectableEntries where it fits). */
  *entries(): IterableIterator<BlockIndexEntry> {
    for (let row = 0; row < this.store.count; row++) yield entryAt(this.store, row);
  }

  /**
   * Entries whose chain tx count is known (connectable), optionally only those that `atLeast` does not
   * beat (Core's CBlockIndexWorkComparator): chainstates seed their candidate tips with this, without an
   * object per entry of the index.
   */
  connectableEntries(atLeast?: BlockIndexEntry): BlockIndexEntry[] {
    const s = this.store;
    const floor = atLeast ? (atLeast as IndexEntry).row : -1;
    const out: BlockIndexEntry[] = [];
    for (let row = 0; row < s.count; row++) {
      if (s.chainTxCount[row] > 0 && (floor < 0 || row === floor || !s.moreWork(floor, row))) out.push(entryAt(s, row));
    }
    return out;
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
    const known = this.get(hash);
    if (known) {
      if (isFailed(known.status) && known !== this.genesis) throw new ValidationError('consensus', 'duplicate-invalid');
      return known;
    }
    const prev = this.get(header.prevHash);
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
    const s = this.store;
    let best = -1;
    for (let row = 0; row < s.count; row++) {
      if (s.chainTxCount[row] > 0 && (s.status[row] & BLOCK_HAVE_DATA) !== 0 && (best < 0 || s.moreWork(row, best)) && isValid(s.statusOf(row), level)) best = row;
    }
    return best < 0 ? undefined : entryAt(s, best);
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
    const s = this.store;
    const row = s.addRecord(hash, 0, serializeHeader(header), 0);
    const parent = prev ? (prev as IndexEntry).row : -1;
    s.link(row, parent);
    s.setWork(row, parent, proofOf(header.bits));
    s.status[row] = encodeStatus(status);
    s.sequenceId[row] = this.nextSequence++;
    const e = entryAt(s, row);
    this.dirty.add(e);
    return e;
  }

  private setStatus(e: BlockIndexEntry, s: BlockStatus): void {
    if (encodeStatus(s) === encodeStatus(e.status)) return;
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
    const s = this.store;
    let best = 0;
    for (let row = 1; row < s.count; row++) if (!s.failed(row) && s.moreWork(row, best)) best = row;
    this.best = entryAt(s, best);
  }

  /** Height of the highest checkpoint whose block we know (Core's GetLastCheckpoint); -1 without one. */
  private lastCheckpointHeight(): number {
    const cps = this.params.checkpoints;
    for (let i = cps.length - 1; i >= 0; i--) if (this.get(cps[i].hash)?.height === cps[i].height) return cps[i].height;
    return -1;
  }
}
