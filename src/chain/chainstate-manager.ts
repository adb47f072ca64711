/**
 * ChainstateManager: one chainstate, or two over the shared block storage (snapshot = active, background
 * = validating the snapshot's history), and the assumeutxo lifecycle between them:
 *
 *   startup → finish an interrupted cleanup → refuse if a snapshot failed validation → detect
 *   `chainstate_snapshot` → if the background chainstate already reached the base, check it now
 *   (match: rename into place; mismatch: set aside and refuse) → otherwise resume background validation.
 *   loadSnapshot → Core's checks → bulk load → hash check → the snapshot chainstate becomes active.
 *   background reaches the base → hash → validated (one chainstate from the next start) or invalid
 *   (directory set aside, background chainstate active again, fatal stop).
 *
 * Every step is a rename or an atomic batch, so a crash at any point resumes at the next start.
 */
import { existsSync } from 'node:fs';
import { pino, type Logger } from 'pino';
import type { Block, BlockHeader } from '../primitives/block.js';
import { hashToHex } from '../primitives/hash.js';
import { assumeutxoForHash, type AssumeutxoEntry, type ChainParams } from '../consensus/params.js';
import { ValidationError } from '../consensus/validation-error.js';
import type { Coin } from '../coins/coin.js';
import { computeChainstateStats } from '../coins/coins-stats.js';
import { getAncestor, hasMoreWork, type BlockIndexEntry } from './block-index.js';
import { isFailed } from './block-status.js';
import { BlockStorage, StorageSource } from './block-storage.js';
import { BLOCK_READ_FAILED, BlockReadError } from './block-store.js';
import { InProcessBackground, type BackgroundProgress, type BackgroundRunner } from './background-validation.js';
import { WorkerBackground } from './worker-background.js';
import { DEFAULT_DBCACHE, splitCache, type CachePhase } from './cache-budget.js';
import { Chainstate } from './chainstate.js';
import {
  chainstateDir,
  cleanupValidatedSnapshot,
  deleteChainstateDir,
  invalidateSnapshotDir,
  invalidSnapshotDir,
  readBaseBlockhash,
  ShortBaseBlockhashError,
  resumeCleanup,
  snapshotChainstateDir,
} from './chainstate-dirs.js';
import { MSG_FAILED_AT_STARTUP, snapshotInvalidMessage, type SnapshotValidity } from './lifecycle.js';
import { checkActivation, cleanupBadSnapshot, openSnapshot, populateSnapshot, SnapshotActivationError, writeSnapshotBase, type ActivationResult } from './snapshot-activation.js';
import { dumpTxoutSet, resolveDumpTarget, type DumpProgress, type DumpResult } from './dump.js';
import { invalidateBlock, PreciousBlocks, reconsiderBlock } from './chain-overrides.js';
import { SerialQueue } from './serial-queue.js';
import { assumedValidHeightBelow, assumeValidRule, BlockScripts, logScriptValidation, openCheckQueue, resolveAssumeValid } from './script-validation.js';
import { MSG_FAILED_WRITE_BLOCK, writeFailure } from './read-check.js';
import type { BlockUndo } from './undo.js';
import { backgroundStatusOf, FatalError, splitTipAndDb, StartupError, type BackgroundStatus, type ChainstateInfo, type ChainstateManagerOptions } from './manager-types.js';

export { FatalError, splitTipAndDb, StartupError, type BackgroundStatus, type ChainstateInfo, type ChainstateManagerOptions } from './manager-types.js';

/** Blocks older than this (seconds) mean the node is still catching up (Core's DEFAULT_MAX_TIP_AGE). */
const MAX_TIP_AGE = 24 * 60 * 60;

/**
 * Concurrency: every public async call that changes or flushes chain state (processBlock, the state switch
 * of loadSnapshot, dumpTxoutSet, invalidate/reconsider/preciousBlock, flush, close, and the completion of
 * background validation) runs through one internal queue, so callers need no lock of their own. The long
 * part of loadSnapshot (reading and storing the coins) runs outside it, as Core's does outside cs_main:
 * blocks keep being processed meanwhile. Synchronous reads (active, chainstates(), backgroundStatus(),
 * getCoin, isInitialBlockDownload, the block index) are consistent at every await and need no queue.
 */
