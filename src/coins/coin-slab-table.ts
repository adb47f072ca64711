/**
 * CoinSlabTable: the storage of CoinsCache, off the JavaScript heap. An open-addressing hash table
 * (linear probing, tombstones) of 32-bit hash tags and record addresses, over records kept in large
 * ArrayBuffer slabs:
 *   u8 flags (the cache's, plus SPENT and DEAD) ‖ u24 length ‖ u8 key length ‖ key ‖ coin (coin-slab-codec)
 * Records are 8-aligned; an address is (slab · 2^22 + offset / 8) + 1, so 0 means an empty slot.
 * A replaced or removed record is marked DEAD and its bytes counted as dead, per slab; while the dead
 * bytes pass half of the slabs, each insert or replace compacts ONE slab, the sparsest: its live records
 * are copied into the current slab and it is freed. A step copies at most one slab (≤ 32 MiB, usually
 * far less: the sparsest slab is at least half dead), so there is no pause proportional to the cache and
 * the memory never goes past the slabs plus the one being filled.
 * V8 sees a few hundred large buffers instead of objects per coin, so a 16 GiB cache neither needs a
 * 16 GiB heap nor makes garbage collection walk tens of millions of objects.
 */
import { randomBytes } from 'node:crypto';
import type { Coin } from './coin.js';
import { decodeCoin, encodeCoin, maxEncodedCoinLength } from './coin-slab-codec.js';

/** The flag bits the cache owns (DIRTY, FRESH) live in the low bits; these two are the table's. */
export const SPENT = 4;
const DEAD = 8;
const CACHE_FLAGS = 3;

const EMPTY = 0;
const TOMB = 0xffffffff;
const OFFSET_BITS = 22;
/** Largest slab: 2^22 units of 8 bytes. */
const MAX_SLAB = 2 ** (OFFSET_BITS + 3);
const MIN_SLAB = 64 * 1024;
/** Slab indices are 10 bits; the last one is left out so no address equals TOMB. */
const MAX_SLABS = 1023;
const HEADER = 5;
const MIN_CAPACITY = 16;
/**
 * The index grows to a load of RESIZED_LOAD once it passes MAX_LOAD (so by ~1.45×, not 2×: 8 bytes per
 * slot at an average load of 2/3 is 12 bytes per coin). Tags keep the probes of linear probing in the
 * index, out of the slabs, so this load costs little.
 */
const MAX_LOAD = 0.8;
const RESIZED_LOAD = 0.55;

/** The first slot for hash `h` in `cap` slots (Lemire's multiply-shift; exact enough in doubles). */
const home = (h: number, cap: number) => Math.floor((h / 4294967296) * cap);
const pad8 = (n: number) => (n + 7) & ~7;

