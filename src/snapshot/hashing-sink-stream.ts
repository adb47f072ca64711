/**
 * hash_serialized_3 of a record stream on a second thread. The producer (the snapshot reader) writes its
 * batches of records straight into the slots of a SharedArrayBuffer ring and publishes each with an
 * atomic counter; a worker hashes the slots in order and frees them. Nothing is copied or posted per
 * batch, so verifying runs on two cores: this thread parses and serialises, the worker runs SHA-256.
 *
 * SHA-256 takes the worker about a third of the time parsing takes this thread, so with a `source` the
 * worker also decodes: the producer may publish, in place of a batch, a range of the file's txid groups
 * (see RangeDelegate) that the worker decodes with a reader of its own and hashes in turn.
 *
 * Control words (Int32): PUBLISHED and CONSUMED count slots (monotonic), RANGES_DONE the ranges decoded,
 * LENGTHS hold each slot's byte count; a length of -1 ends the stream, -2 tells the worker to stop, -3
 * marks a range, whose start, end, first coin and coin count are in the slot's four RANGE_WORDS.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { Worker } from 'node:worker_threads';
import { KeepAlive } from '../primitives/keep-alive.js';
import { SnapshotError, type SnapshotErrorKind } from './errors.js';
import type { CoinRange, RangeDelegate, SnapshotReader } from './reader.js';

export const PUBLISHED = 0;
export const CONSUMED = 1;
/** Microseconds the worker spent hashing, for the benchmark's split of CPU time between the threads. */
export const BUSY_MICROS = 2;
export const RANGES_DONE = 3;
export const LENGTHS = 4;
export const END_OF_STREAM = -1;
export const STOP = -2;
export const RANGE = -3;
export const RANGE_WORDS = 4;

/** The file the producer reads, for the worker to decode ranges of. */
export interface RangeSource {
  path: string;
  baseHeight?: number;
}

/** gettxoutsetinfo's counts over the ranges the worker decoded (SnapshotReader.totals). */
export interface RangeTotals {
  transactions: number;
  bogosize: number;
  valueLow: number;
  valueHigh: bigint;
}

/** What the worker posts: the digest and its totals at the end, or why it stopped. */
export type StreamWorkerMessage =
  | { digest: Uint8Array; totals?: RangeTotals }
  | { error: string; snapshot?: { kind: SnapshotErrorKind; offset?: number; hint?: string } };

/** Atomics.waitAsync (Node ≥ 16), which the ES2022 typings lack. */
const waitAsync = (Atomics as unknown as {
  waitAsync(a: Int32Array, index: number, value: number, timeoutMs: number): { async: boolean; value: Promise<string> | string };
}).waitAsync;

export interface StreamRingShape {
  slots: number;
  slotBytes: number;
}

/**
 * Default ring: a slot of 4 MiB holds a whole group of ~50,000 outputs, so grouped records rarely spill;
 * eight of them leave room for the producer's batches behind the ranges queued for the worker.
 */
export const DEFAULT_RING_SHAPE: StreamRingShape = { slots: 8, slotBytes: 4 << 20 };

export class StreamHashingSink {
  private readonly worker: Worker;
  private readonly data: SharedArrayBuffer;
  private readonly ctrl: Int32Array;
  private readonly ranges: Float64Array;
  private readonly shape: StreamRingShape;
  private published = 0;
  private rangesTaken = 0;
  /** Totals of the ranges the worker decoded, known once the digest is. */
  rangeTotals: RangeTotals | undefined;
  /** The slot handed out by acquire() and not yet published, or -1. */
  private open = -1;
  private failure: Error | undefined;
  private resolveDigest: ((d: Uint8Array) => void) | undefined;
  private rejectDigest: ((e: Error) => void) | undefined;
  private readonly exited: Promise<unknown>;
  private closing = false;
  private readonly keepAlive = new KeepAlive();

