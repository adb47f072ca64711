/**
 * hash_serialized_3 or MuHash of a chainstate directory, as `chainsnap chainstate stats --hash-type`
 * computes it (child process, one JSON line):
 *   node chainstate-stats.bench.js DIR [muhash]
 * The figure to set beside Core's gettxoutsetinfo on the same set, with the CPU time of the process and of
 * its main thread (the rest is LevelDB's compaction and V8's helpers). BENCH_SCAN_THREADS=N reads the
 * database on N worker threads (default 0: on the main thread).
 */
import { readFileSync } from 'node:fs';
import { CoinsDB } from '../../src/coins/coins-db.js';
import { computeChainstateStats } from '../../src/coins/coins-stats.js';
import { hashToHex } from '../../src/primitives/hash.js';
import { rssMB } from './engine-fixture.js';

const [dir, mode] = process.argv.slice(2);
if (!dir || (mode !== undefined && mode !== 'muhash')) {
  process.stderr.write('usage: chainstate-stats.bench.js DIR [muhash]\n');
  process.exit(2);
}
const t = performance.now();
const cpu = process.cpuUsage();
const db = await CoinsDB.open(dir, { readOnly: true });
const scan = process.env.BENCH_SCAN_THREADS;
// muhash: MuHash alone, as Core's gettxoutsetinfo computes it for hash_type muhash (the figure beside it).
const s = await computeChainstateStats(db, { muhash: mode === 'muhash', hashSerialized3: mode !== 'muhash', ...(scan === undefined ? {} : { scanThreads: Number(scan) }) });
await db.close();
const seconds = (performance.now() - t) / 1000;
const used = process.cpuUsage(cpu);
const mainCpu = mainThreadCpuSeconds();
process.stdout.write(
  `${JSON.stringify({ coins: s.txouts, seconds, coinsPerSec: s.txouts / seconds, cpuSeconds: (used.user + used.system) / 1e6, ...(mainCpu === undefined ? {} : { mainThreadCpuSeconds: mainCpu }), ...(s.hashSerialized3 ? { hash: hashToHex(s.hashSerialized3) } : {}), ...(s.muhash ? { muhash: hashToHex(s.muhash) } : {}), peakRssMB: rssMB() })}\n`,
);

/** This thread's CPU time since the process started (Linux; clock ticks of 10 ms), apart from LevelDB's and V8's threads. */
function mainThreadCpuSeconds(): number | undefined {
  try {
    const fields = readFileSync(`/proc/self/task/${process.pid}/stat`, 'latin1').split(') ')[1]!.split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return undefined;
  }
}
