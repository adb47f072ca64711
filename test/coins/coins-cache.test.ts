/**
 * CoinsCache: Core's DIRTY/FRESH transition tables (coins_tests.cpp), a randomized simulation of stacked
 * caches over a real CoinsDB against a reference Map, memory accounting against what V8 really holds,
 * and crash safety of flushes under SIGKILL (child processes from fixtures/).
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import path from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { Coin } from '../../src/coins/coin.js';
import { forEachRecord, readRecord } from '../../src/coins/coin-record.js';
import { CoinsCache } from '../../src/coins/coins-cache.js';
import { CoinsDB } from '../../src/coins/coins-db.js';
import { outpointKey, type OutpointKey } from '../../src/coins/view.js';
import { scratchDir } from '../helpers.js';
import { coinTxid, stateOf, STEP, WINDOW } from './fixtures/flush-loop.js';

const FIXTURES = path.join(path.dirname(fileURLToPath(import.meta.url)), 'fixtures');
const BEST = new Uint8Array(32).fill(1);

/** Deterministic PRNG (mulberry32). */
function rng(seed: number) {
  return (n: number) => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return (((t ^ (t >>> 14)) >>> 0) % n) as number;
  };
}

const mkCoin = (v: number, script = new Uint8Array([0x51, v & 0xff])): Coin => ({ height: v % 1000, coinbase: v % 3 === 0, value: v, script });
const key = (i: number): OutpointKey => outpointKey(createHash('sha256').update(`k${i >> 2}`).digest(), i & 3);

async function freshDb(): Promise<CoinsDB> {
  return CoinsDB.open(path.join(scratchDir(), 'cs'), { create: true });
}

type State = 'absent' | 'clean' | 'dirty' | 'dirty-fresh' | 'dirty-spent';
function stateOfEntry(c: CoinsCache, k: OutpointKey): State {
  const s = c.entryState(k);
  if (!s) return 'absent';
  if (s.spent) return s.dirty && !s.fresh ? 'dirty-spent' : (assert.fail(`impossible state ${JSON.stringify(s)}`) as never);
  return s.dirty ? (s.fresh ? 'dirty-fresh' : 'dirty') : s.fresh ? (assert.fail('FRESH without DIRTY') as never) : 'clean';
}

/** Brings `k` in `c` (over a DB holding `k` when the state needs the base to have it) into a state. */
function make(c: CoinsCache, k: OutpointKey, s: State): void {
  if (s === 'clean') c.getCoin(k);
  if (s === 'dirty') c.addCoin(k, mkCoin(2), true);
  if (s === 'dirty-fresh') c.addCoin(k, mkCoin(3), false);
  if (s === 'dirty-spent') assert.ok(c.spendCoin(k));
  assert.equal(stateOfEntry(c, k), s);
}

test("Core's DIRTY/FRESH tables: spend and add", async () => {
  const db = await freshDb();
  const inDb = key(1);
  await db.writeBatch([[inDb, mkCoin(1)]], BEST);
  const base = (s: State) => (s === 'dirty-fresh' || s === 'absent' ? key(2) : inDb);
  const cases: [State, 'spend' | 'add' | 'add-overwrite', State | 'throws'][] = [
    ['absent', 'spend', 'absent'],
    ['clean', 'spend', 'dirty-spent'],
    ['dirty', 'spend', 'dirty-spent'],
    ['dirty-fresh', 'spend', 'absent'],
    ['dirty-spent', 'spend', 'dirty-spent'],
    ['absent', 'add', 'dirty-fresh'],
    ['clean', 'add', 'throws'],
    ['dirty', 'add', 'throws'],
    ['dirty-fresh', 'add', 'throws'],
    ['dirty-spent', 'add', 'dirty'],
    ['absent', 'add-overwrite', 'dirty'],
    ['clean', 'add-overwrite', 'dirty'],
    ['dirty', 'add-overwrite', 'dirty'],
    ['dirty-fresh', 'add-overwrite', 'dirty-fresh'],
    ['dirty-spent', 'add-overwrite', 'dirty'],
  ];
  for (const [from, op, to] of cases) {
    const c = new CoinsCache(db);
    const k = base(from);
    if (from !== 'absent') make(c, k, from);
    const run = () => (op === 'spend' ? c.spendCoin(k) : c.addCoin(k, mkCoin(9), op === 'add-overwrite'));
    if (to === 'throws') assert.throws(run, /overwrite an unspent coin/, `${from} ${op}`);
    else {
      // A spend returns the coin only when it was unspent.
      const r = run();
      if (op === 'spend') assert.equal(r !== undefined, from === 'clean' || from === 'dirty' || from === 'dirty-fresh', `${from} spend result`);
      assert.equal(stateOfEntry(c, k), to, `${from} ${op}`);
    }
  }
  // Unspendable outputs never enter the cache.
  const c = new CoinsCache(db);
  c.addCoin(key(5), mkCoin(1, new Uint8Array([0x6a, 1])), false);
  assert.equal(stateOfEntry(c, key(5)), 'absent');
  await db.close();
});

