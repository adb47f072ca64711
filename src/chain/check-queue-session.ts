/**
 * One block's checks on the check queue (Core's CCheckQueueControl). add() sorts each transaction: one worth
 * shipping goes into the session's shared memory and its inputs into batches of about BATCH_COST of
 * estimated work (at most batchSize inputs), published as they fill so the workers start while ConnectBlock
 * goes on; one that would cost a worker more to receive than to check stays with the calling thread.
 * complete() runs the caller's own checks, then takes published batches like any worker, then waits.
 */
import type { Transaction, TxOut } from '../primitives/transaction.js';
import { precomputeTxData, type PrecomputedTxData } from '../script/tx-checker.js';
import { checkRange, claimBatch, finishBatch, S_ABORT, S_CLAIMED, S_DONE, S_WAITING, SessionWriter, type Range, type SessionBuffers } from './check-batch.js';
import { inputCost, SIGNATURE_COST, worthShipping } from './check-queue-cost.js';
import type { CheckQueue, CheckQueueError, ScriptChecks } from './check-queue.js';
import { scriptCheckFailure, type InputFailure } from './input-checks.js';

/**
 * An empty array whose elements are already objects, for `local` to start from: a fresh `[]` starts as small
 * integers, and its first Range (one push per block, for the transaction kept here) deoptimized add() on every block.
 */
const NO_RANGES: Range[] = [{ record: 0, length: 0, position: 0, first: 0, count: 0 }];
NO_RANGES.pop();

/** Estimated work per batch: small enough to balance the threads at the end of a block, large enough that claiming is free. */
const BATCH_COST = 16 * SIGNATURE_COST;
/** The caller's claim mark in a batch (workers count from 1). */
const CALLER = -1;
/** The caller lets the event loop run at least this often while it checks (ms). */
const YIELD_EVERY_MS = 20;
/** The longest the caller blocks its thread on the last batches other threads hold (about a batch's work). */
const BLOCKING_WAIT_MS = 4;

type Found = { position: number; failure: InputFailure };

const earlier = (a: Found | undefined, b: Found | undefined) =>
  !a ? b : !b ? a : a.position < b.position || (a.position === b.position && a.failure.inputIndex <= b.failure.inputIndex) ? a : b;

type WaitAsync = (a: Int32Array, i: number, v: number, timeout?: number) => { async: boolean; value: Promise<string> | string };
const waitAsync = (Atomics as unknown as { waitAsync: WaitAsync }).waitAsync;

export class QueueSession implements ScriptChecks {
  private readonly writer: SessionWriter;
  private readonly txs: Transaction[] = [];
  private readonly spent: TxOut[][] = [];
  private readonly flags: number[] = [];
  /** The precomputed data of the transaction this thread checked last (its position). */
  private txData: { position: number; data: PrecomputedTxData } | undefined;
  /** Positions of large transactions not yet sorted into batches or local checks. */
  private readonly deferred: number[] = [];
  /** Checks only this thread runs. */
  private readonly local: Range[] = NO_RANGES.slice();
  /** Per written batch, its ranges (so this thread runs them on its own objects). */
  private readonly batches: Range[][] = [];
  private open: Range[] = [];
  private openCost = 0;
  private openInputs = 0;
  /** The workers serve this session (it has a slot). */
  private opened = false;
  /** Every batch was published; none will be. */
  private sealedAll = false;
  private error: CheckQueueError | undefined;
  private cancelled = false;
  private lastYield = performance.now();

  /** Ended: the queue has its buffers back. */
  private over = false;

  constructor(
    private readonly queue: CheckQueue,
    readonly id: number,
    buffers: SessionBuffers,
  ) {
    this.writer = new SessionWriter(id, buffers);
  }

  get buffers(): SessionBuffers {
    return this.writer.buffers;
  }

  memory() {
    return this.writer.memory();
  }

  add(tx: Transaction, spent: readonly TxOut[], flags: number): void {
    if (this.cancelled) return;
    const position = this.txs.push(tx) - 1;
    // ConnectBlock reuses its array for the next transaction.
    this.spent.push(this.queue.copySpent(spent));
    this.flags.push(flags);
    // Costing many inputs takes a while: it waits until the workers have the next batch (see DEFER_INPUTS).
    if (tx.inputs.length >= this.queue.deferInputs) this.deferred.push(position);
    else this.sort(position);
  }

  /** Ships a transaction's inputs in batches, or keeps them for this thread when shipping would cost more. */
  private sort(position: number): void {
    const tx = this.txs[position];
    const spent = this.spent[position];
    const n = spent.length;
    // A large transaction's records take a while to write: what is open goes out first.
    if (n >= this.queue.batchSize) this.seal();
    let total = 0;
    for (let i = 0; i < n; i++) total += inputCost(spent[i]);
    const record = worthShipping(total, tx, spent) ? this.writer.writeTx(tx, spent, this.flags[position]) : undefined;
    if (!record) {
      this.local.push({ record: -1, length: 0, position, first: 0, count: n });
      return;
    }
    let range: Range | undefined;
    for (let i = 0; i < n; i++) {
      if (range) range.count++;
      else this.open.push((range = { record: record.record, length: record.length, position, first: i, count: 1 }));
      this.openCost += inputCost(spent[i]);
      if (++this.openInputs >= this.queue.batchSize || this.openCost >= BATCH_COST) {
        this.seal();
        range = undefined;
      }
    }
  }

