/**
 * The user's overrides of chain selection: invalidateblock, reconsiderblock and preciousblock (Core's
 * Chainstate::InvalidateBlock, ResetBlockFailureFlags + ActivateBestChain, and PreciousBlock). They act on
 * the active chainstate only, as Core's do; the block index they change is shared.
 */
import type { Logger } from 'pino';
import { getAncestor, type BlockIndex, type BlockIndexEntry } from './block-index.js';
import { isValid } from './block-status.js';
import type { Chainstate } from './chainstate.js';

/** An override the engine cannot carry out; the chain is left as it was. */
export class ChainOverrideError extends Error {
  override name = 'ChainOverrideError';
}

/**
 * Disconnects the active chain down to below `entry` when it is on it, marks `entry` failed and its
 * descendants failed-ancestor (Core's InvalidChainFound), then moves to the best chain left, which may
 * have less work than the old tip. The genesis block cannot be invalidated: nothing happens, as in Core.
 */
export async function invalidateBlock(cs: Chainstate, index: BlockIndex, entry: BlockIndexEntry, log?: Logger): Promise<void> {
  if (entry.height === 0) return;
  const base = cs.role === 'snapshot' ? cs.base : undefined;
  if (base && getAncestor(base, entry.height) === entry) {
    // Core would disconnect down to the base and then fail for want of undo data, leaving half the job
    // done; refusing up front leaves everything as it was.
    throw new ChainOverrideError(
      `Block ${entry.key} (height ${entry.height}) is at or below the snapshot base block ${base.key} (height ${base.height}): ` +
        'the snapshot chainstate cannot be rolled back below its base',
    );
  }
  const wasInChain = cs.contains(entry);
  while (cs.contains(entry)) await cs.disconnectTip();
  index.markInvalid(entry);
  log?.info(`InvalidChainFound: invalid block=${entry.key}  height=${entry.height}`);
  // The index (failure marks) and the coins (the lower tip) go to disk together: a crash must never
  // leave a stored chainstate whose tip the stored index calls invalid.
  if (wasInChain) await cs.flush(true);
  cs.refreshCandidates();
  await cs.activateBestChain();
}

/** Clears the failure marks of `entry`, its ancestors and descendants, and moves to the best chain. */
export async function reconsiderBlock(cs: Chainstate, index: BlockIndex, entry: BlockIndexEntry): Promise<void> {
  index.resetFailureFlags(entry);
  cs.refreshCandidates();
  await cs.activateBestChain();
}

/**
 * Core's PreciousBlock: among chains of equal work, the one through the most recently "precious" block
 * wins. Each call hands out a lower (negative) sequence id, so the latest call ranks first; the counter
 * starts again once the tip has gained work since the previous call.
 */
export class PreciousBlocks {
  private reverseSequenceId = -1;
  private lastPreciousChainWork = 0n;

  async apply(cs: Chainstate, index: BlockIndex, entry: BlockIndexEntry): Promise<void> {
    const tip = cs.tip;
    // A block with less work than the tip cannot become the tip by a tie-break.
    if (entry.chainWork < tip.chainWork) return;
    if (tip.chainWork > this.lastPreciousChainWork) this.reverseSequenceId = -1;
    this.lastPreciousChainWork = tip.chainWork;
    index.setSequenceId(entry, this.reverseSequenceId);
    if (this.reverseSequenceId > -0x80000000) this.reverseSequenceId--;
    if (isValid(entry.status, 'transactions') && entry.chainTxCount > 0) cs.addCandidate(entry);
    await cs.activateBestChain();
  }
}
