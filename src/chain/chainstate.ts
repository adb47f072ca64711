/**
 * One chainstate: a UTXO set (its own LevelDB directory and coins cache) and the chain of blocks it
 * reflects. It connects and disconnects blocks and moves to the most-work chain it may follow:
 *   normal      — the most-work chain whose blocks are all stored;
 *   snapshot    — the same, but only chains through its base block (it never reorganises below it);
 *   background  — only the ancestors of the snapshot base, and it stops there.
 * Blocks come from a BlockSource, so the same code runs on the main thread and in the background worker.
 * Scripts are checked through `scripts` (the check queue and the assumevalid rule); without it they are not run.
 */
import type { Logger } from 'pino';
import type { Block } from '../primitives/block.js';
import { hashToHex } from '../primitives/hash.js';
import type { ChainParams } from '../consensus/params.js';
import { ValidationError } from '../consensus/validation-error.js';
import type { Coin } from '../coins/coin.js';
import { CoinsCache } from '../coins/coins-cache.js';
import { CoinsDB } from '../coins/coins-db.js';
import { outpointKey } from '../coins/view.js';
import { getAncestor, hasMoreWork, lastCommonAncestor, medianTimePast, type BlockIndex, type BlockIndexEntry } from './block-index.js';
import { isFailed } from './block-status.js';
import { connectBlockChecked, disconnectBlock, type BlockContext, type StagedBlock } from './connect-block.js';
import type { BlockScripts } from './script-validation.js';
import { largeCacheThreshold, WRITE_INTERVAL_MAX, WRITE_INTERVAL_MIN } from './cache-budget.js';
import type { ChainstateRole } from './lifecycle.js';
import { FatalError, splitTipAndDb } from './manager-types.js';
import { MSG_FAILED_DISCONNECT, MSG_FAILED_READ_BLOCK, MSG_FAILED_WRITE_UNDO, readBlockMismatch, recheckStoredBlock, writeFailure } from './read-check.js';
import { replayBlocks } from './replay-blocks.js';
import { SerialQueue } from './serial-queue.js';
import type { BlockUndo } from './undo.js';

/** What a chainstate needs from block storage (the main thread's BlockStorage, or the worker's proxy). */
export interface BlockSource {
  readonly index: BlockIndex;
  readBlock(entry: BlockIndexEntry): Promise<Block>;
  readUndo(entry: BlockIndexEntry): Promise<BlockUndo>;
  writeUndo(entry: BlockIndexEntry, undo: BlockUndo): Promise<void>;
  /** A chainstate connected the block (Core raises it to BLOCK_VALID_SCRIPTS, assumed valid or not). */
  markConnected(entry: BlockIndexEntry): void;
  markInvalid(entry: BlockIndexEntry, error: ValidationError): void;
  /** Makes stored blocks, undo data and index entries durable; called before every coins flush. */
  persist(): Promise<void>;
}

export interface ChainstateOptions {
  role: ChainstateRole;
  dir: string;
  source: BlockSource;
  params: ChainParams;
  /** Coins cache budget in bytes. */
  cacheBytes: number;
  /** Snapshot chainstate: the base block. Background chainstate: the block it stops at. */
  base?: BlockIndexEntry;
  log?: Logger;
  /** Script checks and the assumevalid rule; absent: scripts are not run. */
  scripts?: BlockScripts;
  /** Called after each block is connected (progress reporting). */
  onConnected?: (entry: BlockIndexEntry, info: { inputs: number }) => void;
  /** Clock in seconds (Core's mockable NodeClock): when the periodic write is due. */
  now?: () => number;
}

export class Chainstate {
  role: ChainstateRole;
  readonly dir: string;
  base: BlockIndexEntry | undefined;
  cacheBytes: number;
  /** chain[h] is the block at height h; below a snapshot base the blocks need not be stored. */
  private chain: BlockIndexEntry[];
  private stopped = false;
  private closed = false;
  /** Connect, disconnect and flush one at a time, whoever calls them (the manager, a background runner). */
  private readonly steps = new SerialQueue();
  /** A block's coins are in the cache but its undo data could not be written: the cache is never flushed. */
  private unwritable = false;
  /** When the periodic write is due (seconds); unset until the first check, as Core's m_next_write. */
  private nextWrite: number | undefined;

