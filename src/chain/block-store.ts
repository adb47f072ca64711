/**
 * Block and undo files as Core lays them out (node/blockstorage.cpp): append-only blkNNNNN.dat records of
 * magic ‖ u32 LE size ‖ block, and revNNNNN.dat records of magic ‖ u32 LE size ‖ undo ‖ SHA256d(prev block
 * hash ‖ undo), the undo kept in the rev file numbered like the block's blk file. Positions point at the
 * data after the 8-byte record header (Core's FlatFilePos). Durability order is the caller's contract:
 * `await sync()` before writing index entries that point at new data, and persist the file infos it returns
 * in the same index batch. Also reads a stopped Core node's blocks/ dir, undoing its xor.dat obfuscation.
 */
import { randomBytes } from 'node:crypto';
import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, readdirSync, readFileSync, readSync, statSync, writeSync } from 'node:fs';
import { FileHandle, open, readFile } from 'node:fs/promises';
import path from 'node:path';
import { equalBytes, readU32LE, toHex, writeU32LE } from '../primitives/bytes.js';
import { sha256d } from '../primitives/hash.js';
import type { FilePos } from './block-index.js';

/** Core's MAX_BLOCKFILE_SIZE: a new blk file starts before one would reach 128 MiB. */
export const MAX_BLOCKFILE_SIZE = 0x8000000;
/** Core's STORAGE_HEADER_BYTES: magic and size before each record. */
export const STORAGE_HEADER_BYTES = 8;
/** Open blk/rev files kept at most (Core opens a FlatFile per access; a few stay open here for speed). */
export const DEFAULT_MAX_OPEN_FILES = 64;
/** Core's MAX_SIZE: the largest record size a reader accepts. */
const MAX_RECORD_SIZE = 0x02000000;

/**
 * A stored block could not be read back (missing file, short read, bad record): Core's fatal
 * "Failed to read block." (ConnectTip's AbortNode). The cause says what went wrong.
 */
export class BlockReadError extends Error {
  override name = 'BlockReadError';
  constructor(what: string, cause: unknown) {
    super(`${BLOCK_READ_FAILED} (${what}: ${cause instanceof Error ? cause.message : String(cause)})`, { cause });
  }
}
export const BLOCK_READ_FAILED = 'Failed to read block.';

/** Core's CBlockFileInfo. Heights and times are meaningful only when blocks > 0. */
export interface BlockFileInfo {
  blocks: number;
  size: number;
  undoSize: number;
  heightFirst: number;
  heightLast: number;
  timeFirst: number;
  timeLast: number;
}

/** What sync() guarantees is on disk: persist it with the index entries that point into it. */
export interface SyncedFiles {
  lastFile: number;
  files: Map<number, BlockFileInfo>;
}

export interface BlockStoreOptions {
  /** The network's message start, written before (and checked on) every record. */
  magic: Uint8Array;
  /** Roll over to a new blk file before this size (tests use small values). */
  maxFileSize?: number;
  /** File infos and last file from the block index DB, when there is one. */
  files?: ReadonlyMap<number, BlockFileInfo>;
  lastFile?: number;
  readOnly?: boolean;
  /** Open blk/rev files kept at most (least recently used closed first); default DEFAULT_MAX_OPEN_FILES. */
  maxOpenFiles?: number;
  /**
   * Core's -blocksxor: a fresh blocks dir gets a random xor.dat key and its files are obfuscated with it, so
   * that anti-virus software does not trip over block data. Off: a zero key (no obfuscation). An existing
   * xor.dat always wins; one with a non-zero key cannot be turned off (Core's error). Unset (library use):
   * no new key, and any existing one is used.
   */
  obfuscate?: boolean;
}

const emptyInfo = (): BlockFileInfo => ({ blocks: 0, size: 0, undoSize: 0, heightFirst: 0, heightLast: 0, timeFirst: 0, timeLast: 0 });
const fileName = (kind: 'blk' | 'rev', n: number) => `${kind}${String(n).padStart(5, '0')}.dat`;
const posString = (pos: FilePos) => `FlatFilePos(nFile=${pos.file}, nPos=${pos.offset})`;

const XOR_FILE = 'xor.dat';

function readXorKey(dir: string): Uint8Array {
  const file = path.join(dir, XOR_FILE);
  const key = existsSync(file) ? new Uint8Array(readFileSync(file)) : new Uint8Array(8);
  if (key.length !== 8) throw new Error(`${file}: expected an 8-byte key, found ${key.length} bytes`);
  return key;
}

/**
 * Core's InitBlocksdirXorKey: a random key only on the very first start (no block files yet), written
 * durably before any block; a blocks dir from before obfuscation gets a zero key file.
 */
