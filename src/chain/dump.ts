/**
 * dumptxoutset: write the active chainstate's UTXO set as a snapshot file — at the tip ('latest'), or
 * rolled back to an earlier block on a temporary copy of the set (undo data applied backwards), so the
 * active chain is never touched. Results and errors as Core's RPC.
 */
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import path from 'node:path';
import type { Logger } from 'pino';
import { equalBytes } from '../primitives/bytes.js';
import { hashToHex } from '../primitives/hash.js';
import { CoinsCache } from '../coins/coins-cache.js';
import { CoinsDB } from '../coins/coins-db.js';
import type { UtxoStats } from '../coins/utxo-stats.js';
import { HashingSink } from '../snapshot/hashing-sink.js';
import { SnapshotWriter } from '../snapshot/writer.js';
import type { ChainParams } from '../consensus/params.js';
import type { BlockIndexEntry } from './block-index.js';
import type { BlockStorage } from './block-storage.js';
import { deleteChainstateDir } from './chainstate-dirs.js';
import type { Chainstate } from './chainstate.js';
import { disconnectBlock } from './connect-block.js';

/** Bytes of keys and values per batch when copying the set for a rollback. */
const COPY_BATCH_BYTES = 16 << 20;

/** A refusal with Core's RPC error code. */
export class DumpError extends Error {
  constructor(
    readonly code: number,
    message: string,
  ) {
    super(message);
    this.name = 'DumpError';
  }
}

export interface DumpResult {
  coins_written: number;
  base_hash: string;
  base_height: number;
  path: string;
  txoutset_hash: string;
  nchaintx: number;
}

/**
 * 'copying' and 'writing' count coins (the total is an estimate until the end), 'rolling-back' counts
 * blocks undone on the copy. A 'latest' dump only writes; a rollback copies, rolls back, then writes.
 * While rolling back, `cacheBytes` is the rollback cache's memory use after the block (and its flush).
 */
export type DumpPhase = 'copying' | 'rolling-back' | 'writing';
export type DumpProgress = (done: number, total: number, phase: DumpPhase, cacheBytes?: number) => void;

export interface DumpContext {
  datadir: string;
  messageStart: Uint8Array;
  storage: BlockStorage;
  active: Chainstate;
  log?: Logger;
  onProgress?: DumpProgress;
  /** Memory budget of the rollback's coins cache; by default the active chainstate's. */
  cacheBytes?: number;
}

/** Coins between progress reports (the first report comes after this many too). */
const PROGRESS_EVERY = 10_000;

/**
 * Counts coins read in key order and estimates how many there are: coin keys start with the txid, whose
 * bytes are uniformly distributed, so the share of the key space passed is the share of the coins read.
 */
class CoinProgress {
  coins = 0;
  private next = PROGRESS_EVERY;

  constructor(
    private readonly phase: DumpPhase,
    private readonly sink: DumpProgress | undefined,
    /** A known count (writing after a copy), else estimated from the keys. */
    private readonly known?: number,
  ) {}

  /** `key` is a stored coin key: 'C', then the txid. */
  add(key: Uint8Array): void {
    if (++this.coins < this.next || !this.sink) return;
    this.next += PROGRESS_EVERY;
    const passed = (key[1] * 2 ** 24 + key[2] * 2 ** 16 + key[3] * 2 ** 8 + key[4] + 1) / 2 ** 32;
    const total = this.known ?? Math.round(this.coins / passed);
    this.sink(this.coins, Math.max(total, this.coins), this.phase);
  }

  finish(): void {
    this.sink?.(this.coins, this.coins, this.phase);
  }
}

/**
 * Core's dumptxoutset argument rules: type "latest" (the tip), or "rollback" to `rollback` (a height or
 * a block hash, as ParseHashOrHeight) or by default to the highest assumeutxo height. Undefined = the tip.
 */
export function resolveDumpTarget(ctx: DumpContext, params: ChainParams, type: string, rollback?: number | string): BlockIndexEntry | undefined {
  if (rollback !== undefined) {
    if (type !== '' && type !== 'rollback') throw new DumpError(-8, `Invalid snapshot type "${type}" specified with rollback option`);
    return parseHashOrHeight(ctx, rollback);
  }
  if (type === 'rollback') {
    const heights = params.assumeutxo.map((a) => a.height);
    if (heights.length === 0) throw new DumpError(-1, 'no assumeutxo heights are known for this network');
    return parseHashOrHeight(ctx, Math.max(...heights));
  }
  if (type !== 'latest') throw new DumpError(-8, `Invalid snapshot type "${type}" specified. Please specify "rollback" or "latest"`);
  return undefined;
}

function parseHashOrHeight(ctx: DumpContext, v: number | string): BlockIndexEntry {
  const tip = ctx.active.tip;
  if (typeof v === 'number') {
    if (v < 0) throw new DumpError(-8, `Target block height ${v} is negative`);
    if (v > tip.height) throw new DumpError(-8, `Target block height ${v} after current tip ${tip.height}`);
    return ctx.active.at(v)!;
  }
  const entry = /^[0-9a-fA-F]{64}$/.test(v) ? ctx.storage.index.get(v) : undefined;
  if (!entry) throw new DumpError(-5, 'Block not found');
  return entry;
}

