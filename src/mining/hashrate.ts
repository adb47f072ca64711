/**
 * The numbers getmininginfo and getnetworkhashps report, computed as Core computes them (rpc/blockchain.cpp
 * GetDifficulty, rpc/mining.cpp GetNetworkHashPS, arith_uint256::getdouble), so the doubles come out equal.
 */
import { getAncestor, type BlockIndexEntry } from '../chain/block-index.js';
import type { ChainParams } from '../consensus/params.js';
import { difficultyAdjustmentInterval, getDifficulty } from '../consensus/pow.js';

/** Core's GetDifficulty (the name the mining RPCs use). */
export const difficulty = getDifficulty;

/** Core's arith_uint256::getdouble: the 32-bit words summed with growing powers of 2^32. */
function toDouble(n: bigint): number {
  let ret = 0;
  let fact = 1;
  for (let i = 0; i < 8; i++) {
    ret += fact * Number((n >> BigInt(32 * i)) & 0xffffffffn);
    fact *= 4294967296.0;
  }
  return ret;
}

export class HashrateArgumentError extends Error {
  override name = 'HashrateArgumentError';
}

/**
 * Core's GetNetworkHashPS: work over the time spanned by the last `lookup` blocks before `at` (−1: since
 * the last difficulty change). `at` is the block at the requested height, or the tip.
 */
export function networkHashPerSecond(lookup: number, at: BlockIndexEntry, params: ChainParams): number {
  if (lookup < -1 || lookup === 0) throw new HashrateArgumentError('Invalid nblocks. Must be a positive number or -1.');
  if (at.height === 0) return 0;
  if (lookup === -1) lookup = (at.height % difficultyAdjustmentInterval(params)) + 1;
  if (lookup > at.height) lookup = at.height;
  let minTime = at.header.time;
  let maxTime = minTime;
  const first = getAncestor(at, at.height - lookup)!;
  for (let e: BlockIndexEntry = at; e !== first; ) {
    e = e.prev!;
    minTime = Math.min(e.header.time, minTime);
    maxTime = Math.max(e.header.time, maxTime);
  }
  if (minTime === maxTime) return 0;
  return toDouble(at.chainWork - first.chainWork) / (maxTime - minTime);
}