  constructor(shape: StreamRingShape = DEFAULT_RING_SHAPE, source?: RangeSource) {
    this.shape = shape;
    this.data = new SharedArrayBuffer(shape.slots * shape.slotBytes);
    this.ctrl = new Int32Array(new SharedArrayBuffer(4 * (LENGTHS + shape.slots)));
    this.ranges = new Float64Array(new SharedArrayBuffer(8 * RANGE_WORDS * shape.slots));
    this.worker = new Worker(new URL('./hashing-sink-stream-worker.js', import.meta.url), {
      workerData: { data: this.data, ctrl: this.ctrl, ranges: this.ranges, slots: shape.slots, slotBytes: shape.slotBytes, source },
      resourceLimits: { maxYoungGenerationSizeMb: 4 },
    });
    // Not events.once, which rejects on the worker's 'error' event: nobody may be awaiting this yet.
    this.exited = new Promise((resolve) => this.worker.once('exit', resolve));
    this.worker.on('message', (msg: StreamWorkerMessage) => {
      if ('digest' in msg) {
        this.rangeTotals = msg.totals;
        this.resolveDigest?.(msg.digest);
      } else if (msg.snapshot) this.fail(new SnapshotError(msg.snapshot.kind, msg.error, msg.snapshot.offset, msg.snapshot.hint));
      else this.fail(new Error(msg.error));
    });
    this.worker.on('error', (e) => this.fail(e));
    this.worker.on('exit', (code) => {
      if (!this.closing) this.fail(new Error(`snapshot hashing worker exited (code ${code})`));
    });
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
    return this.waitUntilHeld(this.shape.slots - 1).then(() => this.take());
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

  /**
   * Lets `reader` hand ranges of `rangeBytes` to the worker (which needs a `source`), keeping at most
   * two of them queued there: the two threads then share the decoding whatever their speeds.
   */
  rangeDelegate(reader: SnapshotReader, rangeBytes = 1 << 20, queued = 2): RangeDelegate {
    return {
      rangeBytes,
      wanted: () => this.rangesTaken - Atomics.load(this.ctrl, RANGES_DONE) < queued,
      take: async (range: CoinRange) => {
        if (this.open < 0) await this.acquire();
        this.ranges.set([range.start, range.end, range.firstCoin, range.coins], this.open * RANGE_WORDS);
        this.rangesTaken++;
        this.publish(RANGE);
        reader.useOutput(await this.acquire());
      },
      settle: () => this.settle(),
    };
  }

  /** Waits until the worker has consumed every published slot; throws its failure, if any. */
  settle(): Promise<void> {
    return this.waitUntilHeld(0);
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
    this.closing = true;
    // A worker blocked in Atomics.wait cannot take a message: the stop word wakes it. It then closes
    // the file it decodes ranges from and exits; terminate() is for one that does not.
    this.ctrl[LENGTHS + (this.published % this.shape.slots)] = STOP;
    Atomics.store(this.ctrl, PUBLISHED, this.published + 1);
    Atomics.notify(this.ctrl, PUBLISHED);
    const timeout = new AbortController();
    await Promise.race([this.exited, sleep(2000, undefined, { signal: timeout.signal }).catch(() => undefined)]);
    timeout.abort();
    await this.worker.terminate();
  }

  private take(): Buffer {
    this.open = this.published % this.shape.slots;
    return Buffer.from(this.data, this.open * this.shape.slotBytes, this.shape.slotBytes);
  }

  /** Waits until the worker holds at most `slots` published slots; throws its failure, if any. */
  private async waitUntilHeld(slots: number): Promise<void> {
    for (;;) {
      if (this.failure) throw this.failure;
      const consumed = Atomics.load(this.ctrl, CONSUMED);
      if (this.published - consumed <= slots) return;
      await this.waitConsumed(consumed);
    }
  }

  /**
   * Waits until the worker moves CONSUMED on from `consumed`, or fails. Atomics.waitAsync holds no handle, so
   * the keep-alive does, or the loop could end under this wait once the worker has exited.
   */
  private async waitConsumed(consumed: number): Promise<void> {
    const w = waitAsync(this.ctrl, CONSUMED, consumed, 200);
    if (!w.async) return;
    this.keepAlive.hold(true);
    try {
      await w.value;
    } finally {
      this.keepAlive.hold(false);
    }
  }

  private fail(e: Error): void {
    if (this.failure) return;
    this.failure = e;
    this.rejectDigest?.(e);
    // Wakes a wait for the worker, which will not move CONSUMED any more.
    Atomics.notify(this.ctrl, CONSUMED);
  }
}
