/**
 * The block index on disk: a LevelDB at <blocksDir>/index holding one record per entry plus the block file
 * metadata, every change written in one atomic batch (Core's CBlockTreeDB in txdb.cpp, with our own compact
 * encoding). Keys: 'b' ‖ hash (internal order) → entry; 'f' ‖ u32 BE file → BlockFileInfo; 'l' → last
 * file number; 'N' → the network's message start, so an index is never loaded for the wrong network.
 * Entry value: 80-byte header, then VARINTs: height, status (Core's bits), txCount, chainTxCount, data
 * position, undo position (each file+1 then offset, or 0 for none), sequenceId.
 */
import path from 'node:path';
import { ClassicLevel } from 'classic-level';
import { ByteReader, ByteWriter, equalBytes, toHex } from '../primitives/bytes.js';
import { HEADER_SIZE, parseHeader, serializeHeader } from '../primitives/block.js';
import type { ChainParams } from '../consensus/params.js';
import { decodeStatus, encodeStatus, type BlockStatus } from './block-status.js';
import type { BlockIndex, BlockIndexEntry, BlockIndexOptions, FilePos, StoredEntry, StoredFields } from './block-index.js';
import { BlockIndexLoader } from './block-index-loader.js';
import type { BlockFileInfo } from './block-store.js';
import { LevelFormatError } from '../leveldb/coding.js';
import { openScanView, scanRange, type EntryVisitor } from '../leveldb/scan.js';
import { TableCorruption } from '../leveldb/table-cursor.js';

type Bytes = Uint8Array;
const ENTRY = 0x62; // 'b'
const FILE_INFO = 0x66; // 'f'
const LAST_FILE = Uint8Array.of(0x6c); // 'l'
const NETWORK = Uint8Array.of(0x4e); // 'N'
const ENTRIES_FROM = Uint8Array.of(ENTRY);
const ENTRIES_TO = Uint8Array.of(ENTRY + 1);
/** How loadAll reads the stored entries: 'auto' reads the files directly when it can, else LevelDB's iterator. */
export type IndexReadPath = 'auto' | 'files' | 'iterator';

/** classic-level stops a nextv() at highWaterMarkBytes (default 16 KiB); larger chunks keep this thread busy. */
const ITERATE_CHUNK_BYTES = 1 << 20;
const ITERATE_CHUNK_ENTRIES = 5_000;
/**
 * Fewest bytes an entry takes in a table: the value (80-byte header, 7 VARINTs), the key's bytes not
 * shared with the previous key (keys are random hashes: all but ~3) with LevelDB's 8-byte tag, 3
 * length bytes.
 */
const MIN_STORED_ENTRY = 87 + 30 + 8 + 3;

export interface IndexExtra {
  lastFile?: number;
  files?: ReadonlyMap<number, BlockFileInfo> | Iterable<[number, BlockFileInfo]>;
}

function entryKey(hash: Bytes): Bytes {
  const k = new Uint8Array(33);
  k[0] = ENTRY;
  k.set(hash, 1);
  return k;
}

function fileKey(n: number): Bytes {
  const k = new Uint8Array(5);
  k[0] = FILE_INFO;
  new DataView(k.buffer).setUint32(1, n, false);
  return k;
}

function writePos(w: ByteWriter, pos: FilePos | undefined): void {
  if (!pos) w.writeVarInt(0);
  else w.writeVarInt(pos.file + 1).writeVarInt(pos.offset);
}

function readPos(r: ByteReader): FilePos | undefined {
  const f = r.readVarInt(32);
  return f === 0 ? undefined : { file: f - 1, offset: r.readVarInt(32) };
}

export function encodeEntry(e: BlockIndexEntry | StoredEntry): Bytes {
  const w = new ByteWriter(112);
  w.writeBytes(serializeHeader(e.header));
  w.writeVarInt(e.height).writeVarInt(encodeStatus(e.status)).writeVarInt(e.txCount).writeVarInt(e.chainTxCount);
  writePos(w, e.dataPos);
  writePos(w, e.undoPos);
  // A preciousblock id is negative and lives in memory only (Core keeps none on disk).
  w.writeVarInt(Math.max(0, e.sequenceId));
  return w.toBytes();
}

