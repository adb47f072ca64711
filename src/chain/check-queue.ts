/**
 * Core's CCheckQueue: a block's input checks go in batches to a pool of script-check worker threads while
 * ConnectBlock goes on; the calling thread joins in when it waits (Complete), and the block connects only
 * when every check passed. The first failure wins. Without worker threads the checks run inline, as Core
 * runs them without a queue (-par=1): at once, in order, so the first bad input stops the block there.
 *
 * A worker that dies (crash, terminate) fails the checks it held with CheckQueueError — an internal error,
 * never a verdict on the block — and is replaced, so the block is tried again on the next activation.
 */
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import type { Logger } from 'pino';
import type { Transaction, TxOut } from '../primitives/transaction.js';
import { encodeBatch, runBatch, type BatchAnswer, type BatchTx } from './check-batch.js';
import type { CheckReply, CheckRequest } from './check-queue-worker.js';
import { checkScriptsInline, scriptCheckFailure } from './input-checks.js';
import type { PrecomputedTxData } from '../script/tx-checker.js';

/** Core's MAX_SCRIPTCHECK_THREADS: worker threads beyond the calling one. */
export const MAX_SCRIPTCHECK_THREADS = 15;
/** Core's DEFAULT_SCRIPTCHECK_THREADS: -par=0, one script thread per core. */
export const DEFAULT_SCRIPTCHECK_THREADS = 0;
/** Core's batch_size: checks a thread takes at once. */
export const CHECK_BATCH_SIZE = 128;
/** Blocks with no more inputs than this are checked by the calling thread alone. */
const SMALL_BLOCK_INPUTS = 4;
/** Batches a worker holds at once, so it never waits for the calling thread to hand out the next. */
const IN_FLIGHT_PER_WORKER = 2;

/** Core's -par: 0 = one thread per core, <0 = leave that many cores free; the result counts worker threads. */
export function scriptCheckWorkers(par: number, cores = availableParallelism()): number {
  const threads = par <= 0 ? par + cores : par;
  return Math.min(Math.max(threads - 1, 0), MAX_SCRIPTCHECK_THREADS);
}

/** The check queue failed (a worker died): the block is neither valid nor invalid; try it again. */
export class CheckQueueError extends Error {
  override name = 'CheckQueueError';
}

/** One block's script checks: ConnectBlock's seam (see connect-block.ts). */
export interface ScriptChecks {
  /** Checks every input of `tx`. Inline: runs them now and throws ValidationError for the first bad one. */
  add(tx: Transaction, spent: readonly TxOut[], flags: number): void;
  /** Resolves when every check passed; throws ValidationError (Core's reason) or CheckQueueError. */
  complete(): Promise<void>;
  /** The block failed for another reason: drop the checks not yet run. */
  cancel(): void;
}

export interface CheckQueueOptions {
  /** Worker threads (scriptCheckWorkers(-par)); 0 runs every check inline. */
  workers: number;
  batchSize?: number;
  log?: Logger;
  /** Called after a batch is posted to a worker (tests kill workers mid-block here). */
  onDispatch?: (worker: Worker) => void;
}

interface Job {
  id: number;
  session: QueueSession;
  flags: number;
  txs: BatchTx[];
}

interface Slot {
  worker: Worker;
  inFlight: Map<number, Job>;
  /** Per session: the transactions (positions) this worker holds. */
  held: Map<QueueSession, Set<number>>;
  error?: Error;
}

export class CheckQueue {
  readonly workers: number;
  private readonly batchSize: number;
  private readonly slots: Slot[] = [];
  private pending: Job[] = [];
  private nextId = 1;
  private nextSession = 1;
  private closed = false;

  constructor(private readonly opts: CheckQueueOptions) {
    this.workers = Math.min(Math.max(opts.workers, 0), MAX_SCRIPTCHECK_THREADS);
    this.batchSize = opts.batchSize ?? CHECK_BATCH_SIZE;
    opts.log?.info(`Script verification uses ${this.workers} additional threads`);
  }

  /** Core's HasThreads. */
  get hasThreads(): boolean {
    return this.workers > 0;
  }

