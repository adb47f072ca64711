/**
 * What a block source (RPC nodes, a blk*.dat directory, later P2P) sees of the daemon, and what the daemon
 * sees of a source. Every call into the ChainstateManager goes through `exclusive`, so sources, RPC calls
 * and the miner never interleave inside the engine.
 */
import type { Logger } from 'pino';
import type { ChainParams } from '../../consensus/params.js';
import type { ChainstateManager } from '../../chain/chainstate-manager.js';
import { DownloadPlanner } from './download-plan.js';

export interface SourceSink {
  params: ChainParams;
  manager: ChainstateManager;
  exclusive<T>(fn: () => Promise<T> | T): Promise<T>;
  log: Logger;
}

export type SourceState = 'starting' | 'headers' | 'blocks' | 'idle' | 'waiting' | 'done' | 'failed' | 'stopped';

export interface SourceStatus {
  name: string;
  /** The source in use, without credentials. */
  url?: string;
  /** The source's own tip height, when known (-1 if not). */
  tipHeight: number;
  blocksReceived: number;
  bytesReceived: number;
  /** Unix milliseconds of the last block or header received (0: none yet). */
  lastActivity: number;
  state: SourceState;
}

export interface BlockSourceRunner {
  readonly name: string;
  start(): Promise<void>;
  stop(): Promise<void>;
  status(): SourceStatus;
}

/** Sleeps that stop() can cut short. */
export class Waker {
  private readonly sleepers = new Set<() => void>();

  sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.sleepers.delete(done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.sleepers.add(done);
    });
  }

  wakeUp(): void {
    for (const done of [...this.sleepers]) done();
  }
}

/** What every source runner shares: its run loop, stopping, counters, status, and its download plan. */
export abstract class SourceRunner implements BlockSourceRunner {
  abstract readonly name: string;
  protected state: SourceState = 'starting';
  protected stopping = false;
  protected readonly waker = new Waker();
  protected readonly planner: DownloadPlanner;
  private loop: Promise<void> | undefined;
  private blocksReceived = 0;
  private bytesReceived = 0;
  protected lastActivity = 0;
  private resolveFinished!: () => void;
  /** Resolves when the source has no more work for good (blocks dir done), or stopped, or failed. */
  readonly finished = new Promise<void>((r) => (this.resolveFinished = r));

  constructor(
    protected readonly sink: SourceSink,
    window?: number,
  ) {
    this.planner = new DownloadPlanner(sink.manager, window);
  }

  /** The source's work until it is done or stopping; a throw fails the source. */
  protected abstract run(): Promise<void>;
  /** The source in use and its tip height, for status(). */
  protected abstract where(): { url?: string; tipHeight: number };
  /** Cuts short what a stop must not wait for (open connections). */
  protected interrupt(): void {}

  async start(): Promise<void> {
    this.loop = this.run()
      .catch((e) => {
        this.state = 'failed';
        this.sink.log.error({ err: e }, `[${this.name}] stopped: ${(e as Error).message}`);
      })
      .finally(() => this.resolveFinished());
  }

  async stop(): Promise<void> {
    this.stopping = true;
    this.waker.wakeUp();
    this.interrupt();
    await this.loop;
    if (this.state !== 'failed') this.state = 'stopped';
  }

  status(): SourceStatus {
    return { name: this.name, ...this.where(), blocksReceived: this.blocksReceived, bytesReceived: this.bytesReceived, lastActivity: this.lastActivity, state: this.state };
  }

  protected received(bytes: number): void {
    this.blocksReceived++;
    this.bytesReceived += bytes;
    this.lastActivity = Date.now();
  }
}
