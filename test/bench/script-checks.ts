/**
 * Script checks on real mainnet blocks through the check queue: inputs/s for blocks 866342 (7,972 mixed
 * inputs) and 367891 (20,817 legacy inputs) with 1 thread (inline, -par=1) and 2 threads (one worker plus
 * the calling thread, -par=2), measured in the same run, one block each in turn, beside a control that shows
 * what this (virtual) machine's two cores give two threads in the same minutes: in its slow spells two
 * independent threads ran at x1.4–1.5 of one. Run alone: `node dist/test/bench/script-checks.js`.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { CheckQueue } from '../../src/chain/check-queue.js';
import { checkBlock, loadBlock, WARM_UP_BLOCKS } from './script-check-block.js';

export interface ScriptCheckFigure {
  height: number;
  inputs: number;
  threads: number;
  /** Timed blocks, taking turns with the other thread counts. */
  rounds: number;
  /** Best of the rounds. */
  seconds: number;
  inputsPerSec: number;
  /** CPU seconds of the whole process (all threads) per block, mean of the rounds: overhead shows here even on a busy machine. */
  cpuSeconds: number;
  /** CPU seconds per block of the calling thread and of the busiest other thread (the worker), mean of the rounds (Linux; else 0). */
  callerCpuSeconds: number;
  workerCpuSeconds: number;
  /**
   * On a 2-thread figure: the best time of the control, the same block checked inline by the calling thread
   * and by an independent worker thread at once (no queue, nothing shared). 2 × one thread's time over this is
   * the speedup this machine's cores gave two threads in those minutes: the ceiling for the queue's.
   */
  twinSeconds?: number;
}

/** CPU nanoseconds so far of each thread of this process, by thread id (empty where /proc is absent). */
function threadCpu(): Map<number, number> {
  const out = new Map<number, number>();
  try {
    for (const t of readdirSync('/proc/self/task')) out.set(Number(t), Number(readFileSync(`/proc/self/task/${t}/schedstat`, 'utf8').split(' ')[0]));
  } catch {
    // Not Linux, or a thread that ended while listed.
  }
  return out;
}

/** Timed rounds per configuration: at least this many, and enough for about ROUND_SECONDS of a block each. */
const MIN_ROUNDS = 5;
const MAX_ROUNDS = 25;
const ROUND_SECONDS = 2;

interface Tally {
  best: number;
  processCpu: number;
  caller: number;
  worker: number;
}

/** A worker that checks the block inline when asked (inline-twin-worker.ts), warmed up. */
async function startTwin(height: number): Promise<{ check(): Promise<void>; stop(): Promise<number> }> {
  const worker = new Worker(new URL('./inline-twin-worker.js', import.meta.url), { workerData: { height } });
  const next = () =>
    new Promise<void>((resolve, reject) => {
      const fail = (e: Error) => reject(e);
      worker.once('error', fail);
      worker.once('message', () => {
        worker.off('error', fail);
        resolve();
      });
    });
  await next();
  return {
    check() {
      const done = next();
      worker.postMessage('check');
      return done;
    },
    stop: () => worker.terminate(),
  };
}

/**
 * inputs/s per block and thread count; empty when the vectors are absent. The thread counts take turns, one
 * block each, so that a slow spell of this (virtual) machine falls on all of them alike rather than on
 * whichever ran second; each figure is the best of its rounds, CPU figures their mean. With 1 and 2 threads,
 * the rounds also time the two-thread control (see `twinSeconds`).
 */
