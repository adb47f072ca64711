/**
 * What RPC methods see of the node. The daemon (src/node) implements it; rpc/ never imports node/.
 * Every call into the ChainstateManager that changes or reads chain state goes through `exclusive`, so
 * RPC calls, block sources and the miner never interleave inside the engine.
 */
import type { Logger } from 'pino';
import type { ChainParams } from '../consensus/params.js';
import type { ChainstateManager } from '../chain/chainstate-manager.js';
import type { RpcMethod } from './method.js';
import type { Operations } from './operations.js';

export interface RpcContext {
  readonly manager: ChainstateManager;
  readonly params: ChainParams;
  /** The network's data directory: `<datadir>` on main, `<datadir>/regtest` etc. elsewhere. */
  readonly networkDir: string;
  readonly log: Logger;
  /** Unix seconds when the node started (uptime). */
  readonly startTime: number;
  /** Node time in seconds: the mock time when one is set (setmocktime), else the clock. */
  now(): number;
  /** 0 when no mock time is set. */
  mockTime: number;
  /** setnetworkactive / -networkactive. */
  networkActive: boolean;
  /** Serialises work on the chainstate manager (RPC calls, sources, the miner). */
  exclusive<T>(fn: () => Promise<T> | T): Promise<T>;
  /** Long operations (snapshot load, dump, background validation) for getprogress. */
  readonly operations: Operations;
  /** Every registered method, for help. */
  readonly methods: ReadonlyMap<string, RpcMethod>;
  /** Commands being served now, for getrpcinfo. */
  activeCommands(): { method: string; duration: number }[];
  /** Absolute path of debug.log (getrpcinfo's logpath). */
  readonly logPath: string;
  /** The `logging` RPC: current categories, and changes to them. */
  readonly logging: LoggingControl;
  /** The user agent getnetworkinfo reports (Core's strSubVersion, with -uacomment); a default when absent. */
  readonly subversion?: string;
  /** Regtest's -blockversion: the version of every block mined here; undefined for the versionbits version. */
  readonly blockVersion?: number;
  /** Begins the same shutdown as SIGTERM (the stop RPC). */
  requestShutdown(): void;
  /** Aborted when shutdown begins: long waits (waitforblockheight, …) return then. */
  readonly shutdownSignal?: AbortSignal;
}

export interface LoggingControl {
  /** Every category Core knows, with whether it is on. */
  categories(): Record<string, boolean>;
  /** Turns categories on or off; throws RpcError -8 "unknown logging category X" for a bad name. */
  update(include: string[], exclude: string[]): void;
}