  /** The transactions add() set aside (see CheckQueue's DEFER_INPUTS), sorted now. */
  private sortDeferred(): void {
    if (this.deferred.length === 0) return;
    for (const position of this.deferred.splice(0)) this.sort(position);
  }

  async complete(): Promise<void> {
    if (!this.cancelled) this.sortDeferred();
    // A block too small to fill one batch is checked here alone: waking a worker would cost more.
    if (!this.opened && this.openCost < BATCH_COST / 2) this.local.push(...this.open.splice(0));
    this.seal();
    this.sealedAll = true;
    const index = this.writer.index;
    let found: Found | undefined;
    for (const r of this.local) {
      if (found || this.error || this.cancelled) break;
      found = earlier(found, this.check(r));
      if (found) Atomics.store(index, S_ABORT, 1);
      await this.maybeYield();
    }
    // Then the shared batches, like any worker (all of them when no worker has this session's buffers).
    if (this.queue.callerChecks || !this.opened) {
      for (let i = claimBatch(index, CALLER); i >= 0 && !this.error; i = claimBatch(index, CALLER)) {
        let failed: Found | undefined;
        for (const r of this.batches[i]) if ((failed = this.check(r))) break;
        finishBatch(index, i, failed);
        await this.maybeYield();
      }
    }
    // Before reading S_DONE: the batch that completes the count after that read notifies (so does an abort).
    Atomics.store(index, S_WAITING, this.writer.batches);
    const blockUntil = performance.now() + BLOCKING_WAIT_MS;
    // Atomics.waitAsync holds no handle: the queue holds the event loop open while the workers serve this session.
    for (;;) {
      const done = Atomics.load(index, S_DONE);
      const target = Atomics.load(index, S_ABORT) !== 0 ? Math.min(Atomics.load(index, S_CLAIMED), this.writer.batches) : this.writer.batches;
      if (done >= target || this.error) break;
      // Only batches other threads hold are left: wait for them on this thread, as Core's master thread does,
      // rather than through the event loop (a wake-up later). Bounded, as a dead worker is seen by the loop.
      const left = blockUntil - performance.now();
      if (left > 0 && Atomics.load(index, S_CLAIMED) >= this.writer.batches) {
        Atomics.wait(index, S_DONE, done, left);
        continue;
      }
      const w = waitAsync(index, S_DONE, done, 1000);
      if (w.async) await w.value;
    }
    this.end();
    if (this.error) throw this.error;
    found = earlier(found, this.writer.failure());
    if (found) throw scriptCheckFailure(this.txs[found.position], found.failure);
  }

  cancel(): void {
    this.cancelled = true;
    Atomics.store(this.writer.index, S_ABORT, 1);
    this.end();
  }

  private end(): void {
    if (this.over) return;
    this.over = true;
    this.queue.ended(this);
    for (const s of this.spent) this.queue.returnSpent(s);
  }

  /** @internal Whether the worker thread `claimer` died holding some of this session's checks. */
  heldBy(claimer: number): boolean {
    return this.writer.heldBy(claimer);
  }

  /** @internal A worker holding some of these checks died. */
  broken(e: CheckQueueError): void {
    this.error ??= e;
    Atomics.store(this.writer.index, S_ABORT, 1);
    Atomics.notify(this.writer.index, S_DONE);
  }

  private check(r: Range): Found | undefined {
    if (this.txData?.position !== r.position) this.txData = { position: r.position, data: precomputeTxData(this.txs[r.position], this.spent[r.position]) };
    const data = this.txData.data;
    const failure = checkRange(data, this.flags[r.position], r.first, r.count);
    return failure && { position: r.position, failure };
  }

  /** Publishes the open batch (opening the session to the workers with its first one). */
  private seal(): void {
    if (this.open.length === 0) return;
    const ranges = this.open;
    this.open = [];
    this.openCost = 0;
    this.openInputs = 0;
    if (this.sealedAll || !this.writer.writeBatch(ranges)) {
      this.local.push(...ranges);
      return;
    }
    this.batches.push(ranges);
    if (!this.opened && !this.cancelled) this.opened = this.queue.open(this);
    this.writer.publish();
    if (this.opened) this.queue.wakeWorkers();
    // The workers have this batch to go on with.
    this.sortDeferred();
  }

  private async maybeYield(): Promise<void> {
    if (performance.now() - this.lastYield < YIELD_EVERY_MS) return;
    await new Promise<void>((resolve) => setImmediate(resolve));
    this.lastYield = performance.now();
  }
}