function fmix(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

export class CoinSlabTable {
  private tags = new Uint32Array(0);
  private addrs = new Uint32Array(0);
  private cap = 0;
  private count = 0;
  private tombs = 0;
  private slabs: (Buffer | undefined)[] = [];
  private slabUsed: number[] = [];
  /** Dead bytes of each slab (its part of deadBytes). */
  private slabDead: number[] = [];
  private freeSlabs: number[] = [];
  /** The slab records are appended to, and where. */
  private cur = -1;
  private pos = 0;
  private slabBytes = 0;
  private deadBytes = 0;
  /** A secret per table, so nobody can choose outpoints that all land in one probe run. */
  private readonly seed = randomBytes(4).readUInt32LE(0);
  /** Live bytes the last compaction step copied (tests and diagnostics). */
  lastCompactionCopied = 0;
  /** Compaction steps so far. */
  compactionSteps = 0;
  private lastKey = '';
  private lastHash = 0;

  get size(): number {
    return this.count;
  }

  /** Bytes of the slabs and of the index arrays: all the memory the table holds, as counted by arrayBuffers. */
  get memoryUsage(): number {
    return this.slabBytes + this.tags.byteLength + this.addrs.byteLength;
  }

  /** The slot of `key`, or -1. Valid until the next insert. */
  find(key: string): number {
    if (this.count === 0) return -1;
    const h = this.hashOf(key);
    const { tags, addrs, cap } = this;
    for (let i = home(h, cap); ; i = i + 1 === cap ? 0 : i + 1) {
      const a = addrs[i];
      if (a === EMPTY) return -1;
      if (a !== TOMB && tags[i] === h && this.keyAt(a, key)) return i;
    }
  }

  /** The cache's flags of the entry at `slot` (DIRTY, FRESH). */
  flags(slot: number): number {
    const a = this.addrs[slot];
    const buf = this.slabOf(a);
    const off = offsetOf(a);
    return buf[off] & CACHE_FLAGS;
  }

  setFlags(slot: number, flags: number): void {
    const a = this.addrs[slot];
    const buf = this.slabOf(a);
    const off = offsetOf(a);
    buf[off] = (buf[off] & ~CACHE_FLAGS) | flags;
  }

  spent(slot: number): boolean {
    const a = this.addrs[slot];
    const buf = this.slabOf(a);
    const off = offsetOf(a);
    return (buf[off] & SPENT) !== 0;
  }

  /** The coin at `slot`, decoded into fresh objects, or undefined when the entry is spent. */
  coin(slot: number): Coin | undefined {
    const a = this.addrs[slot];
    const buf = this.slabOf(a);
    const off = offsetOf(a);
    if (buf[off] & SPENT) return undefined;
    return decodeCoin(buf, off + HEADER + buf[off + 4]);
  }

  key(slot: number): string {
    const a = this.addrs[slot];
    const buf = this.slabOf(a);
    const off = offsetOf(a);
    return buf.toString('latin1', off + HEADER, off + HEADER + buf[off + 4]);
  }

  /** Marks the entry at `slot` spent in place (its coin bytes become dead until a compaction). */
  markSpent(slot: number): void {
    const a = this.addrs[slot];
    const buf = this.slabOf(a);
    const off = offsetOf(a);
    if (buf[off] & SPENT) return;
    buf[off] |= SPENT;
    this.addDead(a, recordLength(buf, off) - HEADER - buf[off + 4]);
  }

  /** Adds `key` (which must be absent) with `coin` (undefined: spent) and the cache's `flags`. */
  insert(key: string, coin: Coin | undefined, flags: number): void {
    if (this.count + this.tombs + 1 > this.cap * MAX_LOAD) this.resize();
    const addr = this.write(key, coin, flags);
    const h = this.hashOf(key);
    const { tags, addrs, cap } = this;
    let i = home(h, cap);
    while (addrs[i] !== EMPTY && addrs[i] !== TOMB) i = i + 1 === cap ? 0 : i + 1;
    if (addrs[i] === TOMB) this.tombs--;
    tags[i] = h;
    addrs[i] = addr;
    this.count++;
    this.maybeCompact();
  }

  /** Gives the entry at `slot` a new coin (undefined: spent), keeping its key; `flags` as in insert. */
  replace(slot: number, coin: Coin | undefined, flags: number): void {
    const key = this.key(slot);
    this.kill(this.addrs[slot]);
    this.addrs[slot] = this.write(key, coin, flags);
    this.maybeCompact();
  }

  remove(slot: number): void {
    this.kill(this.addrs[slot]);
    this.addrs[slot] = TOMB;
    this.tombs++;
    if (--this.count === 0) this.clear();
  }

  /** Frees everything. */
  clear(): void {
    this.tags = new Uint32Array(0);
    this.addrs = new Uint32Array(0);
    this.cap = 0;
    this.count = this.tombs = 0;
    this.slabs = [];
    this.slabUsed = [];
    this.slabDead = [];
    this.freeSlabs = [];
    this.cur = -1;
    this.pos = this.slabBytes = this.deadBytes = 0;
  }

  /**
   * The occupied slots. Removing entries while iterating is allowed (tombstones move nothing); inserting
   * or replacing is not (a resize or compaction would move them).
   */
  *slots(): Generator<number> {
    for (let i = 0; i < this.addrs.length; i++) {
      const a = this.addrs[i];
      if (a !== EMPTY && a !== TOMB) yield i;
    }
  }

  /** The hash of `key`, remembered for the insert that usually follows a failed find. */
  private hashOf(key: string): number {
    if (key !== this.lastKey) {
      this.lastKey = key;
      this.lastHash = this.hash(key);
    }
    return this.lastHash;
  }

  private hash(key: string): number {
    // The first 8 bytes of the txid and the vout: txids are hashes, and the seed keeps the result secret.
    const n = key.length;
    let h = this.seed ^ n;
    const prefix = Math.min(8, n);
    for (let i = 0; i < prefix; i++) h = Math.imul(h ^ key.charCodeAt(i), 0x01000193);
    for (let i = Math.max(prefix, Math.min(32, n - 5)); i < n; i++) h = Math.imul(h ^ key.charCodeAt(i), 0x01000193);
    return fmix(h);
  }

  private slabOf(addr: number): Buffer {
    return this.slabs[(addr - 1) >>> OFFSET_BITS]!;
  }

  private keyAt(addr: number, key: string): boolean {
    const buf = this.slabOf(addr);
    const off = offsetOf(addr);
    const n = key.length;
    if (buf[off + 4] !== n) return false;
    const from = off + HEADER;
    for (let i = n - 1; i >= 0; i--) if (buf[from + i] !== key.charCodeAt(i)) return false;
    return true;
  }

  private kill(addr: number): void {
    const buf = this.slabOf(addr);
    const off = offsetOf(addr);
    const wasSpent = (buf[off] & SPENT) !== 0;
    const len = recordLength(buf, off);
    buf[off] |= DEAD;
    // The coin bytes of a spent record were counted when it was spent.
    this.addDead(addr, pad8(len) - (wasSpent ? len - HEADER - buf[off + 4] : 0));
  }

  private addDead(addr: number, bytes: number): void {
    this.slabDead[(addr - 1) >>> OFFSET_BITS] += bytes;
    this.deadBytes += bytes;
  }

  /** Appends a record and returns its address. */
  private write(key: string, coin: Coin | undefined, flags: number): number {
    const n = key.length;
    if (n > 255) throw new Error('CoinSlabTable: key longer than 255 bytes');
    // Room for the longest encoding, then the bump pointer is moved back to what was written.
    const most = HEADER + n + (coin === undefined ? 0 : maxEncodedCoinLength(coin.script.length));
    if (most >= 2 ** 24) throw new Error('CoinSlabTable: coin too large');
    const addr = this.allocate(pad8(most));
    const buf = this.slabs[this.cur]!;
    const off = offsetOf(addr);
    const at = off + HEADER;
    for (let i = 0; i < n; i++) buf[at + i] = key.charCodeAt(i);
    const len = (coin === undefined ? at + n : encodeCoin(buf, at + n, coin)) - off;
    this.pos = off + pad8(len);
    this.slabUsed[this.cur] = this.pos;
    buf[off] = (flags & CACHE_FLAGS) | (coin === undefined ? SPENT : 0);
    setRecordLength(buf, off, len);
    buf[off + 4] = n;
    return addr;
  }

  /** Reserves `bytes` in the current slab (this.cur) and returns their address. */
  private allocate(bytes: number): number {
    if (this.cur < 0 || this.pos + bytes > this.slabs[this.cur]!.length) this.newSlab(bytes);
    const off = this.pos;
    this.pos += bytes;
    this.slabUsed[this.cur] = this.pos;
    return (((this.cur << OFFSET_BITS) | (off / 8)) >>> 0) + 1;
  }

  /** Starts a slab: a quarter of what the table holds (so at most ~20% is unused), within [64 KiB, 32 MiB]. */
  private newSlab(atLeast: number): void {
    if (atLeast > MAX_SLAB) throw new Error('CoinSlabTable: coin too large');
    if (this.cur >= 0) {
      // The unused tail of the slab being left is dead too.
      const tail = this.slabs[this.cur]!.length - this.pos;
      this.slabDead[this.cur] += tail;
      this.deadBytes += tail;
    }
    let size = MIN_SLAB;
    while (size < MAX_SLAB && (size < atLeast || size * 4 < this.slabBytes)) size *= 2;
    const index = this.freeSlabs.length > 0 ? this.freeSlabs.pop()! : this.slabs.length;
    if (index >= MAX_SLABS) throw new Error('CoinSlabTable: more than 32 GiB of coins');
    this.slabs[index] = Buffer.from(new ArrayBuffer(size));
    this.slabUsed[index] = 0;
    this.slabDead[index] = 0;
    this.slabBytes += size;
    this.cur = index;
    this.pos = 0;
  }

  /** Grows the index (or just clears its tombstones) keeping the load at most 3/4. */
  private resize(): void {
    const cap = Math.max(MIN_CAPACITY, Math.ceil((this.count + 1) / RESIZED_LOAD));
    const { tags, addrs } = this;
    this.tags = new Uint32Array(cap);
    this.addrs = new Uint32Array(cap);
    this.cap = cap;
    this.tombs = 0;
    for (let j = 0; j < addrs.length; j++) {
      const a = addrs[j];
      if (a === EMPTY || a === TOMB) continue;
      let i = home(tags[j], cap);
      while (this.addrs[i] !== EMPTY) i = i + 1 === cap ? 0 : i + 1;
      this.tags[i] = tags[j];
      this.addrs[i] = a;
    }
  }

  private maybeCompact(): void {
    if (this.deadBytes * 2 > this.slabBytes && this.slabBytes >= 4 * MIN_SLAB) this.compactStep();
  }

  /**
   * Compacts the sparsest slab other than the current one: copies its live records into the current slab
   * and frees it. The sparsest frees the most dead bytes per byte copied; while the dead pass half of the
   * slabs, it is more than half dead (the current slab is at most half of the others).
   */
  private compactStep(): void {
    let s = -1;
    let best = 0;
    for (let i = 0; i < this.slabs.length; i++) {
      const buf = this.slabs[i];
      if (buf === undefined || i === this.cur) continue;
      const share = this.slabDead[i] / buf.length;
      if (share > best) {
        best = share;
        s = i;
      }
    }
    if (s < 0) return;
    const buf = this.slabs[s]!;
    const used = this.slabUsed[s];
    let copied = 0;
    for (let off = 0; off < used; ) {
      const len = recordLength(buf, off);
      const flags = buf[off];
      if (!(flags & DEAD)) {
        const keep = flags & SPENT ? HEADER + buf[off + 4] : len;
        this.move(buf, off, (((s << OFFSET_BITS) | (off / 8)) >>> 0) + 1, keep);
        copied += keep;
      }
      off += pad8(len);
    }
    this.slabs[s] = undefined;
    this.slabBytes -= buf.length;
    this.deadBytes -= this.slabDead[s];
    this.slabDead[s] = 0;
    this.freeSlabs.push(s);
    this.lastCompactionCopied = copied;
    this.compactionSteps++;
  }

  /** Copies `len` bytes of the record at `from` into the current slab and repoints its slot. */
  private move(src: Buffer, from: number, oldAddr: number, len: number): void {
    const addr = this.allocate(pad8(len));
    const buf = this.slabs[this.cur]!;
    const off = offsetOf(addr);
    src.copy(buf, off, from, from + len);
    setRecordLength(buf, off, len);
    const h = this.hashOf(src.toString('latin1', from + HEADER, from + HEADER + src[from + 4]));
    const cap = this.cap;
    let i = home(h, cap);
    while (this.addrs[i] !== oldAddr) i = i + 1 === cap ? 0 : i + 1;
    this.addrs[i] = addr;
  }
}

const offsetOf = (addr: number) => ((addr - 1) & (2 ** OFFSET_BITS - 1)) * 8;

function setRecordLength(buf: Buffer, off: number, len: number): void {
  buf[off + 1] = len & 0xff;
  buf[off + 2] = (len >>> 8) & 0xff;
  buf[off + 3] = len >>> 16;
}

function recordLength(buf: Buffer, off: number): number {
  return buf[off + 1] | (buf[off + 2] << 8) | (buf[off + 3] << 16);
}
