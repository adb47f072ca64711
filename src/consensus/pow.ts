/**
 * Proof of work as Core computes it (pow.cpp, arith_uint256.cpp): the compact "nBits" target encoding,
 * the proof-of-work check, chain work per block, and the difficulty rules of every network (mainnet
 * retargeting, testnet3's 20-minute rule, testnet4's BIP94 variant, regtest's fixed target).
 * Targets are bigints; arithmetic that Core does in 256 bits is reduced mod 2^256 to stay exact.
 */
import { hashToHex } from '../primitives/hash.js';

const MASK_256 = (1n << 256n) - 1n;

/** The consensus fields the difficulty rules read (a subset of ChainParams). */
export interface PowParams {
  powLimit: bigint;
  powTargetTimespan: number;
  powTargetSpacing: number;
  powAllowMinDifficultyBlocks: boolean;
  powNoRetargeting: boolean;
  enforceBIP94: boolean;
}

/** What the difficulty rules need to know about a block in the index. */
export interface PowBlock {
  height: number;
  bits: number;
  time: number;
}

/** Looks up the ancestor at `height` of the block being extended (height ≤ its own height). */
export type AncestorLookup = (height: number) => PowBlock;

/** Core's arith_uint256::SetCompact, including its negative and overflow flags. */
export function targetFromBits(bits: number): { target: bigint; negative: boolean; overflow: boolean } {
  const size = bits >>> 24;
  let word = bits & 0x007fffff;
  let target: bigint;
  if (size <= 3) {
    word >>>= 8 * (3 - size);
    target = BigInt(word);
  } else {
    target = (BigInt(word) << BigInt(8 * (size - 3))) & MASK_256;
  }
  // Core derives both flags from the word after the small-size shift, so e.g. 0x01803456 is not negative.
  const negative = word !== 0 && (bits & 0x00800000) !== 0;
  const overflow = word !== 0 && (size > 34 || (word > 0xff && size > 33) || (word > 0xffff && size > 32));
  return { target, negative, overflow };
}

function bitLength(n: bigint): number {
  return n === 0n ? 0 : n.toString(2).length;
}

/** Core's arith_uint256::GetCompact. */
export function bitsFromTarget(target: bigint, negative = false): number {
  let size = Math.floor((bitLength(target) + 7) / 8);
  let compact =
    size <= 3 ? Number(target << BigInt(8 * (3 - size))) : Number((target >> BigInt(8 * (size - 3))) & 0xffffffffn);
  // The 0x00800000 bit is the sign, so a mantissa using it moves one byte into the exponent.
  if (compact & 0x00800000) {
    compact >>>= 8;
    size++;
  }
  compact |= size << 24;
  if (negative && (compact & 0x007fffff) !== 0) compact |= 0x00800000;
  return compact >>> 0;
}

/** A 32-byte hash (internal order) as the little-endian number Core compares with the target. */
export function hashToBigInt(hash: Uint8Array): bigint {
  return BigInt('0x' + hashToHex(hash));
}

/** Core's CheckProofOfWorkImpl: the target must be valid and within powLimit, and the hash at most the target. */
export function checkProofOfWork(hash: Uint8Array, bits: number, powLimit: bigint): boolean {
  const { target, negative, overflow } = targetFromBits(bits);
  if (negative || target === 0n || overflow || target > powLimit) return false;
  return hashToBigInt(hash) <= target;
}

/** Core's GetBlockProof: expected hashes to find a block, 2^256 / (target + 1); 0 for an invalid target. */
export function blockProof(bits: number): bigint {
  const { target, negative, overflow } = targetFromBits(bits);
  if (negative || overflow || target === 0n) return 0n;
  return (1n << 256n) / (target + 1n);
}

export function difficultyAdjustmentInterval(params: PowParams): number {
  return Math.floor(params.powTargetTimespan / params.powTargetSpacing);
}

/**
 * Core's CalculateNextWorkRequired: scale the target by the period's duration (clamped to a factor of 4).
 * `periodFirst` is the first block of the period ending at `last`; BIP94 (testnet4) scales its bits
 * instead of last's, because last may be a min-difficulty block.
 */
export function calculateNextWorkRequired(last: PowBlock, periodFirst: PowBlock, params: PowParams): number {
  if (params.powNoRetargeting) return last.bits;
  const span = params.powTargetTimespan;
  let actual = last.time - periodFirst.time;
  if (actual < Math.trunc(span / 4)) actual = Math.trunc(span / 4);
  if (actual > span * 4) actual = span * 4;
  let target = targetFromBits(params.enforceBIP94 ? periodFirst.bits : last.bits).target;
  target = ((target * BigInt(actual)) & MASK_256) / BigInt(span);
  if (target > params.powLimit) target = params.powLimit;
  return bitsFromTarget(target);
}

/**
 * Core's GetNextWorkRequired: the bits a block extending `last` at time `newTime` must carry.
 * `ancestor(h)` returns last's ancestor at height h (only consulted for heights below last.height).
 */
export function getNextWorkRequired(last: PowBlock, newTime: number, params: PowParams, ancestor: AncestorLookup): number {
  const interval = difficultyAdjustmentInterval(params);
  const limitBits = bitsFromTarget(params.powLimit);
  const at = (h: number): PowBlock => (h === last.height ? last : ancestor(h));
  if ((last.height + 1) % interval !== 0) {
    if (!params.powAllowMinDifficultyBlocks) return last.bits;
    // Testnet rule: a block more than twice the spacing after its parent may use the minimum difficulty.
    if (newTime > last.time + params.powTargetSpacing * 2) return limitBits;
    // Otherwise carry on with the last difficulty that was not such an exception.
    let b = last;
    while (b.height > 0 && b.height % interval !== 0 && b.bits === limitBits) b = at(b.height - 1);
    return b.bits;
  }
  return calculateNextWorkRequired(last, at(last.height - (interval - 1)), params);
}

/** Convenience over a plain array of headers indexed by height (e.g. a headers file). */
export function nextWorkFromArray(chain: readonly PowBlock[], newTime: number, params: PowParams): number {
  return getNextWorkRequired(chain[chain.length - 1], newTime, params, (h) => chain[h]);
}

/**
 * Core's GetDifficulty: how many times harder than the minimum target of difficulty 1 (0x1d00ffff) the bits
 * are, computed in doubles step by step as Core does, so the printed numbers come out equal.
 */
export function getDifficulty(bits: number): number {
  let shift = (bits >>> 24) & 0xff;
  let diff = 0x0000ffff / (bits & 0x00ffffff);
  while (shift < 29) {
    diff *= 256.0;
    shift++;
  }
  while (shift > 29) {
    diff /= 256.0;
    shift--;
  }
  return diff;
}

/** Core's GetTarget printed as arith_uint256::GetHex: the target nBits encodes, as 64 hex digits. */
export function targetHex(bits: number): string {
  return targetFromBits(bits).target.toString(16).padStart(64, '0');
}