export class ChainstateManager {
  readonly log: Logger;
  /** The chainstate built from genesis: alone, or the background one while a snapshot is unvalidated. */
  private normal: Chainstate | undefined;
  private snapshot: Chainstate | undefined;
  private runner: BackgroundRunner | undefined;
  private loading = false;
  /** A loadSnapshot is between its checks and its state switch: a second one is refused. */
  private snapshotPending = false;
  private readonly serial = new SerialQueue();
  private readonly precious = new PreciousBlocks();
  validity: SnapshotValidity = 'validated';
  /** Set once a fatal error happened; every later call refuses. */
  fatal: FatalError | undefined;
  backgroundProgress: BackgroundProgress | undefined;
  readonly dbcache: number;
  /** The -assumevalid block in force (display hex); undefined: every script is verified. */
  readonly assumeValid: string | undefined;
  private readonly scripts: BlockScripts;

  private constructor(
    readonly opts: ChainstateManagerOptions,
    readonly storage: BlockStorage,
  ) {
    this.log = opts.log ?? pino({ level: 'silent' });
    this.dbcache = opts.dbcache ?? DEFAULT_DBCACHE;
    this.assumeValid = resolveAssumeValid(opts.params, opts.assumeValid);
    this.scripts = new BlockScripts(openCheckQueue(opts.scriptThreads, this.log), assumeValidRule(storage.index, opts.params, this.assumeValid), this.log);
  }

  get params(): ChainParams {
    return this.opts.params;
  }

  get datadir(): string {
    return this.opts.datadir;
  }

  static async open(opts: ChainstateManagerOptions): Promise<ChainstateManager> {
    const log = opts.log ?? pino({ level: 'silent' });
    const datadir = opts.datadir;
    resumeCleanup(datadir, log);
    if (opts.resetSnapshot) {
      log.info('[snapshot] resetting: dropping the snapshot chainstate');
      for (const dir of [snapshotChainstateDir(datadir), invalidSnapshotDir(datadir)]) {
        if (existsSync(dir) && !deleteChainstateDir(dir, log)) throw new StartupError(`Couldn't remove snapshot chainstate (${dir}).`);
      }
    }
    if (existsSync(invalidSnapshotDir(datadir))) throw new StartupError(MSG_FAILED_AT_STARTUP);
    logScriptValidation(log, opts.params, resolveAssumeValid(opts.params, opts.assumeValid));
    const storage = await BlockStorage.open(datadir, opts.params, { now: opts.now, maxFileSize: opts.maxBlockFileSize, obfuscate: opts.blocksXor, log });
    const manager = new ChainstateManager(opts, storage);
    try {
      await manager.start();
    } catch (e) {
      await manager.closeQuietly();
      throw e;
    }
    return manager;
  }

  private async start(): Promise<void> {
    const base = this.detectSnapshot();
    if (base) {
      this.normal = await this.openChainstate('background', chainstateDir(this.datadir), base.entry);
      this.snapshot = await this.openChainstate('snapshot', snapshotChainstateDir(this.datadir), base.entry);
      this.validity = 'unvalidated';
      if (this.normal.tip === base.entry) {
        // Background validation finished in an earlier run: check it again and clean up, as Core does.
        const hash = (await computeChainstateStats(this.normal.db)).hashSerialized3;
        if (await this.finishValidation(hash, base.au, true)) {
          await this.snapshot.close();
          await this.normal.db.close();
          this.snapshot = undefined;
          this.normal = undefined;
          this.log.info('[snapshot] cleaning up unneeded background chainstate, then reinitializing');
          cleanupValidatedSnapshot(this.datadir, this.log);
          this.normal = await this.openChainstate('normal', chainstateDir(this.datadir));
        }
      } else {
        await this.startBackground();
      }
    } else {
      this.normal = await this.openChainstate('normal', chainstateDir(this.datadir));
    }
    await this.rebalanceCaches();
    await this.active.activateBestChain();
  }