/** `target` undefined: the tip. Paths relative to the datadir, as Core's. */
export async function dumpTxoutSet(ctx: DumpContext, file: string, target?: BlockIndexEntry): Promise<DumpResult> {
  const out = path.resolve(ctx.datadir, file);
  if (existsSync(out)) throw new DumpError(-8, `${out} already exists. If you are sure this is what you want, move it out of the way first`);
  const tip = ctx.active.tip;
  const base = target ?? tip;
  if (!ctx.active.contains(base)) throw new DumpError(-8, `Block ${base.key} is not in the active chain`);
  if (base !== tip) checkRollbackPossible(ctx, base);
  // Writing and hashing the file run on a worker; this thread reads the set and builds the file.
  const sink = new HashingSink();
  let writer: SnapshotWriter;
  try {
    writer = new SnapshotWriter(out, { messageStart: ctx.messageStart, baseHash: base.hash, exclusive: true, sink });
  } catch {
    await sink.close();
    throw new DumpError(-8, `Couldn't open file ${out}.incomplete for writing.`);
  }
  try {
    await ctx.active.flush(true);
    const copy = base === tip ? undefined : await rolledBackCopy(ctx, base);
    const source = copy?.db ?? ctx.active.db;
    let stats: UtxoStats;
    try {
      const progress = new CoinProgress('writing', ctx.onProgress, copy?.coins);
      // Coins go into the file as stored, without decoding; the worker decodes them to hash.
      const { bestBlock } = await source.scanStoredCoins((key, _keyLen, vout, coin, coinLen) => {
        writer.addStoredCoin(key, 1, vout, coin, coinLen);
        progress.add(key);
        return sink.wait();
      });
      progress.finish();
      // The state read must be the block the file names (the best block is read with the coins).
      if (!bestBlock || !equalBytes(bestBlock, base.hash)) {
        throw new Error(`the UTXO set read for the dump is at block ${bestBlock ? hashToHex(bestBlock) : 'none'}, not ${base.key}`);
      }
      writer.flush();
      stats = await sink.finish();
    } finally {
      if (source !== ctx.active.db) {
        await source.close();
        deleteChainstateDir(source.dir, ctx.log);
      }
    }
    await sink.close();
    const coins = writer.commit();
    return {
      coins_written: coins,
      base_hash: base.key,
      base_height: base.height,
      path: out,
      txoutset_hash: hashToHex(stats.hashSerialized3),
      nchaintx: base.chainTxCount,
    };
  } catch (e) {
    // The worker stops before the file it writes to is closed and removed.
    await sink.close();
    writer.abort();
    throw e;
  }
}

function checkRollbackPossible(ctx: DumpContext, target: BlockIndexEntry): void {
  for (let e = ctx.active.tip; e !== target; e = e.prev!) {
    if (!e.dataPos || !e.undoPos) {
      throw new DumpError(-1, 'Could not roll back to requested height since necessary block data is already pruned.');
    }
  }
}

/**
 * A temporary copy of the active UTXO set (`temp_utxo_<height>`), rolled back to `target`, with the
 * number of coins copied (the rollback changes it by a little: an estimate for the writing phase).
 */
async function rolledBackCopy(ctx: DumpContext, target: BlockIndexEntry): Promise<{ db: CoinsDB; coins: number }> {
  const dir = path.join(ctx.datadir, `temp_utxo_${target.height}`);
  if (existsSync(dir)) deleteChainstateDir(dir, ctx.log);
  const copy = await CoinsDB.open(dir, { create: true });
  try {
    // The first batch names a random block, so the copy is at no block until the last batch names the
    // tip; batches between leave the marker alone, which keeps each table's keys apart from the others'
    // (LevelDB then places them without compacting, see snapshot-activation's loadCoins).
    let marker: Uint8Array | undefined = randomBytes(32);
    let bulk = copy.bulkBatch();
    const progress = new CoinProgress('copying', ctx.onProgress);
    const { bestBlock, coins } = await ctx.active.db.scanStoredCoins((key, keyLen, _vout, coin, coinLen) => {
      bulk.addStored(key, keyLen, coin, coinLen);
      progress.add(key);
      if (bulk.bytes < COPY_BATCH_BYTES) return;
      const full = bulk;
      bulk = copy.bulkBatch();
      const written = full.write(marker);
      marker = undefined;
      return written;
    });
    const tip = ctx.active.tip;
    // Undo data is applied from the tip down: the copy must be of the set at the tip.
    if (!bestBlock || !equalBytes(bestBlock, tip.hash)) {
      throw new Error(`the UTXO set copied for the rollback is at block ${bestBlock ? hashToHex(bestBlock) : 'none'}, not the tip ${tip.key}`);
    }
    await bulk.write(tip.hash);
    progress.finish();
    const cache = new CoinsCache(copy);
    const budget = ctx.cacheBytes ?? ctx.active.cacheBytes;
    const blocks = tip.height - target.height;
    for (let e = tip; e !== target; e = e.prev!) {
      // Core's DisconnectTip: the block is undone on a child view, committed only when clean; then
      // FlushStateToDisk(IF_NEEDED) writes the cache once it is over its budget.
      const block = await ctx.storage.readBlock(e);
      const undo = await ctx.storage.readUndo(e);
      const view = new CoinsCache(cache);
      const result = disconnectBlock(block, undo, view, e.height);
      if (result !== 'ok') {
        ctx.log?.error(`DisconnectTip(): DisconnectBlock ${e.key} failed (${result})`);
        ctx.log?.warn('dumptxoutset failed to roll back to requested height, reverting to tip.');
        throw new DumpError(-1, 'Could not roll back to requested height.');
      }
      await view.flush();
      if (cache.memoryUsage > budget) await cache.flush();
      ctx.onProgress?.(tip.height - e.height + 1, blocks, 'rolling-back', cache.memoryUsage);
    }
    await cache.flush();
    return { db: copy, coins };
  } catch (e) {
    await copy.close();
    deleteChainstateDir(dir, ctx.log);
    throw e;
  }
}
