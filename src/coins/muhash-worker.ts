/**
 * Worker side of MuHashPool: multiplies the coin records of every batch it receives into one running
 * product. Protocol (raw values only): in — a Uint8Array batch, or the string 'flush'; out — the batch's
 * ArrayBuffer, transferred back (the ack that frees a slot, and memory for the pool to reuse), a 384-byte
 * Uint8Array (the product since the last flush, in Core's Num3072 encoding) or a string starting with
 * 'error:'. workerData may carry `module`, the compiled
 * kernel module.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { numToBytes, RecordProduct, useElementModule } from './muhash.js';
import type { ElementModule } from './wasm-element.js';

const port = parentPort;
if (!port) throw new Error('muhash-worker must run in a worker thread');

// The pool's compiled kernel module, if it has one: not assembling it again saves each worker ~60 ms.
useElementModule((workerData as { module?: ElementModule } | undefined)?.module);
const product = new RecordProduct();
let failed = false;

port.on('message', (msg: Uint8Array | string) => {
  if (typeof msg === 'string') {
    if (msg === 'flush') {
      const out = numToBytes(product.take());
      port.postMessage(out, [out.buffer as ArrayBuffer]);
    }
    return;
  }
  // After a bad batch the product is meaningless; the pool has already been told and will reject.
  const buffer = msg.buffer as ArrayBuffer;
  if (failed) return port.postMessage(buffer, [buffer]);
  try {
    product.add(msg);
    port.postMessage(buffer, [buffer]);
  } catch (err) {
    failed = true;
    port.postMessage(`error:${err instanceof Error ? err.message : String(err)}`);
  }
});
