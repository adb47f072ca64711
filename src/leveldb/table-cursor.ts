/**
 * Reads LevelDB table files (table/format.cc, table/block.cc) front to back without LevelDB: the footer
 * locates the index block, whose entries are the handles of the data blocks; each block is a run of
 * prefix-compressed entries (shared, non-shared, value length, key delta, value) followed by restart
 * points we do not need for a sequential scan. The file is read in large windows, and the current key is
 * rebuilt in one buffer, so a scan allocates nothing per entry.
 *
 * One cursor walks a list of tables in order: a level ≥ 1 (disjoint, sorted) or a single level-0 table.
 * It holds one file open at a time.
 * Only uncompressed blocks are read — what Bitcoin Core and chainsnap write; anything else throws
 * LevelFormatError so the caller can fall back to LevelDB's own iterator.
 */
import { closeSync, openSync, readSync } from 'node:fs';
import { LevelFormatError, readFixed32, readVarint, tagSequence, type Cursor } from './coding.js';
import { crc32c, unmaskCrc } from './crc32c.js';
import type { EntryCursor } from './entry-cursor.js';
import type { TableFile } from './manifest.js';

const FOOTER_SIZE = 48;
const BLOCK_TRAILER = 5;
const MAGIC = Buffer.from([0x57, 0xfb, 0x80, 0x8b, 0x24, 0x75, 0x47, 0xdb]);
const NO_COMPRESSION = 0;

export interface TablePath {
  file: TableFile;
  path: string;
}

export class TableCursor implements EntryCursor {
  key = Buffer.allocUnsafe(64);
  /** -1 before the first entry. */
  keyLen = -1;
  sameUserKey = false;
  type = 0;
  value: Buffer;
  valueOff = 0;
  valueLen = 0;
  private internalLen = 0;
  private tableIdx = -1;
  private blockOffsets: number[] = [];
  private blockSizes: number[] = [];
  private blockIdx = 0;
  /** Blocks of the open table below this index have had their CRC checked. */
  private checkedBlocks = 0;
  /** The table's blocks up to this index are read; past it every key sorts at or above `upper`. */
  private blockEnd = 0;
  /** Where the blocks this cursor reads end in the file: read-ahead stops there. */
  private readEnd = 0;
  private win: Buffer;
  private winStart = 0;
  private winLen = 0;
  private pos = 0;
  private limit = 0;
  private readonly c: Cursor = { pos: 0 };
  private fd = -1;

  /**
   * `lower`: data blocks whose keys all sort below this user key are not read (the caller still skips
   * the entries below it in the first block read). `upper`: data blocks whose keys all sort at or above
   * this user key are not read (the caller stops at the first entry at or above it).
   */
  constructor(
    private readonly tables: TablePath[],
    private readonly lower?: Buffer,
    private readonly upper?: Buffer,
  ) {
    this.win = takeWindow();
    this.value = this.win;
  }

  next(): boolean {
    for (;;) {
      if (this.pos < this.limit) {
        this.decodeEntry();
        return true;
      }
      if (!this.nextBlock()) return false;
    }
  }

  private decodeEntry(): void {
    const w = this.win;
    let p = this.pos;
    let shared = w[p]!;
    let nonShared = w[p + 1]!;
    let valueLen = w[p + 2]!;
    if ((shared | nonShared | valueLen) < 128) {
      p += 3;
    } else {
      const c = this.c;
      c.pos = p;
      shared = readVarint(w, c, this.limit);
      nonShared = readVarint(w, c, this.limit);
      valueLen = readVarint(w, c, this.limit);
      p = c.pos;
    }
    const len = shared + nonShared;
    if (shared > this.internalLen || len < 8 || p + nonShared + valueLen > this.limit) throw new LevelFormatError(this.where('malformed block entry'));
    if (len > this.key.length) this.growKey(len);
    const k = this.key;
    // The previous key is still in `k` (across blocks and tables too): compared where it is overwritten.
    const userLen = len - 8;
    let same = userLen === this.keyLen;
    if (same) {
      for (let i = shared; i < userLen; i++) {
        if (k[i] !== w[p + i - shared]) {
          same = false;
          break;
        }
      }
    }
    this.sameUserKey = same;
    for (let i = 0; i < nonShared; i++) k[shared + i] = w[p + i]!;
    p += nonShared;
    this.internalLen = len;
    this.keyLen = userLen;
    this.type = k[userLen]!;
    this.valueOff = p;
    this.valueLen = valueLen;
    this.pos = p + valueLen;
  }

  /** Read only where cursors' heads meet, so not decoded per entry. */
  get seq(): number {
    return tagSequence(this.key, this.internalLen);
  }