  private constructor(
    private readonly opts: ChainstateOptions,
    readonly db: CoinsDB,
    readonly cache: CoinsCache,
    tip: BlockIndexEntry,
  ) {
    this.role = opts.role;
    this.dir = opts.dir;
    this.base = opts.base;
    this.cacheBytes = opts.cacheBytes;
    this.chain = opts.source.index.chainTo(tip);
  }

  /**
   * Opens (creating when absent) the coins database in `dir`; the chain tip is the database's best block.
   * A flush interrupted between its partial batches left 'H' instead, and is finished first by replaying
   * the blocks (Core's ReplayBlocks); a crash loses only the blocks after the tip, which are connected
   * again from the block files.
   */
  static async open(opts: ChainstateOptions): Promise<Chainstate> {
    const db = await CoinsDB.open(opts.dir, { create: true });
    try {
      // An interrupted flush is finished from the block files before the tip is read (Core's ReplayBlocks).
      await replayBlocks(db, opts.source, opts.params, opts.log);
      const best = db.bestBlock();
      const index = opts.source.index;
      const tip = best ? index.get(best) : index.genesis;
      if (!tip) throw new Error(`the chainstate in ${opts.dir} is at block ${hashToHex(best!)}, which the block index does not know`);
      const cache = new CoinsCache(db);
      // A new UTXO set is at the genesis block, whose coinbase is never spendable (Core's special case).
      if (!best) cache.setBestBlock(tip.hash);
      return new Chainstate(opts, db, cache, tip);
    } catch (e) {
      await db.close();
      throw e;
    }
  }

  get tip(): BlockIndexEntry {
    return this.chain[this.chain.length - 1];
  }

  get height(): number {
    return this.chain.length - 1;
  }

  /** The block at `height` on this chain, if any. */
  at(height: number): BlockIndexEntry | undefined {
    return this.chain[height];
  }

  contains(entry: BlockIndexEntry): boolean {
    return this.chain[entry.height] === entry;
  }

  /** The normal chainstate becomes the background one when a snapshot is loaded: it now stops at `base`. */
  becomeBackground(base: BlockIndexEntry): void {
    this.role = 'background';
    this.base = base;
  }

  /** Stops activateBestChain after the block in progress (shutdown). */
  stop(): void {
    this.stopped = true;
  }

  /**
   * Moves to the most-work chain this chainstate may follow, connecting what is stored. A block that breaks
   * a rule is marked invalid and the next best chain is tried. Returns the number of blocks connected.
   */
  async activateBestChain(): Promise<number> {
    let connected = 0;
    for (;;) {
      if (this.stopped) break;
      const target = this.findTarget();
      if (!target || target === this.tip || !hasMoreWork(target, this.tip)) break;
      const fork = lastCommonAncestor(this.tip, target)!;
      if (this.base && this.role === 'snapshot' && fork.height < this.base.height) break;
      while (this.tip !== fork) await this.disconnectTip();
      const path: BlockIndexEntry[] = [];
      for (let e: BlockIndexEntry | undefined = target; e && e !== fork; e = e.prev) path.push(e);
      let failed = false;
      for (let i = path.length - 1; i >= 0 && !this.stopped; i--) {
        try {
          await this.connectTip(path[i]);
          connected++;
        } catch (e) {
          if (!(e instanceof ValidationError)) throw e;
          this.opts.source.markInvalid(path[i], e);
          this.logInvalidChainFound(path[i]);
          this.opts.log?.error(`ConnectTip: ConnectBlock ${path[i].key} failed, ${e.message}`);
          this.refreshCandidates();
          failed = true;
          break;
        }
        await this.maybeFlush();
      }
      if (!failed && this.tip !== target) break;
    }
    await this.flushPeriodic();
    return connected;
  }

