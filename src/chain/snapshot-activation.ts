/**
 * Loading a UTXO snapshot into a new snapshot chainstate (Core's ActivateSnapshot and
 * PopulateAndValidateSnapshot): the refusals in Core's order and words, a streamed bulk load into
 * `chainstate_snapshot` in large LevelDB batches, the hash check against the assumeutxo parameters, and
 * on any failure the directory is removed and nothing else changes.
 */
import { createHash, randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import type { Logger } from 'pino';
import { hashToHex } from '../primitives/hash.js';
import { assumeutxoForHash, availableAssumeutxoHeights, type AssumeutxoEntry, type ChainParams } from '../consensus/params.js';
import { CoinsDB } from '../coins/coins-db.js';
import { finishHashSerialized3 } from '../coins/utxo-stats.js';
import { computeChainstateStats } from '../coins/coins-stats.js';
import { MSG, SnapshotError } from '../snapshot/errors.js';
import { SnapshotReader } from '../snapshot/reader.js';
import { getAncestor, hasMoreWork, type BlockIndex, type BlockIndexEntry } from './block-index.js';
import { isFailed } from './block-status.js';
import { BASE_BLOCKHASH_FILE, deleteChainstateDir, snapshotChainstateDir, writeBaseBlockhash } from './chainstate-dirs.js';

/** A refusal of loadtxoutset; `message` is Core's reason (the RPC wraps it). */
export class SnapshotActivationError extends Error {
  constructor(
    message: string,
    /** The underlying snapshot error, for its byte offset. */
    readonly snapshotError?: SnapshotError,
    /** Set when cleaning up failed too: Core's fatal error that comes with the refusal (the node stops). */
    readonly fatal?: string,
  ) {
    super(message);
    this.name = 'SnapshotActivationError';
  }
}

export interface ActivationContext {
  datadir: string;
  params: ChainParams;
  index: BlockIndex;
  /** Tip of the active chainstate (the snapshot must carry more work). */
  activeTip: BlockIndexEntry;
  snapshotExists: boolean;
  /** Bytes the load may buffer before writing a batch (the snapshot chainstate's share of the cache). */
  cacheBytes: number;
  log?: Logger;
  onProgress?: (coins: number, total: number) => void;
}

export interface ActivationResult {
  coinsLoaded: number;
  base: BlockIndexEntry;
  entry: AssumeutxoEntry;
}

/** Largest bulk-load batch (keys and values): LevelDB puts a whole batch into one memtable, so larger batches cost memory and speed. */
const BULK_BATCH_BYTES = 16 << 20;

/**
 * Streams the coins into `db`: records go straight to LevelDB keys and values (CoinsDB.bulkBatch), in
 * batches of at most BULK_BATCH_BYTES, one write in flight while the next batch fills. The first batch
 * names a random best block: the set is not at any block until the last batch names the base. With
 * `canonical`, also returns the hash_serialized_3 of the stream.
 */
async function loadCoins(ctx: ActivationContext, reader: SnapshotReader, db: CoinsDB, base: BlockIndexEntry, canonical: boolean): Promise<{ coins: number; hash: string }> {
  const sha = createHash('sha256');
  const batchBytes = Math.max(4 << 20, Math.min(BULK_BATCH_BYTES, Math.floor(ctx.cacheBytes / 8)));
  const total = reader.metadata.coinsCount;
  let bulk = db.bulkBatch();
  let inflight: Promise<void> | undefined;
  // Only the first batch names the random block: a batch that writes 'B' spans from 'B' to its last
  // coin, overlapping every table before it, and LevelDB then compacts the whole set (during the load
  // and again when the database is next opened, racing whatever runs then — a dump). Without it the
  // batches' keys ascend and never overlap, and each table is placed at a deeper level as it is.
  let marker: Uint8Array | undefined = randomBytes(32);
  reader.canonical = canonical;
  try {
    const coins = await reader.readCoins(async (batch, length) => {
      if (canonical) sha.update(batch.subarray(0, length));
      bulk.addRecords(batch, length);
      if (bulk.bytes >= batchBytes) {
        await inflight;
        inflight = bulk.write(marker);
        marker = undefined;
        // A failed write surfaces at the next await; keep it from being reported as unhandled meanwhile.
        inflight.catch(() => undefined);
        bulk = db.bulkBatch();
      }
    }, (n) => ctx.onProgress?.(n, total));
    await inflight;
    await bulk.write(base.hash);
    return { coins, hash: hashToHex(finishHashSerialized3(sha)) };
  } finally {
    await inflight?.catch(() => undefined);
  }
}

/** Opens the file and parses its header; SnapshotError ('io' / 'metadata') for the RPC to map. */
export function openSnapshot(path: string, params: ChainParams): SnapshotReader {
  return SnapshotReader.open(path, { expectedMessageStart: params.messageStart, expectedNetwork: params.name });
}

/** Core's checks before population, in order; throws SnapshotActivationError. */
export function checkActivation(ctx: ActivationContext, baseHash: Uint8Array): { base: BlockIndexEntry; entry: AssumeutxoEntry } {
  const hex = hashToHex(baseHash);
  if (ctx.snapshotExists) throw new SnapshotActivationError("Can't activate a snapshot-based chainstate more than once");
  if (!assumeutxoForHash(ctx.params, hex)) {
    throw new SnapshotActivationError(
      `assumeutxo block hash in snapshot metadata not recognized (hash: ${hex}). The following snapshot heights are available: ${availableAssumeutxoHeights(ctx.params).join(', ')}`,
    );
  }
  const base = ctx.index.get(baseHash);
  if (!base) {
    throw new SnapshotActivationError(
      `The base block header (${hex}) must appear in the headers chain. Make sure all headers are syncing, and call loadtxoutset again`,
    );
  }
  if (isFailed(base.status)) throw new SnapshotActivationError(`The base block header (${hex}) is part of an invalid chain`);
  if (getAncestor(ctx.index.bestHeader, base.height) !== base) {
    throw new SnapshotActivationError(
      'A forked headers-chain with more work than the chain with the snapshot base block header exists. Please proceed to sync without AssumeUtxo.',
    );
  }
  return { base, entry: assumeutxoForHash(ctx.params, hex)! };
}

/**
 * Core's cleanup_bad_snapshot: removes `chainstate_snapshot` and returns the refusal to throw. A failed
 * removal is fatal in Core (the directory would be taken for a snapshot chainstate at the next start):
 * the error then carries Core's fatal message, for the caller to stop the node with.
 */
export function cleanupBadSnapshot(datadir: string, reason: string, log?: Logger, cause?: SnapshotError): SnapshotActivationError {
  const dir = snapshotChainstateDir(datadir);
  if (existsSync(dir) && !deleteChainstateDir(dir, log)) {
    const fatal = `Failed to remove snapshot chainstate dir (${dir}). Manually remove it before restarting.`;
    log?.error(`*** ${fatal}`);
    return new SnapshotActivationError(reason, cause, fatal);
  }
  return new SnapshotActivationError(reason, cause);
}

/**
 * The last step of an activation, after Core's final work check: `base_blockhash` makes the directory a
 * snapshot chainstate for later starts. A failed write is Core's "could not write base blockhash".
 */
export function writeSnapshotBase(datadir: string, base: BlockIndexEntry, log?: Logger): void {
  try {
    writeBaseBlockhash(snapshotChainstateDir(datadir), base.hash);
  } catch (e) {
    log?.error(`[snapshot] writing ${BASE_BLOCKHASH_FILE} failed: ${(e as Error).message}`);
    throw cleanupBadSnapshot(datadir, 'could not write base blockhash', log);
  }
}

/**
 * Loads the coins of an opened snapshot into a new `chainstate_snapshot` and checks its hash; the caller
 * writes `base_blockhash` (writeSnapshotBase) once its final work check passed. Any failure removes the directory and throws SnapshotActivationError("Population
 * failed: …") or, for the final work check, Core's own message.
 */
export async function populateSnapshot(ctx: ActivationContext, reader: SnapshotReader, base: BlockIndexEntry): Promise<ActivationResult> {
  const dir = snapshotChainstateDir(ctx.datadir);
  const fail = (reason: string, cause?: SnapshotError): never => {
    throw cleanupBadSnapshot(ctx.datadir, `Population failed: ${reason}`, ctx.log, cause);
  };
  // Core looks the entry up by height here; by hash is the same with Core's tables, and it tells apart
  // user-trusted entries for the same height on other regtest chains.
  const entry = assumeutxoForHash(ctx.params, base.key);
  if (!entry || entry.height !== base.height) {
    return fail(`Assumeutxo height in snapshot metadata not recognized (${base.height}) - refusing to load snapshot`);
  }
  if (!hasMoreWork(base, ctx.activeTip)) return fail('Work does not exceed active chainstate');

  // A leftover from a load that crashed never got its base_blockhash: it is ours to replace.
  if (existsSync(dir) && !deleteChainstateDir(dir, ctx.log)) return fail(`could not remove the leftover ${dir}`);
  const total = reader.metadata.coinsCount;
  ctx.log?.info(`[snapshot] loading ${total} coins from snapshot ${base.key}`);
  let db: CoinsDB | undefined;
  try {
    db = await CoinsDB.open(dir, { create: true });
    reader.baseHeight = base.height;
    let got: string;
    let coins: number;
    try {
      // Core's order (every file Core writes): the hash is computed while loading, in one pass.
      ({ coins, hash: got } = await loadCoins(ctx, reader, db, base, true));
    } catch (e) {
      if (!(e instanceof SnapshotError && e.kind === 'content')) throw e;
      // Any other order: load as Core does (the database sorts) and hash the loaded set, so a re-ordered
      // file gets Core's answer, a content-hash mismatch, not a refusal of its order.
      ctx.log?.warn(`[snapshot] ${e.message}: loading it anyway and hashing the loaded set`);
      await db.close();
      deleteChainstateDir(dir, ctx.log);
      db = await CoinsDB.open(dir, { create: true });
      const again = openSnapshot(reader.path, ctx.params);
      try {
        again.baseHeight = base.height;
        ({ coins } = await loadCoins(ctx, again, db, base, false));
      } finally {
        again.close();
      }
      got = hashToHex((await computeChainstateStats(db, { threads: 0 })).hashSerialized3);
    }
    await db.close();
    db = undefined;
    if (got !== entry.hashSerialized) return fail(MSG.badHash(entry.hashSerialized, got));
    // base_blockhash is written by the caller, after Core's final work check (writeSnapshotBase).
    ctx.log?.info(`[snapshot] loaded ${coins} coins from snapshot ${base.key}`);
    return { coinsLoaded: coins, base, entry };
  } catch (e) {
    await db?.close().catch(() => {});
    if (e instanceof SnapshotActivationError) throw e;
    if (e instanceof SnapshotError) return fail(e.message, e);
    return fail((e as Error).message);
  }
}
