/**
 * Core's HeadersSyncState (headerssync.cpp), simplified: a peer's header chain that does not yet show the
 * minimum chain work is never stored. PRESYNC walks it keeping only its last header, its work, and a
 * commitment (the hash) to every `period`-th header from a random offset; once the work is enough,
 * REDOWNLOAD asks for the same chain again from the start, checks each committed hash, and releases the
 * headers for storing in batches, holding back `bufferSize` of them until the final work is proven (or a
 * later commitment vouches for them). Memory stays a few hashes per thousand headers, as in Core.
 */
import { blockHash, type BlockHeader } from '../../primitives/block.js';
import { blockProof, bitsFromTarget, difficultyAdjustmentInterval, targetFromBits } from '../../consensus/pow.js';
import type { ChainParams } from '../../consensus/params.js';
import { blockLocator } from '../../chain/locator.js';
import type { BlockIndexEntry } from '../../chain/block-index.js';
import { equalBytes, toHex } from '../../primitives/bytes.js';

/** Core's HeadersSyncParams for mainnet; smaller networks use the same shape. */
export const COMMITMENT_PERIOD = 632;
export const REDOWNLOAD_BUFFER_SIZE = 15009;

export interface LowWorkResult {
  /** The headers were a valid continuation (false: the sync is aborted). */
  success: boolean;
  /** Ask the peer for more, with `locator()`. */
  requestMore: boolean;
  /** Headers whose chain's work is proven: store them now. */
  headers: BlockHeader[];
  /** Why the sync ended without reaching the work, for the log (with `success` true when the headers were valid). */
  abort?: string;
}

/** Core's PermittedDifficultyTransition: bits may only change at a retarget, and by at most a factor of 4. */
export function permittedDifficultyTransition(params: ChainParams, height: number, oldBits: number, newBits: number): boolean {
  if (params.powAllowMinDifficultyBlocks) return true;
  if (height % difficultyAdjustmentInterval(params) !== 0) return oldBits === newBits;
  const observed = targetFromBits(newBits).target;
  const old = targetFromBits(oldBits).target;
  const round = (t: bigint) => targetFromBits(bitsFromTarget(t)).target;
  let largest = (old * BigInt(params.powTargetTimespan * 4)) / BigInt(params.powTargetTimespan);
  if (largest > params.powLimit) largest = params.powLimit;
  if (round(largest) < observed) return false;
  let smallest = (old * BigInt(Math.floor(params.powTargetTimespan / 4))) / BigInt(params.powTargetTimespan);
  if (smallest > params.powLimit) smallest = params.powLimit;
  return round(smallest) <= observed;
}

export class LowWorkHeadersSync {
  state: 'presync' | 'redownload' | 'final' = 'presync';
  private readonly offset: number;
  private readonly commitments: string[] = [];
  /** PRESYNC: the last header seen, its height and the chain's work through it. */
  private lastHash: Uint8Array;
  private lastBits: number;
  presyncHeight: number;
  presyncTime: number;
  presyncWork: bigint;
  /** REDOWNLOAD: the headers held back, and where the redownloaded chain stands. */
  private buffer: BlockHeader[] = [];
  private redownloadHash: Uint8Array;
  private redownloadBits: number;
  private redownloadHeight: number;
  private redownloadWork: bigint;
  private nextCommitment = 0;
  private processAll = false;

  constructor(
    private readonly params: ChainParams,
    private readonly start: BlockIndexEntry,
    private readonly minimumWork: bigint,
    private readonly period = COMMITMENT_PERIOD,
    private readonly bufferSize = REDOWNLOAD_BUFFER_SIZE,
  ) {
    this.offset = Math.floor(Math.random() * period);
    this.lastHash = this.redownloadHash = start.hash;
    this.lastBits = this.redownloadBits = start.header.bits;
    this.presyncHeight = this.redownloadHeight = start.height;
    this.presyncTime = start.header.time;
    this.presyncWork = this.redownloadWork = start.chainWork;
  }

