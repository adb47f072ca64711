/**
 * A script-check worker thread (one of Core's script verification threads). It sleeps on the queue's wake
 * counter, and when woken takes batches from every session in progress until none is left, then sleeps
 * again. A session's buffers arrive once by message, read synchronously when the worker first meets the
 * session in a slot (the caller posts them before it fills the slot).
 */
import { parentPort, receiveMessageOnPort, workerData } from 'node:worker_threads';
import { Q_ACTIVE, Q_CLOSED, Q_INSIDE, Q_SLEEPING, Q_SLOTS, Q_WAKE, SESSION_SLOTS, WorkerSession, type SessionMemory } from './check-batch.js';

export interface CheckWorkerData {
  control: SharedArrayBuffer;
  /** Names this thread in the batches it claims (never 0, which means "not yet named"). */
  claimer: number;
  /** Its place in the pool: it takes work only while the pool's active worker count is above it. */
  rank: number;
  /** Test hook: the thread exits, holding the batch, when it is about to run its n-th batch. */
  exitOnBatch?: number;
}

const { control, claimer, rank, exitOnBatch } = workerData as CheckWorkerData;
const ctl = new Int32Array(control);
const port = parentPort!;
let sessions = new Map<number, WorkerSession>();
let pending = new Map<number, SessionMemory>();
let runs = 0;
const MAX_PENDING = 4 * SESSION_SLOTS;
const beforeRun = exitOnBatch === undefined ? undefined : () => void (++runs === exitOnBatch && process.exit(70));

/** Whether this thread may take work now (checked between batches: the queue may lend it away mid-block). */
const stillActive = () => rank < Atomics.load(ctl, Q_ACTIVE);

/** Session buffers that came by message since the last look. */
function drain(): void {
  for (let m = receiveMessageOnPort(port); m; m = receiveMessageOnPort(port)) {
    const memory = m.message as SessionMemory;
    pending.set(memory.id, memory);
  }
}

for (;;) {
  const wake = Atomics.load(ctl, Q_WAKE);
  if (Atomics.load(ctl, Q_CLOSED) !== 0) break;
  drain();
  const live = new Map<number, WorkerSession>();
  const active = stillActive();
  for (let s = 0; s < SESSION_SLOTS && active; s++) {
    const id = Atomics.load(ctl, Q_SLOTS + s);
    if (id === 0) continue;
    let session = sessions.get(id);
    if (!session && !pending.has(id)) drain();
    const memory = pending.get(id);
    if (!session && memory) session = new WorkerSession(memory);
    pending.delete(id);
    if (!session) continue;
    live.set(id, session);
    // Inside these buffers from now on; the session must still hold the slot (else they may be another's).
    Atomics.store(ctl, Q_INSIDE + rank, session.tag);
    if (Atomics.load(ctl, Q_SLOTS + s) === id) session.work(claimer, stillActive, beforeRun);
  }
  Atomics.store(ctl, Q_INSIDE + rank, 0);
  // Sessions no longer in a slot are over: their memory and parsed transactions go. Buffers of sessions
  // not met yet stay, but only the newest few (a session can end before this thread ever looks).
  sessions = live;
  if (pending.size > MAX_PENDING) pending = new Map([...pending].sort((a, b) => b[0] - a[0]).slice(0, MAX_PENDING));
  Atomics.add(ctl, Q_SLEEPING, 1);
  Atomics.wait(ctl, Q_WAKE, wake);
  Atomics.sub(ctl, Q_SLEEPING, 1);
}