  /** Core's DetectSnapshotChainstate, plus: a directory without base_blockhash is an interrupted load. */
  private detectSnapshot(): { entry: BlockIndexEntry; au: AssumeutxoEntry } | undefined {
    const dir = snapshotChainstateDir(this.datadir);
    if (!existsSync(dir)) return undefined;
    let hash: Uint8Array | undefined;
    try {
      hash = readBaseBlockhash(dir, this.log);
    } catch (e) {
      if (!(e instanceof ShortBaseBlockhashError)) throw e;
      // Core's catch around LoadChainstate: the exception is logged, startup fails with this message.
      this.log.error(e.message);
      throw new StartupError('Error loading databases', { cause: e });
    }
    if (!hash) {
      this.log.warn(`[snapshot] removing ${dir}: a snapshot load that never completed`);
      if (!deleteChainstateDir(dir, this.log)) throw new StartupError(`Couldn't remove snapshot chainstate (${dir}).`);
      return undefined;
    }
    this.log.info(`[snapshot] detected active snapshot chainstate (${dir}) - loading`);
    const au = assumeutxoForHash(this.params, hashToHex(hash));
    if (!au) throw new StartupError(`Assumeutxo data not found for the given blockhash '${hashToHex(hash)}'.`);
    const entry = this.storage.index.get(hash);
    if (!entry) throw new StartupError(`the snapshot base block ${hashToHex(hash)} is missing from the block index`);
    if (entry.chainTxCount === 0) this.storage.index.setChainTxCount(entry, au.chainTxCount);
    return { entry, au };
  }

  private openChainstate(role: 'normal' | 'snapshot' | 'background', dir: string, base?: BlockIndexEntry): Promise<Chainstate> {
    return Chainstate.open({
      role,
      dir,
      base,
      source: new StorageSource(this.storage),
      params: this.params,
      cacheBytes: this.dbcache,
      log: this.log,
      scripts: this.scripts,
      now: this.opts.now,
      // The normal chainstate may become the background one later (loadSnapshot), so it reports too.
      onConnected: (e, i) => {
        if (role !== 'snapshot' && this.normal?.role === 'background') {
          // Counted in onProgress, which the worker reports too.
          if (this.runner instanceof InProcessBackground) this.runner.connected(e, i.inputs);
        } else {
          this.connectedTotals.active.blocks++;
          this.connectedTotals.active.inputs += i.inputs;
        }
      },
    });
  }

  /** The chainstate that follows the network tip. */
  get active(): Chainstate {
    return this.snapshot ?? this.normal!;
  }

  /** The background chainstate, while the snapshot is being validated. */
  get background(): Chainstate | undefined {
    return this.snapshot && this.validity === 'unvalidated' ? this.normal : undefined;
  }

  get snapshotBase(): BlockIndexEntry | undefined {
    return this.snapshot?.base;
  }

  /**
   * Starts background validation of the normal chainstate up to the snapshot base: in a worker thread
   * (which then owns the `chainstate` database) or on this thread.
   */
  private async startBackground(): Promise<void> {
    const cs = this.normal!;
    const base = cs.base!;
    // Only the base's ancestors are connected: first step back off any other branch (this thread has the undo data).
    while (getAncestor(base, cs.height) !== cs.tip) await cs.disconnectTip();
    this.log.info(`[snapshot] background validation from height ${cs.height} to ${base.height}`);
    this.backgroundDone = new Promise((resolve) => (this.resolveBackgroundDone = resolve));
    const events = {
      onProgress: (p: BackgroundProgress) => {
        this.backgroundProgress = p;
        this.connectedTotals.background.blocks++;
        this.connectedTotals.background.inputs += p.inputs;
        // A log line every 10 s at most: height, share of the transactions, speed, time left.
        const now = Date.now();
        if (now - this.lastProgressLog >= 10_000 || p.height === base.height) {
          this.lastProgressLog = now;
          const st = this.backgroundStatus();
          if (st) {
            this.log.info(
              { height: st.height, base: st.baseHeight, progress: Number(st.progress.toFixed(4)), blocksPerSecond: Math.round(st.blocksPerSecond), etaSeconds: st.etaSeconds && Math.round(st.etaSeconds) },
              `[snapshot] background validation at height ${st.height} of ${st.baseHeight}`,
            );
          }
        }
      },
      onReachedBase: (hash: Uint8Array) => {
        this.completing = this.serial.run(() => this.completeBackground(hash));
      },
      onInvalid: (entry: BlockIndexEntry) => {
        this.completing = this.serial.run(() => this.backgroundFoundInvalid(entry));
      },
      onError: (e: Error) => this.backgroundFailed(e),
    };
    if (this.opts.background === 'in-process') {
      this.runner = new InProcessBackground(cs, events, this.log);
    } else {
      await cs.close();
      const scripts = { workers: this.scripts.queue.workers, queue: this.scripts.queue, assumedValidHeight: () => assumedValidHeightBelow(base, this.storage.index, this.params, this.assumeValid) };
      this.runner = new WorkerBackground(this.storage, this.params, cs.dir, base, cs.tip, cs.cacheBytes, scripts, events, this.log);
    }
    this.runner.notify();
  }

