/**
 * CoinsDB: the UTXO set on disk in Bitcoin Core's chainstate LevelDB layout, so a directory written by
 * Core can be read here and one written here can be read by Core:
 *   'C' ‖ txid ‖ VARINT(vout) → compressed coin      0e 00 "obfuscate_key" → CompactSize(8) ‖ key (plain)
 *   'B' → best block hash (32)                        'H' → [new, old] head blocks of an interrupted flush
 * Every value except the obfuscation key itself is XOR-ed with the 8-byte key (repeating from offset 0).
 * A fresh database gets a random key like Core's; a non-empty one without a key is read unobfuscated.
 *
 * A flush is written as Core writes it, in batches of -dbbatchsize bracketed by 'H' (see writeBatch).
 */
import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { ClassicLevel } from 'classic-level';
import { equalBytes } from '../primitives/bytes.js';
import { hashToHex } from '../primitives/hash.js';
import type { TempDir } from '../primitives/temp-dirs.js';
import { MAX_COMPRESSED_COIN, serializeCoin, writeCompressedCoin, type Coin } from './coin.js';
import { decodeCompressedCoin, decoded, MAX_RECORD_SIZE, RECORD_CODE, recordScriptOffset } from './coin-record.js';
import { BulkBatch } from './coins-bulk-batch.js';
import { BATCH_HEADER_BYTES, coinsWriteDefaults, delBytes, maybeSimulateCrash, putBytes, type CoinsWriteOptions } from './coins-write-options.js';
import { LevelFormatError } from '../leveldb/coding.js';
import { CoinsDBError } from './coins-db-error.js';
import { inOriginal, privateCopy } from './private-copy.js';
import { openScanView, scanLevelDB, type EntryVisitor, type ScanView } from '../leveldb/scan.js';
import { setLogsAside, type LogsAside } from '../leveldb/logs-aside.js';
import { readRecordsInRanges, type OwnedBatchSink, type RangeRecordsOptions, type RangeRecordsResult } from './range-records.js';
import { TableCorruption } from '../leveldb/table-cursor.js';
import { CoinEntryBatcher, StoredEntryReader, type RecordSink, type StoredCoinVisitor } from './coin-entry-batcher.js';
import type { CoinsView, OutpointKey } from './view.js';

export const OBFUSCATION_KEY_KEY = Buffer.concat([Buffer.from([0x0e, 0x00]), Buffer.from('obfuscate_key')]);
const DB_COIN = 0x43; // 'C'
const KEY_BEST = Buffer.from('B');
const KEY_HEADS = Buffer.from('H');
const COIN_START = Buffer.from('C');
const COIN_END = Buffer.from('D');
/**
 * classic-level stops a nextv() at highWaterMarkBytes (default 16 KiB, ~250 coins): every round trip to
 * the thread pool then leaves this thread idle. 1 MiB / 5,000 entries measured fastest.
 */
const ITERATE_CHUNK_BYTES = 1 << 20;
const ITERATE_CHUNK_ENTRIES = 5_000;
/** Core's options: no compression (coins are high-entropy), 32 MiB tables. */
const LEVEL_OPTIONS = { keyEncoding: 'buffer', valueEncoding: 'buffer', compression: false, maxFileSize: 32 << 20 } as const;
/** Log bytes above which a full scan first has LevelDB move its memtable into a table. */
const FLUSH_LOGS_ABOVE = 4 << 20;
/** A key below every key of the layout (the obfuscation key starts 0e). */
const EMPTY_RANGE = Buffer.from([0x00]);

export interface CoinsDBOptions {
  /** Create the directory and a fresh database (with a random obfuscation key) when absent. */
  create?: boolean;
  /**
   * Never write to `dir`. LevelDB cannot open read-only (it takes LOCK, writes LOG and replays an
   * unflushed .log into new tables), so the database is opened on a private copy in the temp directory:
   * the immutable .ldb/.sst tables are hard-linked (copied across file systems), the small rest copied.
   * The copy is removed on close. The directory must belong to a stopped node. With rawScan, logs of up
   * to 4 MiB are kept from LevelDB and read here (leveldb/logs-aside), so the open adds no level-0 table,
   * which could start a compaction of the whole copy.
   */
  readOnly?: boolean;
  /**
   * Read the files directly for full scans (default true); false always uses LevelDB's iterator
   * (CHAINSNAP_RAW_SCAN=0 in the environment does the same, as an escape hatch).
   */
  rawScan?: boolean;
  /** How flushes are cut into batches (default: coinsWriteDefaults(), i.e. -dbbatchsize / -dbcrashratio). */
  write?: Partial<CoinsWriteOptions>;
}

