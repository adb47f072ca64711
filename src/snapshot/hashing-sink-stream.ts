/**
 * hash_serialized_3 of a record stream on a second thread. The producer (the snapshot reader) writes its
 * batches of records straight into the slots of a SharedArrayBuffer ring and publishes each with an
 * atomic counter; a worker hashes the slots in order and frees them. Nothing is copied or posted per
 * batch, so verifying runs on two cores: this thread parses and serialises, the worker runs SHA-256.
 *
 * Control words (Int32): PUBLISHED and CONSUMED count slots (monotonic), LENGTHS hold each slot's byte
 * count; a length of -1 ends the stream, -2 tells the worker to stop.
 */
import { Worker } from 'node:worker_threads';

export const PUBLISHED = 0;
export const CONSUMED = 1;
/** Microseconds the worker spent hashing, for the benchmark's split of CPU time between the threads. */
export const BUSY_MICROS = 2;
export const LENGTHS = 4;
export const END_OF_STREAM = -1;
export const STOP = -2;

/** Atomics.waitAsync (Node ≥ 16), which the ES2022 typings lack. */
const waitAsync = (Atomics as unknown as {
  waitAsync(a: Int32Array, index: number, value: number, timeoutMs: number): { async: boolean; value: Promise<string> | string };
}).waitAsync;

export interface StreamRingShape {
  slots: number;
  slotBytes: number;
}

/** Default ring: four slots of 4 MiB hold a whole group of ~50,000 outputs, so grouped records rarely spill. */
const DEFAULT_SHAPE: StreamRingShape = { slots: 4, slotBytes: 4 << 20 };

export class StreamHashingSink {
  private readonly worker: Worker;
  private readonly data: SharedArrayBuffer;
  private readonly ctrl: Int32Array;
  private readonly shape: StreamRingShape;
  private published = 0;
  /** The slot handed out by acquire() and not yet published, or -1. */
  private open = -1;
  private failure: Error | undefined;
  private resolveDigest: ((d: Uint8Array) => void) | undefined;
  private rejectDigest: ((e: Error) => void) | undefined;

  constructor(shape: StreamRingShape = DEFAULT_SHAPE) {
    this.shape = shape;
    this.data = new SharedArrayBuffer(shape.slots * shape.slotBytes);
    this.ctrl = new Int32Array(new SharedArrayBuffer(4 * (LENGTHS + shape.slots)));
    this.worker = new Worker(new URL('./hashing-sink-stream-worker.js', import.meta.url), {
      workerData: { data: this.data, ctrl: this.ctrl, slots: shape.slots, slotBytes: shape.slotBytes },
      resourceLimits: { maxYoungGenerationSizeMb: 4 },
    });
    this.worker.on('message', (msg: Uint8Array | string) => {
      if (typeof msg === 'string') this.fail(new Error(msg));
      else this.resolveDigest?.(msg);
    });
    this.worker.on('error', (e) => this.fail(e));
    this.worker.on('exit', (code) => this.fail(new Error(`snapshot hashing worker exited (code ${code})`)));
  }

  /** Bytes a slot holds: acquire() hands out buffers of this length. */
  get slotBytes(): number {
    return this.shape.slotBytes;
  }

  /** Microseconds the worker has spent in SHA-256 so far. */
  get workerBusyMicros(): number {
    return Atomics.load(this.ctrl, BUSY_MICROS);
  }

  /**
   * The next free slot, as a Buffer to fill; waits while the worker has every slot. Call publish() with
   * the length written before acquiring again.
   */
  acquire(): Buffer | Promise<Buffer> {
    if (this.failure) throw this.failure;
    if (this.open >= 0) throw new Error('StreamHashingSink: the previous slot is not published');
    if (this.published - Atomics.load(this.ctrl, CONSUMED) < this.shape.slots) return this.take();
    return this.waitForSlot().then(() => this.take());
  }

  /** Hands the acquired slot's first `length` bytes to the worker. */
  publish(length: number): void {
    if (this.open < 0) throw new Error('StreamHashingSink: no slot acquired');
    this.ctrl[LENGTHS + this.open] = length;
    this.open = -1;
    this.published++;
    Atomics.store(this.ctrl, PUBLISHED, this.published);
    Atomics.notify(this.ctrl, PUBLISHED);
  }

  /** True when `buf` is the slot acquire() handed out (the producer may have moved to a bigger buffer). */
  isOpenSlot(buf: Uint8Array): boolean {
    return this.open >= 0 && buf.buffer === this.data && buf.byteOffset === this.open * this.shape.slotBytes;
  }

  /** Hashes bytes held elsewhere: copies them through the ring, a slot at a time. */
  async write(bytes: Uint8Array): Promise<void> {
    for (let off = 0; off < bytes.length; ) {
      const slot = await this.acquire();
      const n = Math.min(slot.length, bytes.length - off);
      slot.set(bytes.subarray(off, off + n));
      this.publish(n);
      off += n;
    }
  }

  /** The SHA-256 of every published byte (hash_serialized_3 still takes a second SHA-256 of it). */
  async digest(): Promise<Uint8Array> {
    const result = new Promise<Uint8Array>((resolve, reject) => {
      this.resolveDigest = resolve;
      this.rejectDigest = reject;
    });
    result.catch(() => undefined); // a failure before the end marker is thrown by acquire() below
    if (this.open < 0) await this.acquire();
    this.publish(END_OF_STREAM);
    return result;
  }

  async close(): Promise<void> {
    this.worker.removeAllListeners('exit');
    // A worker blocked in Atomics.wait cannot take a message: the stop word wakes it.
    this.ctrl[LENGTHS + (this.published % this.shape.slots)] = STOP;
    Atomics.store(this.ctrl, PUBLISHED, this.published + 1);
    Atomics.notify(this.ctrl, PUBLISHED);
    await this.worker.terminate();
  }

  private take(): Buffer {
    this.open = this.published % this.shape.slots;
    return Buffer.from(this.data, this.open * this.shape.slotBytes, this.shape.slotBytes);
  }

  private async waitForSlot(): Promise<void> {
    for (;;) {
      if (this.failure) throw this.failure;
      const consumed = Atomics.load(this.ctrl, CONSUMED);
      if (this.published - consumed < this.shape.slots) return;
      // Bounded waits, so a worker that dies while this thread waits is noticed through `failure`.
      const w = waitAsync(this.ctrl, CONSUMED, consumed, 200);
      if (w.async) await w.value;
    }
  }

  private fail(e: Error): void {
    if (this.failure) return;
    this.failure = e;
    this.rejectDigest?.(e);
  }
}