  /** Core's NextHeadersRequestLocator: from where this sync stands, then our chain below its start. */
  locator(): Uint8Array[] {
    const from = this.state === 'presync' ? this.lastHash : this.redownloadHash;
    const below = blockLocator(this.start);
    return equalBytes(from, this.start.hash) ? below : [from, ...below];
  }

  /** Core's ProcessNextHeaders. `full`: the message held the maximum number of headers. */
  process(headers: BlockHeader[], full: boolean): LowWorkResult {
    if (this.state === 'final' || headers.length === 0) return this.fail('nothing to do');
    const r = this.state === 'presync' ? this.presync(headers, full) : this.redownload(headers, full);
    return r;
  }

  private presync(headers: BlockHeader[], full: boolean): LowWorkResult {
    if (!equalBytes(headers[0].prevHash, this.lastHash)) return this.fail('non-continuous headers at height ' + this.presyncHeight);
    for (const h of headers) {
      const height = this.presyncHeight + 1;
      if (!permittedDifficultyTransition(this.params, height, this.lastBits, h.bits)) return this.fail(`invalid difficulty transition at height=${height}`);
      const hash = blockHash(h);
      if (height % this.period === this.offset) this.commitments.push(toHex(hash));
      this.lastHash = hash;
      this.lastBits = h.bits;
      this.presyncHeight = height;
      this.presyncTime = h.time;
      this.presyncWork += blockProof(h.bits);
    }
    if (this.presyncWork >= this.minimumWork) {
      // Enough work: fetch the same chain again, this time to store it.
      this.state = 'redownload';
      return { success: true, requestMore: true, headers: [] };
    }
    // A short message: the peer's chain ends here without the work. The headers were a valid answer all
    // the same (Core's success), so the getheaders counts as answered and a later announcement starts anew.
    if (!full) return this.end(`incomplete headers message at height=${this.presyncHeight} (presync phase)`, []);
    return { success: true, requestMore: true, headers: [] };
  }

  private redownload(headers: BlockHeader[], full: boolean): LowWorkResult {
    if (!equalBytes(headers[0].prevHash, this.redownloadHash)) return this.fail('non-continuous headers at height ' + this.redownloadHeight + ' (redownload phase)');
    for (const h of headers) {
      const height = this.redownloadHeight + 1;
      if (!permittedDifficultyTransition(this.params, height, this.redownloadBits, h.bits)) return this.fail(`invalid difficulty transition at height=${height} (redownload phase)`);
      const hash = blockHash(h);
      if (height % this.period === this.offset && !this.processAll) {
        if (this.nextCommitment >= this.commitments.length) return this.fail(`commitment overrun at height=${height}`);
        if (this.commitments[this.nextCommitment++] !== toHex(hash)) return this.fail(`commitment mismatch at height=${height}`);
      }
      this.buffer.push(h);
      this.redownloadHash = hash;
      this.redownloadBits = h.bits;
      this.redownloadHeight = height;
      this.redownloadWork += blockProof(h.bits);
      if (this.redownloadWork >= this.minimumWork) this.processAll = true;
    }
    const release = this.processAll ? this.buffer.length : Math.max(0, this.buffer.length - this.bufferSize);
    const out = this.buffer.splice(0, release);
    if (this.processAll && this.buffer.length === 0) {
      this.state = 'final';
      // The peer may have more past the proven part: the caller goes on with normal headers sync.
      return { success: true, requestMore: false, headers: out };
    }
    // The peer will not serve the chain again in full: give up, but what was proven is still released.
    if (!full) return this.end(`incomplete headers message at height=${this.redownloadHeight} (redownload phase)`, out);
    return { success: true, requestMore: true, headers: out };
  }

  /** Core's Finalize after a valid answer that asks for nothing more. */
  private end(abort: string, headers: BlockHeader[]): LowWorkResult {
    this.state = 'final';
    this.buffer = [];
    return { success: true, requestMore: false, headers, abort };
  }

  private fail(abort: string): LowWorkResult {
    this.state = 'final';
    this.buffer = [];
    return { success: false, requestMore: false, headers: [], abort };
  }
}