/** What writeBatch receives per changed outpoint: the new coin, or undefined for a spent (erased) one. */
export type CoinChange = [OutpointKey, Coin | undefined];

export { BulkBatch, CoinsDBError, type StoredCoinVisitor, type RecordSink };

export class CoinsDB implements CoinsView {
  private readonly scratch = Buffer.alloc(MAX_RECORD_SIZE + 16);
  /** How writeBatch cuts a flush into LevelDB batches. */
  writeOptions: CoinsWriteOptions = coinsWriteDefaults();
  /** LevelDB batches the last writeBatch wrote (partial ones and the final one). */
  lastFlushBatches = 0;

  private constructor(
    private db: ClassicLevel<Buffer, Buffer>,
    /** The directory asked for (not the private copy of a read-only open). */
    readonly dir: string,
    readonly obfuscationKey: Uint8Array,
    readonly readOnly: boolean,
    private copy: TempDir | undefined,
    private readonly rawScan: boolean,
    /** A read-only copy's logs, kept from LevelDB (see open). */
    private aside: LogsAside | undefined,
  ) {}

  /** A replacement of LevelDB by one that has the logs (restoreLogs), while it is under way. */
  private restoring: Promise<void> | undefined;
  /** Private copies LevelDB was replaced on, removed at close. */
  private readonly retired: TempDir[] = [];

  static async open(dir: string, opts: CoinsDBOptions = {}): Promise<CoinsDB> {
    const exists = existsSync(path.join(dir, 'CURRENT'));
    if (!exists && (opts.readOnly || !opts.create)) throw new CoinsDBError(`no chainstate database at ${dir}`);
    const rawScan = (opts.rawScan ?? true) && process.env.CHAINSNAP_RAW_SCAN !== '0';
    const copy = opts.readOnly ? privateCopy(dir) : undefined;
    // A copy read directly need not have LevelDB replay its logs into a table, which can set off a
    // compaction of the whole copy (see leveldb/logs-aside); LevelDB's iterator needs them back.
    let aside: LogsAside | undefined;
    const db = new ClassicLevel<Buffer, Buffer>(copy?.path ?? dir, LEVEL_OPTIONS);
    try {
      if (copy && rawScan) aside = setLogsAside(copy.path, FLUSH_LOGS_ABOVE);
      await db.open({ createIfMissing: !!opts.create && !opts.readOnly });
      let key = new Uint8Array(8);
      const stored = getWithLogs(db, aside, OBFUSCATION_KEY_KEY);
      if (stored) {
        if (stored.length !== 9 || stored[0] !== 8) throw new CoinsDBError(`${dir}: obfuscation key should be exactly 8 bytes long`);
        key = new Uint8Array(stored.subarray(1));
      } else if (!opts.readOnly && (await db.keys({ limit: 1 }).all()).length === 0) {
        // Like Core: only an empty database gets a key, written without obfuscation.
        key = new Uint8Array(randomBytes(8));
        await db.put(OBFUSCATION_KEY_KEY, Buffer.concat([Buffer.from([8]), key]));
      }
      const coins = new CoinsDB(db, dir, key, !!opts.readOnly, copy, rawScan, aside);
      Object.assign(coins.writeOptions, opts.write);
      return coins;
    } catch (e) {
      await db.close().catch(() => undefined);
      copy?.remove();
      if (e instanceof CoinsDBError) throw e;
      const why = (e as Error).cause ? ((e as Error).cause as Error).message : (e as Error).message;
      throw new CoinsDBError(`cannot open chainstate database at ${dir}: ${copy ? inOriginal(why, copy.path, dir) : why}`);
    }
  }

