/**
 * How the coins-cache budget (`dbcache`) is shared between chainstates, as Core's MaybeRebalanceCaches and
 * ActivateSnapshot do: 1% / 99% while a snapshot loads; with two chainstates 95% to the snapshot chainstate
 * during initial block download and 5% after it (the background one gets the rest); one chainstate gets all.
 * Also when a chainstate writes its cache besides being over budget: the periodic write's interval and the
 * "large cache" threshold.
 */
export interface CacheSplit {
  /** Bytes for the normal or background chainstate (0 when there is none). */
  background: number;
  /** Bytes for the snapshot chainstate (0 when there is none). */
  snapshot: number;
}

export type CachePhase =
  | { kind: 'single' }
  | { kind: 'loading-snapshot' }
  | { kind: 'two-chainstates'; initialBlockDownload: boolean }
  | { kind: 'snapshot-only' };

export function splitCache(total: number, phase: CachePhase): CacheSplit {
  const part = (f: number) => Math.floor(total * f);
  switch (phase.kind) {
    case 'single':
      return { background: total, snapshot: 0 };
    case 'snapshot-only':
      return { background: 0, snapshot: total };
    case 'loading-snapshot':
      return { background: part(0.01), snapshot: part(0.99) };
    case 'two-chainstates':
      return phase.initialBlockDownload ? { background: part(0.05), snapshot: part(0.95) } : { background: part(0.95), snapshot: part(0.05) };
  }
}

/**
 * Core's DATABASE_WRITE_INTERVAL_MIN/MAX, in seconds: blocks, block index and coins are written at a random
 * point of this window after the last write, so that nodes do not settle into writing in step.
 */
export const WRITE_INTERVAL_MIN = 50 * 60;
export const WRITE_INTERVAL_MAX = 70 * 60;

/** Core's LargeCoinsCacheThreshold: above it a periodic check empties the cache (no block is in progress then). */
export function largeCacheThreshold(total: number): number {
  return Math.max(Math.floor((total * 9) / 10), total - 10 * 1024 * 1024);
}

/** Core's default -dbcache, in bytes. */
export const DEFAULT_DBCACHE = 450 * 1024 * 1024;
