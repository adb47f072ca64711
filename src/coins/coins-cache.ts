/**
 * CoinsCache: Core's CCoinsViewCache in TypeScript — an in-memory layer of coin changes over a base view
 * (the CoinsDB or another CoinsCache), with Core's DIRTY/FRESH entry flags:
 *   DIRTY  the entry differs from the base and must be written on flush;
 *   FRESH  the base has no unspent coin here, so spending the entry can simply drop it.
 * Reachable states: clean unspent, DIRTY unspent, DIRTY|FRESH unspent, DIRTY spent.
 *
 * Entries are stored encoded, off the JavaScript heap (coin-slab-table.ts): every getCoin/spendCoin
 * decodes a fresh Coin, so callers own what they are given and nothing they hold pins the cache.
 * Mutating the cache while a flush/sync is pending is refused: the DB write is asynchronous.
 */
import { isUnspendable } from '../primitives/script.js';
import { CoinSlabTable } from './coin-slab-table.js';
import type { Coin } from './coin.js';
import type { CoinChange } from './coins-db.js';
import type { CoinsView, CoinsViewCache, OutpointKey } from './view.js';

const DIRTY = 1;
const FRESH = 2;

/** One dirty entry handed to the parent: the coin (undefined when spent) and whether it is FRESH. */
export interface SinkEntry {
  key: OutpointKey;
  coin: Coin | undefined;
  fresh: boolean;
}

/** Where a cache flushes to: Core's BatchWrite. */
export interface CoinsSink {
  batchWrite(entries: Iterable<SinkEntry>, bestBlock: Uint8Array): void | Promise<void>;
}

/** A CoinsDB-like target: anything with writeBatch (entries are then plain changes). */
export interface CoinsStore {
  writeBatch(changes: Iterable<CoinChange>, bestBlock: Uint8Array): Promise<void>;
}

export type CoinsBase = CoinsView & (CoinsSink | CoinsStore);

/*
 * Memory accounting: the entries live in CoinSlabTable's ArrayBuffer slabs and index arrays, off the V8
 * heap, and memoryUsage is their exact byteLength (what process.memoryUsage().arrayBuffers grows by).
 * That is about 80 bytes per coin of today's script mix against ~400 as JavaScript objects.
 */

export class CoinsCache implements CoinsViewCache, CoinsSink {
  private table = new CoinSlabTable();
  private dirty = 0;
  private hashBlock: Uint8Array | undefined;
  private busy = false;

  constructor(readonly base: CoinsBase) {}

  /** Entries held (clean and dirty). */
  get size(): number {
    return this.table.size;
  }

  get dirtyCount(): number {
    return this.dirty;
  }

  /** Bytes of memory the cache holds (Core's DynamicMemoryUsage): its slabs and index, exactly. */
  get memoryUsage(): number {
    return this.table.memoryUsage;
  }

  getCoin(key: OutpointKey): Coin | undefined {
    const slot = this.table.find(key);
    if (slot >= 0) return this.table.coin(slot);
    const coin = this.base.getCoin(key);
    // While a flush is pending the table is being iterated: serve from the base without caching.
    if (coin !== undefined && !this.busy) this.table.insert(key, coin, 0);
    return coin;
  }

  haveCoin(key: OutpointKey): boolean {
    const slot = this.fetch(key);
    return slot >= 0 && !this.table.spent(slot);
  }

  /** Whether an unspent coin is in this cache, without looking in the base. */
  haveCoinInCache(key: OutpointKey): boolean {
    const slot = this.table.find(key);
    return slot >= 0 && !this.table.spent(slot);
  }

  /** The state of an entry (for tests and diagnostics), without looking in the base. */
  entryState(key: OutpointKey): { spent: boolean; dirty: boolean; fresh: boolean } | undefined {
    const slot = this.table.find(key);
    if (slot < 0) return undefined;
    const f = this.table.flags(slot);
    return { spent: this.table.spent(slot), dirty: (f & DIRTY) !== 0, fresh: (f & FRESH) !== 0 };
  }

  bestBlock(): Uint8Array | undefined {
    return this.hashBlock ?? this.base.bestBlock();
  }

  setBestBlock(hash: Uint8Array): void {
    this.hashBlock = hash;
  }

  addCoin(key: OutpointKey, coin: Coin, possibleOverwrite: boolean): void {
    this.checkIdle();
    if (isUnspendable(coin.script)) return;
    const t = this.table;
    const slot = t.find(key);
    let fresh = false;
    if (!possibleOverwrite) {
      if (slot >= 0 && !t.spent(slot)) throw new Error('Attempted to overwrite an unspent coin (when possible_overwrite is false)');
      // A DIRTY spent entry's spentness has not reached the base yet: re-adding it must not be FRESH,
      // or spending it again would drop the entry and the base would keep the old coin.
      fresh = slot < 0 || (t.flags(slot) & DIRTY) === 0;
    }
    if (slot < 0) {
      this.dirty++;
      t.insert(key, coin, DIRTY | (fresh ? FRESH : 0));
      return;
    }
    const flags = t.flags(slot);
    if (!(flags & DIRTY)) this.dirty++;
    t.replace(slot, coin, flags | DIRTY | (fresh ? FRESH : 0));
  }

