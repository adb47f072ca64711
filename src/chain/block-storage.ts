/**
 * Block storage for all chainstates (Core's BlockManager): the one block index, its LevelDB, and the
 * blk/rev files. Accepting a block runs the header rules and the block checks that need no UTXO set, and
 * stores it; `persist` makes stored data durable before the index may point at it.
 */
import path from 'node:path';
import { toHex } from '../primitives/bytes.js';
import type { Logger } from 'pino';
import { parseBlock, serializeBlock, type Block } from '../primitives/block.js';
import { hasWitness } from '../primitives/transaction.js';
import type { ChainParams } from '../consensus/params.js';
import { checkBlock, contextualCheckBlock } from '../consensus/block-checks.js';
import { ValidationError } from '../consensus/validation-error.js';
import { BlockIndex, medianTimePast, storedEntryOf, type BlockIndexEntry } from './block-index.js';
import { BlockIndexDb } from './block-index-db.js';
import { StartupError } from './manager-types.js';
import { BlockReadError, BlockStore } from './block-store.js';
import { parseBlockUndo, serializeBlockUndo, type BlockUndo } from './undo.js';

export interface BlockStorageOptions {
  /** Clock for the header time rule, in seconds. */
  now?: () => number;
  /** Smaller blk files (tests). */
  maxFileSize?: number;
  /** Core's -blocksxor for a fresh blocks dir (see BlockStoreOptions.obfuscate). */
  obfuscate?: boolean;
  log?: Logger;
}

/**
 * Core's refusals at startup: a LevelDB error is "Error opening block database" (with Core's "Fatal
 * LevelDB error: …"), an index that does not hold together is "Error loading block database".
 */
function blockDatabaseError(e: unknown): StartupError {
  const err = e as Error & { code?: string };
  const leveldb = typeof err.code === 'string' && err.code.startsWith('LEVEL_');
  // classic-level's own message ("Database failed to open") hides LevelDB's, which is in the cause.
  const level = err.cause instanceof Error ? err.cause.message : err.message;
  const detail = leveldb ? `Fatal LevelDB error: ${level}` : err.message;
  return new StartupError(`${leveldb ? 'Error opening block database' : 'Error loading block database'} (${detail})`, { cause: e });
}

export class BlockStorage {
  private persisting: Promise<void> = Promise.resolve();

  private constructor(
    readonly params: ChainParams,
    readonly index: BlockIndex,
    readonly store: BlockStore,
    private readonly db: BlockIndexDb,
    readonly dir: string,
  ) {}

  /** Opens `<datadir>/blocks`: the index is loaded into memory, appending resumes where the index says. */
  static async open(datadir: string, params: ChainParams, opts: BlockStorageOptions = {}): Promise<BlockStorage> {
    const dir = path.join(datadir, 'blocks');
    const db = await BlockIndexDb.open(dir, params).catch((e: unknown) => {
      throw blockDatabaseError(e);
    });
    try {
      const index = await db.loadAll({ now: opts.now }).catch((e: unknown) => {
        throw blockDatabaseError(e);
      });
      const store = await BlockStore.open(dir, {
        magic: params.messageStart,
        maxFileSize: opts.maxFileSize,
        obfuscate: opts.obfuscate,
        files: await db.fileInfos(),
        lastFile: await db.lastFile(),
      });
      opts.log?.info(`Using obfuscation key for blocksdir *.dat files (${dir}): '${toHex(store.xorKey)}'`);
      const storage = new BlockStorage(params, index, store, db, dir);
      await storage.loadGenesisBlock();
      return storage;
    } catch (e) {
      await db.close();
      throw e;
    }
  }

  /**
   * Checks and stores a block. Returns its entry and whether it was new. Throws ValidationError; a block that
   * breaks a consensus rule is marked invalid (with its descendants), a mutated copy is only refused.
   */
  async acceptBlock(bytes: Uint8Array): Promise<{ entry: BlockIndexEntry; isNew: boolean }> {
    let block: Block;
    try {
      block = parseBlock(bytes);
    } catch (e) {
      throw new ValidationError('mutated', 'block-decode-failed', (e as Error).message);
    }
    const entry = this.index.acceptHeader(block.header);
    if (entry.status.haveData) return { entry, isNew: false };
    try {
      checkBlock(block, this.params);
      contextualCheckBlock(block, { height: entry.height, prevMedianTimePast: medianTimePast(entry.prev!), params: this.params });
    } catch (e) {
      if (e instanceof ValidationError && e.result === 'consensus') this.index.markInvalid(entry);
      throw e;
    }
    const pos = await this.store.writeBlock(bytes, { height: entry.height, time: entry.header.time });
    this.index.setBlockData(entry, pos, block.txs.length, block.txs.some(hasWitness));
    return { entry, isNew: true };
  }