  private nextBlock(): boolean {
    while (this.blockIdx >= this.blockEnd) {
      if (!this.openNextTable()) return false;
    }
    const idx = this.blockIdx++;
    const off = this.blockOffsets[idx]!;
    const size = this.blockSizes[idx]!;
    const b = this.load(off, size + BLOCK_TRAILER);
    if (this.win[b + size] !== NO_COMPRESSION) throw new LevelFormatError(this.where('compressed blocks are not read here'));
    if (idx >= this.checkedBlocks) this.checkWindow(idx);
    if (size < 4) throw new LevelFormatError(this.where('block too small'));
    const restarts = readFixed32(this.win, b + size - 4);
    const limit = b + size - 4 - 4 * restarts;
    if (restarts === 0 || limit < b) throw new LevelFormatError(this.where('bad restart array'));
    this.pos = b;
    this.limit = limit;
    this.internalLen = 0;
    return true;
  }

  /**
   * Checks the CRC of block `from` and of every later block wholly in the window, in one pass: checked
   * one at a time between decoding, the tables of the CRC fell out of the first-level cache and the
   * checks cost a tenth of a full chainstate read.
   */
  private checkWindow(from: number): void {
    const winEnd = this.winStart + this.winLen;
    let i = from;
    do {
      const off = this.blockOffsets[i]!;
      const size = this.blockSizes[i]!;
      checkBlock(this.win, off - this.winStart, size, () => this.where(`block at ${off}: checksum mismatch`));
      i++;
    } while (i < this.blockEnd && this.blockOffsets[i]! + this.blockSizes[i]! + BLOCK_TRAILER <= winEnd);
    this.checkedBlocks = i;
  }

  /** Closes the open file, if any, and gives the window back: the cursor is done, or given up. */
  close(): void {
    this.closeFile();
    giveWindow(this.win);
    this.win = NO_WINDOW;
    this.value = NO_WINDOW;
    this.winLen = 0;
  }

  private closeFile(): void {
    if (this.fd >= 0) closeSync(this.fd);
    this.fd = -1;
  }

  private openNextTable(): boolean {
    this.closeFile();
    if (++this.tableIdx >= this.tables.length) return false;
    const { file, path } = this.tables[this.tableIdx]!;
    const fd = (this.fd = openSync(path, 'r'));
    // The footer (size and magic) is checked where the index is read; a cached index was checked then.
    const index = tableIndex(fd, file, path, (what) => this.where(what));
    this.blockOffsets = index.offsets;
    this.blockSizes = index.sizes;
    this.blockIdx = this.lower ? firstBlockAtOrAbove(index, this.lower) : 0;
    this.checkedBlocks = 0;
    // The block holding the first key at or above `upper` is the last one read (its separator is the first at or above it).
    this.blockEnd = this.upper ? Math.min(index.offsets.length, firstBlockAtOrAbove(index, this.upper) + 1) : index.offsets.length;
    const last = this.blockEnd - 1;
    this.readEnd = last < 0 ? 0 : index.offsets[last]! + index.sizes[last]! + BLOCK_TRAILER;
    this.winStart = 0;
    this.winLen = 0;
    return true;
  }

  /** Makes file bytes [off, off + n) present in the window (reading ahead) and returns where they start. */
  private load(off: number, n: number): number {
    if (off >= this.winStart && off + n <= this.winStart + this.winLen) return off - this.winStart;
    if (n > this.win.length) {
      // A block holding one huge value: a window that fits it.
      giveWindow(this.win);
      this.win = Buffer.allocUnsafe(n);
      this.value = this.win;
    }
    const want = Math.max(n, Math.min(this.win.length, this.readEnd - off));
    readFully(this.fd, this.win, want, off);
    this.winStart = off;
    this.winLen = want;
    return 0;
  }

  private growKey(len: number): void {
    const k = Buffer.allocUnsafe(Math.max(len, 2 * this.key.length));
    // All of it: at a block's start the previous key is still needed (sameUserKey), with internalLen 0.
    this.key.copy(k);
    this.key = k;
  }

  private where(what: string): string {
    const t = this.tables[this.tableIdx];
    return t ? `table ${t.file.number}: ${what}` : what;
  }
}

const WINDOW_BYTES = 1 << 20;
const NO_WINDOW = Buffer.alloc(0);
/**
 * Windows of cursors closed on this thread, for the next ones: a scan cut into key ranges makes a cursor
 * per level and range, and fresh memory for each cost page faults worth a fifth of a range's reading.
 */
const spareWindows: Buffer[] = [];
const SPARE_WINDOWS = 16;

function takeWindow(): Buffer {
  return spareWindows.pop() ?? Buffer.allocUnsafe(WINDOW_BYTES);
}

function giveWindow(win: Buffer): void {
  if (win.length === WINDOW_BYTES && spareWindows.length < SPARE_WINDOWS) spareWindows.push(win);
}

/** A table's index block, parsed: each data block's place and the user key of its separator. */
interface TableIndex {
  offsets: number[];
  sizes: number[];
  /** Separator i's user key is sepKeys[sepStarts[i], sepStarts[i + 1]). */
  sepKeys: Buffer;
  sepStarts: Int32Array;
}

/**
 * Parsed indexes by table path, per thread: a scan cut into key ranges opens the same tables once per
 * range. Recently used first out of a small LRU (a Map keeps insertion order).
 */