/** Core's status values decode to a handful of distinct statuses: one shared object each. */
const statuses = new Map<number, BlockStatus>();

function statusOf(n: number): BlockStatus {
  let s = statuses.get(n);
  if (!s) statuses.set(n, (s = decodeStatus(n)));
  return s;
}

/** Reads the fields after the 80-byte header into `f`. */
function decodeFields(bytes: Bytes, f: StoredFields): void {
  const r = new ByteReader(bytes, HEADER_SIZE);
  f.height = r.readVarInt(32);
  f.status = statusOf(r.readVarInt(32));
  f.txCount = r.readVarInt(32);
  f.chainTxCount = r.readVarInt(64);
  f.dataPos = readPos(r);
  f.undoPos = readPos(r);
  f.sequenceId = r.readVarInt(64);
  if (!r.eof) r.fail('trailing bytes in block index entry');
}

export function decodeEntry(bytes: Bytes): StoredEntry {
  // LevelDB hands back Buffers; a plain copy keeps headers identical to freshly parsed ones.
  const copy = new Uint8Array(bytes);
  const header = parseHeader(new ByteReader(copy));
  const f = { header } as StoredEntry;
  decodeFields(copy, f);
  return f;
}

function encodeFileInfo(i: BlockFileInfo): Bytes {
  const w = new ByteWriter(32);
  for (const v of [i.blocks, i.size, i.undoSize, i.heightFirst, i.heightLast, i.timeFirst, i.timeLast]) w.writeVarInt(v);
  return w.toBytes();
}

function decodeFileInfo(bytes: Bytes): BlockFileInfo {
  const r = new ByteReader(bytes);
  const [blocks, size, undoSize, heightFirst, heightLast, timeFirst, timeLast] = Array.from({ length: 7 }, () => r.readVarInt(64));
  return { blocks, size, undoSize, heightFirst, heightLast, timeFirst, timeLast };
}

export class BlockIndexDb {
  /** How the last loadAll read the entries: 'files' (directly) or 'iterator' (LevelDB's, the fallback). */
  lastReadPath: 'files' | 'iterator' | undefined;

  private constructor(
    private readonly db: ClassicLevel<Bytes, Bytes>,
    readonly params: ChainParams,
    private readonly dir: string,
  ) {}

  /** Opens (creating) <blocksDir>/index; refuses an index written for another network. */
  static async open(blocksDir: string, params: ChainParams): Promise<BlockIndexDb> {
    const dir = path.join(blocksDir, 'index');
    // Core's options (dbwrapper.cpp): no compression, so new and compacted tables can be read directly at
    // startup. Tables an older build wrote with snappy stay readable through LevelDB.
    const db = new ClassicLevel<Bytes, Bytes>(dir, { keyEncoding: 'view', valueEncoding: 'view', compression: false });
    await db.open();
    const magic = await db.get(NETWORK);
    if (magic === undefined) {
      await db.put(NETWORK, params.messageStart);
    } else if (!equalBytes(magic, params.messageStart)) {
      await db.close();
      throw new Error(`block index in ${blocksDir} belongs to another network (message start ${toHex(magic)}, expected ${toHex(params.messageStart)})`);
    }
    return new BlockIndexDb(db, params, dir);
  }

  /**
   * Every stored entry, rebuilt into a BlockIndex (work and skip pointers recomputed). Empty DB → genesis
   * only. The tables and logs are read directly (leveldb/scan.ts: no object per entry, several times
   * faster than the iterator); an index the direct reader cannot read (snappy-compressed blocks from an
   * older build, say) is read again from the start through LevelDB's iterator.
   */
  async loadAll(opts: BlockIndexOptions = {}, read: IndexReadPath = 'auto'): Promise<BlockIndex> {
    if (read !== 'iterator') {
      try {
        const index = await this.loadFromFiles(opts);
        this.lastReadPath = 'files';
        return index;
      } catch (e) {
        if (e instanceof TableCorruption) throw new Error(`block index is corrupt: ${e.message}`, { cause: e });
        if (!(e instanceof LevelFormatError) || read === 'files') throw e;
      }
    }
    const index = await this.loadFromIterator(opts);
    this.lastReadPath = 'iterator';
    return index;
  }

