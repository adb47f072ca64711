/**
 * loadtxoutset benchmark (child process, one measurement per process so each has its own peak RSS):
 *   node engine-load.bench.js COINS DBCACHE_MIB DATADIR [SHAPE]
 * Loads the synthetic COINS-coin snapshot (engine-fixture.ts) into a fresh DATADIR with ChainstateManager
 * at the given -dbcache and prints one JSON line: coins/s of loadSnapshot, peak RSS against the budget.
 * The loaded DATADIR is left in place (the dump benchmark reads it); the caller removes it.
 */
import { readFileSync } from 'node:fs';
import { ChainstateManager } from '../../src/chain/chainstate-manager.js';
import { fixtureParams, rssMB, shapeHeaders, shapeSnapshot, type Shape } from './engine-fixture.js';

export interface LoadResult {
  coins: number;
  seconds: number;
  coinsPerSec: number;
  dbcacheMB: number;
  peakRssMB: number;
  rssBeforeMB: number;
  /** Peak RSS minus the cache budget. */
  overBudgetMB: number;
  closeSeconds: number;
  /** Linux: anonymous and file-backed (mmapped tables) resident memory right after the load. */
  rssAnonMB?: number;
  rssFileMB?: number;
}

async function load(coins: number, dbcacheMiB: number, datadir: string, shape: Shape): Promise<LoadResult> {
  const f = await shapeSnapshot(shape, coins);
  const params = fixtureParams(f);
  const m = await ChainstateManager.open({ datadir, params, dbcache: dbcacheMiB * 1024 * 1024, background: 'in-process', now: () => 2_000_000_000 });
  for (const h of shapeHeaders(shape)) m.processHeader(h);
  const rssBefore = rssMB();
  const t = performance.now();
  const r = await m.loadSnapshot(f.file);
  const seconds = (performance.now() - t) / 1000;
  const peak = rssMB();
  const split = rssSplit();
  const t2 = performance.now();
  await m.close();
  const closeSeconds = (performance.now() - t2) / 1000;
  if (r.coinsLoaded !== f.coins) throw new Error(`loaded ${r.coinsLoaded} coins, expected ${f.coins}`);
  const dbcacheMB = (dbcacheMiB * 1024 * 1024) / 1e6;
  return { coins: r.coinsLoaded, seconds, coinsPerSec: r.coinsLoaded / seconds, dbcacheMB, peakRssMB: peak, rssBeforeMB: rssBefore, overBudgetMB: peak - dbcacheMB, closeSeconds, ...split };
}

function rssSplit(): { rssAnonMB?: number; rssFileMB?: number } {
  try {
    const s = readFileSync('/proc/self/status', 'utf8');
    const kb = (k: string) => Number(new RegExp(`${k}:\\s+(\\d+)`).exec(s)?.[1] ?? NaN) / 1024;
    return { rssAnonMB: kb('RssAnon'), rssFileMB: kb('RssFile') };
  } catch {
    return {};
  }
}

if (process.argv[1]?.endsWith('engine-load.bench.js')) {
  const [coins, cache, datadir, shape = 'mainnet-like'] = process.argv.slice(2);
  if (!datadir) {
    process.stderr.write('usage: engine-load.bench.js COINS DBCACHE_MIB DATADIR [mainnet-like|many-output]\n');
    process.exit(2);
  }
  process.stdout.write(`${JSON.stringify(await load(Number(coins), Number(cache), datadir, shape as Shape))}\n`);
}