  /** Snapshot loading (Core's EmplaceCoinInternalDANGER): DIRTY, no base lookup, no overwrite checks. */
  emplaceCoinUnchecked(key: OutpointKey, coin: Coin): void {
    this.checkIdle();
    if (this.table.find(key) >= 0) return;
    this.table.insert(key, coin, DIRTY);
    this.dirty++;
  }

  spendCoin(key: OutpointKey): Coin | undefined {
    this.checkIdle();
    const slot = this.fetch(key);
    if (slot < 0) return undefined;
    const t = this.table;
    const coin = t.coin(slot);
    const flags = t.flags(slot);
    if (flags & FRESH) {
      this.drop(slot, flags);
    } else {
      if (!(flags & DIRTY)) this.dirty++;
      t.setFlags(slot, flags | DIRTY);
      t.markSpent(slot);
    }
    return coin;
  }

  /** Drops a clean entry (Core's Uncache), e.g. one fetched only to check a transaction. */
  uncache(key: OutpointKey): void {
    if (this.busy) return;
    const slot = this.table.find(key);
    if (slot >= 0 && this.table.flags(slot) === 0) this.table.remove(slot);
  }

  /** Writes every dirty entry and the best block to the base, then empties the cache. */
  async flush(): Promise<void> {
    await this.writeToBase();
    this.table.clear();
    this.dirty = 0;
  }

  /**
   * Writes every dirty entry and the best block into the base, a CoinsCache, at once, then empties this
   * cache: Core's Flush of a child view (CCoinsViewCache view(&CoinsTip())), with no await in between, so
   * nobody sees half of the change.
   */
  flushToParent(): void {
    const base = this.base;
    if (!(base instanceof CoinsCache)) throw new Error('CoinsCache.flushToParent: the base is not a CoinsCache');
    this.checkIdle();
    const best = this.bestBlock();
    if (best === undefined) throw new Error('CoinsCache: no best block to flush with (call setBestBlock)');
    base.batchWrite(this.dirtyEntries(), best);
    this.table.clear();
    this.dirty = 0;
  }

  /** Writes every dirty entry and the best block to the base; keeps the unspent entries, now clean. */
  async sync(): Promise<void> {
    await this.writeToBase();
    const t = this.table;
    for (const slot of t.slots()) {
      if (t.spent(slot)) t.remove(slot);
      else t.setFlags(slot, 0);
    }
    this.dirty = 0;
  }

  /** Core's CCoinsViewCache::BatchWrite: takes a child cache's dirty entries. */
  batchWrite(entries: Iterable<SinkEntry>, bestBlock: Uint8Array): void {
    this.checkIdle();
    const t = this.table;
    for (const { key, coin, fresh } of entries) {
      const slot = t.find(key);
      if (slot < 0) {
        // Spent and FRESH in the child: nobody below ever saw it.
        if (fresh && coin === undefined) continue;
        // FRESH may be kept: the child had it FRESH, so nothing below us has it unspent either.
        t.insert(key, coin, DIRTY | (fresh ? FRESH : 0));
        this.dirty++;
        continue;
      }
      if (fresh && !t.spent(slot)) throw new Error('FRESH flag misapplied to coin that exists in parent cache');
      const flags = t.flags(slot);
      if (flags & FRESH && coin === undefined) {
        this.drop(slot, flags);
      } else {
        // Not FRESH even if the child's was: a spent entry here may still have to reach our base.
        if (!(flags & DIRTY)) this.dirty++;
        t.replace(slot, coin, flags | DIRTY);
      }
    }
    this.hashBlock = bestBlock;
  }

  /** The slot of `key`, fetched from the base into this cache when absent; -1 when the base has none. */
  private fetch(key: OutpointKey): number {
    const slot = this.table.find(key);
    if (slot >= 0 || this.busy) return slot;
    const coin = this.base.getCoin(key);
    if (coin === undefined) return -1;
    this.table.insert(key, coin, 0);
    return this.table.find(key);
  }

  private drop(slot: number, flags: number): void {
    if (flags & DIRTY) this.dirty--;
    this.table.remove(slot);
  }

  private checkIdle(): void {
    if (this.busy) throw new Error('CoinsCache changed while a flush or sync is pending');
  }

  private async writeToBase(): Promise<void> {
    this.checkIdle();
    const best = this.bestBlock();
    if (best === undefined) throw new Error('CoinsCache: no best block to flush with (call setBestBlock)');
    this.busy = true;
    try {
      const base = this.base;
      if ('batchWrite' in base) await base.batchWrite(this.dirtyEntries(), best);
      else await base.writeBatch(this.dirtyChanges(), best);
    } finally {
      this.busy = false;
    }
  }

  private *dirtyEntries(): Generator<SinkEntry> {
    const t = this.table;
    for (const slot of t.slots()) {
      const flags = t.flags(slot);
      if (flags & DIRTY) yield { key: t.key(slot), coin: t.coin(slot), fresh: (flags & FRESH) !== 0 };
    }
  }

  private *dirtyChanges(): Generator<CoinChange> {
    const t = this.table;
    for (const slot of t.slots()) if (t.flags(slot) & DIRTY) yield [t.key(slot), t.coin(slot)];
  }
}