  private async loadFromFiles(opts: BlockIndexOptions): Promise<BlockIndex> {
    const view = openScanView(this.dir);
    try {
      // Sized once from the files (a stored entry takes at least MIN_STORED_ENTRY bytes), not by doubling:
      // the staging area of a mainnet index is ~150 MB, and pages never written are never mapped.
      const tables = [...view.level0, ...view.levels.flat()];
      const bytes = tables.reduce((n, t) => n + t.file.size, 0) + view.logBatches.reduce((n, b) => n + b.length, 0);
      const loader = new BlockIndexLoader(this.params, opts, Math.ceil(bytes / MIN_STORED_ENTRY));
      const visit: EntryVisitor = (key, keyLen, value, at, len) => {
        if (keyLen !== 33) throw new Error('block index is corrupt: malformed entry key');
        loader.addStored(key, 1, value, at, len);
      };
      await scanRange(view, visit, { lower: ENTRIES_FROM, upper: ENTRIES_TO });
      return loader.finish();
    } finally {
      view.close();
    }
  }

  private async loadFromIterator(opts: BlockIndexOptions): Promise<BlockIndex> {
    const loader = new BlockIndexLoader(this.params, opts);
    // One read ahead: LevelDB fetches the next chunk on its thread pool while this one is decoded.
    const it = this.db.iterator({ gte: ENTRIES_FROM, lt: ENTRIES_TO, fillCache: false, highWaterMarkBytes: ITERATE_CHUNK_BYTES });
    try {
      let next = it.nextv(ITERATE_CHUNK_ENTRIES);
      for (;;) {
        const batch = await next;
        if (batch.length === 0) break;
        next = it.nextv(ITERATE_CHUNK_ENTRIES);
        next.catch(() => undefined);
        for (const [key, value] of batch) {
          if (key.length !== 33) throw new Error('block index is corrupt: malformed entry key');
          // The loader hashes the header and refuses a record stored under another key.
          loader.addStored(key, 1, value, 0, value.length);
        }
      }
    } finally {
      await it.close();
    }
    return loader.finish();
  }

  async lastFile(): Promise<number | undefined> {
    const v = await this.db.get(LAST_FILE);
    return v === undefined ? undefined : new ByteReader(v).readVarInt(32);
  }

  async fileInfos(): Promise<Map<number, BlockFileInfo>> {
    const out = new Map<number, BlockFileInfo>();
    for await (const [key, value] of this.db.iterator({ gte: Uint8Array.of(FILE_INFO), lt: Uint8Array.of(FILE_INFO + 1) })) {
      out.set(new DataView(key.buffer, key.byteOffset, key.byteLength).getUint32(1, false), decodeFileInfo(value));
    }
    return out;
  }

  /**
   * Writes entries and file metadata in ONE batch, so a crash leaves either all of it or none. Entries are
   * encoded before the first await: changes made while the write is in flight are not half-captured.
   */
  async writeEntries(entries: Iterable<BlockIndexEntry | StoredEntry & { hash: Bytes }>, extra: IndexExtra = {}): Promise<void> {
    const ops: Array<{ type: 'put'; key: Bytes; value: Bytes }> = [];
    for (const e of entries) ops.push({ type: 'put', key: entryKey(e.hash), value: encodeEntry(e) });
    for (const [n, info] of extra.files ?? []) ops.push({ type: 'put', key: fileKey(n), value: encodeFileInfo(info) });
    if (extra.lastFile !== undefined) ops.push({ type: 'put', key: LAST_FILE, value: new ByteWriter(5).writeVarInt(extra.lastFile).toBytes() });
    if (ops.length) await this.db.batch(ops, { sync: true });
  }

  async close(): Promise<void> {
    await this.db.close();
  }
}
