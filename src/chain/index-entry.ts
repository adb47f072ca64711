/**
 * The block index entry as callers see it (Core's CBlockIndex): a light object over one row of the
 * index's columns (index-store.ts), made the first time a row is asked for and kept, so the same block
 * is always the same object. It holds no buffer of its own and never a view into a block it was parsed
 * from; derived objects (the header, positions) are built on access.
 */
import type { BlockHeader } from '../primitives/block.js';
import { encodeStatus, type BlockStatus } from './block-status.js';
import type { BlockIndexEntry, FilePos } from './block-index.js';
import { IndexStore, R_BITS, R_MERKLE, R_NONCE, R_TIME, R_VERSION } from './index-store.js';

const CHUNK_BITS = 12;
const ZERO_HASH = new Uint8Array(32);

/** The entry object of `row`, made once. */
export function entryAt(store: IndexStore, row: number): IndexEntry {
  const c = row >> CHUNK_BITS;
  const objects = (store.objects[c] ??= new Array<IndexEntry | undefined>(1 << CHUNK_BITS).fill(undefined)) as Array<IndexEntry | undefined>;
  const i = row & ((1 << CHUNK_BITS) - 1);
  return (objects[i] ??= new IndexEntry(store, row));
}

export class IndexEntry implements BlockIndexEntry {
  private keyCache: string | undefined = undefined;

  constructor(
    readonly store: IndexStore,
    readonly row: number,
  ) {}

  get hash(): Uint8Array {
    return this.store.hashView(this.row);
  }

  get key(): string {
    return (this.keyCache ??= keyAt(this.store.chunkOf(this.row), this.store.offsetOf(this.row)));
  }

  get height(): number {
    return this.store.height[this.row];
  }

  get chainWork(): bigint {
    return this.store.chainWork(this.row);
  }

  get prev(): IndexEntry | undefined {
    const p = this.store.prev[this.row];
    return p < 0 ? undefined : entryAt(this.store, p);
  }

  get skip(): IndexEntry | undefined {
    const s = this.store.skip[this.row];
    return s < 0 ? undefined : entryAt(this.store, s);
  }

  get status(): BlockStatus {
    return this.store.statusOf(this.row);
  }

  set status(s: BlockStatus) {
    this.store.status[this.row] = encodeStatus(s);
  }

  get sequenceId(): number {
    return this.store.sequenceId[this.row];
  }

  set sequenceId(n: number) {
    this.store.sequenceId[this.row] = n;
  }

  get txCount(): number {
    return this.store.txCount[this.row];
  }

  set txCount(n: number) {
    this.store.txCount[this.row] = n;
  }

  get chainTxCount(): number {
    return this.store.chainTxCount[this.row];
  }

  set chainTxCount(n: number) {
    this.store.chainTxCount[this.row] = n;
  }

  get time(): number {
    return this.store.u32(this.row, R_TIME);
  }

  /** A fresh object on each access; prevHash and merkleRoot are views of the index's own copies. */
  get header(): BlockHeader {
    const s = this.store;
    const r = this.row;
    const rec = s.chunkOf(r);
    const o = s.offsetOf(r);
    const p = s.prev[r];
    return {
      version: s.u32(r, R_VERSION) | 0,
      prevHash: p < 0 ? ZERO_HASH.slice() : s.hashView(p),
      merkleRoot: rec.subarray(o + R_MERKLE, o + R_MERKLE + 32),
      time: s.u32(r, R_TIME),
      bits: s.u32(r, R_BITS),
      nonce: s.u32(r, R_NONCE),
    };
  }

  get dataPos(): FilePos | undefined {
    const f = this.store.dataFile[this.row];
    return f === 0 ? undefined : { file: f - 1, offset: this.store.dataOffset[this.row] };
  }

  set dataPos(pos: FilePos | undefined) {
    this.store.dataFile[this.row] = pos ? pos.file + 1 : 0;
    this.store.dataOffset[this.row] = pos ? pos.offset : 0;
  }

  get undoPos(): FilePos | undefined {
    const f = this.store.undoFile[this.row];
    return f === 0 ? undefined : { file: f - 1, offset: this.store.undoOffset[this.row] };
  }

  set undoPos(pos: FilePos | undefined) {
    this.store.undoFile[this.row] = pos ? pos.file + 1 : 0;
    this.store.undoOffset[this.row] = pos ? pos.offset : 0;
  }
}

export function* childrenOf(e: BlockIndexEntry): Generator<IndexEntry> {
  const { store, row } = e as IndexEntry;
  for (let c = store.firstChild[row]; c >= 0; c = store.nextSibling[c]) yield entryAt(store, c);
}

const scratch = Buffer.alloc(32);

/** Display hex (byte-reversed) of the 32 bytes at `at`: one string, no intermediate buffers. */
export function keyAt(bytes: Uint8Array, at: number): string {
  for (let i = 0; i < 32; i++) scratch[i] = bytes[at + 31 - i];
  return scratch.toString('hex');
}

const HEX64 = /^[0-9a-fA-F]{64}$/;

/** The internal-order hash a display hex names, into `out`; false if it is not 64 hex digits. */
export function hashOfKey(key: string, out: Uint8Array): boolean {
  if (!HEX64.test(key)) return false;
  scratch.write(key, 'hex');
  for (let i = 0; i < 32; i++) out[i] = scratch[31 - i];
  return true;
}
