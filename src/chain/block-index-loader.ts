/**
 * Rebuilds the block index from its stored entries (Core's LoadBlockIndexGuts): each header is copied
 * straight into the index's slab record and hashed there, the hash checked against the entry's key, the
 * entries linked in height order, each parent and proof of work checked. Kept lean because a mainnet index
 * has ~925,000 entries: numeric columns instead of an object per record, one proof and target per `bits`.
 */
import { hash as digest } from 'node:crypto';
import { HEADER_SIZE } from '../primitives/block.js';
import { equalBytes } from '../primitives/bytes.js';
import { blockProof, targetFromBits } from '../consensus/pow.js';
import type { ChainParams } from '../consensus/params.js';
import type { BlockStatus } from './block-status.js';
import { BlockIndex, type BlockIndexOptions, type StoredFields } from './block-index.js';
import { allocRecord, keyAt } from './index-entry.js';

/** Records are ordered by height × ORDER_SPAN + record number, in one native sort of doubles. */
const ORDER_SPAN = 2 ** 23;

interface BitsInfo {
  proof: bigint;
  /** The target, little-endian like a hash; undefined when `bits` is not a valid target for the network. */
  target: Uint8Array | undefined;
}

export class BlockIndexLoader {
  private readonly slabs: Uint8Array[] = [];
  private readonly ats: number[] = [];
  private readonly heights: number[] = [];
  private readonly statuses: BlockStatus[] = [];
  private readonly txCounts: number[] = [];
  private readonly chainTxCounts: number[] = [];
  /** file + 1, 0 for none. */
  private readonly dataFiles: number[] = [];
  private readonly dataOffsets: number[] = [];
  private readonly undoFiles: number[] = [];
  private readonly undoOffsets: number[] = [];
  private readonly sequenceIds: number[] = [];
  private readonly bits = new Map<number, BitsInfo>();

  constructor(
    private readonly params: ChainParams,
    private readonly opts: BlockIndexOptions = {},
  ) {}

  /** One stored entry: its 80 header bytes, the hash its key names (undefined: not checked), its fields. */
  add(header: Uint8Array, keyHash: Uint8Array | undefined, f: StoredFields): void {
    if (header.length !== HEADER_SIZE) throw new Error('block index is corrupt: short header');
    const [slab, at] = allocRecord();
    const stored = slab.subarray(at + 32, at + 32 + HEADER_SIZE);
    stored.set(header);
    slab.set(digest('sha256', digest('sha256', stored, 'buffer'), 'buffer'), at);
    if (keyHash && !equalBytes(slab.subarray(at, at + 32), keyHash)) throw new Error(`block index is corrupt: key ${keyAt(keyHash, 0)} does not match its header`);
    this.slabs.push(slab);
    this.ats.push(at);
    this.heights.push(f.height);
    this.statuses.push(f.status);
    this.txCounts.push(f.txCount);
    this.chainTxCounts.push(f.chainTxCount);
    this.dataFiles.push(f.dataPos ? f.dataPos.file + 1 : 0);
    this.dataOffsets.push(f.dataPos?.offset ?? 0);
    this.undoFiles.push(f.undoPos ? f.undoPos.file + 1 : 0);
    this.undoOffsets.push(f.undoPos?.offset ?? 0);
    this.sequenceIds.push(f.sequenceId);
  }

  /** Links every entry added; throws "block index is corrupt: …" when the stored index cannot be trusted. */
  finish(): BlockIndex {
    const index = new BlockIndex(this.params, this.opts);
    const n = this.heights.length;
    if (n >= ORDER_SPAN) throw new Error(`block index of ${n} entries is more than this loader orders`);
    const order = new Float64Array(n);
    for (let i = 0; i < n; i++) order[i] = this.heights[i] * ORDER_SPAN + i;
    order.sort();
    const f: StoredFields = { height: 0, status: index.genesis.status, dataPos: undefined, undoPos: undefined, txCount: 0, chainTxCount: 0, sequenceId: 0 };
    for (let k = 0; k < n; k++) {
      const i = order[k] % ORDER_SPAN;
      const slab = this.slabs[i];
      const at = this.ats[i];
      f.height = this.heights[i];
      f.status = this.statuses[i];
      f.txCount = this.txCounts[i];
      f.chainTxCount = this.chainTxCounts[i];
      f.dataPos = this.dataFiles[i] ? { file: this.dataFiles[i] - 1, offset: this.dataOffsets[i] } : undefined;
      f.undoPos = this.undoFiles[i] ? { file: this.undoFiles[i] - 1, offset: this.undoOffsets[i] } : undefined;
      f.sequenceId = this.sequenceIds[i];
      if (f.height === 0) {
        index.attachStored(slab, at, undefined, f, 0n);
        continue;
      }
      const key = () => keyAt(slab, at);
      const prev = index.get(keyAt(slab, at + 36));
      if (!prev || prev.height !== f.height - 1) throw new Error(`block index is corrupt: parent of ${key()} (height ${f.height}) is missing`);
      const info = this.bitsInfo(slab[at + 104] | (slab[at + 105] << 8) | (slab[at + 106] << 16) | (slab[at + 107] << 24));
      if (!info.target || !meetsTarget(slab, at, info.target)) throw new Error(`block index is corrupt: CheckProofOfWork failed: ${key()}`);
      if (!index.attachStored(slab, at, prev, f, info.proof)) throw new Error(`block index is corrupt: ${key()} stored twice`);
    }
    index.finishRestore();
    return index;
  }

  private bitsInfo(bits: number): BitsInfo {
    const u = bits >>> 0;
    let info = this.bits.get(u);
    if (!info) {
      const { target, negative, overflow } = targetFromBits(u);
      const valid = !negative && !overflow && target !== 0n && target <= this.params.powLimit;
      let le: Uint8Array | undefined;
      if (valid) {
        le = new Uint8Array(32);
        for (let j = 0, t = target; j < 32; j++, t >>= 8n) le[j] = Number(t & 0xffn);
      }
      info = { proof: blockProof(u), target: le };
      this.bits.set(u, info);
    }
    return info;
  }
}

/** Core's CheckProofOfWork comparison: the hash (little-endian, at `at`) is at most the target. */
function meetsTarget(slab: Uint8Array, at: number, target: Uint8Array): boolean {
  for (let j = 31; j >= 0; j--) {
    const h = slab[at + j];
    if (h !== target[j]) return h < target[j];
  }
  return true;
}