  /** Connects `entry`, a child of the tip, and writes its undo data. Throws ValidationError. */
  connectTip(entry: BlockIndexEntry): Promise<void> {
    return this.steps.run(async () => {
      if (entry.prev !== this.tip) throw new Error(`block ${entry.key} does not extend the tip ${this.tip.key}`);
      const block = await this.readStoredBlock(entry, MSG_FAILED_READ_BLOCK);
      try {
        recheckStoredBlock(block, this.opts.params);
      } catch (e) {
        if (e instanceof ValidationError) this.opts.log?.error(`ConnectBlock: Consensus::CheckBlock: ${e.message}`);
        throw e;
      }
      const checks = this.opts.scripts?.checksFor(entry, this.role);
      let staged: StagedBlock;
      try {
        staged = await connectBlockChecked(block, this.context(entry), this.cache, checks, { skipChecks: true });
      } catch (e) {
        if (e instanceof ValidationError) this.opts.log?.info(`Block validation error: ${e.message}`);
        throw e;
      }
      const result = staged.result;
      // The tip moves with the coins, before the next await: lock-free readers (getCoin) see one state.
      staged.commit();
      this.chain.push(entry);
      try {
        await this.opts.source.writeUndo(entry, result.undo);
      } catch (e) {
        // The cache is at this block, its undo data is not: it must never be written (see close).
        this.unwritable = true;
        this.opts.log?.error({ err: e, block: entry.key }, 'Failed to write undo data');
        throw writeFailure(e, MSG_FAILED_WRITE_UNDO);
      }
      this.opts.source.markConnected(entry);
      this.opts.onConnected?.(entry, { inputs: result.inputs });
    });
  }

  /** Core's InvalidChainFound lines: the block found invalid and the tip we stay on. */
  private logInvalidChainFound(entry: BlockIndexEntry): void {
    const log = this.opts.log;
    if (!log) return;
    const describe = (e: BlockIndexEntry): string =>
      `log2_work=${Math.log2(Number(e.chainWork)).toFixed(6)}  date=${new Date(e.header.time * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z')}`;
    log.info(`InvalidChainFound: invalid block=${entry.key}  height=${entry.height}  ${describe(entry)}`);
    log.info(`InvalidChainFound:  current best=${this.tip.key}  height=${this.height}  ${describe(this.tip)}`);
  }

  /**
   * Disconnects the tip using its undo data (Core's DisconnectTip): on a child view of the cache, committed
   * only when DisconnectBlock is clean. Anything else (unreadable block or undo, 'failed', and 'unclean'
   * too, as Core's DisconnectTip takes any result but DISCONNECT_OK as failure) is Core's fatal error, with
   * the cache as it was. Never below a snapshot base (there is no undo data there).
   */
  async disconnectTip(): Promise<void> {
    await this.steps.run(async () => {
      const entry = this.tip;
      if (this.role === 'snapshot' && this.base && entry.height <= this.base.height) {
        throw new Error(`refusing to disconnect block ${entry.key} at or below the snapshot base`);
      }
      if (entry.height === 0) throw new Error('cannot disconnect the genesis block');
      const block = await this.readStoredBlock(entry, MSG_FAILED_DISCONNECT);
      let undo: BlockUndo;
      try {
        undo = await this.opts.source.readUndo(entry);
      } catch (e) {
        this.opts.log?.error({ err: e, block: entry.key }, 'DisconnectBlock(): failure reading undo data');
        throw new FatalError(MSG_FAILED_DISCONNECT, { cause: e });
      }
      const view = new CoinsCache(this.cache);
      const result = disconnectBlock(block, undo, view, entry.height);
      if (result !== 'ok') {
        this.opts.log?.error({ block: entry.key, height: entry.height, result }, `DisconnectTip(): DisconnectBlock ${entry.key} failed`);
        throw new FatalError(MSG_FAILED_DISCONNECT, { cause: new Error(`DisconnectBlock returned ${result}`) });
      }
      // The coins and the tip change together, with no await between them.
      view.flushToParent();
      this.chain.pop();
    });
    await this.maybeFlush();
  }

