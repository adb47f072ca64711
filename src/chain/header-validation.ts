/**
 * Header rules, in Core's order and with Core's reject reasons (validation.cpp: CheckBlockHeader,
 * AcceptBlockHeader's parent checks, ContextualCheckBlockHeader). Pure functions over the parent's index
 * entry; the clock is passed in (seconds) so tests and replays are deterministic.
 */
import type { BlockHeader } from '../primitives/block.js';
import { checkProofOfWork, difficultyAdjustmentInterval, getNextWorkRequired, PowBlock } from '../consensus/pow.js';
import type { ChainParams } from '../consensus/params.js';
import { invalid, ValidationError } from '../consensus/validation-error.js';
import { isFailed } from './block-status.js';
import { BlockIndexEntry, getAncestor, medianTimePast } from './block-index.js';

/** Core's MAX_FUTURE_BLOCK_TIME (chain.h): two hours. */
export const MAX_FUTURE_BLOCK_TIME = 2 * 60 * 60;
/** Core's MAX_TIMEWARP (BIP94): how far the first block of a period may go back from its parent's time. */
export const MAX_TIMEWARP = 600;

export interface HeaderCheckContext {
  params: ChainParams;
  /** Current time in seconds. */
  now: number;
  /** Height of the last checkpoint present in the index, -1 if none (checkpoints are empty since v30). */
  lastCheckpointHeight?: number;
}

const hex32 = (n: number) => (n >>> 0).toString(16).padStart(8, '0');

function powBlock(e: BlockIndexEntry): PowBlock {
  return { height: e.height, bits: e.header.bits, time: e.header.time };
}

/** Core's CheckBlockHeader: the header's hash meets its own claimed target. */
export function checkBlockHeader(header: BlockHeader, hash: Uint8Array, params: ChainParams): void {
  if (!checkProofOfWork(hash, header.bits, params.powLimit)) throw invalid('high-hash', 'proof of work failed');
}

/** Core's ContextualCheckBlockHeader: the rules that need the parent (and its ancestors). */
export function contextualCheckBlockHeader(header: BlockHeader, prev: BlockIndexEntry, ctx: HeaderCheckContext): void {
  const { params } = ctx;
  const height = prev.height + 1;
  const ancestor = (h: number) => powBlock(getAncestor(prev, h)!);
  if (header.bits !== getNextWorkRequired(powBlock(prev), header.time, params, ancestor)) {
    throw invalid('bad-diffbits', 'incorrect proof of work');
  }
  // Pre-v30 Core refused forks below the last checkpoint it knew; v30 has none, but the hook stays uniform.
  if (ctx.lastCheckpointHeight !== undefined && ctx.lastCheckpointHeight >= 0 && height < ctx.lastCheckpointHeight) {
    throw new ValidationError('checkpoint', 'bad-fork-prior-to-checkpoint');
  }
  if (header.time <= medianTimePast(prev)) throw invalid('time-too-old', "block's timestamp is too early");
  if (params.enforceBIP94 && height % difficultyAdjustmentInterval(params) === 0 && header.time < prev.header.time - MAX_TIMEWARP) {
    throw invalid('time-timewarp-attack', "block's timestamp is too early on diff adjustment block");
  }
  if (header.time > ctx.now + MAX_FUTURE_BLOCK_TIME) {
    throw new ValidationError('time-future', 'time-too-new', 'block timestamp too far in the future');
  }
  // DeploymentActiveAfter(prev, ...) for buried deployments: the new block's height reached the activation height.
  if (
    (header.version < 2 && height >= params.bip34Height) ||
    (header.version < 3 && height >= params.bip66Height) ||
    (header.version < 4 && height >= params.bip65Height)
  ) {
    throw invalid(`bad-version(0x${hex32(header.version)})`, `rejected nVersion=0x${hex32(header.version)} block`);
  }
}

/**
 * Everything AcceptBlockHeader checks for a header not yet in the index, in Core's order: proof of work,
 * then the parent (known, not failed), then the contextual rules. `prev` is the parent's entry if known.
 */
export function checkHeader(header: BlockHeader, hash: Uint8Array, prev: BlockIndexEntry | undefined, ctx: HeaderCheckContext): void {
  checkBlockHeader(header, hash, ctx.params);
  if (!prev) throw new ValidationError('missing-prev', 'prev-blk-not-found');
  if (isFailed(prev.status)) throw new ValidationError('invalid-prev', 'bad-prevblk');
  contextualCheckBlockHeader(header, prev, ctx);
}
