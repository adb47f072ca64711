/**
 * Core's CCheckQueue: a block's input checks go to a pool of script-check worker threads while ConnectBlock
 * goes on; the calling thread joins in when it waits (Complete), and the block connects only when every
 * check passed. Work moves through shared memory (check-batch.ts): workers claim batches themselves, so a
 * batch costs an atomic operation rather than a message, and batches are sized by estimated work
 * (check-queue-cost.ts). Without worker threads the checks run inline, as Core runs them without a queue
 * (-par=1): at once, in order, so the first bad input stops the block there.
 *
 * A worker that dies (crash, terminate) while it holds checks fails them with CheckQueueError — an internal
 * error, never a verdict on the block — and is replaced, so the block is tried again on the next activation.
 */
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import type { Logger } from 'pino';
import { KeepAlive } from '../primitives/keep-alive.js';
import type { Transaction, TxOut } from '../primitives/transaction.js';
import { BufferPool, CONTROL_WORDS, MAX_WORKER_RANKS, Q_ACTIVE, Q_CLOSED, Q_INSIDE, Q_SLOTS, SESSION_SLOTS, setActiveRanks, wakeWorkers } from './check-batch.js';
import type { CheckWorkerData } from './check-queue-worker.js';
import { checkScriptsInline } from './input-checks.js';
import { QueueSession } from './check-queue-session.js';

/** Core's MAX_SCRIPTCHECK_THREADS: worker threads beyond the calling one. */
export const MAX_SCRIPTCHECK_THREADS = 15;
/** Core's DEFAULT_SCRIPTCHECK_THREADS: -par=0, one script thread per core. */
export const DEFAULT_SCRIPTCHECK_THREADS = 0;
/**
 * Spent-output copies this long are V8 large objects (over 128 KiB of pointers), which a fresh allocation pays
 * for in page faults: ~0.7 ms for block 367891's 20,000-input transaction, against ~0.04 ms to refill a kept one.
 */
const LARGE_SPENT = 16_384 - 64;
/** What a kept copy holds between blocks, so that it does not keep a block's coins alive. */
const NO_OUTPUT: TxOut = Object.freeze({ value: 0, script: new Uint8Array(0) });

/** Large spent-output arrays kept (a block rarely has more than one transaction that large). */
const SPARE_SPENT_ARRAYS = 2;

/**
 * A transaction with this many inputs is sorted into batches only after the next batch goes out: costing it
 * reads every spent output, scattered in memory (~0.4 ms at 20,000 inputs), and the workers should not wait
 * for that (block 367891's second transaction, behind its first).
 */
export const DEFER_INPUTS = 4096;

/** Core's batch_size: the most inputs a thread takes at once. */
export const CHECK_BATCH_SIZE = 128;

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
  /** The most inputs in one batch (CHECK_BATCH_SIZE). */
  batchSize?: number;
  log?: Logger;
  /** Tests: the first worker thread exits, holding the batch, when it is about to run its n-th batch. */
  exitOnBatch?: number;
  /** Tests and benchmarks: false leaves every batch to the workers (the caller only waits). */
  callerChecks?: boolean;
  /** Transactions with this many inputs are sorted into batches after the next batch goes out (default DEFER_INPUTS). */
  deferInputs?: number;
  /**
   * The queue's control words (CONTROL_WORDS Int32s), made by another thread so that it can say how many of
   * this queue's workers take work (see lendIdleThreads); that thread sets the active count before this
   * queue exists. Default: made here, with every worker active.
   */
  control?: SharedArrayBuffer;
}

/** A queue on another thread that may use some of this queue's -par share while this one has no block to check. */
export interface ThreadBorrower {
  /** Its control words (CheckQueueOptions.control). */
  control: SharedArrayBuffer;
  /** Its active workers while this queue checks a block, and while it does not. */
  whileBusy: number;
  whileIdle: number;
}

interface Slot {
  worker: Worker;
  claimer: number;
  error?: Error;
}

