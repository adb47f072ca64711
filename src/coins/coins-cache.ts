/**
 * CoinsCache: Core's CCoinsViewCache in TypeScript — an in-memory layer of coin changes over a base view
 * (the CoinsDB or another CoinsCache), with Core's DIRTY/FRESH entry flags:
 *   DIRTY  the entry differs from the base and must be written on flush;
 *   FRESH  the base has no unspent coin here, so spending the entry can simply drop it.
 * Reachable states: clean unspent, DIRTY unspent, DIRTY|FRESH unspent, DIRTY spent.
 *
 * Coin objects are treated as immutable and shared between layers (where Core copies or moves).
 * Mutating the cache while a flush/sync is pending is refused: the DB write is asynchronous.
 */
import { isUnspendable } from '../primitives/script.js';
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

class Entry {
  constructor(
    public coin: Coin | undefined,
    public flags: number,
  ) {}
}

/*
 * Memory accounting: what V8 (64-bit, no pointer compression: Node's build) holds per entry, measured
 * with heapUsed + arrayBuffers (test/coins/fixtures/cache-memory.ts checks it within ±25%):
 *   key string    SeqOneByteString: 16-byte header + characters, 8-aligned (56 for a 33-byte key)
 *   Entry         3-word object header + 2 fields                                  40
 *   Coin          3-word header + 4 fields, + a 16-byte HeapNumber when the value is not a Smi (≥ 2^31)
 *   script        JSTypedArray + JSArrayBuffer (+ embedder fields): 184 measured on Node 20; ≤ 64 bytes
 *                 live on-heap in a ByteArray (16 + n, 8-aligned), larger ones off-heap (n, counted in
 *                 arrayBuffers; the backing store's malloc bookkeeping is in neither and not counted)
 *   Map slot      OrderedHashMap: 3 words per entry + 1 bucket word per 2 entries, capacity a power of 2
 */
const ENTRY_BYTES = 40;
const COIN_BYTES = 56;
const HEAP_NUMBER = 16;
const TYPED_ARRAY_BYTES = 184;
const ON_HEAP_MAX = 64;
const SLOT_BYTES = 28;

const align8 = (n: number) => (n + 7) & ~7;

function coinUsage(coin: Coin | undefined): number {
  if (coin === undefined) return 0;
  const n = coin.script.length;
  const script = TYPED_ARRAY_BYTES + (n <= ON_HEAP_MAX ? 16 + align8(n) : n);
  return COIN_BYTES + (coin.value > 0x7fffffff || !Number.isInteger(coin.value) ? HEAP_NUMBER : 0) + script;
}

const keyUsage = (key: string) => 16 + align8(key.length) + ENTRY_BYTES;

/**
 * A script that is a view into a larger buffer (a whole block, say) would pin it: keep a copy instead.
 * Tested by byteOffset, because reading `.buffer` of a small on-heap typed array would move it off-heap.
 */
function ownCoin(coin: Coin): Coin {
  const s = coin.script;
  if (s.byteOffset === 0) return coin;
  return { height: coin.height, coinbase: coin.coinbase, value: coin.value, script: new Uint8Array(s) };
}

export class CoinsCache implements CoinsViewCache, CoinsSink {
  private map = new Map<OutpointKey, Entry>();
  private usage = 0;
  private dirty = 0;
  private hashBlock: Uint8Array | undefined;
  private busy = false;

  constructor(readonly base: CoinsBase) {}

  /** Entries held (clean and dirty). */
  get size(): number {
    return this.map.size;
  }

  get dirtyCount(): number {
    return this.dirty;
  }

  /** Estimated bytes of JavaScript heap and array buffers the cache holds (Core's DynamicMemoryUsage). */
  get memoryUsage(): number {
    const n = this.map.size;
    const capacity = n === 0 ? 0 : 2 ** Math.ceil(Math.log2(Math.max(n, 4)));
    return this.usage + capacity * SLOT_BYTES;
  }

  getCoin(key: OutpointKey): Coin | undefined {
    return this.fetch(key)?.coin;
  }

  haveCoin(key: OutpointKey): boolean {
    return this.fetch(key)?.coin !== undefined;
  }

  /** Whether an unspent coin is in this cache, without looking in the base. */
  haveCoinInCache(key: OutpointKey): boolean {
    return this.map.get(key)?.coin !== undefined;
  }