  /**
   * Core's AbortNode for an error in background validation: logged, kept for backgroundStatus(), and fatal
   * (a block that cannot be read back is Core's "Failed to read block."; nothing is retried, as in Core).
   */
  private backgroundFailed(e: Error): void {
    const message = e instanceof BlockReadError || e.message.includes(BLOCK_READ_FAILED) ? BLOCK_READ_FAILED : e.message;
    this.log.error({ err: e }, `*** ${message}`);
    this.backgroundError ??= message;
    this.fatal ??= new FatalError(message);
    this.resolveBackgroundDone?.();
  }

  /** Blocks and inputs (coinbase included) connected since the node opened, by role: for metrics. */
  readonly connectedTotals = { active: { blocks: 0, inputs: 0 }, background: { blocks: 0, inputs: 0 } };

  /** Why background validation stopped, when it failed. */
  backgroundError: string | undefined;
  private lastProgressLog = 0;
  private backgroundDone: Promise<void> = Promise.resolve();
  private resolveBackgroundDone: (() => void) | undefined;

  /**
   * Where background validation stands: its tip, the transactions validated so far against the base's
   * chain tx count (Core's verificationprogress for it), speed and an estimate of the time left.
   */
  backgroundStatus(): BackgroundStatus | undefined {
    const tip = this.backgroundTip;
    const base = this.snapshotBase;
    if (!tip || !base) return undefined;
    const status = backgroundStatusOf(tip, base, this.backgroundProgress);
    return this.backgroundError === undefined ? status : { ...status, error: this.backgroundError };
  }

  /** The background chainstate's tip while it runs. */
  get backgroundTip(): BlockIndexEntry | undefined {
    return this.background ? (this.runner?.tip ?? this.normal!.tip) : undefined;
  }

  /**
   * Resolves when the background work queued so far is done (in-process), or when background validation
   * has finished (worker; it must have all the blocks it needs).
   */
  async backgroundIdle(): Promise<void> {
    if (this.runner instanceof InProcessBackground) await this.runner.idle();
    else await this.backgroundDone;
    await this.completing;
  }

  /** The completion step (hash comparison, renames) once the background chainstate reached the base. */
  private completing: Promise<void> | undefined;

  private async completeBackground(hash: Uint8Array): Promise<void> {
    const base = this.snapshot!.base!;
    const au = assumeutxoForHash(this.params, base.key);
    this.runner = undefined;
    try {
      await this.finishValidation(hash, au, false);
    } finally {
      this.resolveBackgroundDone?.();
    }
  }

  /** The snapshot's history holds an invalid block: the snapshot is invalid, as after a hash mismatch. */
  private async backgroundFoundInvalid(entry: BlockIndexEntry): Promise<void> {
    const runner = this.runner;
    this.runner = undefined;
    try {
      await runner?.stop();
      this.log.error(`[snapshot] background validation found invalid block ${entry.key} at height ${entry.height}, below the snapshot base`);
      await this.snapshotInvalid(false);
    } finally {
      this.resolveBackgroundDone?.();
    }
  }

  /**
   * Core's MaybeCompleteSnapshotValidation once the background tip is the base: compare the hash.
   * At startup a mismatch refuses startup; at runtime it is a fatal error.
   */
  private async finishValidation(hash: Uint8Array, au: AssumeutxoEntry | undefined, atStartup: boolean): Promise<boolean> {
    const base = this.snapshot!.base!;
    const actual = hashToHex(hash);
    if (au && actual === au.hashSerialized) {
      this.log.info(`[snapshot] snapshot beginning at ${base.key} has been fully validated`);
      this.validity = 'validated';
      // At runtime the background chainstate closed its database on reaching the base; its directory is
      // cleaned up at the next start (renames are too risky while running, as in Core).
      if (!atStartup) this.normal = undefined;
      await this.rebalanceCaches();
      return true;
    }
    if (au) this.log.error(`[snapshot] hash mismatch: actual=${actual}, expected=${au.hashSerialized}`);
    else this.log.error(`[snapshot] assumeutxo data not found for height (${base.height}) - refusing to validate snapshot`);
    return this.snapshotInvalid(atStartup);
  }