export class CheckQueue {
  readonly workers: number;
  readonly batchSize: number;
  readonly callerChecks: boolean;
  readonly deferInputs: number;
  /** @internal Shared with the workers: wake counter, closed flag, active count, session slots. */
  readonly control: Int32Array;
  private readonly slots: Slot[] = [];
  private readonly pool: BufferPool;
  private readonly sessions = new Set<QueueSession>();
  /** Large spent-output arrays kept for the next session (see LARGE_SPENT). */
  private readonly spareSpent: TxOut[][] = [];
  private nextSession = 1;
  private nextClaimer = 1;
  private active: number;
  private closed = false;
  private borrower: { control: Int32Array; whileBusy: number; whileIdle: number } | undefined;
  /** Blocks being checked now (sessions and inline checks not yet completed or cancelled). */
  private busy = 0;
  /** Held while the workers serve a session (they stay unref'd: an idle queue keeps no process alive). */
  private readonly keepAlive = new KeepAlive();

  constructor(private readonly opts: CheckQueueOptions) {
    this.workers = Math.min(Math.max(opts.workers, 0), MAX_SCRIPTCHECK_THREADS, MAX_WORKER_RANKS);
    this.batchSize = opts.batchSize ?? CHECK_BATCH_SIZE;
    this.callerChecks = opts.callerChecks ?? true;
    this.deferInputs = opts.deferInputs ?? DEFER_INPUTS;
    this.active = this.workers;
    this.control = new Int32Array(opts.control ?? new SharedArrayBuffer(CONTROL_WORDS * 4));
    // Control words from elsewhere come with their active count set (it may already have changed).
    if (!opts.control) Atomics.store(this.control, Q_ACTIVE, this.active);
    this.pool = new BufferPool(this.control);
    opts.log?.info(`Script verification uses ${this.workers} additional threads`);
  }

  /** Core's HasThreads (for the threads this queue may use now). */
  get hasThreads(): boolean {
    return this.active > 0 && !this.closed;
  }

  /** Worker threads taking work now. */
  get activeWorkers(): number {
    return this.active;
  }

  /**
   * Lets only `n` of the workers take work (the others sleep), so another chainstate's own threads fit in
   * the same -par budget; blocks in progress keep going with the threads left.
   */
  setActiveWorkers(n: number): void {
    this.active = Math.min(Math.max(n, 0), this.workers);
    setActiveRanks(this.control, this.active);
  }

  /**
   * While this queue has no block to check, `borrower` (a queue on another thread, within the same -par)
   * runs `whileIdle` workers, else `whileBusy`: Core has one queue for both chainstates, so a background
   * chainstate gets every thread while the active one waits for blocks.
   */
  lendIdleThreads(borrower: ThreadBorrower): void {
    this.borrower = { control: new Int32Array(borrower.control), whileBusy: borrower.whileBusy, whileIdle: borrower.whileIdle };
    setActiveRanks(this.borrower.control, this.busy > 0 ? borrower.whileBusy : borrower.whileIdle);
  }

  /** Ends lendIdleThreads for the queue with control words `control` (not for a borrower that came after it). */
  stopLending(control: SharedArrayBuffer): void {
    if (this.borrower?.control.buffer === control) this.borrower = undefined;
  }

  /** The checks of one block. */
  session(): ScriptChecks {
    if (this.busy++ === 0 && this.borrower) setActiveRanks(this.borrower.control, this.borrower.whileBusy);
    return this.hasThreads ? new QueueSession(this, this.nextSession++, this.pool.take()) : new InlineChecks(this);
  }

  /** @internal A block's checks completed or were cancelled (once per session()). */
  settled(): void {
    if (--this.busy === 0 && this.borrower) setActiveRanks(this.borrower.control, this.borrower.whileIdle);
  }