  /**
   * Core's LoadGenesisBlock: the genesis block is stored like any other, so its descendants get chain tx
   * counts and a chainstate can connect from it. (Its coinbase is never added to the UTXO set.)
   */
  private async loadGenesisBlock(): Promise<void> {
    const genesis = this.index.genesis;
    if (genesis.status.haveData) return;
    const pos = await this.store.writeBlock(serializeBlock(this.params.genesis), { height: 0, time: genesis.header.time });
    // Core's ConnectBlock skips the genesis block before raising validity: it stays BLOCK_VALID_TRANSACTIONS.
    this.index.setBlockData(genesis, pos, this.params.genesis.txs.length);
    await this.persist();
  }

  async readBlock(entry: BlockIndexEntry): Promise<Block> {
    if (!entry.dataPos) throw new Error(`block ${entry.key} (height ${entry.height}) is not stored`);
    return parseBlock(await this.store.readBlock(entry.dataPos));
  }

  async writeUndo(entry: BlockIndexEntry, undo: BlockUndo | Uint8Array): Promise<void> {
    if (!entry.dataPos) throw new Error(`block ${entry.key} has no data, so no rev file for its undo`);
    const bytes = undo instanceof Uint8Array ? undo : serializeBlockUndo(undo);
    const pos = await this.store.writeUndo(bytes, entry.header.prevHash, entry.dataPos.file);
    this.index.setUndoData(entry, pos);
  }

  async readUndo(entry: BlockIndexEntry): Promise<BlockUndo> {
    if (!entry.undoPos) throw new Error(`undo data of block ${entry.key} (height ${entry.height}) is not available`);
    return parseBlockUndo(await this.store.readUndo(entry.undoPos, entry.header.prevHash));
  }

  /** Syncs the files, then writes the changed index entries: never an index entry pointing at unsynced data. */
  persist(): Promise<void> {
    this.persisting = this.persisting.then(async () => {
      // Take the entries before the sync starts (in the same synchronous step as its file-size snapshot):
      // everything they point at is then covered by it. An entry dirtied during the sync waits for the next
      // persist.
      const dirty = this.index.takeDirty();
      const records = dirty.map(storedEntryOf);
      try {
        const synced = this.store.sync();
        await this.db.writeEntries(records, await synced);
      } catch (e) {
        this.index.markDirty(...dirty);
        throw e;
      }
    });
    return this.persisting;
  }

  async close(): Promise<void> {
    await this.persist();
    await this.store.close();
    await this.db.close();
  }
}

/** The main thread's BlockSource: chainstates read and write through the shared BlockStorage. */
export class StorageSource {
  constructor(private readonly storage: BlockStorage) {}

  get index(): BlockIndex {
    return this.storage.index;
  }

  /** A block that cannot be read or parsed is Core's fatal "Failed to read block." (BlockReadError). */
  readBlock(entry: BlockIndexEntry): Promise<Block> {
    return this.storage.readBlock(entry).catch((e: unknown) => {
      throw new BlockReadError(`block ${entry.key} (height ${entry.height})`, e);
    });
  }

  readUndo(entry: BlockIndexEntry): Promise<BlockUndo> {
    return this.storage.readUndo(entry);
  }

  writeUndo(entry: BlockIndexEntry, undo: BlockUndo): Promise<void> {
    return this.storage.writeUndo(entry, undo);
  }

  /** Core's end of ConnectBlock: BLOCK_VALID_SCRIPTS, whether the scripts ran or assumevalid skipped them. */
  markConnected(entry: BlockIndexEntry): void {
    this.storage.index.raiseValidity(entry, 'scripts');
  }

  markInvalid(entry: BlockIndexEntry): void {
    this.storage.index.markInvalid(entry);
  }

  persist(): Promise<void> {
    return this.storage.persist();
  }
}
