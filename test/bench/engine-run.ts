/**
 * The engine benchmarks (run.ts calls benchEngine after its own; `BENCH_ENGINE=0` skips them), each
 * measurement in its own child process:
 *   load   loadSnapshot of the synthetic BENCH_COINS-coin snapshot at -dbcache 450 MiB and 4 GiB
 *   dump   dumptxoutset 'latest' of the set loaded at 450 MiB
 *   bg     background validation of a rich regtest chain (real signed spends), in-process and, when the
 *          build has a worker runner, in a worker thread
 * Also runnable alone: node dist/test/bench/engine-run.js. Rich chain size: BENCH_RICH="blocks,txsPerBlock,
 * fanoutTxsPerBlock,outputsPerTx" (default 400,150,2,100: ~90,000 signed inputs; built once, ~2 min).
 */
import { execFileSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { workerRunnerExists } from './engine-background.bench.js';
import { BENCH_DIR, richFixture, syntheticSnapshot } from './engine-fixture.js';

const here = path.dirname(fileURLToPath(import.meta.url));
type Json = Record<string, number | string | boolean>;

function child(script: string, ...args: string[]): Json {
  const out = execFileSync(process.execPath, [path.join(here, script), ...args], { encoding: 'utf8', maxBuffer: 1 << 20, stdio: ['ignore', 'pipe', 'inherit'] });
  return JSON.parse(out.trim().split('\n').pop()!) as Json;
}

const fmt = (n: unknown, digits = 0) => (typeof n === 'number' ? n.toLocaleString('en-US', { maximumFractionDigits: digits }) : String(n));

export async function benchEngine(coins = Number(process.env.BENCH_COINS ?? 5_000_000)): Promise<void> {
  const f = await syntheticSnapshot(coins);
  console.log(`\nengine benchmarks: ${fmt(f.coins)}-coin synthetic snapshot (${fmt(f.bytes / 1e6, 1)} MB, base height ${f.height}) at ${f.file}`);
  console.log('what                     figure                  goal                        detail');
  const row = (what: string, figure: string, goal: string, detail: string) => console.log(`${what.padEnd(25)}${figure.padEnd(24)}${goal.padEnd(28)}${detail}`);
  const datadir = path.join(BENCH_DIR, 'engine-datadir');
  let dumpDir: string | undefined;
  for (const mib of [450, 4096]) {
    rmSync(datadir, { recursive: true, force: true });
    const r = child('engine-load.bench.js', String(coins), String(mib), datadir);
    const budget = Number(r.dbcacheMB);
    row(
      `load, dbcache ${mib === 450 ? '450 MiB' : '4 GiB'}`,
      `${fmt(r.coinsPerSec)} coins/s`,
      mib === 450 ? '>= 520,000 (Core 431k)' : '(Core 479,000)',
      `${fmt(r.seconds, 2)} s; peak RSS ${fmt(r.peakRssMB)} MB vs budget ${fmt(budget)} MB + 300 ${Number(r.peakRssMB) <= budget + 300 ? 'ok' : 'OVER'}` +
        (r.rssAnonMB !== undefined ? ` (after load: anon ${fmt(r.rssAnonMB)} MB, file ${fmt(r.rssFileMB)} MB)` : ''),
    );
    if (mib === 450) {
      dumpDir = path.join(BENCH_DIR, 'engine-datadir-450');
      rmSync(dumpDir, { recursive: true, force: true });
      execFileSync('mv', [datadir, dumpDir]);
    }
  }
  rmSync(datadir, { recursive: true, force: true });
  // First right after the load (LevelDB still compacting it), then once the database has settled.
  const race = child('engine-dump.bench.js', String(coins), dumpDir!, path.join(BENCH_DIR, 'engine-dump.dat'));
  const d = child('engine-dump.bench.js', String(coins), dumpDir!, path.join(BENCH_DIR, 'engine-dump.dat'), 'settled');
  row('dump latest, settled', `${fmt(d.coinsPerSec)} coins/s`, '>= 1,800,000 (Core 1.48M)', `${fmt(d.seconds, 2)} s after ${fmt(d.settleSeconds, 1)} s of LevelDB compaction; peak RSS ${fmt(d.peakRssMB)} MB; hash ${d.hashMatches ? 'matches' : 'MISMATCH'}`);
  row('dump, just after load', `${fmt(race.coinsPerSec)} coins/s`, '(LevelDB compacting)', `${fmt(race.seconds, 2)} s; peak RSS ${fmt(race.peakRssMB)} MB; hash ${race.hashMatches ? 'matches' : 'MISMATCH'}`);
  rmSync(dumpDir!, { recursive: true, force: true });

  const [blocks, txs, fanouts, outputs] = (process.env.BENCH_RICH ?? '400,150,2,100').split(',').map(Number);
  const rich = await richFixture({ blocks, txsPerBlock: txs, fanoutTxsPerBlock: fanouts, outputsPerTx: outputs });
  const modes = workerRunnerExists() ? (['in-process', 'worker'] as const) : (['in-process'] as const);
  for (const mode of modes) {
    const bg = path.join(BENCH_DIR, 'engine-bg');
    rmSync(bg, { recursive: true, force: true });
    const r = child('engine-background.bench.js', mode, String(blocks), String(txs), String(fanouts), String(outputs), bg);
    rmSync(bg, { recursive: true, force: true });
    row(
      `background ${mode}`,
      `${fmt(r.blocksPerSec, 1)} blocks/s`,
      '(no goal set)',
      `${fmt(r.inputsPerSec)} inputs/s; ${fmt(rich.blocks)} blocks, ${fmt(rich.transactions)} txs, ${fmt(rich.inputs)} inputs in ${fmt(r.connectSeconds, 2)} s; validated in ${fmt(r.totalSeconds, 2)} s (${r.validity})`,
    );
  }
  if (!workerRunnerExists()) row('background worker', 'n/a', '', "no worker runner in this build (background: 'worker' runs in-process)");
  console.log('scripts are not executed yet (assumed valid), so background figures exclude signature checks');
}

if (process.argv[1]?.endsWith('engine-run.js')) await benchEngine();