  /** The checks of one block. */
  session(): ScriptChecks {
    return this.hasThreads && !this.closed ? new QueueSession(this, this.batchSize, this.nextSession++ >>> 0) : new InlineChecks();
  }

  /** Ends the worker threads; a session still running fails with CheckQueueError. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.all(this.slots.map((s) => s.worker.terminate()));
  }

  /** @internal */
  enqueue(job: Omit<Job, 'id'>): void {
    // Threads start with the first batch: a node that never meets a block of more than a few inputs needs none.
    while (this.slots.length < this.workers && !this.closed) this.slots.push(this.spawn());
    this.pending.push({ ...job, id: this.nextId++ });
    this.dispatch();
  }

  /** @internal The next queued batch of `session`, for the waiting thread to run itself. */
  take(session: QueueSession): Job | undefined {
    const i = this.pending.findIndex((j) => j.session === session);
    return i < 0 ? undefined : this.pending.splice(i, 1)[0];
  }

  /** @internal The session is over: its workers let go of its transactions. */
  ended(session: QueueSession): void {
    for (const slot of this.slots) {
      if (slot.held.delete(session)) slot.worker.postMessage({ type: 'end', session: session.id } satisfies CheckRequest);
    }
  }

  /** @internal Drops the queued batches of `session`; returns how many. */
  drop(session: QueueSession): number {
    const before = this.pending.length;
    this.pending = this.pending.filter((j) => j.session !== session);
    return before - this.pending.length;
  }

  private dispatch(): void {
    for (const slot of this.slots) {
      while (slot.inFlight.size < IN_FLIGHT_PER_WORKER && this.pending.length > 0) {
        const job = this.pending.shift()!;
        let held = slot.held.get(job.session);
        if (!held) slot.held.set(job.session, (held = new Set()));
        const bytes = encodeBatch(job.session.id, job.flags, job.txs, held);
        slot.inFlight.set(job.id, job);
        slot.worker.ref();
        slot.worker.postMessage({ type: 'batch', id: job.id, bytes } satisfies CheckRequest, [bytes.buffer as ArrayBuffer]);
        this.opts.onDispatch?.(slot.worker);
      }
    }
  }

  private spawn(): Slot {
    const worker = new Worker(new URL('./check-queue-worker.js', import.meta.url));
    const slot: Slot = { worker, inFlight: new Map(), held: new Map() };
    worker.unref();
    worker.on('message', (m: CheckReply) => {
      const job = slot.inFlight.get(m.id);
      if (!job) return;
      slot.inFlight.delete(m.id);
      if (slot.inFlight.size === 0) worker.unref();
      job.session.finished(m.answer);
      this.dispatch();
    });
    worker.on('error', (e) => (slot.error = e));
    worker.on('exit', (code) => this.onExit(slot, code));
    return slot;
  }

  private onExit(slot: Slot, code: number): void {
    const why = this.closed ? 'the check queue was closed' : `a script check thread exited (code ${code}${slot.error ? `: ${slot.error.message}` : ''})`;
    for (const job of slot.inFlight.values()) job.session.broken(new CheckQueueError(why));
    slot.inFlight.clear();
    if (this.closed) return;
    this.opts.log?.error(`${why}; starting a new one`);
    const i = this.slots.indexOf(slot);
    this.slots[i] = this.spawn();
    this.dispatch();
  }
}

/** Checks run at once on this thread (Core without a queue). */
class InlineChecks implements ScriptChecks {
  add(tx: Transaction, spent: readonly TxOut[], flags: number): void {
    checkScriptsInline(tx, spent, flags);
  }
  complete(): Promise<void> {
    return Promise.resolve();
  }
  cancel(): void {}
}

const yieldToEvents = () => new Promise<void>((resolve) => setImmediate(resolve));

/** One block's checks on the worker pool (Core's CCheckQueueControl). */
class QueueSession implements ScriptChecks {
  private readonly txs: Transaction[] = [];
  private open: BatchTx[] = [];
  private openInputs = 0;
  private flags = 0;
  /** Batches queued or running. */
  private outstanding = 0;
  private failure: { position: number; inputIndex: number; error: number } | undefined;
  private error: CheckQueueError | undefined;
  private cancelled = false;
  private wake: (() => void) | undefined;
  /** Precomputed data of the transactions this thread checks itself. */
  private readonly txData = new Map<number, PrecomputedTxData>();

