/**
 * dumptxoutset benchmark (child process):
 *   node engine-dump.bench.js COINS DATADIR OUTFILE [settled|now] [SHAPE]
 * Opens DATADIR (where engine-load.bench.js loaded the synthetic COINS-coin snapshot), runs
 * dumptxoutset 'latest' into OUTFILE and prints one JSON line; the dump must reproduce the snapshot's
 * coin count and hash_serialized_3.
 *
 * Right after a snapshot load LevelDB is still compacting the loaded tables (the load outruns its
 * compactions; they resume when the database is next opened), which takes the same two cores the dump
 * uses. With `settled` the clock starts only once the chainstate directory has stopped changing, which
 * is the state of a node that has been running for a while; without it, the dump races the compaction.
 */
import { existsSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import path from 'node:path';
import { ChainstateManager } from '../../src/chain/chainstate-manager.js';
import { fixtureParams, rssMB, shapeHeaders, shapeSnapshot, type Shape } from './engine-fixture.js';

export interface DumpBenchResult {
  coins: number;
  seconds: number;
  coinsPerSec: number;
  peakRssMB: number;
  hashMatches: boolean;
  /** How long LevelDB kept compacting after the open, before the clock started (settled runs). */
  settleSeconds: number;
  /** CPU time of the dump: the whole process (all threads: LevelDB's compactions too), and this thread. */
  cpuSeconds: number;
  mainCpuSeconds?: number;
}

/** CPU seconds of this process's main thread so far (Linux), from /proc. */
function mainThreadCpu(): number | undefined {
  try {
    const stat = readFileSync(`/proc/self/task/${process.pid}/stat`, 'latin1');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(f[11]) + Number(f[12])) / 100;
  } catch {
    return undefined;
  }
}

/** Waits until no file of `dir` has been created, removed or resized for `quietMs`. */
async function settle(dir: string, quietMs = 2000): Promise<number> {
  const t0 = performance.now();
  const snapshot = () => readdirSync(dir).map((f) => `${f}:${statSync(path.join(dir, f)).size}`).join(',');
  let last = snapshot();
  let since = performance.now();
  while (performance.now() - since < quietMs) {
    await new Promise((r) => setTimeout(r, 100));
    const now = snapshot();
    if (now !== last) {
      last = now;
      since = performance.now();
    }
  }
  return (performance.now() - t0 - quietMs) / 1000;
}

async function dump(coins: number, datadir: string, out: string, settled: boolean, shape: Shape): Promise<DumpBenchResult> {
  const f = await shapeSnapshot(shape, coins);
  const m = await ChainstateManager.open({ datadir, params: fixtureParams(f), background: 'in-process', now: () => 2_000_000_000 });
  // The block index persisted the headers at load time; re-feeding them is a no-op if so.
  for (const h of shapeHeaders(shape)) m.processHeader(h);
  rmSync(out, { force: true });
  const settleSeconds = settled ? await settle(path.join(datadir, existsSync(path.join(datadir, 'chainstate_snapshot')) ? 'chainstate_snapshot' : 'chainstate')) : 0;
  const t = performance.now();
  const cpu0 = process.cpuUsage();
  const main0 = mainThreadCpu();
  const r = await m.dumpTxoutSet(out, 'latest');
  const seconds = (performance.now() - t) / 1000;
  const cpu = process.cpuUsage(cpu0);
  const main1 = mainThreadCpu();
  await m.close();
  rmSync(out, { force: true });
  return { coins: r.coins_written, seconds, coinsPerSec: r.coins_written / seconds, peakRssMB: rssMB(), hashMatches: r.txoutset_hash === f.hashSerialized3 && r.coins_written === f.coins, settleSeconds,
    cpuSeconds: (cpu.user + cpu.system) / 1e6, mainCpuSeconds: main0 === undefined || main1 === undefined ? undefined : main1 - main0 };
}

if (process.argv[1]?.endsWith('engine-dump.bench.js')) {
  const [coins, datadir, out, mode = 'now', shape = 'mainnet-like'] = process.argv.slice(2);
  if (!out || (mode !== 'now' && mode !== 'settled')) {
    process.stderr.write('usage: engine-dump.bench.js COINS DATADIR OUTFILE [settled|now] [mainnet-like|many-output]\n');
    process.exit(2);
  }
  process.stdout.write(`${JSON.stringify(await dump(Number(coins), datadir, out, mode === 'settled', shape as Shape))}\n`);
}
