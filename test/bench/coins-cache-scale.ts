/**
 * A dbcache-sized coins cache (issue 11, "Scale"): fills one CoinsCache with N coins of the mainnet-like
 * script mix (synthetic-utxo.ts), reads every one back, spends a tenth, and optionally flushes to a real
 * CoinsDB. Reports bytes per cached coin (the cache's own accounting, and measured: arrayBuffers + heap
 * and RSS growth after a full GC), GC pauses (perf_hooks 'gc' entries: count, total, max) and the rates of
 * the cache operations alone (coins are generated in batches outside the timed part).
 *   node dist/test/bench/coins-cache-scale.js [COINS=50000000] [--flush]
 * COINS_CACHE_MODULE=<path to a built module exporting CoinsCache or MapCoinsCache> runs another
 * implementation (the A/B against the former Map-based cache).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { PerformanceObserver, type PerformanceEntry } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { forEachRecord, readRecord } from '../../src/coins/coin-record.js';
import type { Coin } from '../../src/coins/coin.js';
import { CoinsDB } from '../../src/coins/coins-db.js';
import { CoinsCache } from '../../src/coins/coins-cache.js';
import { outpointKey } from '../../src/coins/view.js';
import { syntheticRecords } from './synthetic-utxo.js';

/** Core's figure: about 100 bytes per cached coin as its memory accounting counts them. */
export const CORE_BYTES_PER_COIN = 100;

export interface CacheScaleResult {
  coins: number;
  implementation: string;
  /** cache.memoryUsage / coins. */
  accountedBytesPerCoin: number;
  /** Growth of heapUsed + arrayBuffers after a full GC, per coin. */
  measuredBytesPerCoin: number;
  heapBytesPerCoin: number;
  rssBytesPerCoin: number;
  insertPerSec: number;
  lookupPerSec: number;
  spendPerSec: number;
  /** The same per second of this process's CPU time (all threads): steadier on a loaded machine. */
  insertPerCpuSec: number;
  lookupPerCpuSec: number;
  spendPerCpuSec: number;
  flushPerSec?: number;
  /**
   * Churn: every coin spent and added again (each leaves a dead record, so the slabs compact as they go).
   * The longest single spend+add, wall time (a compaction step runs inside one), and memory after it.
   */
  churnMaxOpMs: number;
  churnPeakBytesPerCoin: number;
  gcCount: number;
  gcTotalMs: number;
  gcMaxMs: number;
  /** The longest pause of each kind (V8's minor = scavenge, major = mark-compact). */
  gcMaxMinorMs: number;
  gcMaxMajorMs: number;
  /** One full (forced) collection with the cache filled: what a mark-compact costs at this size. */
  fullGcMs: number;
  peakRssMB: number;
}

type CacheLike = Pick<CoinsCache, 'addCoin' | 'getCoin' | 'spendCoin' | 'setBestBlock' | 'flush' | 'size' | 'memoryUsage'>;

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

/** Wall and CPU milliseconds of `fn`, added to `acc`. */
function timed(acc: { wall: number; cpu: number }, fn: () => void): void {
  const c = process.cpuUsage();
  const s = performance.now();
  fn();
  acc.wall += performance.now() - s;
  const d = process.cpuUsage(c);
  acc.cpu += (d.user + d.system) / 1000;
}

/** performance.now() windows of the benchmark's own forced collections, left out of the GC figures. */
const forced: [number, number][] = [];

function memory() {
  const t = performance.now();
  gc();
  gc();
  forced.push([t, performance.now()]);
  const m = process.memoryUsage();
  return { heap: m.heapUsed, arrayBuffers: m.arrayBuffers, rss: m.rss };
}

/** GC entries are queued by native code and reach observers once the event loop turns. */
const settle = () => new Promise((resolve) => setImmediate(resolve));

