/**
 * A SnapshotWriter sink that moves the file writes and the hashing of a dump to a worker thread: the
 * writer hands over each chunk (whole transactions), the worker writes it at its position and computes
 * hash_serialized_3 and the gettxoutsetinfo counts from the same bytes. dumptxoutset then runs on two
 * cores — this thread reads the UTXO set and builds the file, the worker writes and hashes it — and the
 * hash is of exactly the bytes in the file.
 */
import { Worker } from 'node:worker_threads';
import type { UtxoStats } from '../coins/utxo-stats.js';
import type { ChunkSink } from './writer.js';

/** Chunks handed over but not yet written and hashed before wait() makes the producer pause. */
const MAX_IN_FLIGHT = 4;

export class HashingSink implements ChunkSink {
  private readonly worker: Worker;
  private inFlight = 0;
  private readonly acks: Array<() => void> = [];
  /** Buffers the worker has finished with and sent back, for the writer to fill again. */
  private readonly spare: Buffer[] = [];
  private failure: Error | undefined;
  private resolveStats: ((s: UtxoStats) => void) | undefined;
  private rejectStats: ((e: Error) => void) | undefined;

  constructor() {
    this.worker = new Worker(new URL('./hashing-sink-worker.js', import.meta.url), { resourceLimits: { maxYoungGenerationSizeMb: 8 } });
    this.worker.on('message', (msg: Uint8Array | string | UtxoStats) => {
      if (msg instanceof Uint8Array) {
        this.inFlight--;
        this.spare.push(Buffer.from(msg.buffer, 0, msg.buffer.byteLength));
        this.acks.shift()?.();
      } else if (typeof msg === 'string') {
        this.fail(new Error(msg.replace(/^error:/, '')));
      } else {
        this.resolveStats?.(msg);
      }
    });
    this.worker.on('error', (e) => this.fail(e));
    this.worker.on('exit', (code) => this.fail(new Error(`snapshot hashing worker exited (code ${code})`)));
  }

  /** Takes ownership of `chunk` (its buffer moves to the worker, which sends it back when done). */
  write(fd: number, chunk: Buffer, pos: number, nextSize: number): Buffer {
    if (this.failure) throw this.failure;
    // The writer's chunks have buffers of their own (it allocates ≥ 1 MiB), which can move; a small
    // Buffer may share Node's pool with other data, so it is copied into a buffer of its own.
    const own = chunk.buffer.byteLength >= 1 << 16 ? chunk : Buffer.from(new Uint8Array(chunk).buffer);
    this.worker.postMessage({ fd, pos, chunk: own }, [own.buffer as ArrayBuffer]);
    this.inFlight++;
    // Recycled rather than allocated: hundreds of fresh 1 MiB buffers would cost garbage collections.
    while (this.spare.length > 0) {
      const b = this.spare.pop()!;
      if (b.length >= nextSize) return b;
    }
    return Buffer.allocUnsafe(nextSize);
  }

  /** A promise to await when the worker is behind; undefined otherwise (checked per coin, so cheap). */
  wait(): Promise<void> | undefined {
    if (this.inFlight < MAX_IN_FLIGHT && !this.failure) return undefined;
    if (this.failure) return Promise.reject(this.failure);
    return new Promise<void>((resolve, reject) => this.acks.push(() => (this.failure ? reject(this.failure) : resolve())));
  }

  /** Once every chunk is written: the statistics of all the coins. */
  finish(): Promise<UtxoStats> {
    if (this.failure) return Promise.reject(this.failure);
    return new Promise<UtxoStats>((resolve, reject) => {
      this.resolveStats = resolve;
      this.rejectStats = reject;
      this.worker.postMessage('finish');
    });
  }

  async close(): Promise<void> {
    this.worker.removeAllListeners('exit');
    await this.worker.terminate();
  }

  private fail(e: Error): void {
    if (this.failure) return;
    this.failure = e;
    this.rejectStats?.(e);
    for (const a of this.acks.splice(0)) a();
  }
}
