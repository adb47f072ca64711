/**
 * The coin records of a chainstate database read on worker threads: the key space is cut into ranges on
 * txid boundaries ('C' ‖ a two-byte txid prefix; txids are uniform, so the ranges hold about as many coins
 * each), the workers read ranges side by side from one fixed view of the files (leveldb/scan), and this
 * thread receives each range's records in key order — so a hash over the whole stream, which only one
 * thread can compute, is all that is left here. A worker waits while this thread is more than its credit
 * behind, which bounds the memory held by ranges read ahead of their turn.
 */
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { LevelFormatError } from '../leveldb/coding.js';
import { scanRange, type ScanPlan } from '../leveldb/scan.js';
import { TableCorruption } from '../leveldb/table-cursor.js';
import { CoinsDBError } from './coins-db-error.js';
import type { FromWorker, RangeDone, ToWorker } from './range-records-protocol.js';
import { RecordWriter } from './range-records-writer.js';
import { UtxoCounts } from './utxo-stats.js';

export interface RangeRecordsOptions {
  /** Worker threads (default: one per core); 0 reads on the calling thread. */
  workers?: number;
  /** Ranges the key space is cut into (default: one per RANGE_BYTES of tables, at least 4 per worker). */
  ranges?: number;
  /** Bytes of records per batch (default 512 KiB; 1 MiB on the calling thread). */
  batchBytes?: number;
  /** Bytes one worker may have posted ahead of consumption (default 8 MiB). */
  creditBytes?: number;
}

export interface RangeRecordsResult {
  bestBlock: Uint8Array | undefined;
  coins: number;
  /** gettxoutsetinfo's counts, taken on the workers. */
  counts: UtxoCounts;
}

/**
 * Receives the record batches in UTXO-hash order. A batch is valid until the returned promise settles
 * (its memory then goes back to the worker), unless the sink transfers it to another thread to keep.
 */
export type OwnedBatchSink = (batch: Uint8Array) => void | Promise<void>;

/**
 * Bytes of tables per range. A worker that is a range ahead of this thread waits once it is its credit
 * ahead, so ranges well below the credit keep both workers reading; every range costs a seek per level.
 */
const RANGE_BYTES = 2 << 20;

function defaultRanges(plan: ScanPlan, workers: number): number {
  let bytes = 0;
  for (const t of plan.level0) bytes += t.file.size;
  for (const level of plan.levels) for (const t of level) bytes += t.file.size;
  return Math.min(65536, Math.max(4 * workers, Math.ceil(bytes / RANGE_BYTES)));
}

const DB_BEST_BLOCK = 0x42;
const DB_COIN = 0x43;

/** Range i covers [bounds[i], bounds[i + 1]): from 'B' (the best block) up to 'D' (past every coin). */
export function rangeBounds(ranges: number): Uint8Array[] {
  const bounds = [Uint8Array.of(DB_BEST_BLOCK)];
  for (let i = 1; i < ranges; i++) {
    const p = Math.floor((i * 65536) / ranges);
    bounds.push(Uint8Array.of(DB_COIN, p >> 8, p & 0xff));
  }
  bounds.push(Uint8Array.of(DB_COIN + 1));
  return bounds;
}

/**
 * Reads every coin of `plan` on worker threads and hands the record batches to `sink` in order. Errors
 * of the workers come back as the classes scan and CoinsDB throw (LevelFormatError, TableCorruption,
 * CoinsDBError).
 */
