/**
 * Background validation: the background chainstate connects the snapshot base's ancestors, then its UTXO
 * hash is computed so the manager can compare it with the parameters. Two runners with one contract: in
 * this thread (tests, `threads: 0`) and in a worker thread (background-worker.ts), which owns the
 * `chainstate` database while it runs so the snapshot chainstate's work is never starved.
 */
import type { Logger } from 'pino';
import { computeChainstateStats } from '../coins/coins-stats.js';
import { getAncestor, type BlockIndexEntry } from './block-index.js';
import { isFailed } from './block-status.js';
import type { Chainstate } from './chainstate.js';

export interface BackgroundProgress {
  height: number;
  /** Hash of the background tip, internal order. */
  tip: Uint8Array;
  blocksPerSecond: number;
  inputsPerSecond: number;
  /** Inputs of the block just connected (coinbase included). */
  inputs: number;
}

export interface BackgroundEvents {
  onProgress(p: BackgroundProgress): void;
  /** The background chainstate reached the base and was flushed; `hash` is its hash_serialized_3. */
  onReachedBase(hash: Uint8Array): void;
  /** A block below the base broke a rule (a bad script, say): the snapshot rests on an invalid chain. */
  onInvalid(entry: BlockIndexEntry): void;
  onError(e: Error): void;
}

export interface BackgroundRunner {
  /** More blocks below the base may be stored now. */
  notify(entries?: BlockIndexEntry[]): void;
  /** Finish the block in progress, flush, release the database. */
  stop(): Promise<void>;
  readonly height: number;
  /** The background chainstate's tip (a main-thread index entry). */
  readonly tip: BlockIndexEntry;
  /** Coins cache budget (bytes), changed when caches are rebalanced. */
  setCacheBytes(bytes: number): void;
}

/** Rates over a sliding window, for progress lines. */
export class RateMeter {
  private started = performance.now();
  private blocks = 0;
  private inputs = 0;

  add(inputs: number): void {
    this.blocks++;
    this.inputs += inputs;
  }

  rates(): { blocksPerSecond: number; inputsPerSecond: number } {
    const secs = Math.max((performance.now() - this.started) / 1000, 1e-3);
    return { blocksPerSecond: this.blocks / secs, inputsPerSecond: this.inputs / secs };
  }
}

/** Runs the background chainstate on this thread, between the caller's own work. */
export class InProcessBackground implements BackgroundRunner {
  private running: Promise<void> = Promise.resolve();
  private done = false;
  private readonly meter = new RateMeter();

  constructor(
    private readonly chainstate: Chainstate,
    private readonly events: BackgroundEvents,
    private readonly log?: Logger,
  ) {}

  get height(): number {
    return this.chainstate.height;
  }

  get tip(): BlockIndexEntry {
    return this.chainstate.tip;
  }

  setCacheBytes(bytes: number): void {
    this.chainstate.cacheBytes = bytes;
  }

  notify(): void {
    this.running = this.running.then(() => this.step()).catch((e) => this.events.onError(e as Error));
  }

  /** Resolves when the work queued so far is done (tests). */
  idle(): Promise<void> {
    return this.running;
  }

  async stop(): Promise<void> {
    this.chainstate.stop();
    await this.running;
    await this.chainstate.close();
    this.done = true;
  }

  private async step(): Promise<void> {
    if (this.done) return;
    const cs = this.chainstate;
    await cs.activateBestChain();
    const next = cs.base!.height > cs.height ? getAncestor(cs.base!, cs.height + 1) : undefined;
    if (next && isFailed(next.status)) {
      this.done = true;
      this.events.onInvalid(next);
      return;
    }
    if (cs.tip === cs.base) {
      await cs.flush();
      this.log?.info('[snapshot] computing UTXO stats for background chainstate to validate snapshot - this could take a few minutes');
      const stats = await computeChainstateStats(cs.db);
      await cs.close();
      this.done = true;
      this.events.onReachedBase(stats.hashSerialized3);
    }
  }

  /** Hook for the chainstate's onConnected callback. */
  connected(entry: BlockIndexEntry, inputs: number): void {
    this.meter.add(inputs);
    this.events.onProgress({ height: entry.height, tip: entry.hash, ...this.meter.rates(), inputs });
  }
}