export async function benchScriptChecks(opts: { rounds?: number; threads?: number[]; heights?: number[] } = {}): Promise<ScriptCheckFigure[]> {
  const figures: ScriptCheckFigure[] = [];
  for (const height of opts.heights ?? [866342, 367891]) {
    const b = loadBlock(height);
    if (!b) continue;
    const inputs = b.spent.reduce((n, s) => n + s.length, 0);
    const counts = opts.threads ?? [1, 2];
    const queues = counts.map((threads) => new CheckQueue({ workers: threads - 1 }));
    const inline = counts.indexOf(1);
    const twin = inline >= 0 && counts.includes(2) ? await startTwin(height) : undefined;
    let twinBest = Infinity;
    try {
      let warmSeconds = Infinity;
      for (const queue of queues) {
        for (let w = 0; w < WARM_UP_BLOCKS; w++) {
          const t0 = performance.now();
          await checkBlock(queue, b);
          warmSeconds = Math.min(warmSeconds, (performance.now() - t0) / 1000);
        }
      }
      const rounds = opts.rounds ?? Math.min(MAX_ROUNDS, Math.max(MIN_ROUNDS, Math.ceil(ROUND_SECONDS / warmSeconds)));
      const tallies: Tally[] = counts.map(() => ({ best: Infinity, processCpu: 0, caller: 0, worker: 0 }));
      for (let r = 0; r < rounds; r++) {
        for (let q = 0; q < queues.length; q++) {
          const t = tallies[q]!;
          const before = threadCpu();
          const c0 = process.cpuUsage();
          const t0 = performance.now();
          await checkBlock(queues[q]!, b);
          t.best = Math.min(t.best, (performance.now() - t0) / 1000);
          const c = process.cpuUsage(c0);
          t.processCpu += (c.user + c.system) / 1e6;
          let worker = 0;
          for (const [tid, ns] of threadCpu()) {
            const seconds = (ns - (before.get(tid) ?? 0)) / 1e9;
            if (tid === process.pid) t.caller += seconds;
            else worker = Math.max(worker, seconds);
          }
          t.worker += worker;
        }
        if (twin) {
          const t0 = performance.now();
          await Promise.all([twin.check(), checkBlock(queues[inline]!, b)]);
          twinBest = Math.min(twinBest, (performance.now() - t0) / 1000);
        }
      }
      counts.forEach((threads, q) => {
        const t = tallies[q]!;
        figures.push({ height, inputs, threads, rounds, seconds: t.best, inputsPerSec: inputs / t.best, cpuSeconds: t.processCpu / rounds, callerCpuSeconds: t.caller / rounds, workerCpuSeconds: threads > 1 ? t.worker / rounds : 0, ...(threads === 2 && twin ? { twinSeconds: twinBest } : {}) });
      });
    } finally {
      for (const queue of queues) await queue.close();
      await twin?.stop();
    }
  }
  return figures;
}

const ms = (seconds: number) => (seconds * 1000).toFixed(1);

export function formatScriptCheckFigures(figures: ScriptCheckFigure[]): string[] {
  const lines = figures.map(
    (f) =>
      `script checks  block ${f.height}: ${Math.round(f.inputsPerSec).toLocaleString('en-US')} inputs/s with ${f.threads} thread${f.threads > 1 ? 's' : ''} (${f.inputs.toLocaleString('en-US')} inputs in ${(f.seconds * 1000).toFixed(1)} ms, best of ${f.rounds} rounds taking turns with the other thread count; CPU per block ${ms(f.cpuSeconds)} ms: caller ${ms(f.callerCpuSeconds)}${f.threads > 1 ? `, worker ${ms(f.workerCpuSeconds)}` : ''})`,
  );
  for (const f of figures) {
    const one = figures.find((g) => g.height === f.height && g.threads === 1);
    if (!one || f.threads !== 2) continue;
    const critical = Math.max(f.callerCpuSeconds, f.workerCpuSeconds);
    const ceiling = f.twinSeconds ? `; this machine's ceiling in the same rounds x${((2 * one.seconds) / f.twinSeconds).toFixed(2)} (two threads checking the block independently at once, best ${ms(f.twinSeconds)} ms)` : '';
    lines.push(
      `script checks  block ${f.height}: second thread x${(f.inputsPerSec / one.inputsPerSec).toFixed(2)} (same run; goal >= 1.8)${ceiling}; CPU x${(f.cpuSeconds / one.cpuSeconds).toFixed(2)} of one thread's, busiest thread x${(critical / one.callerCpuSeconds).toFixed(2)} (ideal 1.00 and 0.50)`,
    );
  }
  return lines;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const figures = await benchScriptChecks();
  if (figures.length === 0) console.log('script checks  skipped: ../shared/vectors/mainnet not found');
  for (const line of formatScriptCheckFigures(figures)) console.log(line);
}
