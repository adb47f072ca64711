/**
 * The block index entry as kept in memory (Core's CBlockIndex): hash and header copied into shared slabs
 * of fixed-size records, so an entry holds no buffer of its own and never a view into a block it was
 * parsed from; positions are numbers; children are a linked list. Derived objects (the header, positions)
 * are built on access.
 */
import { HEADER_SIZE, type BlockHeader } from '../primitives/block.js';
import type { BlockStatus } from './block-status.js';
import type { BlockIndexEntry, FilePos } from './block-index.js';

/** Bytes per entry in a slab: the 32-byte hash, then the 80-byte header. */
export const RECORD = 112;
const SLAB_RECORDS = 4096;
let slab = new Uint8Array(RECORD * SLAB_RECORDS);
let slabUsed = 0;

/**
 * Copies hash and header into a shared slab, so an entry holds no buffer of its own and never a view
 * into a block it was parsed from (Core's CBlockIndex keeps copies of the header fields, ~150 bytes).
 */
export function storeRecord(hash: Uint8Array, header: BlockHeader): [Uint8Array, number] {
  const [slab, at] = allocRecord();
  slab.set(hash, at);
  const v = new DataView(slab.buffer, slab.byteOffset + at + 32, HEADER_SIZE);
  v.setInt32(0, header.version, true);
  slab.set(header.prevHash, at + 36);
  slab.set(header.merkleRoot, at + 68);
  v.setUint32(68, header.time, true);
  v.setUint32(72, header.bits, true);
  v.setUint32(76, header.nonce, true);
  return [slab, at];
}

const u32 = (b: Uint8Array, at: number) => (b[at] | (b[at + 1] << 8) | (b[at + 2] << 16) | (b[at + 3] << 24)) >>> 0;

/** One index entry. Hash and header live in a slab; derived objects (header, positions) are built on access. */
export class IndexEntry implements BlockIndexEntry {
  chainTxCount = 0;
  txCount = 0;
  /** A stored position is file+1 (0: none) and offset, as numbers: no object per entry. */
  private dataFile = 0;
  private dataOffset = 0;
  private undoFile = 0;
  private undoOffset = 0;
  /** The entries whose prev is this one, as a linked list (no array per entry). */
  firstChild: IndexEntry | undefined = undefined;
  nextSibling: IndexEntry | undefined = undefined;

  constructor(
    readonly key: string,
    private readonly slab: Uint8Array,
    private readonly at: number,
    readonly height: number,
    readonly chainWork: bigint,
    readonly prev: IndexEntry | undefined,
    readonly skip: IndexEntry | undefined,
    public status: BlockStatus,
    public sequenceId: number,
  ) {}

  get hash(): Uint8Array {
    return this.slab.subarray(this.at, this.at + 32);
  }

  get time(): number {
    return u32(this.slab, this.at + 100);
  }

  /** A fresh object on each access; prevHash and merkleRoot are views of the index's own copy. */
  get header(): BlockHeader {
    const b = this.slab;
    const at = this.at + 32;
    return {
      version: u32(b, at) | 0,
      prevHash: b.subarray(at + 4, at + 36),
      merkleRoot: b.subarray(at + 36, at + 68),
      time: u32(b, at + 68),
      bits: u32(b, at + 72),
      nonce: u32(b, at + 76),
    };
  }

  get dataPos(): FilePos | undefined {
    return this.dataFile === 0 ? undefined : { file: this.dataFile - 1, offset: this.dataOffset };
  }

  set dataPos(pos: FilePos | undefined) {
    this.dataFile = pos ? pos.file + 1 : 0;
    this.dataOffset = pos ? pos.offset : 0;
  }

  get undoPos(): FilePos | undefined {
    return this.undoFile === 0 ? undefined : { file: this.undoFile - 1, offset: this.undoOffset };
  }

  set undoPos(pos: FilePos | undefined) {
    this.undoFile = pos ? pos.file + 1 : 0;
    this.undoOffset = pos ? pos.offset : 0;
  }
}

export function* childrenOf(e: BlockIndexEntry): Generator<IndexEntry> {
  for (let c = (e as IndexEntry).firstChild; c; c = c.nextSibling) yield c;
}

/** A record of RECORD bytes to fill in place (the loader copies stored headers straight into it). */
export function allocRecord(): [Uint8Array, number] {
  if (slabUsed === SLAB_RECORDS) {
    slab = new Uint8Array(RECORD * SLAB_RECORDS);
    slabUsed = 0;
  }
  return [slab, RECORD * slabUsed++];
}

const scratch = Buffer.alloc(32);

/** Display hex (byte-reversed) of the 32 bytes at `at`: one string, no intermediate buffers. */
export function keyAt(bytes: Uint8Array, at: number): string {
  for (let i = 0; i < 32; i++) scratch[i] = bytes[at + 31 - i];
  return scratch.toString('hex');
}