const indexCache = new Map<string, TableIndex>();
const INDEX_CACHE_TABLES = 32;

function tableIndex(fd: number, file: TableFile, path: string, where: (what: string) => string): TableIndex {
  const cached = indexCache.get(path);
  if (cached) {
    indexCache.delete(path);
    indexCache.set(path, cached);
    return cached;
  }
  const index = readTableIndex(fd, file, where);
  indexCache.set(path, index);
  if (indexCache.size > INDEX_CACHE_TABLES) indexCache.delete(indexCache.keys().next().value!);
  return index;
}

function readTableIndex(fd: number, file: TableFile, where: (what: string) => string): TableIndex {
  if (file.size < FOOTER_SIZE) throw new LevelFormatError(where('file too small'));
  const footer = Buffer.allocUnsafe(FOOTER_SIZE);
  readFully(fd, footer, FOOTER_SIZE, file.size - FOOTER_SIZE);
  if (!footer.subarray(40).equals(MAGIC)) throw new LevelFormatError(where('not a table (bad magic)'));
  const c: Cursor = { pos: 0 };
  readVarint(footer, c, 40); // metaindex offset
  readVarint(footer, c, 40); // metaindex size
  const indexOff = readVarint(footer, c, 40);
  const indexSize = readVarint(footer, c, 40);
  if (indexOff + indexSize + BLOCK_TRAILER > file.size) throw new LevelFormatError(where('index block out of range'));
  const index = Buffer.allocUnsafe(indexSize + BLOCK_TRAILER);
  readFully(fd, index, index.length, indexOff);
  if (index[indexSize] !== NO_COMPRESSION) throw new LevelFormatError(where('compressed index block'));
  checkBlock(index, 0, indexSize, () => where('index block: checksum mismatch'));
  const offsets: number[] = [];
  const sizes: number[] = [];
  const limit = indexSize - 4 - 4 * readFixed32(index, indexSize - 4);
  // Separator user keys, rebuilt from their shared prefixes in `key`, stored one after the other.
  let keys = Buffer.allocUnsafe(indexSize);
  const starts: number[] = [0];
  let key = Buffer.allocUnsafe(64);
  let keyLen = 0;
  let keyEnd = 0;
  c.pos = 0;
  while (c.pos < limit) {
    const shared = readVarint(index, c, limit);
    const nonShared = readVarint(index, c, limit);
    const valueLen = readVarint(index, c, limit);
    const keyAt = c.pos;
    c.pos += nonShared;
    const end = c.pos + valueLen;
    const len = shared + nonShared;
    if (shared > keyLen || len < 8 || end > limit) throw new LevelFormatError(where('malformed index entry'));
    offsets.push(readVarint(index, c, end));
    sizes.push(readVarint(index, c, end));
    c.pos = end;
    if (len > key.length) key = Buffer.concat([key.subarray(0, shared), Buffer.alloc(2 * len)]);
    for (let i = 0; i < nonShared; i++) key[shared + i] = index[keyAt + i]!;
    keyLen = len;
    if (keyEnd + len > keys.length) keys = Buffer.concat([keys.subarray(0, keyEnd), Buffer.alloc(keys.length + 2 * len)]);
    for (let i = 0; i < len - 8; i++) keys[keyEnd + i] = key[i]!;
    keyEnd += len - 8;
    starts.push(keyEnd);
  }
  const last = offsets.length - 1;
  const dataEnd = last < 0 ? 0 : offsets[last]! + sizes[last]! + BLOCK_TRAILER;
  if (dataEnd > file.size) throw new LevelFormatError(where('data block out of range'));
  return { offsets, sizes, sepKeys: Buffer.from(keys.subarray(0, keyEnd)), sepStarts: Int32Array.from(starts) };
}

/**
 * The first data block that may hold a key at or above `lower`: separator i is at or above every key of
 * block i, so blocks whose separator sorts below `lower` hold nothing of interest.
 */
function firstBlockAtOrAbove(index: TableIndex, lower: Buffer): number {
  let lo = 0;
  let hi = index.offsets.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    const below = index.sepKeys.compare(lower, 0, lower.length, index.sepStarts[mid]!, index.sepStarts[mid + 1]!) < 0;
    if (below) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * The trailer's CRC covers the block and its type byte. Core reads its chainstate with checksums
 * verified, so a damaged table fails here too instead of giving a wrong dump or hash.
 */
function checkBlock(buf: Buffer, b: number, size: number, what: () => string): void {
  if (crc32c(buf, b, b + size + 1) !== unmaskCrc(readFixed32(buf, b + size + 1))) throw new TableCorruption(what());
}

/** A damaged table (not merely a format this reader skips): no fallback can make it right. */
export class TableCorruption extends Error {
  override name = 'TableCorruption';
}

function readFully(fd: number, buf: Buffer, n: number, pos: number): void {
  let got = 0;
  while (got < n) {
    const r = readSync(fd, buf, got, n - got, pos + got);
    if (r === 0) throw new LevelFormatError(`unexpected end of table file at ${pos + got}`);
    got += r;
  }
}
