/**
 * Core's TestBlockValidity (validation.cpp): would this block, built on the active tip, be accepted and
 * connected? Runs CheckBlock, ContextualCheckBlockHeader, ContextualCheckBlock and ConnectBlock on a
 * throwaway view over the active chainstate's coins, storing nothing. generateblock and getblocktemplate's
 * proposal mode use it; submitblock uses it to recover the reason a stored block failed to connect.
 */
import type { ChainstateManager } from '../chain/chainstate-manager.js';
import { getAncestor, medianTimePast, type BlockIndexEntry } from '../chain/block-index.js';
import { connectBlock, type ConnectResult } from '../chain/connect-block.js';
import { contextualCheckBlockHeader } from '../chain/header-validation.js';
import type { Coin } from '../coins/coin.js';
import type { CoinsView, CoinsViewCache, OutpointKey } from '../coins/view.js';
import { checkBlock, contextualCheckBlock } from '../consensus/block-checks.js';
import { ValidationError } from '../consensus/validation-error.js';
import { equalBytes } from '../primitives/bytes.js';
import type { Block } from '../primitives/block.js';
import { checkScriptsInline } from '../chain/input-checks.js';

/** Changes stay here; reads fall through to the chainstate's cache (Core's CCoinsViewCache view_dummy). */
class ScratchView implements CoinsViewCache {
  private readonly changed = new Map<OutpointKey, Coin | null>();
  private best: Uint8Array | undefined;

  constructor(private readonly base: CoinsView) {}

  getCoin(key: OutpointKey): Coin | undefined {
    const c = this.changed.get(key);
    return c === undefined ? this.base.getCoin(key) : (c ?? undefined);
  }

  haveCoin(key: OutpointKey): boolean {
    return this.getCoin(key) !== undefined;
  }

  bestBlock(): Uint8Array | undefined {
    return this.best ?? this.base.bestBlock();
  }

  addCoin(key: OutpointKey, coin: Coin): void {
    this.changed.set(key, coin);
  }

  spendCoin(key: OutpointKey): Coin | undefined {
    const c = this.getCoin(key);
    if (c) this.changed.set(key, null);
    return c;
  }

  setBestBlock(hash: Uint8Array): void {
    this.best = hash;
  }
}

export interface TestBlockOptions {
  checkPow: boolean;
  checkMerkleRoot: boolean;
  /** Node time in seconds, for the time-too-new rule. */
  now: number;
}

/**
 * Core's TestBlockValidity against the active tip. Returns what connecting found (fees, sigops); throws
 * ValidationError with Core's reason ("inconclusive-not-best-prevblk" when the block is not on the tip).
 */
export function testBlockValidity(manager: ChainstateManager, block: Block, opts: TestBlockOptions): ConnectResult {
  const chainstate = manager.active;
  const tip = chainstate.tip;
  if (!equalBytes(block.header.prevHash, tip.hash)) throw new ValidationError('consensus', 'inconclusive-not-best-prevblk');
  const prev: BlockIndexEntry = tip;
  const params = manager.params;
  const height = prev.height + 1;
  checkBlock(block, params, { checkPow: opts.checkPow, checkMerkle: opts.checkMerkleRoot });
  contextualCheckBlockHeader(block.header, prev, { params, now: opts.now });
  const prevMedianTimePast = medianTimePast(prev);
  contextualCheckBlock(block, { height, prevMedianTimePast, params });
  const ctx = {
    height,
    prevHash: prev.hash,
    prevMedianTimePast,
    ancestorMedianTimePast: (h: number) => medianTimePast(getAncestor(prev, h)!),
    ancestorHash: (h: number) => getAncestor(prev, h)?.hash,
    params,
  };
  // Core's TestBlockValidity checks scripts whatever assumevalid says.
  return connectBlock(block, ctx, new ScratchView(chainstate.cache), { skipChecks: true, scriptChecks: checkScriptsInline });
}