  constructor(
    private readonly queue: CheckQueue,
    private readonly batchSize: number,
    readonly id: number,
  ) {}

  add(tx: Transaction, spent: readonly TxOut[], flags: number): void {
    if (this.open.length > 0 && flags !== this.flags) this.seal();
    this.flags = flags;
    const position = this.txs.push(tx) - 1;
    const spentCopy = spent.slice();
    for (let i = 0; i < tx.inputs.length; ) {
      const take = Math.min(tx.inputs.length - i, this.batchSize - this.openInputs);
      const inputs = Array.from({ length: take }, (_, k) => i + k);
      this.open.push({ position, tx, spent: spentCopy, inputs });
      this.openInputs += take;
      i += take;
      if (this.openInputs >= this.batchSize) this.seal();
    }
  }

  async complete(): Promise<void> {
    // What is left is split between the workers and this thread; a small block is checked here alone,
    // where a round trip to a worker would cost more than the checks.
    if (this.outstanding === 0 && this.openInputs <= SMALL_BLOCK_INPUTS) {
      const open = this.open;
      this.open = [];
      this.openInputs = 0;
      this.outstanding++;
      this.finished(runBatch(this.flags, open, this.txData));
    } else if (this.openInputs > 0) {
      this.splitRest();
    }
    for (;;) {
      if (this.failure || this.error || this.cancelled) this.outstanding -= this.queue.drop(this);
      if (this.outstanding === 0) break;
      const job = this.failure || this.error ? undefined : this.queue.take(this);
      if (job) {
        this.finished(runBatch(job.flags, job.txs, this.txData));
        await yieldToEvents();
      } else {
        await new Promise<void>((resolve) => (this.wake = resolve));
      }
    }
    this.queue.ended(this);
    if (this.error) throw this.error;
    if (this.failure) {
      const { position, inputIndex, error } = this.failure;
      throw scriptCheckFailure(this.txs[position], { inputIndex, error });
    }
  }

  cancel(): void {
    this.cancelled = true;
    this.outstanding -= this.queue.drop(this);
    // Batches still running keep the worker's copy until they are done; 'end' queues behind them.
    this.queue.ended(this);
  }

  /** @internal A batch's answer. The lowest failing input wins, so the reason does not depend on timing. */
  finished(answer: BatchAnswer): void {
    this.outstanding--;
    if (answer[0] === 1) {
      const f = { position: answer[1], inputIndex: answer[2], error: answer[3] };
      const earlier = !this.failure || f.position < this.failure.position || (f.position === this.failure.position && f.inputIndex < this.failure.inputIndex);
      if (earlier) this.failure = f;
    }
    this.wakeUp();
  }

  /** @internal The worker running a batch died. */
  broken(e: CheckQueueError): void {
    this.outstanding--;
    this.error ??= e;
    this.wakeUp();
  }

  private wakeUp(): void {
    const wake = this.wake;
    this.wake = undefined;
    wake?.();
  }

  private seal(): void {
    if (this.open.length === 0) return;
    const txs = this.open;
    this.open = [];
    this.openInputs = 0;
    this.outstanding++;
    this.queue.enqueue({ session: this, flags: this.flags, txs });
  }

  /** The last, partial batch in one piece per thread (workers and this one). */
  private splitRest(): void {
    const pieces = this.queue.workers + 1;
    const chunk = Math.max(1, Math.ceil(this.openInputs / pieces));
    const open = this.open;
    this.open = [];
    this.openInputs = 0;
    for (const t of open) {
      for (let i = 0; i < t.inputs.length; ) {
        const take = Math.min(t.inputs.length - i, chunk - this.openInputs);
        this.open.push({ ...t, inputs: t.inputs.slice(i, i + take) });
        this.openInputs += take;
        i += take;
        if (this.openInputs >= chunk) this.seal();
      }
    }
    this.seal();
  }
}