export async function readRecordsInRanges(
  plan: ScanPlan,
  obfuscationKey: Uint8Array,
  dir: string,
  sink: OwnedBatchSink,
  opts: RangeRecordsOptions = {},
): Promise<RangeRecordsResult> {
  if (opts.workers === 0) return readRecordsHere(plan, obfuscationKey, dir, sink, opts.batchBytes ?? 1 << 20);
  const nWorkers = Math.max(1, opts.workers ?? availableParallelism());
  const creditBytes = opts.creditBytes ?? 8 << 20;
  const ranges = Math.max(1, opts.ranges ?? defaultRanges(plan, nWorkers));
  const bounds = rangeBounds(ranges);
  const url = new URL('./range-records-worker.js', import.meta.url);
  const workers: Worker[] = [];
  const queued: Uint8Array[][] = Array.from({ length: ranges }, () => []);
  const done: (RangeDone | undefined)[] = new Array(ranges);
  const owner: number[] = new Array(ranges);
  let nextRange = 0;
  let failure: Error | undefined;
  let wake: (() => void) | undefined;
  const notify = () => {
    const w = wake;
    wake = undefined;
    w?.();
  };
  const assign = (w: number) => {
    if (nextRange >= ranges) return;
    const index = nextRange++;
    owner[index] = w;
    const msg: ToWorker = { type: 'range', index, lower: bounds[index]!, upper: bounds[index + 1]! };
    workers[w]!.postMessage(msg);
  };
  try {
    for (let w = 0; w < nWorkers; w++) {
      const worker = new Worker(url);
      workers.push(worker);
      worker.on('message', (m: FromWorker) => {
        if (m.type === 'batch') queued[m.index]!.push(m.batch);
        else if (m.type === 'done') {
          done[m.index] = m;
          assign(w);
        } else failure ??= workerError(m.name, m.message);
        notify();
      });
      worker.on('error', (e) => {
        failure ??= e;
        notify();
      });
      const init: ToWorker = { type: 'init', plan: { level0: plan.level0, levels: plan.levels, logBatches: plan.logBatches }, obfuscationKey, dir, batchBytes: opts.batchBytes ?? 512 << 10, creditBytes };
      worker.postMessage(init);
      assign(w);
    }
    const counts = new UtxoCounts();
    let coins = 0;
    let bestBlock: Uint8Array | undefined;
    for (let cur = 0; cur < ranges; ) {
      if (failure) throw failure;
      const batch = queued[cur]!.shift();
      if (batch) {
        const bytes = batch.length;
        const r = sink(batch);
        if (r) await r;
        // The memory goes back to the worker unless the sink transferred it away.
        const buffer = batch.buffer as ArrayBuffer;
        const credit: ToWorker = buffer.byteLength > 0 ? { type: 'credit', bytes, buffer } : { type: 'credit', bytes };
        workers[owner[cur]!]!.postMessage(credit, credit.buffer ? [credit.buffer] : []);
        continue;
      }
      const d = done[cur];
      if (d) {
        counts.addCounts(d);
        coins += d.coins;
        bestBlock ??= d.bestBlock;
        cur++;
        continue;
      }
      await new Promise<void>((res) => (wake = res));
    }
    return { bestBlock, coins, counts };
  } finally {
    await Promise.all(workers.map((w) => w.terminate()));
  }
}

/**
 * The whole key space on this thread, in one pass (RecordWriter): no messages, no second walk over the
 * records for the counts. A batch is the writer's memory, reused once the sink's promise settles.
 */
async function readRecordsHere(plan: ScanPlan, obfuscationKey: Uint8Array, dir: string, sink: OwnedBatchSink, batchBytes: number): Promise<RangeRecordsResult> {
  const writer = new RecordWriter((buf, length) => sink(buf.subarray(0, length)), batchBytes, obfuscationKey, dir);
  const [lower, upper] = rangeBounds(1) as [Uint8Array, Uint8Array];
  await scanRange(plan, (k, kl, v, vo, vl) => writer.entry(k, kl, v, vo, vl), { lower, upper });
  await writer.finish();
  return { bestBlock: writer.bestBlock, coins: writer.coins, counts: writer.counts };
}

function workerError(name: string, message: string): Error {
  if (name === 'LevelFormatError') return new LevelFormatError(message);
  if (name === 'TableCorruption') return new TableCorruption(message);
  if (name === 'CoinsDBError') return new CoinsDBError(message);
  return new Error(message);
}