  /** Sets the snapshot chainstate aside; the background chainstate is active again; fatal (at startup: refused). */
  private async snapshotInvalid(atStartup: boolean): Promise<false> {
    const base = this.snapshot!.base!;
    const message = snapshotInvalidMessage(this.snapshot!.height, base.height);
    this.log.error(`[snapshot] !!! ${message}`);
    this.log.error('[snapshot] deleting snapshot, reverting to validated chain, and stopping node');
    this.validity = 'invalid';
    await this.snapshot!.db.close();
    this.snapshot = undefined;
    invalidateSnapshotDir(this.datadir, this.log);
    if (atStartup) throw new StartupError(MSG_FAILED_AT_STARTUP);
    // The background chainstate is current again; it was closed when it reached the base.
    this.normal = await this.openChainstate('normal', chainstateDir(this.datadir));
    this.fatal = new FatalError(message);
    return false;
  }

  /**
   * Core v30's IsInitialBlockDownload: the active tip has less work than the network's MinimumChainWork,
   * or is older than 24 h. Once false it stays false (Core's latch), so the cache split and everything
   * else that asks is decided once, not again with every header that runs ahead of the tip.
   */
  isInitialBlockDownload(): boolean {
    if (this.finishedIbd) return false;
    const tip = this.active.tip;
    const now = this.opts.now?.() ?? Math.floor(Date.now() / 1000);
    if (tip.chainWork < this.params.minimumChainWork || tip.header.time < now - MAX_TIP_AGE) return true;
    this.log.info('Leaving InitialBlockDownload (latching to false)');
    this.finishedIbd = true;
    return false;
  }

  private finishedIbd = false;

  /**
   * Core's MaybeRebalanceCaches, with the 1%/99% split while a snapshot loads. A chainstate whose share
   * shrinks writes and empties its cache at once (Core's ResizeCoinsCaches), and shrinking goes first, so
   * the caches together stay within dbcache.
   */
  async rebalanceCaches(): Promise<void> {
    const phase: CachePhase = this.loading
      ? { kind: 'loading-snapshot' }
      : this.background
        ? { kind: 'two-chainstates', initialBlockDownload: this.isInitialBlockDownload() }
        : this.snapshot
          ? { kind: 'snapshot-only' }
          : { kind: 'single' };
    const split = splitCache(this.dbcache, phase);
    const shares: [Chainstate, number][] = [];
    if (this.snapshot) shares.push([this.snapshot, split.snapshot]);
    if (this.normal && this.normal !== this.snapshot) shares.push([this.normal, split.background || this.dbcache]);
    shares.sort(([a, x], [b, y]) => x - a.cacheBytes - (y - b.cacheBytes));
    for (const [cs, bytes] of shares) {
      if (cs === this.normal && this.runner instanceof WorkerBackground) {
        // The worker owns this chainstate's database and cache.
        cs.cacheBytes = bytes;
        this.runner.setCacheBytes(bytes);
      } else {
        await cs.resizeCache(bytes);
      }
    }
  }

  /** Accepts a block and moves the chainstates forward. Throws ValidationError for a bad block. */
  processBlock(bytes: Uint8Array): Promise<{ entry: BlockIndexEntry; isNew: boolean }> {
    return this.exclusive(async () => {
      const result = await this.storage.acceptBlock(bytes).catch((e: unknown) => {
        if (e instanceof ValidationError) throw e;
        this.log.error({ err: e }, 'Failed to write block');
        throw writeFailure(e, MSG_FAILED_WRITE_BLOCK);
      });
      if (result.isNew) {
        await this.active.activateBestChain();
        this.runner?.notify([result.entry]);
        await this.rebalanceCaches();
      }
      return result;
    });
  }

  /**
   * Accepts a header alone (headers-first sync). Past the write interval it queues the periodic write, so
   * headers reach disk even while no block arrives.
   */
  processHeader(header: BlockHeader): BlockIndexEntry {
    this.checkUsable();
    const entry = this.storage.index.acceptHeader(header);
    if (this.active.periodicWriteDue && !this.periodicQueued) {
      this.periodicQueued = true;
      this.exclusive(() => this.active.flushPeriodic())
        .catch((e) => this.log.error({ err: e }, 'periodic write failed'))
        .finally(() => (this.periodicQueued = false));
    }
    return entry;
  }

