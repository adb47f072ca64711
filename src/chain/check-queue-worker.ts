/**
 * A script-check worker thread (one of Core's script verification threads): it runs the batches the
 * check queue sends and answers each with its result, in order, keeping each session's transactions until
 * the queue says the session ended.
 */
import { parentPort } from 'node:worker_threads';
import { WorkerTxCache } from './check-batch.js';

export type CheckRequest = { type: 'batch'; id: number; bytes: Uint8Array } | { type: 'end'; session: number };

export interface CheckReply {
  id: number;
  answer: Uint32Array;
}

const port = parentPort!;
const cache = new WorkerTxCache();
port.on('message', (m: CheckRequest) => {
  if (m.type === 'end') return cache.end(m.session);
  const answer = cache.run(m.bytes);
  port.postMessage({ id: m.id, answer } satisfies CheckReply, [answer.buffer as ArrayBuffer]);
});
