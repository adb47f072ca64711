/**
 * MuHashPool spreads the MuHash of a stream of coin-record batches over worker threads. MuHash is a
 * product, so each worker keeps its own partial product and the pool multiplies them together at finalize;
 * batch order and batch-to-worker assignment do not matter. `threads = 0` runs the same productOfRecords on
 * the calling thread, so tests cover identical arithmetic with and without workers.
 */
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { KeepAlive } from '../primitives/keep-alive.js';
import { bytesToNum, MuHash3072, RecordProduct } from './muhash.js';
import { elementModule } from './wasm-element.js';

/** Batches a worker may hold (one being hashed, one queued) before `add` makes the producer wait. */
const MAX_IN_FLIGHT = 2;
/**
 * Buffers come back from the workers with their acks and are reused for the next copies: a fresh 1 MiB
 * ArrayBuffer per batch cost ~0.6 ms of page faults and zeroing here, and its free in the worker more.
 * Capacities are rounded up so that batches of slightly different sizes share buffers.
 */
const SPARE_ROUNDING = 256 << 10;

interface Slot {
  worker: Worker;
  inFlight: number;
  /** Resolvers for 'flush' requests, answered in order. */
  flushes: Array<(product: bigint) => void>;
}

interface Waiter {
  batch: Uint8Array;
  resolve: () => void;
  reject: (err: Error) => void;
}

export class MuHashPool {
  readonly threads: number;
  private readonly slots: Slot[] = [];
  private readonly waiters: Waiter[] = [];
  private drained: Array<() => void> = [];
  /** Everything already collected from workers (or hashed in-process). */
  private readonly total = new MuHash3072();
  /** With no workers: the running product of this thread (kept in the wasm kernel, not as a BigInt). */
  private readonly local: RecordProduct | undefined;
  private failure: Error | undefined;
  private closed = false;
  /** ArrayBuffers returned by the workers, ready for the next copy. */
  private readonly spare: ArrayBuffer[] = [];
  /** Whether any batch was copied: a producer that only transfers its own memory has no use for spares. */
  private copying = false;
  /** Held while a batch, a flush or a waiting producer is outstanding (the workers themselves stay unref'd). */
  private readonly keepAlive = new KeepAlive();

  constructor(threads: number = availableParallelism()) {
    if (!Number.isInteger(threads) || threads < 0) throw new RangeError(`invalid thread count: ${threads}`);
    this.threads = threads;
    this.local = threads === 0 ? new RecordProduct() : undefined;
    const url = new URL('./muhash-worker.js', import.meta.url);
    // Compiled once here and shared: each worker would otherwise assemble and compile its own.
    const module = threads > 0 ? elementModule() : undefined;
    for (let i = 0; i < threads; i++) {
      // A small young generation: the workers allocate only short-lived BigInts, and the default lets
      // each worker's heap grow by tens of MB, which made verify --muhash exceed its memory goal.
      const slot: Slot = { worker: new Worker(url, { workerData: { module }, resourceLimits: { maxYoungGenerationSizeMb: 4 } }), inFlight: 0, flushes: [] };
      slot.worker.on('message', (msg: ArrayBuffer | Uint8Array | string) => this.onMessage(slot, msg));
      slot.worker.on('error', (err) => this.fail(err));
      slot.worker.on('exit', (code) => {
        if (!this.closed) this.fail(new Error(`muhash worker exited unexpectedly (code ${code})`));
      });
      // An idle pool must not keep the process alive if the caller forgets close(); see keepAlive.
      slot.worker.unref();
      this.slots.push(slot);
    }
  }

  /**
   * Queues a batch of whole coin records. Resolves once the batch has been handed to a worker, so a
   * producer that awaits each call holds at most MAX_IN_FLIGHT batches per worker in memory. The bytes
   * are copied unless `transfer` is set, in which case a batch spanning its whole ArrayBuffer is moved
   * to the worker and is detached afterwards.
   */
  add(batch: Uint8Array, transfer = false): Promise<void> {
    if (this.failure) return Promise.reject(this.failure);
    if (this.closed) return Promise.reject(new Error('MuHashPool is closed'));
    if (this.local) {
      try {
        this.local.add(batch);
        return Promise.resolve();
      } catch (err) {
        return Promise.reject(err);
      }
    }
    const own =
      transfer && batch.byteOffset === 0 && batch.byteLength === batch.buffer.byteLength && batch.buffer instanceof ArrayBuffer
        ? batch
        : this.copy(batch); // Buffer.prototype.slice is a view, possibly into Node's shared pool
    if (this.waiters.length === 0 && this.dispatch(own)) return Promise.resolve();
    this.keepAlive.hold(true);
    return new Promise((resolve, reject) => this.waiters.push({ batch: own, resolve, reject }));
  }

