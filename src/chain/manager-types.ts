/**
 * What the ChainstateManager's callers see besides the manager itself: its options, its two fatal error
 * types, and the shapes of getchainstates and of background validation's status.
 */
import type { Logger } from 'pino';
import type { ChainParams } from '../consensus/params.js';
import type { BackgroundProgress } from './background-validation.js';
import type { BlockIndexEntry } from './block-index.js';

export interface ChainstateManagerOptions {
  /** The network's data directory (holds blocks/ and the chainstate directories). */
  datadir: string;
  params: ChainParams;
  /** Total coins cache budget in bytes (Core's -dbcache); default 450 MiB. */
  dbcache?: number;
  log?: Logger;
  /** Drop a snapshot chainstate (and one set aside as invalid) at startup. */
  resetSnapshot?: boolean;
  /** Script threads counting the caller's (NodeConfig.scriptThreads: Core's -par worked out); default: one per core. */
  scriptThreads?: number;
  /** -assumevalid as 64 hex digits (all zeros: verify every script); undefined: the network's default. */
  assumeValid?: string;
  /** Where background validation runs: 'worker' (default) or this thread. */
  background?: 'worker' | 'in-process';
  /** Clock in seconds (header time rule, initial-block-download test). */
  now?: () => number;
  maxBlockFileSize?: number;
  /** Core's -blocksxor: obfuscate a fresh blocks dir with a random xor.dat key (the daemon's default). */
  blocksXor?: boolean;
}

/** The node cannot go on: Core's fatal errors (a snapshot that failed validation). */
export class FatalError extends Error {
  override name = 'FatalError';
}

/** Startup refused (Core's ChainstateLoadStatus::FAILURE_FATAL). */
export class StartupError extends Error {
  override name = 'StartupError';
}

export interface ChainstateInfo {
  role: 'normal' | 'snapshot' | 'background';
  tip: BlockIndexEntry;
  snapshotBase?: BlockIndexEntry;
  validated: boolean;
  coinsDbCacheBytes: number;
  coinsTipCacheBytes: number;
}

export interface BackgroundStatus {
  height: number;
  tip: BlockIndexEntry;
  baseHeight: number;
  /** Transactions from genesis through the background tip (0 while unknown). */
  chainTxCount: number;
  /** chainTxCount at the tip ÷ chainTxCount at the base. */
  progress: number;
  blocksPerSecond: number;
  inputsPerSecond: number;
  /** Seconds left at the current speed, when it is known. */
  etaSeconds: number | undefined;
  /** Why background validation stopped, when it failed (a fatal error such as an unreadable block). */
  error?: string;
}

/**
 * Where background validation stands: its tip, the transactions validated so far against the base's
 * chain tx count (Core's verificationprogress for it), speed and an estimate of the time left.
 */
export function backgroundStatusOf(tip: BlockIndexEntry, base: BlockIndexEntry, p: BackgroundProgress | undefined): BackgroundStatus {
  const rate = p?.blocksPerSecond ?? 0;
  return {
    height: tip.height,
    tip,
    baseHeight: base.height,
    chainTxCount: tip.chainTxCount,
    progress: base.chainTxCount > 0 ? tip.chainTxCount / base.chainTxCount : 0,
    blocksPerSecond: rate,
    inputsPerSecond: p?.inputsPerSecond ?? 0,
    etaSeconds: rate > 0 ? (base.height - tip.height) / rate : undefined,
  };
}

/**
 * Core splits a chainstate's cache between LevelDB's own cache and the in-memory coins cache
 * (CalculateCacheSizes): coins_db = min(total/2, total/4 + 8 MiB), the rest to the coins tip.
 */
export function splitTipAndDb(total: number): { coinsDb: number; coinsTip: number } {
  const coinsDb = Math.min(Math.floor(total / 2), Math.floor(total / 4) + (1 << 23));
  return { coinsDb, coinsTip: total - coinsDb };
}