  getCoin(key: OutpointKey): Coin | undefined {
    const v = getWithLogs(this.db, this.aside, Buffer.from('C' + key, 'latin1'));
    return v === undefined ? undefined : this.decodeCoin(v, key);
  }

  haveCoin(key: OutpointKey): boolean {
    return this.getCoin(key) !== undefined;
  }

  bestBlock(): Uint8Array | undefined {
    const v = getWithLogs(this.db, this.aside, KEY_BEST);
    if (v === undefined) return undefined;
    const hash = this.deobfuscate(v);
    if (hash.length !== 32) throw new CoinsDBError(`${this.dir}: best block record has ${hash.length} bytes`);
    // Core reads a null hash as "no best block".
    return hash.some((b) => b !== 0) ? new Uint8Array(hash) : undefined;
  }

  /** The head blocks [new, old] of a flush that was interrupted; empty when the database is consistent. */
  headBlocks(): Uint8Array[] {
    const v = getWithLogs(this.db, this.aside, KEY_HEADS);
    if (v === undefined) return [];
    const raw = this.deobfuscate(v);
    const n = raw[0];
    if (n >= 253 || raw.length !== 1 + 32 * n) throw new CoinsDBError(`${this.dir}: malformed head blocks record`);
    return Array.from({ length: n }, (_, i) => new Uint8Array(raw.subarray(1 + 32 * i, 33 + 32 * i)));
  }

  /**
   * Core's CCoinsViewDB::BatchWrite: writes the changes and the new best block in batches of about
   * writeOptions.batchBytes. The first batch erases 'B' and writes 'H' = [new tip, old tip]; the last erases
   * 'H' and writes 'B' = new tip. A crash in between leaves a mix of both states that replayBlocks
   * (chain/replay-blocks.ts) repairs from the block files, as Core's ReplayBlocks does, and Core can too.
   * `changes` is read across awaits: the caller keeps it unchanged until the promise settles.
   */
  async writeBatch(changes: Iterable<CoinChange>, bestBlock: Uint8Array): Promise<void> {
    if (this.readOnly) throw new CoinsDBError(`${this.dir} is open read-only`);
    const oldTip = this.checkBestBlock(bestBlock);
    const opts = this.writeOptions;
    let batch = this.db.batch();
    let bytes = BATCH_HEADER_BYTES + delBytes(1) + putBytes(1, 65);
    batch.del(KEY_BEST);
    batch.put(KEY_HEADS, this.obfuscate(Buffer.concat([Buffer.of(2), bestBlock, oldTip])));
    // At most one batch in flight while the next fills: the batches must reach LevelDB in order.
    let inflight: Promise<void> | undefined;
    let partial = 0;
    // classic-level copies each operation into the native WriteBatch at once, so one key buffer and one
    // value buffer serve every coin (serializeCoin would allocate a worst-case buffer per coin).
    const kbuf = Buffer.allocUnsafe(64);
    kbuf[0] = DB_COIN;
    const vbuf = Buffer.allocUnsafe(MAX_COMPRESSED_COIN);
    try {
      for (const [key, coin] of changes) {
        const k = kbuf.subarray(0, 1 + kbuf.write(key, 1, 'latin1'));
        if (coin === undefined) {
          batch.del(k);
          bytes += delBytes(k.length);
        } else {
          const v = coin.script.length > MAX_COMPRESSED_COIN - 20 ? Buffer.from(serializeCoin(coin)) : vbuf.subarray(0, encodeInto(vbuf, coin));
          batch.put(k, this.obfuscate(v));
          bytes += putBytes(k.length, v.length);
        }
        if (bytes > opts.batchBytes) {
          await inflight;
          if (partial > 0) maybeSimulateCrash(opts, partial);
          inflight = batch.write();
          inflight.catch(() => undefined);
          tellGcOfNativeBatch(batch, bytes);
          partial++;
          batch = this.db.batch();
          bytes = BATCH_HEADER_BYTES;
        }
      }
      await inflight;
      if (partial > 0) maybeSimulateCrash(opts, partial);
    } catch (e) {
      await inflight?.catch(() => undefined);
      await batch.close();
      throw e;
    }
    batch.del(KEY_HEADS);
    batch.put(KEY_BEST, this.obfuscate(Buffer.from(bestBlock)));
    await batch.write();
    this.lastFlushBatches = partial + 1;
  }

