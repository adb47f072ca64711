/**
 * Core's Chainstate::ReplayBlocks: finishes a coins flush that was interrupted between its partial batches.
 * The database then has no best block but 'H' = [new tip, old tip] and holds a mix of both states. Writing
 * or erasing a coin is idempotent, so undoing the old tip's blocks down to the fork (with their undo data)
 * and applying the new branch's blocks up to the new tip gives the UTXO set at the new tip, whatever part
 * of the flush had landed. Runs before a chainstate loads its tip, for every chainstate.
 */
import type { Logger } from 'pino';
import type { ChainParams } from '../consensus/params.js';
import type { Block } from '../primitives/block.js';
import { isCoinbase, txid } from '../primitives/transaction.js';
import { isUnspendable } from '../primitives/script.js';
import { CoinsCache } from '../coins/coins-cache.js';
import type { CoinsDB } from '../coins/coins-db.js';
import { outpointKey } from '../coins/view.js';
import { getAncestor, lastCommonAncestor, type BlockIndex, type BlockIndexEntry } from './block-index.js';
import { disconnectBlock } from './connect-block.js';
import { StartupError } from './manager-types.js';
import { readBlockMismatch } from './read-check.js';
import type { BlockUndo } from './undo.js';

/** Core's message when ReplayBlocks fails (node/chainstate.cpp). */
export const MSG_REPLAY_FAILED = 'Unable to replay blocks. You will need to rebuild the database using -reindex-chainstate.';

/** What replaying needs from block storage (a chainstate's BlockSource has it). */
export interface ReplaySource {
  readonly index: BlockIndex;
  readBlock(entry: BlockIndexEntry): Promise<Block>;
  readUndo(entry: BlockIndexEntry): Promise<BlockUndo>;
}

/** Logs every this many heights while rolling, as Core does. */
const LOG_EVERY = 10_000;

/**
 * Replays an interrupted flush of `db` (no-op when it is consistent). Throws StartupError(MSG_REPLAY_FAILED)
 * when it cannot, with the reason logged, as Core's ReplayBlocks returns false.
 */
export async function replayBlocks(db: CoinsDB, source: ReplaySource, params: ChainParams, log?: Logger): Promise<void> {
  const heads = db.headBlocks();
  if (heads.length === 0 || db.bestBlock() !== undefined) return;
  const fail = (why: string): never => {
    log?.error(why);
    throw new StartupError(MSG_REPLAY_FAILED, { cause: new Error(why) });
  };
  if (heads.length !== 2) fail('ReplayBlocks(): unknown inconsistent state');
  log?.info('Replaying blocks');
  const index = source.index;
  const newTip = index.get(heads[0]) ?? fail('ReplayBlocks(): reorganization to unknown block requested');
  let oldTip: BlockIndexEntry | undefined;
  let fork: BlockIndexEntry | undefined;
  // The old tip is zero on a database's first flush.
  if (heads[1].some((b) => b !== 0)) {
    oldTip = index.get(heads[1]) ?? fail('ReplayBlocks(): reorganization from unknown block requested');
    fork = lastCommonAncestor(oldTip, newTip) ?? fail('ReplayBlocks(): no common ancestor');
  }
  const cache = new CoinsCache(db);
  const read = async (entry: BlockIndexEntry, what: string): Promise<Block> => {
    let block: Block | undefined;
    try {
      block = await source.readBlock(entry);
    } catch (e) {
      log?.error({ err: e }, `${what}: ${(e as Error).message}`);
    }
    if (!block || readBlockMismatch(block, entry, params)) fail(`${what}: ReadBlock() failed at ${entry.height}, hash=${entry.key}`);
    return block!;
  };

  const forkHeight = fork?.height ?? 0;
  if (oldTip && oldTip !== fork) {
    log?.info(`Rolling back from ${oldTip.key} (${oldTip.height} to ${forkHeight})`);
    for (let e: BlockIndexEntry | undefined = oldTip; e && e !== fork; e = e.prev) {
      if (e.height === 0) continue; // never disconnect the genesis block
      const block = await read(e, 'RollbackBlock()');
      if (e.height % LOG_EVERY === 0) log?.info(`Rolling back ${e.key} (${e.height})`);
      let undo: BlockUndo | undefined;
      try {
        undo = await source.readUndo(e);
      } catch (err) {
        log?.error({ err }, `DisconnectBlock(): failure reading undo data: ${(err as Error).message}`);
      }
      // 'unclean' is expected: the block's changes may have been only partly written. Both writing and
      // erasing a coin are idempotent, so the result is still the set with the block undone.
      if (!undo || disconnectBlock(block, undo, cache, e.height) === 'failed') {
        fail(`RollbackBlock(): DisconnectBlock failed at ${e.height}, hash=${e.key}`);
      }
    }
    log?.info(`Rolled back to ${fork!.key}`);
  }

  if (forkHeight < newTip.height) {
    log?.info(`Rolling forward to ${newTip.key} (${forkHeight} to ${newTip.height})`);
    for (let h = forkHeight + 1; h <= newTip.height; h++) {
      const e = getAncestor(newTip, h)!;
      if (h % LOG_EVERY === 0) log?.info(`Rolling forward ${e.key} (${h})`);
      rollforwardBlock(await read(e, 'ReplayBlock()'), h, cache);
    }
    log?.info(`Rolled forward to ${newTip.key}`);
  }
  cache.setBestBlock(newTip.hash);
  await cache.flush();
}

/** Core's RollforwardBlock: the block's spends and outputs, each output possibly an overwrite. */
function rollforwardBlock(block: Block, height: number, cache: CoinsCache): void {
  for (const tx of block.txs) {
    const coinbase = isCoinbase(tx);
    if (!coinbase) for (const input of tx.inputs) cache.spendCoin(outpointKey(input.prevout.txid, input.prevout.vout));
    const id = txid(tx);
    tx.outputs.forEach((out, vout) => {
      if (isUnspendable(out.script)) return;
      const key = outpointKey(id, vout);
      cache.addCoin(key, { height, coinbase, value: out.value, script: out.script }, cache.haveCoin(key));
    });
  }
}
