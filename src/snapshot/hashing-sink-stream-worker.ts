/**
 * Worker side of StreamHashingSink: waits on the ring's PUBLISHED counter, runs SHA-256 over each slot in
 * order and frees it by advancing CONSUMED. Blocking waits are fine here: this thread does nothing else.
 * Posts the digest (32 bytes) at the end of the stream, or an error message.
 */
import { createHash } from 'node:crypto';
import { parentPort, workerData } from 'node:worker_threads';
import { BUSY_MICROS, CONSUMED, END_OF_STREAM, LENGTHS, PUBLISHED, STOP } from './hashing-sink-stream.js';

const port = parentPort;
if (!port) throw new Error('hashing-sink-stream-worker must run in a worker thread');
const { data, ctrl, slots, slotBytes } = workerData as { data: SharedArrayBuffer; ctrl: Int32Array; slots: number; slotBytes: number };

const sha = createHash('sha256');
const views = Array.from({ length: slots }, (_, i) => new Uint8Array(data, i * slotBytes, slotBytes));
let busy = 0;

try {
  for (let consumed = 0; ; ) {
    while (Atomics.load(ctrl, PUBLISHED) === consumed) Atomics.wait(ctrl, PUBLISHED, consumed);
    const slot = consumed % slots;
    const length = ctrl[LENGTHS + slot]!;
    if (length === STOP) break;
    if (length === END_OF_STREAM) {
      port.postMessage(new Uint8Array(sha.digest()));
      break;
    }
    const t = performance.now();
    sha.update(views[slot]!.subarray(0, length));
    busy += performance.now() - t;
    Atomics.store(ctrl, BUSY_MICROS, Math.round(busy * 1000));
    Atomics.store(ctrl, CONSUMED, ++consumed);
    Atomics.notify(ctrl, CONSUMED);
  }
} catch (err) {
  port.postMessage(err instanceof Error ? err.message : String(err));
}