  /**
   * A batch for bulk loading (snapshot activation, copies): coin records go straight to LevelDB keys and
   * values — 'C' ‖ txid ‖ VARINT(vout) → compressed coin, obfuscated — with no key string or Coin object
   * per coin. Only puts; write() adds the best block like writeBatch.
   */
  bulkBatch(): BulkBatch {
    if (this.readOnly) throw new CoinsDBError(`${this.dir} is open read-only`);
    return new BulkBatch(this.db.batch(), this.obfuscationKey, (best) => void this.checkBestBlock(best));
  }

  /** Refuses a flush that cannot follow the database's state; returns the tip the database moves from (zeros: none). */
  private checkBestBlock(bestBlock: Uint8Array): Uint8Array {
    if (bestBlock.length !== 32 || bestBlock.every((b) => b === 0)) throw new CoinsDBError('writeBatch needs a best block');
    const best = this.bestBlock();
    if (best !== undefined) return best;
    // Core's check: after an interrupted flush only the block it was flushing to may complete it, and
    // the tip it was flushing from stays the old tip (the database may hold any mix of the two).
    const heads = this.headBlocks();
    if (heads.length !== 2) return new Uint8Array(32);
    if (!equalBytes(heads[0], bestBlock)) {
      throw new CoinsDBError(
        `the coins database was interrupted while flushing to ${hashToHex(heads[0])}, not ${hashToHex(bestBlock)}; it must be rebuilt`,
      );
    }
    return heads[1];
  }

  /**
   * Streams every coin as coin records in UTXO-hash order (txid bytes, then numeric vout) in batches of
   * about `batchBytes` (see CoinEntryBatcher), and returns the best block read in the same state of the
   * database as the coins.
   */
  async iterateRecords(sink: RecordSink, batchBytes = 1 << 20): Promise<{ bestBlock: Uint8Array | undefined; coins: number }> {
    const b = new CoinEntryBatcher(sink, batchBytes, this.obfuscationKey, this.dir);
    await this.forEachEntry((k, kl, v, vo, vl) => b.entry(k, kl, v, vo, vl));
    await b.finish();
    return { bestBlock: checkedBest(b.bestBlock, this.dir), coins: b.coins };
  }

  /**
   * Like iterateRecords, with the database read on worker threads (see range-records.ts), the batches
   * handed over in order (the sink owns each) and the counts taken on the workers. Undefined, with
   * nothing visited, when the files cannot be read directly: the caller then uses iterateRecords.
   */
  async readRecordsInParallel(sink: OwnedBatchSink, opts: RangeRecordsOptions = {}): Promise<RangeRecordsResult | undefined> {
    if (!this.rawScan) return undefined;
    const { dir, logsAside } = await this.rawScanSource();
    let view: ScanView;
    try {
      view = openScanView(dir, { logsAside });
    } catch (e) {
      if (e instanceof LevelFormatError) return undefined;
      throw e;
    }
    try {
      const r = await readRecordsInRanges(view, this.obfuscationKey, this.dir, sink, opts);
      return { ...r, bestBlock: checkedBest(r.bestBlock, this.dir) };
    } catch (e) {
      if (!(e instanceof TableCorruption || e instanceof LevelFormatError)) throw e;
      const why = this.copy ? inOriginal(e.message, this.copy.path, this.dir) : e.message;
      throw new CoinsDBError(e instanceof TableCorruption ? `${this.dir}: corrupt database: ${why}` : `${this.dir}: ${why}`);
    } finally {
      view.close();
    }
  }