  /**
   * A stored block, checked as Core's ReadBlock does. Any failure (I/O, parse, not the indexed block) is
   * logged with its cause and is Core's `fatal` error: the node stops rather than build on bad data.
   */
  private async readStoredBlock(entry: BlockIndexEntry, fatal: string): Promise<Block> {
    let block: Block;
    try {
      block = await this.opts.source.readBlock(entry);
    } catch (e) {
      this.opts.log?.error({ err: e, block: entry.key }, `Deserialize or I/O error - ${(e as Error).message} while reading block`);
      throw new FatalError(fatal, { cause: e });
    }
    const mismatch = readBlockMismatch(block, entry, this.opts.params);
    if (mismatch) {
      this.opts.log?.error({ block: entry.key, height: entry.height }, mismatch);
      throw new FatalError(fatal, { cause: new Error(mismatch) });
    }
    return block;
  }

  /**
   * Core's ResizeCoinsCaches: a smaller budget writes and empties the cache at once (it may hold far more
   * than its new share), a larger one writes only if the cache is still over it.
   */
  async resizeCache(bytes: number): Promise<void> {
    if (bytes === this.cacheBytes) return;
    const shrinking = bytes < this.cacheBytes;
    this.cacheBytes = bytes;
    if (this.closed) return;
    const { coinsDb, coinsTip } = splitTipAndDb(bytes);
    const name = `Chainstate [${this.role === 'snapshot' ? 'snapshot' : 'ibd'}] @ height ${this.height} (${this.tip.key})`;
    this.opts.log?.info(`[${name}] resized coinsdb cache to ${(coinsDb / 1048576).toFixed(1)} MiB`);
    this.opts.log?.info(`[${name}] resized coinstip cache to ${(coinsTip / 1048576).toFixed(1)} MiB`);
    if (shrinking) await this.flush();
    else await this.maybeFlush();
  }

  /** Flushes when the cache is over its budget. */
  async maybeFlush(): Promise<void> {
    if (this.cache.memoryUsage > this.cacheBytes) await this.flush();
  }

  /** The periodic write is due (headers alone arrived: the caller may ask for it). */
  get periodicWriteDue(): boolean {
    return this.nextWrite !== undefined && this.clock() >= this.nextWrite;
  }

  /**
   * Core's FlushStateToDisk(PERIODIC), at the end of every activateBestChain: once the write interval has
   * passed, blocks, block index and coins are written and the cache kept warm (Core's Sync); a cache past
   * LargeCoinsCacheThreshold is written and emptied. The first call only sets the time of the next write.
   */
  async flushPeriodic(): Promise<void> {
    this.nextWrite ??= this.nextWriteTime();
    const large = this.cache.memoryUsage > largeCacheThreshold(this.cacheBytes);
    if (large || this.periodicWriteDue) await this.flush(!large);
  }

  private clock(): number {
    return this.opts.now?.() ?? Math.floor(Date.now() / 1000);
  }

  private nextWriteTime(): number {
    return this.clock() + WRITE_INTERVAL_MIN + Math.floor(Math.random() * (WRITE_INTERVAL_MAX - WRITE_INTERVAL_MIN + 1));
  }

  /**
   * Block data and index first, then the coins in one atomic batch (best block included). Waits for a
   * block being connected or disconnected: its undo data and index entry must be in the same persist as
   * the coins that reflect it.
   */
  flush(keepCache = false): Promise<void> {
    return this.steps.run(() => this.flushNow(keepCache));
  }

  private async flushNow(keepCache: boolean): Promise<void> {
    if (this.unwritable) throw new FatalError(MSG_FAILED_WRITE_UNDO);
    try {
      await this.opts.source.persist();
      if (this.cache.bestBlock() === undefined) this.cache.setBestBlock(this.tip.hash);
      if (keepCache) await this.cache.sync();
      else await this.cache.flush();
    } catch (e) {
      this.opts.log?.error({ err: e }, 'System error while flushing');
      throw writeFailure(e, `System error while flushing: ${(e as Error).message}`);
    }
    // Every full write restarts the interval, whatever asked for it (Core: should_write).
    this.nextWrite = this.nextWriteTime();
  }