  /**
   * The MuHash of every record added so far, as 32 bytes in internal order (display with hashToHex).
   * The pool stays usable: later batches extend the same set.
   */
  async finalize(): Promise<Uint8Array> {
    return (await this.state()).finalize();
  }

  /** The accumulated MuHash3072 state (a copy), e.g. to combine with other sets. */
  async state(): Promise<MuHash3072> {
    if (this.failure) throw this.failure;
    if (this.waiters.length > 0) await new Promise<void>((resolve) => this.drained.push(resolve));
    // Messages on a port are handled in order, so each worker answers the flush after its queued batches.
    const products = await Promise.all(
      this.slots.map(
        (slot) =>
          new Promise<bigint>((resolve) => {
            slot.flushes.push(resolve);
            this.keepAlive.hold(true);
            slot.worker.postMessage('flush');
          }),
      ),
    );
    if (this.failure) throw this.failure;
    if (this.local) products.push(this.local.take());
    for (const p of products) this.total.insertProduct(p);
    return this.total.clone();
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const err = new Error('MuHashPool is closed');
    for (const w of this.waiters.splice(0)) w.reject(err);
    // terminate() holds each worker until it has exited.
    this.keepAlive.hold(false);
    await Promise.all(this.slots.map((s) => s.worker.terminate()));
  }

  /** `batch` in memory of the pool's own (a spare buffer when one is large enough), to be transferred. */
  private copy(batch: Uint8Array): Uint8Array {
    this.copying = true;
    let buffer = this.spare.pop();
    if (!buffer || buffer.byteLength < batch.length) buffer = new ArrayBuffer(Math.ceil(Math.max(batch.length, 1) / SPARE_ROUNDING) * SPARE_ROUNDING);
    const own = new Uint8Array(buffer, 0, batch.length);
    own.set(batch);
    return own;
  }

  /** Posts to the least-busy worker with a free slot; false if every worker is full. */
  private dispatch(batch: Uint8Array): boolean {
    let best: Slot | undefined;
    for (const s of this.slots) if (s.inFlight < MAX_IN_FLIGHT && (!best || s.inFlight < best.inFlight)) best = s;
    if (!best) return false;
    best.inFlight++;
    this.keepAlive.hold(true);
    best.worker.postMessage(batch, [batch.buffer as ArrayBuffer]);
    return true;
  }

  private onMessage(slot: Slot, msg: ArrayBuffer | Uint8Array | string): void {
    if (msg instanceof ArrayBuffer) {
      slot.inFlight--;
      // Enough spares for every slot; more would only hold memory.
      if (this.copying && msg.byteLength > 0 && this.spare.length < this.slots.length * MAX_IN_FLIGHT) this.spare.push(msg);
      while (this.waiters.length > 0) {
        const w = this.waiters[0]!;
        if (!this.dispatch(w.batch)) break;
        this.waiters.shift();
        w.resolve();
      }
      if (this.waiters.length === 0) for (const d of this.drained.splice(0)) d();
    } else if (typeof msg === 'string') {
      this.fail(new Error(`muhash worker: ${msg.replace(/^error:/, '')}`));
    } else {
      slot.flushes.shift()?.(bytesToNum(msg));
    }
    this.keepAlive.hold(!this.closed && !this.failure && (this.waiters.length > 0 || this.slots.some((s) => s.inFlight > 0 || s.flushes.length > 0)));
  }

  private fail(err: Error): void {
    if (this.failure) return;
    this.failure = err;
    for (const w of this.waiters.splice(0)) w.reject(err);
    for (const d of this.drained.splice(0)) d();
    // Pending flushes are answered by the worker anyway unless it died; make sure nobody hangs.
    for (const s of this.slots) for (const f of s.flushes.splice(0)) f(1n);
    this.keepAlive.hold(false);
  }
}