  private periodicQueued = false;

  /**
   * loadtxoutset. Throws SnapshotError (file, header) or SnapshotActivationError (Core's reasons).
   * `onProgress(coins, total)` is called after every batch of about 1 MiB of coin records (some 15,000
   * coins) and once at the end.
   */
  async loadSnapshot(path: string, onProgress?: (coins: number, total: number) => void): Promise<ActivationResult> {
    this.checkUsable();
    const reader = openSnapshot(path, this.params);
    try {
      const ctx = {
        datadir: this.datadir,
        params: this.params,
        index: this.storage.index,
        activeTip: this.active.tip,
        snapshotExists: this.snapshot !== undefined || this.snapshotPending,
        cacheBytes: splitCache(this.dbcache, { kind: 'loading-snapshot' }).snapshot,
        log: this.log,
        onProgress,
      };
      const { base } = checkActivation(ctx, reader.metadata.baseHash);
      this.snapshotPending = true;
      this.loading = true;
      try {
        await this.serial.run(async () => {
          this.checkUsable();
          await this.rebalanceCaches();
          // The active chainstate must have written what it has before the snapshot becomes active.
          await this.active.flush();
          ctx.activeTip = this.active.tip;
        });
        // Outside the queue: blocks keep being processed while the coins load (Core releases cs_main too).
        const result = await populateSnapshot(ctx, reader, base);
        this.loading = false;
        return await this.serial.run(() => this.activateLoadedSnapshot(result));
      } finally {
        this.loading = false;
        this.snapshotPending = false;
      }
    } catch (e) {
      // A refused activation whose directory could not be removed stops the node, as in Core.
      if (e instanceof SnapshotActivationError && e.fatal !== undefined) this.fatal ??= new FatalError(e.fatal);
      throw e;
    } finally {
      reader.close();
      await this.serial.run(() => this.rebalanceCaches()).catch((e) => this.log.error({ err: e }, 'rebalancing the caches failed'));
    }
  }

  /** The state switch once the coins are loaded and checked: the snapshot chainstate becomes active. */
  private async activateLoadedSnapshot(result: ActivationResult): Promise<ActivationResult> {
    const base = result.base;
    // Core's final check: blocks may have been connected while the coins were loading. (The base may
    // also have been invalidated meanwhile: a snapshot on an invalid chain would never be followed.)
    const refusal = this.fatal
      ? this.fatal.message
      : isFailed(base.status)
        ? `The base block header (${base.key}) is part of an invalid chain`
        : !hasMoreWork(base, this.active.tip)
          ? 'work does not exceed active chainstate'
          : undefined;
    if (refusal) throw cleanupBadSnapshot(this.datadir, refusal, this.log);
    writeSnapshotBase(this.datadir, base, this.log);
    this.storage.index.setChainTxCount(base, result.entry.chainTxCount);
    await this.storage.persist();
    this.snapshot = await this.openChainstate('snapshot', snapshotChainstateDir(this.datadir), base);
    this.normal!.becomeBackground(base);
    this.validity = 'unvalidated';
    this.log.info(`[snapshot] successfully activated snapshot ${base.key}`);
    await this.rebalanceCaches();
    await this.startBackground();
    await this.snapshot.activateBestChain();
    return result;
  }

  /**
   * dumptxoutset: type "latest" (the tip) or "rollback" (to `rollback`, a height or a block hash; by
   * default the highest assumeutxo height). Throws DumpError with Core's code and message.
   */
  dumpTxoutSet(file: string, type = '', rollback?: number | string, onProgress?: DumpProgress): Promise<DumpResult> {
    // Queued for its whole length: the set it reads must stay at the block the file names.
    return this.serial.run(() => {
      this.checkUsable();
      const ctx = { datadir: this.datadir, messageStart: this.params.messageStart, storage: this.storage, active: this.active, log: this.log, onProgress };
      return dumpTxoutSet(ctx, file, resolveDumpTarget(ctx, this.params, type, rollback));
    });
  }

  /**
   * invalidateblock: the active chain steps back below `entry`, which is marked failed (its descendants
   * failed-ancestor), and the best chain left becomes active. Genesis: nothing happens, as in Core.
   * Throws ChainOverrideError for a block at or below the base of an active snapshot chainstate.
   */
  invalidateBlock(entry: BlockIndexEntry): Promise<void> {
    return this.exclusive(async () => {
      await invalidateBlock(this.active, this.storage.index, entry, this.log);
      await this.rebalanceCaches();
    });
  }