  /** Flushes and closes the database (also when the flush fails: what was durable stays so); later calls do nothing. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.unsubscribe?.();
    await this.steps.run(async () => {
      try {
        // After a failed undo write the cache is ahead of what could be undone: the database keeps the
        // last consistent state, and the next start connects the blocks after it again.
        if (this.unwritable) await this.opts.source.persist();
        else await this.flushNow(false);
      } finally {
        await this.db.close();
      }
    });
  }

  /**
   * Entries that may be the tip of a better chain (Core's setBlockIndexCandidates): connectable, with at
   * least the tip's work. Filled by one scan at open and by the index as chain tx counts become known;
   * rebuilt after an invalid block, since the best remaining chain may have less work than the old tip.
   */
  private candidates = new Set<BlockIndexEntry>();
  private unsubscribe: (() => void) | undefined;

  /**
   * Rebuilds the candidates from the whole index: after an invalid block, invalidateblock or
   * reconsiderblock, when the best chain may have less work than the tip that pruned the set.
   */
  refreshCandidates(atLeast?: BlockIndexEntry): void {
    this.candidates = new Set(this.opts.source.index.connectableEntries(atLeast));
  }

  /** One entry may now rank above the tip (preciousblock changed its tie-break). */
  addCandidate(entry: BlockIndexEntry): void {
    this.candidates.add(entry);
  }

  /**
   * The unspent coin at txid:vout (txid in internal order) as of the tip: the cache's entry when it holds
   * one (unspent or spent), else the database's, without adding it to the cache (gettxout).
   */
  getCoin(txid: Uint8Array, vout: number): Coin | undefined {
    const key = outpointKey(txid, vout);
    const cached = this.cache.entryState(key);
    if (cached) return cached.spent ? undefined : this.cache.getCoin(key);
    return this.db.getCoin(key);
  }

  /** Where this chainstate wants to go next. */
  private findTarget(): BlockIndexEntry | undefined {
    const index = this.opts.source.index;
    if (!this.unsubscribe) {
      this.unsubscribe = index.onConnectable((e) => this.candidates.add(e));
      // Those the tip beats would be dropped below at once (a mainnet index would list every entry).
      this.refreshCandidates(this.tip);
    }
    if (this.role === 'background') {
      // Only the snapshot base's ancestors, as far as their blocks are stored.
      const base = this.base!;
      let reach: BlockIndexEntry | undefined;
      for (let h = this.height + 1; h <= base.height; h++) {
        const e = getAncestor(base, h)!;
        if (!e.status.haveData || isFailed(e.status)) break;
        reach = e;
      }
      return reach;
    }
    let best: BlockIndexEntry | undefined;
    const tip = this.tip;
    for (const e of this.candidates) {
      if (isFailed(e.status) || (e !== tip && hasMoreWork(tip, e))) {
        this.candidates.delete(e);
        continue;
      }
      if (e.chainTxCount === 0 || !(e.status.haveData || e === this.base)) continue;
      if (best && !hasMoreWork(e, best)) continue;
      if (this.base && (e.height < this.base.height || getAncestor(e, this.base.height) !== this.base)) continue;
      if (!this.base && !this.storedFrom(e)) continue;
      best = e;
    }
    return best;
  }

  /** Every block from the fork with our chain up to `e` is stored (chainTxCount alone may rest on a snapshot base). */
  private storedFrom(e: BlockIndexEntry): boolean {
    for (let x: BlockIndexEntry | undefined = e; x && !this.contains(x); x = x.prev) if (!x.status.haveData) return false;
    return true;
  }

  private context(entry: BlockIndexEntry): BlockContext {
    const prev = entry.prev!;
    return {
      height: entry.height,
      prevHash: prev.hash,
      prevMedianTimePast: medianTimePast(prev),
      ancestorMedianTimePast: (h) => medianTimePast(getAncestor(prev, h)!),
      ancestorHash: (h) => getAncestor(entry, h)?.hash,
      params: this.opts.params,
    };
  }
}
