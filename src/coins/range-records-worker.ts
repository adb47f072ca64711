/**
 * Worker side of the parallel record scan (see range-records.ts): reads the key ranges it is given from
 * the view in its init message and posts their coin records, with the range's counts at the end. It
 * stops posting while the caller is more than its credit behind.
 */
import { parentPort } from 'node:worker_threads';
import { scanRange } from '../leveldb/scan.js';
import { RecordWriter } from './range-records-writer.js';
import type { FromWorker, InitMessage, RangeMessage, ToWorker } from './range-records-protocol.js';

const port = parentPort!;
let init: InitMessage | undefined;
let outstanding = 0;
let resume: (() => void) | undefined;
let queue = Promise.resolve();
/** Batch memory the caller gave back. */
const free: ArrayBuffer[] = [];
/** The last range's writer memory, grown to the largest transaction so far. */
let writerMemory: Uint8Array | undefined;

const post = (m: FromWorker, transfer: ArrayBuffer[] = []) => port.postMessage(m, transfer);

port.on('message', (msg: ToWorker) => {
  if (msg.type === 'init') {
    init = msg;
  } else if (msg.type === 'credit') {
    outstanding -= msg.bytes;
    if (msg.buffer) free.push(msg.buffer);
    if (resume && outstanding <= init!.creditBytes) {
      const r = resume;
      resume = undefined;
      r();
    }
  } else {
    queue = queue.then(() => scanOne(msg)).catch((e: Error) => post({ type: 'error', name: e.name, message: e.message }));
  }
});

async function scanOne(r: RangeMessage): Promise<void> {
  const { plan, obfuscationKey, dir, batchBytes, creditBytes } = init!;
  const writer = new RecordWriter(
    (buf, length) => {
      // A copy in memory of its own, handed over: the writer reuses `buf`.
      const batch = batchMemory(length, batchBytes);
      batch.set(buf.subarray(0, length));
      outstanding += length;
      post({ type: 'batch', index: r.index, batch }, [batch.buffer as ArrayBuffer]);
      if (outstanding > creditBytes) return new Promise<void>((res) => (resume = res));
    },
    batchBytes,
    obfuscationKey,
    dir,
    writerMemory,
  );
  await scanRange(plan, (k, kl, v, vo, vl) => writer.entry(k, kl, v, vo, vl), { lower: r.lower, upper: r.upper });
  await writer.finish();
  writerMemory = writer.memory;
  const counts = writer.counts;
  post({
    type: 'done',
    index: r.index,
    coins: writer.coins,
    txouts: counts.txouts,
    transactions: counts.transactions,
    bogosize: counts.bogosize,
    totalAmount: counts.totalAmount,
    ...(writer.bestBlock ? { bestBlock: writer.bestBlock } : {}),
  });
}

/**
 * `length` bytes of memory given back earlier, or fresh memory when none is large enough. Smaller ones
 * are kept for smaller batches: one many-output transaction's batch must not cost the rest their memory.
 */
function batchMemory(length: number, batchBytes: number): Uint8Array {
  const i = free.findIndex((b) => b.byteLength >= length);
  if (i >= 0) return new Uint8Array(free.splice(i, 1)[0]!, 0, length);
  return new Uint8Array(new ArrayBuffer(Math.max(length, 2 * batchBytes)), 0, length);
}
