/**
 * What a block source (RPC nodes, a blk*.dat directory, later P2P) sees of the daemon, and what the daemon
 * sees of a source. Every call into the ChainstateManager goes through `exclusive`, so sources, RPC calls
 * and the miner never interleave inside the engine.
 */
import type { Logger } from 'pino';
import type { ChainParams } from '../../consensus/params.js';
import type { ChainstateManager } from '../../chain/chainstate-manager.js';

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