  /**
   * The directory a direct scan reads and the logs set aside from it, with LevelDB's memtable moved into
   * a table first when the logs are large. A large write (a coins flush is one batch) stays in LevelDB's
   * log until its memtable fills; the scan would rebuild it in memory. Compacting an empty key range makes
   * LevelDB write its memtable to a table first (CompactRange always does), and compacts nothing else.
   * Both are read together after the wait: restoreLogs swaps the copy and its logs at once.
   */
  private async rawScanSource(): Promise<{ dir: string; logsAside: Uint8Array<ArrayBuffer>[] | undefined }> {
    if (logBytes(this.copy?.path ?? this.dir) > FLUSH_LOGS_ABOVE) await this.db.compactRange(EMPTY_RANGE, EMPTY_RANGE);
    return { dir: this.copy?.path ?? this.dir, logsAside: this.aside?.batches };
  }

  /**
   * Every coin as stored, in key order: txid at key[1, 33), the vout, and Core's Coin serialization
   * (de-obfuscated) — what dumptxoutset copies into a snapshot. Returns the best block of the same state.
   */
  async scanStoredCoins(visit: StoredCoinVisitor): Promise<{ bestBlock: Uint8Array | undefined; coins: number }> {
    const rd = new StoredEntryReader(this.obfuscationKey, this.dir);
    let coins = 0;
    await this.forEachEntry((k, kl, v, vo, vl) => {
      if (!rd.read(k, kl, v, vo, vl)) return;
      coins++;
      return visit(k, kl, rd.vout, rd.coin, rd.coinLen);
    });
    return { bestBlock: checkedBest(rd.bestBlock, this.dir), coins };
  }

  /**
   * Every entry from 'B' on, as stored. The files are read directly (leveldb/scan), several times faster
   * than LevelDB's iterator; a database that scan cannot read (say, compressed tables) goes through the
   * iterator instead, provided nothing was visited yet.
   */
  private async forEachEntry(visit: EntryVisitor): Promise<void> {
    if (this.rawScan) {
      let visited = false;
      try {
        const { dir, logsAside } = await this.rawScanSource();
        await scanLevelDB(
          dir,
          (k, kl, v, vo, vl) => {
            if (k[0] < KEY_BEST[0] || k[0] >= COIN_END[0]) return;
            visited = true;
            return visit(k, kl, v, vo, vl);
          },
          { logsAside },
        );
        return;
      } catch (e) {
        if (!(e instanceof TableCorruption || e instanceof LevelFormatError)) throw e;
        const why = this.copy ? inOriginal(e.message, this.copy.path, this.dir) : e.message;
        if (e instanceof TableCorruption) throw new CoinsDBError(`${this.dir}: corrupt database: ${why}`);
        if (visited) throw new CoinsDBError(`${this.dir}: ${why}`);
      }
    }
    await this.restoreLogs();
    // Starting at 'B' reads the best block in the iterator's implicit snapshot.
    const it = this.db.iterator({ gte: KEY_BEST, lt: COIN_END, fillCache: false, highWaterMarkBytes: ITERATE_CHUNK_BYTES });
    try {
      // One read ahead: LevelDB fetches the next chunk on the thread pool while this one is decoded.
      let next = it.nextv(ITERATE_CHUNK_ENTRIES);
      for (;;) {
        const entries = await next;
        if (entries.length === 0) break;
        next = it.nextv(ITERATE_CHUNK_ENTRIES);
        next.catch(() => undefined);
        for (const [k, v] of entries) {
          const r = visit(k, k.length, v, 0, v.length);
          if (r) await r;
        }
      }
    } finally {
      await it.close();
    }
  }

  /**
   * LevelDB's estimate of the bytes the coins take on disk (gettxoutsetinfo's disk_size): its tables, not the
   * writes still in a log, as a running node's memtable holds them. (A read-only open through LevelDB's
   * iterator alone, rawScan false, has LevelDB replay the logs into a table, which the estimate then counts.)
   */
  estimateSize(): Promise<number> {
    return this.db.approximateSize(COIN_START, COIN_END);
  }

  /**
   * Has LevelDB read the logs set aside at open: its iterator must see every write, and the first copy's
   * LevelDB has moved past those logs for good, so it is replaced by LevelDB on a fresh copy with them.
   * One replacement, however many passes ask for it at once.
   */
  private restoreLogs(): Promise<void> {
    if (!this.aside) return Promise.resolve();
    this.restoring ??= this.reopenWithLogs().finally(() => (this.restoring = undefined));
    return this.restoring;
  }

