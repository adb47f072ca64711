/**
 * The node as RPC methods and block sources see it (RpcContext): the engine, the clock with its mock time,
 * the network switch, long operations, and one queue that serialises every call into the engine, so that a
 * dump's flush never interleaves with a block being connected.
 */
import type { Logger } from 'pino';
import type { ChainstateManager } from '../chain/chainstate-manager.js';
import type { ChainParams } from '../consensus/params.js';
import type { LoggingControl, RpcContext } from '../rpc/context.js';
import type { RpcMethod } from '../rpc/method.js';
import { Operations } from '../rpc/operations.js';

export interface NodeContextOptions {
  params: ChainParams;
  networkDir: string;
  log: Logger;
  logPath: string;
  logging: LoggingControl;
  methods: ReadonlyMap<string, RpcMethod>;
  mockTime: number;
  networkActive: boolean;
  /** Regtest's -blockversion for mined blocks. */
  blockVersion?: number;
  /** The user agent getnetworkinfo reports (-uacomment). */
  subversion?: string;
  requestShutdown: () => void;
  activeCommands: () => { method: string; duration: number }[];
}

export class NodeContext implements RpcContext {
  readonly startTime = Math.floor(Date.now() / 1000);
  readonly operations = new Operations();
  mockTime: number;
  networkActive: boolean;
  blockVersion: number | undefined;
  subversion: string | undefined;
  private queue: Promise<unknown> = Promise.resolve();
  private readonly shutdown = new AbortController();
  /** Set once the engine is open; RPC methods only run after that (the server answers "in warm-up" before). */
  private engine: ChainstateManager | undefined;

  constructor(private readonly opts: NodeContextOptions) {
    this.mockTime = opts.mockTime;
    this.networkActive = opts.networkActive;
    this.blockVersion = opts.blockVersion;
    this.subversion = opts.subversion;
  }

  get manager(): ChainstateManager {
    if (!this.engine) throw new Error('the chainstate is not loaded yet');
    return this.engine;
  }

  attach(manager: ChainstateManager | undefined): void {
    this.engine = manager;
  }
  get params(): ChainParams {
    return this.opts.params;
  }
  get networkDir(): string {
    return this.opts.networkDir;
  }
  get log(): Logger {
    return this.opts.log;
  }
  get logPath(): string {
    return this.opts.logPath;
  }
  get logging(): LoggingControl {
    return this.opts.logging;
  }
  get methods(): ReadonlyMap<string, RpcMethod> {
    return this.opts.methods;
  }

  now(): number {
    return this.mockTime || Math.floor(Date.now() / 1000);
  }

  exclusive<T>(fn: () => Promise<T> | T): Promise<T> {
    const run = this.queue.then(fn);
    // The queue goes on after a failure; the caller sees the error.
    this.queue = run.catch(() => undefined);
    return run;
  }

  activeCommands(): { method: string; duration: number }[] {
    return this.opts.activeCommands();
  }

  get shutdownSignal(): AbortSignal {
    return this.shutdown.signal;
  }

  requestShutdown(): void {
    this.shutdown.abort();
    this.opts.requestShutdown();
  }
}
