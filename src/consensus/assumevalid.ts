/**
 * Core's assumevalid rule: whether ConnectBlock may skip a block's scripts, and Core's words for why it may
 * not (its script_check_reason). Pure: it sees the header tree only through the node type below, so the
 * chain layer's index and the background worker's slice of it both use it.
 */
import { blockProof } from './pow.js';

/** Core's TWO_WEEKS_IN_SECONDS: the best header must be this much equivalent work past a skipped block. */
export const TWO_WEEKS_IN_SECONDS = 60 * 60 * 24 * 7 * 2;

export interface HeaderNode {
  readonly height: number;
  readonly chainWork: bigint;
  readonly header: { readonly bits: number };
}

export interface AssumeValidView<N extends HeaderNode> {
  /** The -assumevalid block's hash; undefined for -assumevalid=0. */
  readonly assumeValidHash: string | undefined;
  /** That block's entry in the header tree, when the tree has it. */
  readonly assumeValidBlock: N | undefined;
  readonly bestHeader: N;
  readonly minimumChainWork: bigint;
  readonly powTargetSpacing: number;
  ancestor(node: N, height: number): N | undefined;
}

const INT64_MAX = (1n << 63n) - 1n;

/** Core's GetBlockProofEquivalentTime: seconds of work at `tip`'s difficulty between `from` and `to`. */
export function blockProofEquivalentTime(to: HeaderNode, from: HeaderNode, tip: HeaderNode, powTargetSpacing: number): bigint {
  const sign = to.chainWork > from.chainWork ? 1n : -1n;
  const diff = sign > 0n ? to.chainWork - from.chainWork : from.chainWork - to.chainWork;
  const proof = blockProof(tip.header.bits);
  if (proof === 0n) return sign * INT64_MAX;
  const r = (diff * BigInt(powTargetSpacing)) / proof;
  return sign * (r > INT64_MAX ? INT64_MAX : r);
}

/**
 * Core's script_check_reason in ConnectBlock: why `block`'s scripts must be checked, or undefined when every
 * assumevalid condition holds and they are skipped.
 */
export function scriptCheckReason<N extends HeaderNode>(block: N, v: AssumeValidView<N>): string | undefined {
  if (v.assumeValidHash === undefined) return 'assumevalid=0 (always verify)';
  const av = v.assumeValidBlock;
  if (!av) return 'assumevalid hash not in headers';
  if (v.ancestor(av, block.height) !== block) return block.height > av.height ? 'block height above assumevalid height' : 'block not in assumevalid chain';
  if (v.ancestor(v.bestHeader, block.height) !== block) return 'block not in best header chain';
  if (v.bestHeader.chainWork < v.minimumChainWork) return 'best header chainwork below minimumchainwork';
  if (blockProofEquivalentTime(v.bestHeader, block, v.bestHeader, v.powTargetSpacing) <= BigInt(TWO_WEEKS_IN_SECONDS)) {
    return 'block too recent relative to best header';
  }
  return undefined;
}

/**
 * The highest height at which the ancestors of `chainTip` have their scripts skipped under the same rule,
 * or -1. The rule is monotone along one chain (an ancestor of a skipped block is skipped too), so a worker
 * that holds only `chainTip`'s ancestry can apply it as a height.
 */
export function assumedValidHeight<N extends HeaderNode>(chainTip: N, v: AssumeValidView<N>): number {
  let lo = 0;
  let hi = chainTip.height;
  let found = -1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const node = v.ancestor(chainTip, mid)!;
    if (scriptCheckReason(node, v) === undefined) {
      found = mid;
      lo = mid + 1;
    } else {
      hi = mid - 1;
    }
  }
  return found;
}