  /** Ends the worker threads; a session still running fails with CheckQueueError. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    // terminate() holds each worker until it has exited; a session left running must not hold the process.
    this.keepAlive.hold(false);
    Atomics.store(this.control, Q_CLOSED, 1);
    this.wakeWorkers();
    await Promise.all(this.slots.map((s) => s.worker.terminate()));
  }

  /** @internal A session's first batch is about to be published: the threads start, and get its buffers. */
  open(session: QueueSession): boolean {
    // Threads start with the first batch: a node that never meets a block of more than a few inputs needs none.
    while (this.slots.length < this.workers && !this.closed) this.slots.push(this.spawn(this.slots.length));
    const free = this.freeSlot();
    if (free < 0 || this.closed) return false;
    const memory = session.memory();
    for (let rank = 0; rank < this.active; rank++) this.slots[rank].worker.postMessage(memory);
    Atomics.store(this.control, Q_SLOTS + free, session.id);
    this.sessions.add(session);
    this.keepAlive.hold(true);
    return true;
  }

  /** @internal The session is over (called once): the workers let go of it, and its buffers go back to the pool. */
  ended(session: QueueSession): void {
    this.settled();
    if (this.sessions.delete(session)) {
      for (let s = 0; s < SESSION_SLOTS; s++) Atomics.compareExchange(this.control, Q_SLOTS + s, session.id, 0);
      if (this.sessions.size === 0) this.keepAlive.hold(false);
    }
    this.pool.give(session.buffers);
  }

  /** @internal A session's own copy of a transaction's spent outputs (ConnectBlock reuses its array). */
  copySpent(spent: readonly TxOut[]): TxOut[] {
    const n = spent.length;
    const kept = n >= LARGE_SPENT ? this.spareSpent.pop() : undefined;
    if (!kept) return spent.slice();
    for (let i = 0; i < n; i++) kept[i] = spent[i];
    kept.length = n;
    return kept;
  }

  /** @internal A session is done with a copy from copySpent. */
  returnSpent(copy: TxOut[]): void {
    if (copy.length < LARGE_SPENT || this.spareSpent.length >= SPARE_SPENT_ARRAYS) return;
    copy.fill(NO_OUTPUT);
    this.spareSpent.push(copy);
  }

  /** @internal New batches are claimable. */
  wakeWorkers(): void {
    wakeWorkers(this.control);
  }

  private freeSlot(): number {
    for (let s = 0; s < SESSION_SLOTS; s++) if (Atomics.load(this.control, Q_SLOTS + s) === 0) return s;
    return -1;
  }

  private spawn(rank: number): Slot {
    const claimer = this.nextClaimer++;
    const data: CheckWorkerData = { control: this.control.buffer as SharedArrayBuffer, claimer, rank, exitOnBatch: claimer === 1 ? this.opts.exitOnBatch : undefined };
    const worker = new Worker(new URL('./check-queue-worker.js', import.meta.url), { workerData: data });
    const slot: Slot = { worker, claimer };
    // Never ref'd (see keepAlive): terminate() refs a worker until it exits, which an unref would undo.
    worker.unref();
    worker.on('error', (e) => (slot.error = e));
    worker.on('exit', (code) => this.onExit(slot, code));
    return slot;
  }

  private onExit(slot: Slot, code: number): void {
    const why = this.closed ? 'the check queue was closed' : `a script check thread exited (code ${code}${slot.error ? `: ${slot.error.message}` : ''})`;
    for (const session of this.sessions) if (this.closed || session.heldBy(slot.claimer)) session.broken(new CheckQueueError(why));
    if (this.closed) return;
    this.opts.log?.error(`${why}; starting a new one`);
    const rank = this.slots.indexOf(slot);
    // It will read no buffers again.
    Atomics.store(this.control, Q_INSIDE + rank, 0);
    // The new thread has not had the buffers of the sessions in progress; they finish without it.
    this.slots[rank] = this.spawn(rank);
  }
}

/** Checks run at once on this thread (Core without a queue). */
class InlineChecks implements ScriptChecks {
  private over = false;

  constructor(private readonly queue: CheckQueue) {}

  add(tx: Transaction, spent: readonly TxOut[], flags: number): void {
    try {
      checkScriptsInline(tx, spent, flags);
    } catch (e) {
      // The block's checks end with its first failure, whether or not the caller cancels.
      this.end();
      throw e;
    }
  }
  complete(): Promise<void> {
    this.end();
    return Promise.resolve();
  }
  cancel(): void {
    this.end();
  }
  private end(): void {
    if (this.over) return;
    this.over = true;
    this.queue.settled();
  }
}