test("Core's DIRTY/FRESH tables: writing a child cache into its parent", async () => {
  const db = await freshDb();
  const inDb = key(1);
  await db.writeBatch([[inDb, mkCoin(1)]], BEST);
  // [parent state, child state, parent state after child.flush()]; keys in the DB unless FRESH somewhere.
  const cases: [State, State, State | 'throws'][] = [
    ['absent', 'dirty-spent', 'dirty-spent'],
    ['absent', 'dirty-fresh', 'dirty-fresh'],
    ['absent', 'dirty', 'dirty'],
    ['clean', 'dirty-spent', 'dirty-spent'],
    ['clean', 'dirty', 'dirty'],
    ['clean', 'dirty-fresh', 'throws'],
    ['dirty', 'dirty-spent', 'dirty-spent'],
    ['dirty-fresh', 'dirty-spent', 'absent'],
    ['dirty-fresh', 'dirty', 'dirty-fresh'],
    ['dirty-spent', 'dirty-fresh', 'dirty'],
    ['dirty-spent', 'dirty', 'dirty'],
  ];
  for (const [p, ch, after] of cases) {
    const parent = new CoinsCache(db);
    const child = new CoinsCache(parent);
    const k = p === 'dirty-fresh' || (p === 'absent' && ch === 'dirty-fresh') ? key(2) : inDb;
    if (p !== 'absent') make(parent, k, p);
    if (ch === 'dirty-fresh' && p === 'clean') child.addCoin(k, mkCoin(3), false); // FRESH misapplied by the caller
    else make(child, k, ch);
    child.setBestBlock(BEST);
    if (after === 'throws') await assert.rejects(child.flush(), /FRESH flag misapplied/);
    else {
      await child.flush();
      assert.equal(stateOfEntry(parent, k), after, `parent ${p} ← child ${ch}`);
      assert.equal(child.size, 0);
    }
  }
  await db.close();
});

test('randomized simulation: 3 stacked caches over the DB against a reference map (deterministic)', async () => {
  const db = await freshDb();
  const rand = rng(20240611);
  const ref = new Map<OutpointKey, Coin>();
  const KEYS = 600;
  const stack: CoinsCache[] = [new CoinsCache(db)];
  let blocks = 0;
  const nextBest = () => createHash('sha256').update(`b${blocks++}`).digest();
  const checkAll = () => {
    for (let i = 0; i < KEYS; i++) assert.deepEqual(stack[stack.length - 1].getCoin(key(i)), ref.get(key(i)), `key ${i}`);
  };
  for (let op = 0; op < 30_000; op++) {
    const top = stack[stack.length - 1];
    const k = key(rand(KEYS));
    const r = rand(1000);
    if (r < 350) {
      const c = rand(20) === 0 ? mkCoin(op, new Uint8Array([0x6a])) : mkCoin(op + 1);
      const unspent = ref.has(k);
      top.addCoin(k, c, unspent || rand(2) === 0);
      if (c.script[0] !== 0x6a) ref.set(k, c);
    } else if (r < 650) {
      assert.deepEqual(top.spendCoin(k), ref.get(k));
      ref.delete(k);
    } else if (r < 950) {
      assert.deepEqual(top.getCoin(k), ref.get(k));
      assert.equal(top.haveCoin(k), ref.has(k));
    } else if (r < 980) {
      stack[rand(stack.length)].uncache(k);
    } else if (r < 990) {
      const c = stack[rand(stack.length)];
      c.setBestBlock(nextBest());
      if (rand(2)) await c.flush();
      else {
        await c.sync();
        assert.equal(c.dirtyCount, 0);
      }
    } else if (r < 995 && stack.length < 3) {
      stack.push(new CoinsCache(top));
    } else if (r < 1000 && stack.length > 1) {
      top.setBestBlock(nextBest());
      await top.flush();
      assert.equal(top.size + top.dirtyCount + top.memoryUsage, 0);
      stack.pop();
    }
    if (op % 5000 === 4999) checkAll();
  }
  checkAll();
  const last = nextBest();
  stack[stack.length - 1].setBestBlock(last);
  while (stack.length > 0) await stack.pop()!.flush();
  assert.deepEqual(db.bestBlock(), new Uint8Array(last));
  const onDisk = new Map<OutpointKey, Coin>();
  await db.iterateRecords((b, n) =>
    forEachRecord(b, n, (off) => {
      const c = readRecord(b, off);
      onDisk.set(outpointKey(c.txid, c.vout), { height: c.height, coinbase: c.coinbase, value: c.value, script: c.script });
    }),
  );
  assert.equal(onDisk.size, ref.size);
  for (const [k, c] of ref) assert.deepEqual(onDisk.get(k), c);
  await db.close();
});