  /** reconsiderblock: clears the failure marks of `entry`, its ancestors and descendants, and reactivates. */
  reconsiderBlock(entry: BlockIndexEntry): Promise<void> {
    return this.exclusive(async () => {
      await reconsiderBlock(this.active, this.storage.index, entry);
      // An in-process background chainstate shares the index: blocks below the base may be usable again.
      this.runner?.notify();
      await this.rebalanceCaches();
    });
  }

  /** preciousblock: `entry` wins ties against chains of equal work (until the tip gains work). */
  preciousBlock(entry: BlockIndexEntry): Promise<void> {
    return this.exclusive(async () => {
      await this.precious.apply(this.active, this.storage.index, entry);
    });
  }

  /**
   * Writes now (Core's ForceFlushStateToDisk with a warm cache): stored blocks and the block index, then
   * the active chainstate's coins. Periodic writes need no caller: every chainstate makes them itself
   * (Chainstate.flushPeriodic). A background chainstate flushes on its own (in its worker, which owns its
   * database, or between its steps here) and is left alone.
   */
  flush(): Promise<void> {
    return this.serial.run(() => this.active.flush(true));
  }

  /** gettxout: the unspent coin at txid:vout (txid in internal byte order) in the active chainstate. */
  getCoin(txid: Uint8Array, vout: number): Coin | undefined {
    return this.active.getCoin(txid, vout);
  }

  /** A stored block (getblock); throws when its data is not on disk (see entry.status.haveData). */
  readBlock(entry: BlockIndexEntry): Promise<Block> {
    return this.storage.readBlock(entry);
  }

  /** A stored block as its raw bytes (getblock verbosity 0, sources serving other nodes). */
  readRawBlock(entry: BlockIndexEntry): Promise<Uint8Array> {
    if (!entry.dataPos) return Promise.reject(new Error(`block ${entry.key} (height ${entry.height}) is not stored`));
    return this.storage.store.readBlock(entry.dataPos);
  }

  /** A connected block's undo data (getblock verbosity 3: the spent outputs); throws when absent. */
  readUndo(entry: BlockIndexEntry): Promise<BlockUndo> {
    return this.storage.readUndo(entry);
  }

  /** For getchainstates: background (historical) first, active last. */
  chainstates(): ChainstateInfo[] {
    const out: ChainstateInfo[] = [];
    const info = (cs: Chainstate, role: ChainstateInfo['role'], validated: boolean): ChainstateInfo => {
      const { coinsDb, coinsTip } = splitTipAndDb(cs.cacheBytes);
      return { role, tip: cs.tip, snapshotBase: cs === this.snapshot ? cs.base : undefined, validated, coinsDbCacheBytes: coinsDb, coinsTipCacheBytes: coinsTip };
    };
    if (this.background) out.push({ ...info(this.background, 'background', true), tip: this.backgroundTip! });
    if (this.snapshot) out.push(info(this.snapshot, this.background ? 'snapshot' : 'normal', this.validity === 'validated'));
    else out.push(info(this.normal!, 'normal', true));
    return out;
  }

  private checkUsable(): void {
    if (this.fatal) throw this.fatal;
  }

  /** Queued, refused after a fatal error, and a fatal error it meets (Core's FatalError) stops every later call. */
  private exclusive<T>(fn: () => Promise<T>): Promise<T> {
    return this.serial.run(async () => {
      this.checkUsable();
      try {
        return await fn();
      } catch (e) {
        if (e instanceof FatalError) this.fatal ??= e;
        throw e;
      }
    });
  }

  /** Stops background validation and flushes everything, after the calls queued before it. */
  async close(): Promise<void> {
    // Outside the queue: the completion step is itself a queued task.
    await this.completing?.catch(() => {});
    await this.runner?.stop();
    await this.completing?.catch(() => {});
    await this.serial.run(async () => {
      this.runner = undefined;
      if (this.snapshot) await this.snapshot.close();
      this.snapshot = undefined;
      if (this.normal) await this.normal.close();
      this.normal = undefined;
      await this.storage.close();
      await this.scripts.close();
    });
  }

  private async closeQuietly(): Promise<void> {
    await this.close().catch((e) => this.log.error({ err: e }, 'error while closing after a failed start'));
  }
}