  private async reopenWithLogs(): Promise<void> {
    const copy = privateCopy(this.dir);
    const db = new ClassicLevel<Buffer, Buffer>(copy.path, LEVEL_OPTIONS);
    try {
      await db.open({ createIfMissing: false });
    } catch (e) {
      await db.close().catch(() => undefined);
      copy.remove();
      const why = (e as Error).cause ? ((e as Error).cause as Error).message : (e as Error).message;
      throw new CoinsDBError(`cannot open chainstate database at ${this.dir}: ${inOriginal(why, copy.path, this.dir)}`);
    }
    const old = this.db;
    // The old copy stays until close(): a direct pass may still be reading its linked tables.
    if (this.copy) this.retired.push(this.copy);
    this.db = db;
    this.copy = copy;
    this.aside = undefined;
    await old.close();
  }

  async close(): Promise<void> {
    await this.restoring?.catch(() => undefined);
    await this.db.close();
    this.copy?.remove();
    for (const c of this.retired.splice(0)) c.remove();
  }

  private decodeCoin(v: Buffer, key: OutpointKey): Coin {
    const val = this.deobfuscate(v);
    const s = this.scratch;
    const end = decodeCompressedCoin(val, 0, val.length, s, RECORD_CODE);
    if (end > val.length) throw new CoinsDBError(`${this.dir}: truncated coin at ${Buffer.from(key, 'latin1').toString('hex')}`);
    const off = recordScriptOffset(s, 0);
    // A copy the size of the script: a view would pin the scratch buffer, and memory accounting assumes this.
    return { height: decoded.height, coinbase: decoded.coinbase, value: decoded.value, script: new Uint8Array(s.subarray(off, off + decoded.scriptLen)) };
  }

  /** XORs in place (values from LevelDB are fresh buffers we own) and returns the same buffer. */
  private deobfuscate<T extends Buffer>(v: T): T {
    const key = this.obfuscationKey;
    if (key.every((b) => b === 0)) return v;
    for (let i = 0; i < v.length; i++) v[i] ^= key[i & 7];
    return v;
  }

  private obfuscate(v: Buffer): Buffer {
    return this.deobfuscate(v);
  }
}

/** LevelDB's read of `key`, with the writes of logs set aside on top, as its memtable would be. */
function getWithLogs(db: ClassicLevel<Buffer, Buffer>, aside: LogsAside | undefined, key: Buffer): Buffer | undefined {
  const logged = aside?.get(key);
  if (logged !== undefined) return logged === null ? undefined : Buffer.from(logged);
  return db.getSync(key, { fillCache: true });
}

function logBytes(dir: string): number {
  let n = 0;
  for (const name of readdirSync(dir)) if (name.endsWith('.log')) n += statSync(path.join(dir, name)).size;
  return n;
}

function checkedBest(best: Uint8Array | undefined, dir: string): Uint8Array | undefined {
  if (best && best.length !== 32) throw new CoinsDBError(`${dir}: best block record has ${best.length} bytes`);
  // Core reads a null hash as "no best block".
  return best && best.some((x) => x !== 0) ? best : undefined;
}

function encodeInto(buf: Buffer, coin: Coin): number {
  return writeCompressedCoin(buf, 0, coin.height, coin.coinbase, coin.value, coin.script, 0, coin.script.length);
}

const BALLAST = Symbol('native batch size');

/**
 * A chained batch's native WriteBatch (up to twice its bytes) is freed only when V8 collects the batch
 * object, and V8 cannot see those bytes: a long flush then kept most of its batches resident (anon RSS +217
 * MB flushing 2.4M coins in 4 MiB batches, against +142 MB with this). An untouched buffer of that size
 * (malloc'd, so no resident pages) hung on the batch makes V8 count them and collect in time.
 */
function tellGcOfNativeBatch(batch: object, bytes: number): void {
  (batch as Record<symbol, unknown>)[BALLAST] = Buffer.allocUnsafeSlow(2 * bytes);
}
