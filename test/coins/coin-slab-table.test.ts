/**
 * CoinSlabTable (the off-heap store under CoinsCache) against a reference Map through inserts, in-place
 * spends, replacements and removals enough to resize the index and compact the slabs many times; the
 * private coin encoding for every script kind and odd amount; memory accounting against arrayBuffers.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import path from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { Coin } from '../../src/coins/coin.js';
import { decodeCoin, encodeCoin, encodedCoinLength } from '../../src/coins/coin-slab-codec.js';
import { CoinSlabTable } from '../../src/coins/coin-slab-table.js';
import { outpointKey } from '../../src/coins/view.js';
import { scratchDir } from '../helpers.js';

const FIXTURES = path.join(path.dirname(fileURLToPath(import.meta.url)), 'fixtures');

function rng(seed: number) {
  return (n: number) => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) % n;
  };
}

const hex = (s: string) => Uint8Array.from(Buffer.from(s.replace(/ /g, ''), 'hex'));
const h20 = '11'.repeat(20);
const h32 = '22'.repeat(32);
const SCRIPTS = [
  hex(`76a914${h20}88ac`), // P2PKH
  hex(`a914${h20}87`), // P2SH
  hex(`0014${h20}`), // P2WPKH
  hex(`0020${h32}`), // P2WSH
  hex(`5120${h32}`), // P2TR
  hex(`21 02${h32} ac`), // P2PK, compressed key
  hex(`41 04${h32}${h32} ac`), // P2PK, uncompressed key (kept whole: no curve maths)
  hex(`41 07${h32}${h32} ac`), // P2PK-shaped with an invalid key
  hex(`6a04deadbeef`),
  new Uint8Array(0),
  new Uint8Array(10_000).fill(0x51),
  hex(`0014${h20}00`), // almost a template
  hex(`5220${h32}`),
];
const VALUES = [0, 1, 546, 5_000_000_000, 2_100_000_000_000_000, 123_456_789_012_345, Number.MAX_SAFE_INTEGER, -1, 0.5, 2 ** 60];

test('the slab encoding round-trips every script kind, height and amount', () => {
  const buf = new Uint8Array(20_100);
  for (const script of SCRIPTS) {
    for (const value of VALUES) {
      for (const [height, coinbase] of [[0, false], [1, true], [840_000, false], [2 ** 31 - 1, true]] as const) {
        const coin: Coin = { height, coinbase, value, script };
        const end = encodeCoin(buf, 7, coin);
        assert.equal(end - 7, encodedCoinLength(coin));
        const back = decodeCoin(buf, 7);
        assert.deepEqual(back, coin);
        assert.notEqual(back.script.buffer, buf.buffer, 'the decoded script owns its bytes');
      }
    }
  }
});

test('CoinSlabTable matches a Map through resizes, compactions, spends and removals', () => {
  const rand = rng(11);
  const t = new CoinSlabTable();
  const ref = new Map<string, { coin: Coin | undefined; flags: number }>();
  const keys = Array.from({ length: 30_000 }, (_, i) => outpointKey(createHash('sha256').update(`t${i >> 3}`).digest(), (i & 7) * 40_000));
  const coinOf = (i: number): Coin => ({ height: i % 900_000, coinbase: i % 7 === 0, value: VALUES[i % VALUES.length], script: SCRIPTS[i % (SCRIPTS.length - 3)] });
  let peak = 0;
  for (let op = 0; op < 400_000; op++) {
    const k = keys[rand(keys.length)];
    const slot = t.find(k);
    const mine = ref.get(k);
    assert.equal(slot >= 0, mine !== undefined);
    const r = rand(10);
    if (mine === undefined) {
      const coin = r < 8 ? coinOf(op) : undefined;
      t.insert(k, coin, r & 3);
      ref.set(k, { coin, flags: r & 3 });
    } else if (r < 3) {
      assert.deepEqual(t.coin(slot), mine.coin);
      assert.equal(t.flags(slot), mine.flags);
      assert.equal(t.spent(slot), mine.coin === undefined);
      assert.equal(t.key(slot), k);
    } else if (r < 5) {
      t.markSpent(slot);
      t.setFlags(slot, 1);
      ref.set(k, { coin: undefined, flags: 1 });
    } else if (r < 7) {
      const coin = coinOf(op);
      t.replace(slot, coin, 3);
      ref.set(k, { coin, flags: 3 });
    } else {
      t.remove(slot);
      ref.delete(k);
    }
    assert.equal(t.size, ref.size);
    peak = Math.max(peak, t.memoryUsage);
  }
  const seen = new Set<string>();
  for (const slot of t.slots()) {
    const k = t.key(slot);
    seen.add(k);
    assert.deepEqual(t.coin(slot), ref.get(k)!.coin);
  }
  assert.equal(seen.size, ref.size);
  // Removing while iterating (as CoinsCache.sync does) visits every entry once.
  let visited = 0;
  for (const slot of t.slots()) {
    visited++;
    t.remove(slot);
  }
  assert.equal(visited, ref.size);
  assert.equal(t.size, 0);
  assert.equal(t.memoryUsage, 0, 'an empty table holds nothing');
  // ~15,000 live entries of < 100 bytes: compaction kept the slabs near what is live.
  assert.ok(peak < 8 << 20, `peak ${peak} bytes`);
});

test('compaction is incremental: each step copies at most one slab, far less than what is live', () => {
  const rand = rng(5);
  const t = new CoinSlabTable();
  const keys = Array.from({ length: 200_000 }, (_, i) => outpointKey(createHash('sha256').update(`c${i}`).digest(), i & 3));
  const coin = (i: number): Coin => ({ height: i, coinbase: false, value: 1_000 + i, script: SCRIPTS[i % (SCRIPTS.length - 3)] });
  keys.forEach((k, i) => t.insert(k, coin(i), 1));
  let steps = t.compactionSteps;
  let largest = 0;
  let live = 0;
  // Replacing coins at random makes every slab partly dead, which used to trigger one copy of everything.
  for (let op = 0; op < 600_000; op++) {
    const slot = t.find(keys[rand(keys.length)]);
    t.replace(slot, coin(op), 1);
    if (t.compactionSteps !== steps) {
      steps = t.compactionSteps;
      if (t.lastCompactionCopied > largest) {
        largest = t.lastCompactionCopied;
        live = t.memoryUsage;
      }
    }
  }
  assert.ok(steps > 10, `${steps} steps`);
  // A slab is at most 32 MiB and at most about half of the table; the sparsest is more than half dead.
  assert.ok(largest <= 32 << 20, `${largest} bytes copied in one step`);
  assert.ok(largest < live / 8, `${largest} bytes copied in one step with ${live} bytes in the table`);
  for (const [i, k] of keys.entries()) assert.equal(t.find(k) >= 0, true, `key ${i}`);
});

test('memoryUsage is what arrayBuffers grows by, and the heap barely grows (200k coins)', () => {
  const r = spawnSync(process.execPath, ['--expose-gc', path.join(FIXTURES, 'cache-memory.js'), path.join(scratchDir(), 'cs'), '200000'], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  const { entries, estimate, heap, arrayBuffers } = JSON.parse(r.stdout) as Record<string, number>;
  assert.equal(entries, 200_000);
  // Up to a few 8 KiB Buffer pools of the fixture's own hashing besides the slabs and index arrays.
  assert.ok(Math.abs(arrayBuffers - estimate) < 64 * 1024, `arrayBuffers grew ${arrayBuffers} bytes, the cache counts ${estimate}`);
  assert.ok(heap < estimate / 20, `heap grew ${heap} bytes for ${estimate} bytes of slabs`);
  // Raw scripts (not templates) of 22 to 105 bytes: the mainnet-like mix is measured in test/bench/coins-cache-scale.ts.
  assert.ok(estimate / entries < 120, `${estimate / entries} bytes per coin`);
});