  /** The state of an entry (for tests and diagnostics), without looking in the base. */
  entryState(key: OutpointKey): { spent: boolean; dirty: boolean; fresh: boolean } | undefined {
    const e = this.map.get(key);
    return e && { spent: e.coin === undefined, dirty: (e.flags & DIRTY) !== 0, fresh: (e.flags & FRESH) !== 0 };
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
    let e = this.map.get(key);
    let fresh = false;
    if (!possibleOverwrite) {
      if (e?.coin !== undefined) throw new Error('Attempted to overwrite an unspent coin (when possible_overwrite is false)');
      // A DIRTY spent entry's spentness has not reached the base yet: re-adding it must not be FRESH,
      // or spending it again would drop the entry and the base would keep the old coin.
      fresh = e === undefined || (e.flags & DIRTY) === 0;
    }
    if (e === undefined) {
      e = new Entry(undefined, 0);
      this.map.set(key, e);
      this.usage += keyUsage(key);
    }
    this.usage += coinUsage(coin) - coinUsage(e.coin);
    e.coin = ownCoin(coin);
    this.markDirty(e);
    if (fresh) e.flags |= FRESH;
  }

  /** Snapshot loading (Core's EmplaceCoinInternalDANGER): DIRTY, no base lookup, no overwrite checks. */
  emplaceCoinUnchecked(key: OutpointKey, coin: Coin): void {
    this.checkIdle();
    if (this.map.has(key)) return;
    this.map.set(key, new Entry(ownCoin(coin), DIRTY));
    this.dirty++;
    this.usage += keyUsage(key) + coinUsage(coin);
  }

  spendCoin(key: OutpointKey): Coin | undefined {
    this.checkIdle();
    const e = this.fetch(key);
    if (e === undefined) return undefined;
    const coin = e.coin;
    this.usage -= coinUsage(coin);
    if (e.flags & FRESH) {
      this.drop(key, e);
    } else {
      this.markDirty(e);
      e.coin = undefined;
    }
    return coin;
  }

  /** Drops a clean entry (Core's Uncache), e.g. one fetched only to check a transaction. */
  uncache(key: OutpointKey): void {
    const e = this.map.get(key);
    if (e !== undefined && e.flags === 0) {
      this.usage -= coinUsage(e.coin);
      this.drop(key, e);
    }
  }

  /** Writes every dirty entry and the best block to the base, then empties the cache. */
  async flush(): Promise<void> {
    await this.writeToBase();
    this.map = new Map();
    this.usage = 0;
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
    this.map = new Map();
    this.usage = 0;
    this.dirty = 0;
  }

  /** Writes every dirty entry and the best block to the base; keeps the unspent entries, now clean. */
  async sync(): Promise<void> {
    await this.writeToBase();
    for (const [key, e] of this.map) {
      if (e.coin === undefined) this.drop(key, e);
      else e.flags = 0;
    }
    this.dirty = 0;
  }

  /** Core's CCoinsViewCache::BatchWrite: takes a child cache's dirty entries. */
  batchWrite(entries: Iterable<SinkEntry>, bestBlock: Uint8Array): void {
    this.checkIdle();
    for (const { key, coin, fresh } of entries) {
      const ours = this.map.get(key);
      if (ours === undefined) {
        // Spent and FRESH in the child: nobody below ever saw it.
        if (fresh && coin === undefined) continue;
        // FRESH may be kept: the child had it FRESH, so nothing below us has it unspent either.
        this.map.set(key, new Entry(coin, DIRTY | (fresh ? FRESH : 0)));
        this.dirty++;
        this.usage += keyUsage(key) + coinUsage(coin);
        continue;
      }
      if (fresh && ours.coin !== undefined) throw new Error('FRESH flag misapplied to coin that exists in parent cache');
      this.usage -= coinUsage(ours.coin);
      if (ours.flags & FRESH && coin === undefined) {
        this.drop(key, ours);
      } else {
        // Not FRESH even if the child's was: a spent entry here may still have to reach our base.
        ours.coin = coin;
        this.usage += coinUsage(coin);
        this.markDirty(ours);
      }
    }
    this.hashBlock = bestBlock;
  }

  private fetch(key: OutpointKey): Entry | undefined {
    let e = this.map.get(key);
    if (e !== undefined) return e;
    const coin = this.base.getCoin(key);
    if (coin === undefined) return undefined;
    e = new Entry(coin, 0);
    this.map.set(key, e);
    this.usage += keyUsage(key) + coinUsage(coin);
    return e;
  }

  private markDirty(e: Entry): void {
    if (!(e.flags & DIRTY)) this.dirty++;
    e.flags |= DIRTY;
  }

  private drop(key: OutpointKey, e: Entry): void {
    if (e.flags & DIRTY) this.dirty--;
    this.usage -= keyUsage(key);
    this.map.delete(key);
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
    for (const [key, e] of this.map) if (e.flags & DIRTY) yield { key, coin: e.coin, fresh: (e.flags & FRESH) !== 0 };
  }

  private *dirtyChanges(): Generator<CoinChange> {
    for (const [key, e] of this.map) if (e.flags & DIRTY) yield [key, e.coin];
  }
}