/** Calls `fn` with batches of (keys, coins) of the deterministic set, in the same order every time. */
function batches(coins: number, fn: (keys: string[], list: Coin[]) => void): void {
  syntheticRecords(coins, (buf, length) => {
    const keys: string[] = [];
    const list: Coin[] = [];
    forEachRecord(buf, length, (off) => {
      const r = readRecord(buf, off);
      keys.push(outpointKey(r.txid, r.vout));
      list.push({ height: r.height, coinbase: r.coinbase, value: r.value, script: r.script });
    });
    fn(keys, list);
  }, 7, 4 << 20);
}

export async function benchCoinsCacheScale(coins: number, flush = false): Promise<CacheScaleResult> {
  const dir = mkdtempSync(path.join(process.env.BENCH_DIR ?? tmpdir(), 'chainsnap-cache-scale-'));
  const pauses: { ms: number; major: boolean }[] = [];
  const record = (e: PerformanceEntry) => {
    if (forced.some(([a, b]) => e.startTime >= a && e.startTime <= b)) return;
    const kind = (e as unknown as { detail?: { kind?: number } }).detail?.kind ?? 0;
    // perf_hooks.constants.NODE_PERFORMANCE_GC_MAJOR = 4 (mark-compact), MINOR = 1 (scavenge).
    pauses.push({ ms: e.duration, major: kind === 4 });
  };
  // The phases are synchronous: entries queue up and are taken at the end (takeRecords) or between phases.
  const obs = new PerformanceObserver((list) => list.getEntries().forEach(record));
  const db = await CoinsDB.open(path.join(dir, 'chainstate'), { create: true });
  try {
    const moduleName = process.env.COINS_CACHE_MODULE;
    const mod = moduleName ? ((await import(pathToFileURL(path.resolve(moduleName)).href)) as Record<string, new (b: CoinsDB) => CacheLike>) : { CoinsCache };
    const Impl = mod.CoinsCache ?? mod.MapCoinsCache;
    const cache = new Impl(db);
    const before = memory();
    obs.observe({ entryTypes: ['gc'] });
    const insert = { wall: 0, cpu: 0 };
    batches(coins, (keys, list) => {
      timed(insert, () => {
        for (let i = 0; i < keys.length; i++) cache.addCoin(keys[i], list[i], false);
      });
    });
    await settle();
    const filled = memory();
    const g = performance.now();
    gc();
    const fullGcMs = performance.now() - g;
    const accounted = cache.memoryUsage;
    const size = cache.size;

    const lookup = { wall: 0, cpu: 0 };
    let wrong = 0;
    batches(coins, (keys, list) => {
      timed(lookup, () => {
        for (let i = 0; i < keys.length; i++) {
          const c = cache.getCoin(keys[i]);
          if (c === undefined || c.value !== list[i].value || c.height !== list[i].height || c.script.length !== list[i].script.length) wrong++;
        }
      });
    });
    if (wrong > 0) throw new Error(`${wrong} coins read back wrong`);

    const spend = { wall: 0, cpu: 0 };
    let spent = 0;
    batches(coins, (keys) => {
      timed(spend, () => {
        for (let i = 0; i < keys.length; i += 10) if (cache.spendCoin(keys[i]) !== undefined) spent++;
      });
    });

    let churnMaxOpMs = 0;
    let churnPeak = 0;
    batches(coins, (keys, list) => {
      for (let i = 0; i < keys.length; i++) {
        const t = performance.now();
        if (cache.spendCoin(keys[i]) !== undefined) cache.addCoin(keys[i], list[i], false);
        churnMaxOpMs = Math.max(churnMaxOpMs, performance.now() - t);
      }
      churnPeak = Math.max(churnPeak, cache.memoryUsage);
    });

    let flushPerSec: number | undefined;
    if (flush) {
      cache.setBestBlock(new Uint8Array(32).fill(7));
      const left = cache.size;
      const s = performance.now();
      await cache.flush();
      flushPerSec = left / ((performance.now() - s) / 1000);
    }
    await settle();
    await settle();
    for (const e of obs.takeRecords()) record(e);
    obs.disconnect();
    const per = (b: number) => b / size;
    const max = (xs: number[]) => xs.reduce((a, b) => Math.max(a, b), 0);
    return {
      coins: size,
      implementation: moduleName ? path.basename(moduleName) : 'slab CoinsCache',
      accountedBytesPerCoin: per(accounted),
      measuredBytesPerCoin: per(filled.heap + filled.arrayBuffers - before.heap - before.arrayBuffers),
      heapBytesPerCoin: per(filled.heap - before.heap),
      rssBytesPerCoin: per(filled.rss - before.rss),
      insertPerSec: (coins * 1000) / insert.wall,
      lookupPerSec: (coins * 1000) / lookup.wall,
      spendPerSec: (spent * 1000) / spend.wall,
      insertPerCpuSec: (coins * 1000) / insert.cpu,
      lookupPerCpuSec: (coins * 1000) / lookup.cpu,
      spendPerCpuSec: (spent * 1000) / spend.cpu,
      flushPerSec,
      churnMaxOpMs,
      churnPeakBytesPerCoin: per(churnPeak),
      gcCount: pauses.length,
      gcTotalMs: pauses.reduce((a, p) => a + p.ms, 0),
      gcMaxMs: max(pauses.map((p) => p.ms)),
      gcMaxMinorMs: max(pauses.filter((p) => !p.major).map((p) => p.ms)),
      gcMaxMajorMs: max(pauses.filter((p) => p.major).map((p) => p.ms)),
      fullGcMs,
      peakRssMB: process.resourceUsage().maxRSS / 1024,
    };
  } finally {
    await db.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

export function formatCacheScale(r: CacheScaleResult): string[] {
  const f = (n: number, d = 0) => n.toLocaleString('en-US', { maximumFractionDigits: d });
  return [
    `coins cache ${f(r.coins)} coins (${r.implementation}): ${f(r.accountedBytesPerCoin, 1)} bytes/coin accounted, ${f(r.measuredBytesPerCoin, 1)} measured (heap ${f(r.heapBytesPerCoin, 1)}), RSS ${f(r.rssBytesPerCoin, 1)}; Core ~${CORE_BYTES_PER_COIN}`,
    `coins cache GC: ${r.gcCount} pauses, ${f(r.gcTotalMs)} ms in all, longest ${f(r.gcMaxMs, 1)} ms (scavenge ${f(r.gcMaxMinorMs, 1)} ms, mark-compact ${f(r.gcMaxMajorMs, 1)} ms); a full GC with the cache filled ${f(r.fullGcMs, 1)} ms; peak RSS ${f(r.peakRssMB)} MB`,
    `coins cache churn (every coin spent and re-added): longest operation ${f(r.churnMaxOpMs, 1)} ms (wall), peak ${f(r.churnPeakBytesPerCoin, 1)} bytes/coin accounted`,
    `coins cache rates: insert ${f(r.insertPerSec)}/s, lookup ${f(r.lookupPerSec)}/s, spend ${f(r.spendPerSec)}/s` + (r.flushPerSec ? `, flush to LevelDB ${f(r.flushPerSec)}/s` : ''),
    `coins cache per CPU second: insert ${f(r.insertPerCpuSec)}, lookup ${f(r.lookupPerCpuSec)}, spend ${f(r.spendPerCpuSec)}`,
  ];
}

if (process.argv[1]?.endsWith('coins-cache-scale.js')) {
  const args = process.argv.slice(2);
  const coins = Number(args.find((a) => !a.startsWith('--')) ?? 50_000_000);
  const r = await benchCoinsCacheScale(coins, args.includes('--flush'));
  for (const l of formatCacheScale(r)) console.log(l);
  console.log(JSON.stringify(r));
}
