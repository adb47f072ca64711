/**
 * Worker side of StreamHashingSink: waits on the ring's PUBLISHED counter, runs SHA-256 over each slot in
 * order (decoding it first when it names a range of the file) and frees it by advancing CONSUMED.
 * Blocking waits are fine here: this thread does nothing else. Posts the digest (32 bytes) and the
 * ranges' totals at the end of the stream, or an error.
 */
import { createHash } from 'node:crypto';
import { parentPort, workerData } from 'node:worker_threads';
import { SnapshotError } from './errors.js';
import {
  BUSY_MICROS,
  CONSUMED,
  END_OF_STREAM,
  LENGTHS,
  PUBLISHED,
  RANGE,
  RANGE_WORDS,
  RANGES_DONE,
  STOP,
  type RangeSource,
  type StreamWorkerMessage,
} from './hashing-sink-stream.js';
import { SnapshotReader } from './reader.js';

const port = parentPort;
if (!port) throw new Error('hashing-sink-stream-worker must run in a worker thread');
const { data, ctrl, ranges, slots, slotBytes, source } = workerData as {
  data: SharedArrayBuffer;
  ctrl: Int32Array;
  ranges: Float64Array;
  slots: number;
  slotBytes: number;
  source?: RangeSource;
};

const sha = createHash('sha256');
const views = Array.from({ length: slots }, (_, i) => new Uint8Array(data, i * slotBytes, slotBytes));
let reader: SnapshotReader | undefined;
let busy = 0;

const post = (msg: StreamWorkerMessage) => port.postMessage(msg);

async function decodeRange(slot: number): Promise<void> {
  if (!source) throw new Error('a range was published to a ring without a source file');
  // Ranges are about a MiB of input: a larger buffer would only read past them.
  reader ??= SnapshotReader.open(source.path, { baseHeight: source.baseHeight, chunkBytes: 1 << 20 });
  const at = slot * RANGE_WORDS;
  const range = { start: ranges[at]!, end: ranges[at + 1]!, firstCoin: ranges[at + 2]!, coins: ranges[at + 3]! };
  await reader.readRange((batch, length) => void sha.update(batch.subarray(0, length)), range);
  Atomics.add(ctrl, RANGES_DONE, 1);
}

async function run(): Promise<void> {
  for (let consumed = 0; ; ) {
    while (Atomics.load(ctrl, PUBLISHED) === consumed) Atomics.wait(ctrl, PUBLISHED, consumed);
    const slot = consumed % slots;
    const length = ctrl[LENGTHS + slot]!;
    if (length === STOP) break;
    if (length === END_OF_STREAM) {
      post({ digest: new Uint8Array(sha.digest()), totals: reader?.totals });
      break;
    }
    const t = performance.now();
    if (length === RANGE) await decodeRange(slot);
    else sha.update(views[slot]!.subarray(0, length));
    busy += performance.now() - t;
    Atomics.store(ctrl, BUSY_MICROS, Math.round(busy * 1000));
    Atomics.store(ctrl, CONSUMED, ++consumed);
    Atomics.notify(ctrl, CONSUMED);
  }
}

try {
  await run();
} catch (err) {
  if (err instanceof SnapshotError) post({ error: err.message, snapshot: { kind: err.kind, offset: err.offset, hint: err.hint } });
  else post({ error: err instanceof Error ? err.message : String(err) });
} finally {
  reader?.close();
}
