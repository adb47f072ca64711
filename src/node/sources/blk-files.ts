/**
 * Reading another node's blk*.dat files without loading them: where they are (a datadir, a network dir,
 * the blocks dir itself, or one file of blk framing), Core 28+'s xor.dat obfuscation, a streaming scan of the framing (magic ‖ u32 LE
 * size ‖ block) that keeps only each block's header and position, and reading one block back.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import { readU32LE } from '../../primitives/bytes.js';
import { HEADER_SIZE, MAX_BLOCK_SERIALIZED_SIZE } from '../../primitives/block.js';
import type { ChainParams } from '../../consensus/params.js';

const BLK_FILE = /^blk(\d{5,})\.dat$/;
/** Core's network subdirectories (main has none). */
const NETWORK_DIRS: Record<string, string> = { main: '', test: 'testnet3', testnet4: 'testnet4', signet: 'signet', regtest: 'regtest' };

/** The blocks dir under `dir`: `dir` itself, `dir/blocks`, or `dir/<network>/blocks`. */
export function findBlocksDir(dir: string, params: ChainParams): string {
  const net = NETWORK_DIRS[params.coreName] ?? '';
  const candidates = [dir, path.join(dir, 'blocks'), path.join(dir, net, 'blocks')];
  for (const c of candidates) if (blkFiles(c).length > 0) return c;
  throw new Error(`no blk*.dat files in ${dir} (looked in ${[...new Set(candidates)].join(', ')})`);
}

/** The blk file numbers in a dir, ascending. */
export function blkFiles(dir: string): number[] {
  if (!existsSync(dir) || !statSync(dir).isDirectory()) return [];
  return readdirSync(dir)
    .flatMap((f) => BLK_FILE.exec(f)?.[1] ?? [])
    .map(Number)
    .sort((a, b) => a - b);
}

export function blkPath(dir: string, n: number): string {
  return path.join(dir, `blk${String(n).padStart(5, '0')}.dat`);
}

export interface BlkFileSet {
  /** The blocks dir, or the one file. */
  where: string;
  files: string[];
  /** The xor.dat key that applies (all zero when none does). */
  key: Uint8Array;
}

/**
 * The blk files to read: those of the blocks dir under `dirOrFile`, or the file itself (a blkNNNNN.dat
 * keeps the xor.dat of its directory; any other file, e.g. a framed export, is read as it is).
 */
export function findBlkFiles(dirOrFile: string, params: ChainParams): BlkFileSet {
  if (existsSync(dirOrFile) && statSync(dirOrFile).isFile()) {
    const key = BLK_FILE.test(path.basename(dirOrFile)) ? readXorKey(path.dirname(dirOrFile)) : new Uint8Array(8);
    return { where: dirOrFile, files: [dirOrFile], key };
  }
  const dir = findBlocksDir(dirOrFile, params);
  return { where: dir, files: blkFiles(dir).map((n) => blkPath(dir, n)), key: readXorKey(dir) };
}

/** Core 28+'s 8-byte key (all zero when xor.dat is absent, as for older nodes). */
export function readXorKey(dir: string): Uint8Array {
  const file = path.join(dir, 'xor.dat');
  if (!existsSync(file)) return new Uint8Array(8);
  const key = new Uint8Array(readFileSync(file));
  if (key.length !== 8) throw new Error(`${file}: expected an 8-byte key, found ${key.length} bytes`);
  return key;
}

/** Byte i of a file is stored XORed with key[i mod 8]. */
export function unxor(buf: Uint8Array, fileOffset: number, key: Uint8Array): void {
  if (key.every((b) => b === 0)) return;
  for (let i = 0; i < buf.length; i++) buf[i] ^= key[(fileOffset + i) & 7];
}

export interface BlkRecord {
  /** Index of the file in its BlkFileSet. */
  file: number;
  /** Offset of the block's first byte (after magic and size). */
  offset: number;
  size: number;
  /** The 80 header bytes, de-obfuscated. */
  header: Uint8Array;
}

const CHUNK = 4 << 20;

/**
 * The framed blocks of one file, in file order. Like Core's LoadExternalBlockFile it scans for the magic,
 * so preallocated zeros and junk are skipped; a frame with an impossible size is skipped, and one cut short
 * by the end of the file ends the scan. Reads in chunks and jumps over block bodies.
 */
export async function* scanBlkFile(set: BlkFileSet, file: number, magic: Uint8Array): AsyncGenerator<BlkRecord> {
  const key = set.key;
  const h = await open(set.files[file], 'r');
  try {
    const size = (await h.stat()).size;
    let buf: Uint8Array = new Uint8Array(0);
    let bufStart = 0;
    const ensure = async (at: number, len: number): Promise<boolean> => {
      if (at + len > size) return false;
      if (at >= bufStart && at + len <= bufStart + buf.length) return true;
      const want = Math.min(Math.max(CHUNK, len), size - at);
      buf = await readAt(h, at, want);
      unxor(buf, at, key);
      bufStart = at;
      return true;
    };
    let pos = 0;
    while (await ensure(pos, 8)) {
      const i = pos - bufStart;
      if (buf[i] !== magic[0] || buf[i + 1] !== magic[1] || buf[i + 2] !== magic[2] || buf[i + 3] !== magic[3]) {
        // Jump to the next possible start in this chunk (preallocated files end in megabytes of zeros).
        const next = buf.indexOf(magic[0], i + 1);
        pos = next >= 0 ? bufStart + next : bufStart + buf.length;
        continue;
      }
      const len = readU32LE(buf, i + 4);
      if (len < HEADER_SIZE || len > MAX_BLOCK_SERIALIZED_SIZE) {
        pos++;
        continue;
      }
      const start = pos + 8;
      if (start + len > size) return;
      await ensure(start, HEADER_SIZE);
      const header = buf.slice(start - bufStart, start - bufStart + HEADER_SIZE);
      yield { file, offset: start, size: len, header };
      pos = start + len;
    }
  } finally {
    await h.close();
  }
}

/** Open blk files for reading blocks back, one handle per file. */
export class BlkReader {
  private readonly handles = new Map<number, Promise<FileHandle>>();

  constructor(private readonly set: BlkFileSet) {}

  async read(rec: Pick<BlkRecord, 'file' | 'offset' | 'size'>): Promise<Uint8Array> {
    let h = this.handles.get(rec.file);
    if (!h) {
      h = open(this.set.files[rec.file], 'r');
      this.handles.set(rec.file, h);
    }
    const bytes = await readAt(await h, rec.offset, rec.size);
    unxor(bytes, rec.offset, this.set.key);
    return bytes;
  }

  async close(): Promise<void> {
    for (const h of this.handles.values()) await (await h).close().catch(() => {});
    this.handles.clear();
  }
}

async function readAt(h: FileHandle, at: number, len: number): Promise<Uint8Array> {
  const buf = new Uint8Array(len);
  let got = 0;
  while (got < len) {
    const { bytesRead } = await h.read(buf, got, len - got, at + got);
    if (bytesRead === 0) throw new Error(`unexpected end of file at ${at + got}`);
    got += bytesRead;
  }
  return buf;
}