test('memory accounting: add then spend everything returns to zero; sync keeps clean coins', async () => {
  const db = await freshDb();
  const c = new CoinsCache(db);
  for (let i = 0; i < 1000; i++) c.addCoin(key(i), mkCoin(i * 1e7, new Uint8Array(10 + (i % 90))), false);
  assert.ok(c.memoryUsage > 1000 * 50);
  assert.equal(c.dirtyCount, 1000);
  for (let i = 0; i < 500; i++) assert.ok(c.spendCoin(key(i)));
  assert.equal(c.size, 500, 'FRESH coins are dropped when spent');
  c.setBestBlock(BEST);
  await c.sync();
  assert.equal(c.size, 500);
  assert.equal(c.dirtyCount, 0);
  for (let i = 500; i < 1000; i++) c.uncache(key(i));
  assert.equal(c.size, 0);
  assert.equal(c.memoryUsage, 0);
  await db.close();
});

test('memory accounting: within ±25% of V8 heapUsed + arrayBuffers growth for 200k coins', () => {
  const r = spawnSync(process.execPath, ['--expose-gc', path.join(FIXTURES, 'cache-memory.js'), path.join(scratchDir(), 'cs'), '200000'], {
    encoding: 'utf8',
  });
  assert.equal(r.status, 0, r.stderr);
  const { entries, estimate, measured } = JSON.parse(r.stdout) as { entries: number; estimate: number; measured: number };
  assert.equal(entries, 200_000);
  const ratio = estimate / measured;
  assert.ok(ratio > 0.75 && ratio < 1.25, `estimate ${estimate} vs measured ${measured} (ratio ${ratio.toFixed(3)})`);
});

test('crash safety: SIGKILL during flushes leaves exactly one written state', { timeout: 180_000 }, async (t) => {
  const dir = path.join(scratchDir(), 'cs');
  const rand = rng(7);
  let committed = -1;
  const states = new Set<number>();
  for (let round = 0; round < 10; round++) {
    const child = spawn(process.execPath, [path.join(FIXTURES, 'flush-loop.js'), dir], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stderr.on('data', (d) => (err += d));
    const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));
    // Kill after 0–2 more commits and a random moment of the next flush, so the rounds make progress
    // however slow the machine, and most kills land while a flush is being built or written.
    const commitsWanted = rand(3);
    await new Promise<void>((resolve, reject) => {
      child.stdout.on('data', (d) => {
        out += d;
        if (out.startsWith('ready\n') && (out.match(/committed/g) ?? []).length >= commitsWanted) resolve();
      });
      child.on('exit', (code) => reject(new Error(`child exited ${code} early: ${err}`)));
    });
    await new Promise((r) => setTimeout(r, rand(250)));
    child.kill('SIGKILL');
    await exited;
    for (const m of out.matchAll(/committed (\d+)/g)) committed = Math.max(committed, Number(m[1]));

    const db = await CoinsDB.open(dir);
    const state = stateOf(db.bestBlock());
    // The kill may land after a commit but before its line was printed.
    assert.ok(state === committed || state === committed + 1, `state ${state}, last reported ${committed}`);
    committed = state;
    states.add(state);
    const seen = new Set<number>();
    const lo = state * STEP;
    await db.iterateRecords((b, n) =>
      forEachRecord(b, n, (off) => {
        const c = readRecord(b, off);
        const j = c.value - 1;
        assert.ok(j >= lo && j < lo + WINDOW, `coin ${j} outside state ${state}`);
        assert.ok(Buffer.from(c.txid).equals(coinTxid(j)) && c.vout === (j & 1));
        seen.add(j);
      }),
    );
    assert.equal(seen.size, state < 0 ? 0 : WINDOW, `state ${state} complete`);
    await db.close();
  }
  t.diagnostic(`states after the kills: ${[...states].join(' ')}`);
  assert.ok(states.size >= 3, `kills landed in several states: ${[...states]}`);
});
