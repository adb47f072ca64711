/**
 * A script-check worker thread (one of Core's script verification threads): it runs the batches the
 * check queue sends and answers each with its result, in order.
 */
import { parentPort } from 'node:worker_threads';
import { runEncodedBatch } from './check-batch.js';

export interface CheckRequest {
  id: number;
  bytes: Uint8Array;
}

export interface CheckReply {
  id: number;
  answer: Uint32Array;
}

const port = parentPort!;
port.on('message', (m: CheckRequest) => {
  const answer = runEncodedBatch(m.bytes);
  port.postMessage({ id: m.id, answer } satisfies CheckReply, [answer.buffer as ArrayBuffer]);
});
