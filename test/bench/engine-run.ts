/**
 * The engine benchmarks (run.ts calls benchEngine after its own; `BENCH_ENGINE=0` skips them), each
 * measurement in its own child process, on two shapes of UTXO set (issue 13): the mainnet-like synthetic set
 * (BENCH_COINS coins) and the many-output set (BENCH_MANY_COINS coins in transactions of 24,000 outputs),
 * each figure beside Core's on the same shape (CORE_FIGURES):
 *   load   loadSnapshot at -dbcache 450 MiB (and 4 GiB for the mainnet-like set)
 *   dump   dumptxoutset 'latest' of the set loaded at 450 MiB, just after the load and once settled
 *   hash   hash_serialized_3 and MuHash read from the loaded chainstate (chainsnap chainstate stats), each the
 *          best of BENCH_HASH_RUNS runs (default 3), every run listed
 *   bg     background validation of a rich regtest chain (real signed spends), in-process and, when the
 *          build has a worker runner, in a worker thread; each with every script checked (-assumevalid=0)
 *          and with scripts skipped (assumevalid at the base), side by side
 * Also runnable alone: node dist/test/bench/engine-run.js. Rich chain size: BENCH_RICH="blocks,txsPerBlock,
 * fanoutTxsPerBlock,outputsPerTx" (default 400,150,2,100: ~90,000 signed inputs; built once, ~2 min).
 */
import { execFileSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { workerRunnerExists, type ScriptMode } from './engine-background.bench.js';
import { BENCH_DIR, richFixture, shapeSnapshot } from './engine-fixture.js';

const here = path.dirname(fileURLToPath(import.meta.url));
type Json = Record<string, number | string | boolean>;

function child(script: string, ...args: string[]): Json {
  const out = execFileSync(process.execPath, [path.join(here, script), ...args], { encoding: 'utf8', maxBuffer: 1 << 20, stdio: ['ignore', 'pipe', 'inherit'] });
  return JSON.parse(out.trim().split('\n').pop()!) as Json;
}

const fmt = (n: unknown, digits = 0) => (typeof n === 'number' ? n.toLocaleString('en-US', { maximumFractionDigits: digits }) : String(n));

/**
 * Bitcoin Core v30.99 (Release, built from source) on the same files, on a 2-core machine of this class,
 * as issue 13 reports them (coins/s; peak RSS in MB): the figures each shape's rows are set against.
 */
export const CORE_FIGURES = {
  'mainnet-like': { load: 253_000, loadRss: 773, dumpAfterLoad: 1_210_000, hash: 1_320_000, muhash: 310_000 },
  'many-output': { load: 347_000, loadRss: 740, dumpAfterLoad: 847_000, hash: 2_440_000, muhash: 335_000 },
} as const;

/**
 * Runs of each read-only hash row (the same directory each time), the fastest reported beside Core's figure
 * with every run listed: this virtual machine has slow spells of 20-40% that last seconds to minutes (the same
 * run's CPU time per coin swings with them), and Core's figures were taken outside one.
 */
const HASH_RUNS = Number(process.env.BENCH_HASH_RUNS ?? 5);
/** The same for the MuHash rows, which take four times as long. */
const MUHASH_RUNS = Number(process.env.BENCH_MUHASH_RUNS ?? 3);

function bestOf(n: number, run: () => Json): { best: Json; all: Json[]; runs: string } {
  const all = Array.from({ length: Math.max(1, n) }, run);
  const best = all.reduce((a, b) => (Number(b.coinsPerSec) > Number(a.coinsPerSec) ? b : a));
  return { best, all, runs: `best of ${all.length} runs (${all.map((r) => fmt(r.coinsPerSec)).join(', ')} coins/s)` };
}

const ratio = (ours: unknown, core: number) => `${(Number(ours) / core).toFixed(2)}x Core (${fmt(core)})`;

export async function benchEngine(coins = Number(process.env.BENCH_COINS ?? 5_000_000)): Promise<void> {
  const manyCoins = Number(process.env.BENCH_MANY_COINS ?? 5_000_211);
  const row = (what: string, figure: string, goal: string, detail: string) => console.log(`${what.padEnd(28)}${figure.padEnd(24)}${goal.padEnd(28)}${detail}`);
  for (const shape of ['mainnet-like', 'many-output'] as const) {
    const n = shape === 'many-output' ? manyCoins : coins;
    const f = await shapeSnapshot(shape, n);
    const core = CORE_FIGURES[shape];
    console.log(`\nengine benchmarks, ${shape} shape: ${fmt(f.coins)}-coin snapshot (${fmt(f.bytes / 1e6, 1)} MB, base height ${f.height}) at ${f.file}`);
    console.log('what                        figure                  against Core                detail');
    const datadir = path.join(BENCH_DIR, `engine-datadir-${shape}`);
    // The 450 MiB load is the one the dump and hash rows read; the 4 GiB one has its own directory.
    for (const mib of shape === 'mainnet-like' ? [450, 4096] : [450]) {
      const dir = mib === 450 ? datadir : `${datadir}-4g`;
      rmSync(dir, { recursive: true, force: true });
      const r = child('engine-load.bench.js', String(n), String(mib), dir, shape);
      if (mib !== 450) rmSync(dir, { recursive: true, force: true });
      const budget = Number(r.dbcacheMB);
      row(
        `load, dbcache ${mib === 450 ? '450 MiB' : '4 GiB'}`,
        `${fmt(r.coinsPerSec)} coins/s`,
        mib === 450 ? ratio(r.coinsPerSec, core.load) : '(Core 479,000)',
        `${fmt(r.seconds, 2)} s; peak RSS ${fmt(r.peakRssMB)} MB` + (mib === 450 ? ` (Core ${core.loadRss} MB)` : '') + ` vs budget ${fmt(budget)} MB` +
          (r.rssAnonMB !== undefined ? ` (after load: anon ${fmt(r.rssAnonMB)} MB, file ${fmt(r.rssFileMB)} MB)` : ''),
      );
    }
    // First right after the load (LevelDB still compacting it, as Core's figure was taken), then settled.
    const out = path.join(BENCH_DIR, 'engine-dump.dat');
    const race = child('engine-dump.bench.js', String(n), datadir, out, 'now', shape);
    row('dump, just after load', `${fmt(race.coinsPerSec)} coins/s`, ratio(race.coinsPerSec, core.dumpAfterLoad), `${fmt(race.seconds, 2)} s; CPU ${fmt(race.cpuSeconds, 2)} s (main thread ${fmt(race.mainCpuSeconds, 2)} s); peak RSS ${fmt(race.peakRssMB)} MB; hash ${race.hashMatches ? 'matches' : 'MISMATCH'}`);
    const d = child('engine-dump.bench.js', String(n), datadir, out, 'settled', shape);
    row('dump latest, settled', `${fmt(d.coinsPerSec)} coins/s`, '', `${fmt(d.seconds, 2)} s after ${fmt(d.settleSeconds, 1)} s of LevelDB compaction; peak RSS ${fmt(d.peakRssMB)} MB; hash ${d.hashMatches ? 'matches' : 'MISMATCH'}`);
    const csDir = path.join(datadir, 'chainstate_snapshot');
    const h = bestOf(HASH_RUNS, () => child('chainstate-stats.bench.js', csDir));
    row('hash from the chainstate', `${fmt(h.best.coinsPerSec)} coins/s`, ratio(h.best.coinsPerSec, core.hash), `${fmt(h.best.seconds, 2)} s (CPU ${fmt(h.best.cpuSeconds, 2)} s, main thread ${fmt(h.best.mainThreadCpuSeconds, 2)} s); ${h.runs}; hash ${h.all.every((r) => r.hash === f.hashSerialized3) ? 'matches' : 'MISMATCH'}`);
    const mu = bestOf(MUHASH_RUNS, () => child('chainstate-stats.bench.js', csDir, 'muhash'));
    const muhashes = new Set(mu.all.map((r) => r.muhash));
    row('muhash from the chainstate', `${fmt(mu.best.coinsPerSec)} coins/s`, ratio(mu.best.coinsPerSec, core.muhash), `${fmt(mu.best.seconds, 2)} s (CPU ${fmt(mu.best.cpuSeconds, 2)} s, main thread ${fmt(mu.best.mainThreadCpuSeconds, 2)} s); ${mu.runs}; ${muhashes.size === 1 ? 'the same MuHash each run' : 'MuHash DIFFERS between runs'}`);
    rmSync(datadir, { recursive: true, force: true });
  }

  const [blocks, txs, fanouts, outputs] = (process.env.BENCH_RICH ?? '400,150,2,100').split(',').map(Number);
  const rich = await richFixture({ blocks, txsPerBlock: txs, fanoutTxsPerBlock: fanouts, outputsPerTx: outputs });
  const modes = workerRunnerExists() ? (['in-process', 'worker'] as const) : (['in-process'] as const);
  for (const mode of modes) {
    // The same chain with its scripts checked (-assumevalid=0) and skipped (assumevalid at the base), side by side.
    const r: Partial<Record<ScriptMode, Json>> = {};
    for (const scripts of ['scripts', 'no-scripts'] as const) {
      const bg = path.join(BENCH_DIR, 'engine-bg');
      rmSync(bg, { recursive: true, force: true });
      r[scripts] = child('engine-background.bench.js', mode, String(blocks), String(txs), String(fanouts), String(outputs), bg, scripts);
      rmSync(bg, { recursive: true, force: true });
    }
    const on = r.scripts!;
    const off = r['no-scripts']!;
    row(
      `background ${mode}`,
      `${fmt(on.blocksPerSec, 1)} / ${fmt(off.blocksPerSec, 1)} blocks/s`,
      'with / without scripts',
      `${fmt(on.inputsPerSec)} / ${fmt(off.inputsPerSec)} inputs/s; ${fmt(rich.blocks)} blocks, ${fmt(rich.transactions)} txs, ${fmt(rich.inputs)} inputs connected in ${fmt(on.connectSeconds, 2)} / ${fmt(off.connectSeconds, 2)} s; validated in ${fmt(on.totalSeconds, 2)} / ${fmt(off.totalSeconds, 2)} s (${on.validity} / ${off.validity})`,
    );
  }
  if (!workerRunnerExists()) row('background worker', 'n/a', '', "no worker runner in this build (background: 'worker' runs in-process)");
}

if (process.argv[1]?.endsWith('engine-run.js')) await benchEngine();
