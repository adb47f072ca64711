/**
 * gettxoutsetinfo over a chainstate database (ours or Core's): one pass over the coin records in hashing
 * order, read from the files directly and counted as they are decoded (CoinsDB.readRecordsInParallel: on
 * this thread by default, or on worker threads) or, when the files cannot be read directly, through
 * LevelDB (iterateRecords), feeding hash_serialized_3 and, on request, a MuHashPool.
 */
import type { CoinsDB } from './coins-db.js';
import { CoinsDBError } from './coins-db-error.js';
import { MuHashPool } from './muhash-pool.js';
import { UtxoStatsAccumulator } from './utxo-stats.js';

export interface ChainstateStatsOptions {
  muhash?: boolean;
  /**
   * false leaves hash_serialized_3 out (its field is then undefined), as Core's gettxoutsetinfo computes only
   * the hash_type asked for: MuHash alone, or no hash at all, costs no SHA-256 of the records.
   */
  hashSerialized3?: boolean;
  /** MuHash worker threads (default: one per core; 0 = on this thread). */
  threads?: number;
  /** Bytes of records per batch (when read on this thread). */
  batchBytes?: number;
  /**
   * Worker threads that read the database while this one hashes (default 0: read here, in one pass).
   * Measured on a loaded 2-core machine the workers cost more than they saved, so they are opt-in.
   */
  scanThreads?: number;
}

export interface ChainstateStats {
  /** Internal byte order; undefined for an empty database. No height: that needs the block index. */
  bestBlock: Uint8Array | undefined;
  txouts: number;
  transactions: number;
  bogosize: number;
  /** Satoshis; null when the sum overflows int64 (Core then omits total_amount). */
  totalAmount: bigint | null;
  /** Internal byte order. */
  hashSerialized3: Uint8Array;
  muhash?: Uint8Array;
  /** LevelDB's estimate of the bytes the coins take on disk. */
  diskSize: number;
}

/** ChainstateStats where hash_serialized_3 may have been left out (ChainstateStatsOptions.hashSerialized3). */
export type ChainstateStatsWithout = Omit<ChainstateStats, 'hashSerialized3'> & { hashSerialized3?: Uint8Array };

export function computeChainstateStats(db: CoinsDB, opts?: ChainstateStatsOptions & { hashSerialized3?: true }): Promise<ChainstateStats>;
export function computeChainstateStats(db: CoinsDB, opts: ChainstateStatsOptions): Promise<ChainstateStatsWithout>;
export async function computeChainstateStats(db: CoinsDB, opts: ChainstateStatsOptions = {}): Promise<ChainstateStatsWithout> {
  const withHash = opts.hashSerialized3 ?? true;
  const acc = new UtxoStatsAccumulator(withHash);
  const stats = () => (withHash ? acc.finalize() : acc.finalizeCounts());
  const pool = opts.muhash ? new MuHashPool(opts.threads) : undefined;
  try {
    // The files read directly (here, or on worker threads while this one only hashes), counted as they
    // are read; when they cannot be, through LevelDB's iterator.
    let delivered = false;
    let parallel: Awaited<ReturnType<CoinsDB['readRecordsInParallel']>>;
    try {
      parallel = await db.readRecordsInParallel(
        async (batch) => {
          delivered = true;
          acc.hashRecords(batch, batch.length);
          // Handed over (transferred) to the pool: the reader then gives its next batch new memory.
          if (pool) await pool.add(batch, true);
        },
        { workers: opts.scanThreads ?? 0, ...(opts.batchBytes ? { batchBytes: opts.batchBytes } : {}) },
      );
    } catch (e) {
      // Tables the direct read cannot take (say, compressed ones) found before anything was hashed: the
      // general reader below falls back to LevelDB's iterator (and reports real damage the same way).
      if (delivered || !(e instanceof CoinsDBError)) throw e;
      parallel = undefined;
    }
    if (parallel) {
      acc.counts.addCounts(parallel.counts);
      const muhash = pool ? await pool.finalize() : undefined;
      return { bestBlock: parallel.bestBlock, ...stats(), ...(muhash ? { muhash } : {}), diskSize: await db.estimateSize() };
    }
    const { bestBlock } = await db.iterateRecords(async (batch, length) => {
      acc.addRecords(batch, length);
      // A copy with its own ArrayBuffer, handed over (transferred) to the pool: the reader reuses `batch`,
      // and a Buffer (even a slice of one) may share Node's pool, which must never be transferred.
      if (pool) await pool.add(new Uint8Array(batch.subarray(0, length)), true);
    }, opts.batchBytes);
    const muhash = pool ? await pool.finalize() : undefined;
    return { bestBlock, ...stats(), ...(muhash ? { muhash } : {}), diskSize: await db.estimateSize() };
  } finally {
    await pool?.close();
  }
}