function initXorKey(dir: string, obfuscate: boolean | undefined): Uint8Array {
  const file = path.join(dir, XOR_FILE);
  if (!existsSync(file)) {
    const fresh = !readdirSync(dir).some((f) => /^(blk|rev)\d{5,}\.dat$/.test(f));
    const key = obfuscate && fresh ? new Uint8Array(randomBytes(8)) : new Uint8Array(8);
    const fd = openSync(file, 'wx');
    try {
      writeSync(fd, key);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  }
  const key = readXorKey(dir);
  if (obfuscate === false && key.some((b) => b !== 0)) {
    throw new Error(
      `The blocksdir XOR-key can not be disabled when a random key was already stored! Stored key: '${toHex(key)}', stored path: '${file}'.`,
    );
  }
  return key;
}

/** An open file and how many reads or writes are using it (it is never closed under them). */
interface OpenFile {
  handle: Promise<FileHandle>;
  users: number;
}

export class BlockStore {
  /** Least recently used first (Map order): at most maxOpenFiles idle ones stay open. */
  private readonly handles = new Map<string, OpenFile>();
  private maxOpenFiles = DEFAULT_MAX_OPEN_FILES;
  /** Accesses waiting for an open file to be released. */
  private readonly waiting: Array<() => void> = [];
  private readonly touched = new Set<string>();
  private readonly pending = new Set<Promise<unknown>>();
  /** The first write that failed; every sync after it fails too. */
  private failedWrite: unknown;
  private newFiles = false;

  private constructor(
    readonly dir: string,
    private readonly magic: Uint8Array,
    private readonly maxFileSize: number,
    private readonly files: Map<number, BlockFileInfo>,
    private lastFile: number,
    /** Core v28+'s 8-byte key from xor.dat (all zero when absent). */
    readonly xorKey: Uint8Array,
    readonly readOnly: boolean,
  ) {}

  /**
   * Opens (creating unless read-only) a blocks dir. With the file infos from the index, appending resumes
   * at the recorded sizes: anything past them is a torn or unsynced write that nothing points at, and is
   * overwritten (as Core does). Without them, appending resumes at the end of each file on disk. A file
   * shorter than the index records is an error, since indexed data would be missing.
   */
  static async open(dir: string, opts: BlockStoreOptions): Promise<BlockStore> {
    const readOnly = opts.readOnly ?? false;
    if (!readOnly) mkdirSync(dir, { recursive: true });
    const xorKey = readOnly ? readXorKey(dir) : initXorKey(dir, opts.obfuscate);
    const files = new Map<number, BlockFileInfo>();
    for (const [n, info] of opts.files ?? []) files.set(n, { ...info });
    const onDisk = existsSync(dir) ? readdirSync(dir).flatMap((f) => /^blk(\d{5,})\.dat$/.exec(f)?.[1] ?? []).map(Number) : [];
    for (const n of onDisk) {
      const size = statSync(path.join(dir, fileName('blk', n))).size;
      const revPath = path.join(dir, fileName('rev', n));
      const undoSize = existsSync(revPath) ? statSync(revPath).size : 0;
      const info = files.get(n);
      // Like Core, appending resumes at the recorded size, overwriting whatever a crash left past it.
      if (!info) files.set(n, { ...emptyInfo(), size, undoSize });
      else if (size < info.size || undoSize < info.undoSize) {
        throw new Error(`${fileName('blk', n)}/${fileName('rev', n)} in ${dir} are shorter than the block index records`);
      }
    }
    for (const [n, info] of files) {
      if (info.size > 0 && !onDisk.includes(n)) throw new Error(`${fileName('blk', n)} is missing from ${dir}`);
    }
    const lastFile = Math.max(opts.lastFile ?? 0, ...files.keys(), 0);
    if (!files.has(lastFile)) files.set(lastFile, emptyInfo());
    const store = new BlockStore(dir, opts.magic, opts.maxFileSize ?? MAX_BLOCKFILE_SIZE, files, lastFile, xorKey, readOnly);
    store.maxOpenFiles = Math.max(1, opts.maxOpenFiles ?? DEFAULT_MAX_OPEN_FILES);
    return store;
  }

  get currentFile(): number {
    return this.lastFile;
  }

  fileInfo(n: number): BlockFileInfo | undefined {
    const info = this.files.get(n);
    return info && { ...info };
  }

  /** Appends a block; `meta` feeds the file's height/time range (Core's CBlockFileInfo::AddBlock). */
  writeBlock(bytes: Uint8Array, meta?: { height: number; time: number }): Promise<FilePos> {
    this.assertWritable();
    let info = this.files.get(this.lastFile)!;
    const add = bytes.length + STORAGE_HEADER_BYTES;
    // Core's FindNextBlockPos rule; an empty file takes any block so an oversized one cannot loop forever.
    if (info.size > 0 && info.size + add >= this.maxFileSize) {
      this.lastFile++;
      info = emptyInfo();
      this.files.set(this.lastFile, info);
    }
    const pos = { file: this.lastFile, offset: info.size + STORAGE_HEADER_BYTES };
    // Space is reserved synchronously so concurrent writes never share an offset.
    info.size += add;
    if (meta) {
      if (info.blocks === 0 || meta.height < info.heightFirst) info.heightFirst = meta.height;
      if (info.blocks === 0 || meta.time < info.timeFirst) info.timeFirst = meta.time;
      if (info.blocks === 0 || meta.height > info.heightLast) info.heightLast = meta.height;
      if (info.blocks === 0 || meta.time > info.timeLast) info.timeLast = meta.time;
    }
    info.blocks++;
    return this.track(this.writeRecord(fileName('blk', pos.file), pos.offset - STORAGE_HEADER_BYTES, [bytes]).then(() => pos));
  }

  /** Appends undo data to rev file `file` (the block's blk file number) with Core's checksum. */
  writeUndo(bytes: Uint8Array, prevHash: Uint8Array, file: number): Promise<FilePos> {
    this.assertWritable();
    const info = this.files.get(file);
    if (!info) throw new Error(`no block file ${file} for undo data`);
    const pos = { file, offset: info.undoSize + STORAGE_HEADER_BYTES };
    info.undoSize += bytes.length + STORAGE_HEADER_BYTES + 32;
    const checksum = sha256d(Buffer.concat([prevHash, bytes]));
    return this.track(this.writeRecord(fileName('rev', file), pos.offset - STORAGE_HEADER_BYTES, [bytes, checksum]).then(() => pos));
  }

  /**
   * Waits for every write, fsyncs the files written since the last sync (and the directory when files were
   * created), then returns the file state that index entries may now rely on.
   */
  async sync(): Promise<SyncedFiles> {
    // Snapshot first: writes issued while we wait are not covered by this sync and must not be reported.
    const files = new Map<number, BlockFileInfo>();
    for (const [n, info] of this.files) files.set(n, { ...info });
    const lastFile = this.lastFile;
    await Promise.all([...this.pending]);
    if (this.failedWrite !== undefined) throw this.failedWrite;
    const names = [...this.touched];
    this.touched.clear();
    // A file closed since it was written is opened again: fsync covers all of a file's data, whatever fd wrote it.
    for (const name of names) await this.withFile(name, (h) => h.datasync());
    if (this.newFiles) {
      const d = await open(this.dir, 'r');
      await d.sync().finally(() => d.close());
      this.newFiles = false;
    }
    return { lastFile, files };
  }

  /** Core's ReadRawBlock: the record header must carry our magic. */
  async readBlock(pos: FilePos): Promise<Uint8Array> {
    return (await this.readRecord('blk', pos, 0)).data;
  }

  /** Core's ReadBlockUndo: the stored checksum must equal SHA256d(prevHash ‖ undo bytes). */
  async readUndo(pos: FilePos, prevHash: Uint8Array): Promise<Uint8Array> {
    const { data, extra } = await this.readRecord('rev', pos, 32);
    if (!equalBytes(extra, sha256d(Buffer.concat([prevHash, data])))) {
      throw new Error(`Checksum mismatch at ${posString(pos)} while reading block undo`);
    }
    return data;
  }

  /** A whole blk or rev file, de-obfuscated (for scanning, e.g. with readFramedBlocks). */
  async readFile(kind: 'blk' | 'rev', file: number): Promise<Uint8Array> {
    await Promise.all([...this.pending]);
    const bytes = new Uint8Array(await readFile(path.join(this.dir, fileName(kind, file))));
    this.xor(bytes, 0);
    return bytes;
  }

  /** Files open right now (tests). */
  get openFiles(): number {
    return this.handles.size;
  }

  async close(): Promise<void> {
    await Promise.all([...this.pending]);
    const open = [...this.handles.values()];
    this.handles.clear();
    for (const f of open) await (await f.handle.catch(() => undefined))?.close();
  }

  private assertWritable(): void {
    if (this.readOnly) throw new Error(`block store ${this.dir} is open read-only`);
  }

  private track<T>(p: Promise<T>): Promise<T> {
    this.pending.add(p);
    const done = () => this.pending.delete(p);
    p.then(done, (e: unknown) => {
      // The space was reserved in the file infos: no later sync may report them as written.
      this.failedWrite ??= e;
      done();
    });
    return p;
  }

  /**
   * Runs `fn` with the file open. One open per file at a time: the promise is shared, so concurrent first
   * writes cannot both create (truncate) it. Idle files beyond the limit are closed, oldest use first.
   */
  private async withFile<T>(name: string, fn: (h: FileHandle) => Promise<T>): Promise<T> {
    let f = this.handles.get(name);
    // At the limit with every open file in use, wait for one to be released.
    while (!f && this.handles.size >= this.maxOpenFiles && !this.closeIdle(this.maxOpenFiles - 1)) {
      await new Promise<void>((resolve) => this.waiting.push(resolve));
      f = this.handles.get(name);
    }
    if (f) this.handles.delete(name);
    else {
      const full = path.join(this.dir, name);
      let handle: Promise<FileHandle>;
      // Not 'a': positional writes are ignored in append mode on Linux.
      if (this.readOnly) handle = open(full, 'r');
      else if (existsSync(full)) handle = open(full, 'r+');
      else {
        handle = open(full, 'w+');
        this.newFiles = true;
      }
      f = { handle, users: 0 };
      // A failed open is not remembered: the next access tries again.
      const failed = f;
      handle.catch(() => this.handles.get(name) === failed && this.handles.delete(name));
    }
    this.handles.set(name, f);
    f.users++;
    try {
      return await fn(await f.handle);
    } finally {
      f.users--;
      this.closeIdle(this.maxOpenFiles);
      this.waiting.shift()?.();
    }
  }

  /** Closes idle files, least recently used first, until at most `keep` are open; false if none could go. */
  private closeIdle(keep: number): boolean {
    let closed = false;
    for (const [name, f] of this.handles) {
      if (this.handles.size <= keep) break;
      if (f.users > 0) continue;
      this.handles.delete(name);
      this.track(f.handle.then((h) => h.close()).catch(() => {}));
      closed = true;
    }
    return closed || this.handles.size <= keep;
  }

  private async writeRecord(name: string, at: number, parts: Uint8Array[]): Promise<void> {
    const head = new Uint8Array(STORAGE_HEADER_BYTES);
    head.set(this.magic);
    writeU32LE(head, 4, parts[0].length);
    const buf = Buffer.concat([head, ...parts]);
    this.xor(buf, at);
    // A blocking write, as Core's fwrite: it only reaches the page cache (durability is sync()'s job), which
    // costs microseconds, far less than a round trip through libuv's thread pool on a busy machine.
    await this.withFile(name, async (h) => {
      let done = 0;
      while (done < buf.length) done += writeSync(h.fd, buf, done, buf.length - done, at + done);
    });
    // Marked only once written, so a sync that runs meanwhile cannot clear it before the bytes exist.
    this.touched.add(name);
  }

  private async readRecord(kind: 'blk' | 'rev', pos: FilePos, extraLen: number): Promise<{ data: Uint8Array; extra: Uint8Array }> {
    const what = kind === 'blk' ? 'raw block' : 'block undo';
    if (pos.offset < STORAGE_HEADER_BYTES) throw new Error(`Failed for ${posString(pos)} while reading ${what} storage header`);
    const name = fileName(kind, pos.file);
    // Checked on every read, open or not: Core opens the file per read, so a file moved or deleted under a
    // running node fails the read (rpc_blockchain.py and rpc_dumptxoutset.py rely on it).
    if (!existsSync(path.join(this.dir, name))) throw new Error(`Open${kind === 'blk' ? 'Block' : 'Undo'}File failed for ${posString(pos)} while reading ${what}`);
    return this.withFile(name, async (h) => {
      const head = await this.readAt(h, pos.offset - STORAGE_HEADER_BYTES, STORAGE_HEADER_BYTES, pos);
      const magic = head.subarray(0, 4);
      if (!equalBytes(magic, this.magic)) {
        throw new Error(`Block magic mismatch for ${posString(pos)}: ${toHex(magic)} versus expected ${toHex(this.magic)} while reading ${what}`);
      }
      const size = readU32LE(head, 4);
      if (size > MAX_RECORD_SIZE) throw new Error(`Record at ${posString(pos)} claims ${size} bytes, more than ${MAX_RECORD_SIZE}`);
      const body = await this.readAt(h, pos.offset, size + extraLen, pos);
      return { data: body.subarray(0, size), extra: body.subarray(size) };
    });
  }

  private async readAt(h: FileHandle, at: number, len: number, pos: FilePos): Promise<Uint8Array> {
    const buf = new Uint8Array(len);
    let got = 0;
    while (got < len) {
      // Blocking, as Core's fread: a page-cache hit costs less than a thread-pool round trip.
      const bytesRead = readSync(h.fd, buf, got, len - got, at + got);
      if (bytesRead === 0) throw new Error(`Read from block file failed: end of file for ${posString(pos)}`);
      got += bytesRead;
    }
    this.xor(buf, at);
    return buf;
  }

  /** Core's obfuscation: byte i of a file is XORed with key[i mod 8]. */
  private xor(buf: Uint8Array, fileOffset: number): void {
    const k = this.xorKey;
    if (k.every((b) => b === 0)) return;
    for (let i = 0; i < buf.length; i++) buf[i] ^= k[(fileOffset + i) & 7];
  }
}
