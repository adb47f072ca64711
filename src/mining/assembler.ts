/**
 * Core's BlockAssembler::CreateNewBlock (node/miner.cpp) on the active chain's tip: block version from the
 * version bits state, coinbase and witness commitment, time (UpdateTime, with the BIP94 minimum Core applies
 * on every network), bits and nonce 0. Transactions come from the caller (Core takes them from its
 * mempool; this node has none). Also the per-node state Core keeps for mining: its VersionBitsCache and the
 * last assembled block's size for getmininginfo.
 */
import type { ChainstateManager } from '../chain/chainstate-manager.js';
import { getAncestor, medianTimePast, type BlockIndexEntry } from '../chain/block-index.js';
import { MAX_TIMEWARP } from '../chain/header-validation.js';
import { blockSubsidy, type ChainParams } from '../consensus/params.js';
import { difficultyAdjustmentInterval, getNextWorkRequired, type PowBlock } from '../consensus/pow.js';
import { txWeight } from '../consensus/tx-checks.js';
import { VersionBitsCache } from '../consensus/versionbits.js';
import type { Block, BlockHeader } from '../primitives/block.js';
import type { Transaction } from '../primitives/transaction.js';
import { createCoinbase, generateCoinbaseCommitment } from './coinbase.js';

/** Core's DEFAULT_BLOCK_RESERVED_WEIGHT: header, transaction count and coinbase. */
export const DEFAULT_BLOCK_RESERVED_WEIGHT = 8000;

/** A transaction chosen for a block, with what Core's mempool entry knows of it. */
export interface TemplateTransaction {
  tx: Transaction;
  fee: number;
  sigopCost: number;
}

export interface CreateBlockOptions {
  coinbaseScript: Uint8Array;
  /** Node time in seconds (the mock time when one is set). */
  now: number;
  /** In block order; the coinbase collects their fees. */
  transactions?: TemplateTransaction[];
  /** Core's regtest-only -blockversion override. */
  blockVersion?: number;
}

/** Core's CBlockTemplate. The header's merkle root is left zero, as Core leaves it, until mining. */
export interface BlockTemplate {
  block: Block;
  prev: BlockIndexEntry;
  height: number;
  /** The commitment output script (Core's vchCoinbaseCommitment); undefined when none was added. */
  coinbaseCommitment: Uint8Array | undefined;
  txFees: number[];
  txSigops: number[];
}

/** What Core keeps per node for mining: its version bits caches and the last template's size. */
export interface MiningState {
  versionBits: VersionBitsCache<BlockIndexEntry>;
  lastBlockWeight?: number;
  lastBlockTxs?: number;
}

const states = new WeakMap<object, MiningState>();

/** The mining state of a manager's block index (a new index, e.g. after a restart, starts afresh). */
export function miningState(manager: ChainstateManager): MiningState {
  const index = manager.storage.index;
  let state = states.get(index);
  if (!state) {
    state = { versionBits: new VersionBitsCache(manager.params.versionBits, getAncestor) };
    states.set(index, state);
  }
  return state;
}

function powBlock(e: BlockIndexEntry): PowBlock {
  // An entry's header is built afresh on each access: take it once.
  const { bits, time } = e.header;
  return { height: e.height, bits, time };
}

/** Core's GetNextWorkRequired for a block on `prev` with time `time`. */
export function nextWorkRequired(prev: BlockIndexEntry, time: number, params: ChainParams): number {
  // The minimum-difficulty walk (regtest, testnet) asks for one height below the last it got, up to a
  // retarget period's worth: starting from that last entry makes each step one pointer, as Core's pprev
  // walk, not a skip-list descent from the tip.
  let cursor = prev;
  const ancestor = (h: number): PowBlock => {
    cursor = getAncestor(h <= cursor.height ? cursor : prev, h)!;
    return powBlock(cursor);
  };
  return getNextWorkRequired(powBlock(prev), time, params, ancestor);
}

/** Core's GetMinimumTime: past the parent's median time past, and on a retarget block within MAX_TIMEWARP of the parent. */
export function minimumTime(prev: BlockIndexEntry, params: ChainParams): number {
  let min = medianTimePast(prev) + 1;
  if ((prev.height + 1) % difficultyAdjustmentInterval(params) === 0) min = Math.max(min, prev.header.time - MAX_TIMEWARP);
  return min;
}

/**
 * Core's UpdateTime: moves the header's time up to max(minimum time, now) (never down), and on networks
 * with minimum-difficulty blocks recomputes the bits, which depend on the time there. Returns the change.
 */
export function updateTime(header: BlockHeader, prev: BlockIndexEntry, params: ChainParams, now: number): number {
  const oldTime = header.time;
  const newTime = Math.max(minimumTime(prev, params), now);
  if (oldTime < newTime) header.time = newTime;
  if (params.powAllowMinDifficultyBlocks) header.bits = nextWorkRequired(prev, header.time, params);
  return newTime - oldTime;
}

/** Core's DeploymentActiveAfter(prev, DEPLOYMENT_SEGWIT), a buried deployment. */
export function segwitActiveAfter(prev: BlockIndexEntry, params: ChainParams): boolean {
  return prev.height + 1 >= params.segwitHeight;
}

/** Core's CreateNewBlock on the active tip. */
export function createNewBlock(manager: ChainstateManager, opts: CreateBlockOptions): BlockTemplate {
  const params = manager.params;
  const state = miningState(manager);
  const prev = manager.active.tip;
  const height = prev.height + 1;
  let version = state.versionBits.computeBlockVersion(prev);
  if (params.name === 'regtest' && opts.blockVersion !== undefined) version = opts.blockVersion;

  const chosen = opts.transactions ?? [];
  let weight = DEFAULT_BLOCK_RESERVED_WEIGHT;
  let fees = 0;
  for (const t of chosen) {
    weight += txWeight(t.tx);
    fees += t.fee;
  }
  state.lastBlockTxs = chosen.length;
  state.lastBlockWeight = weight;

  const coinbase = createCoinbase(height, opts.coinbaseScript, fees + blockSubsidy(height, params));
  const header: BlockHeader = { version, prevHash: prev.hash, merkleRoot: new Uint8Array(32), time: opts.now, bits: 0, nonce: 0 };
  const block: Block = { header, txs: [coinbase, ...chosen.map((t) => t.tx)] };
  const coinbaseCommitment = generateCoinbaseCommitment(block, segwitActiveAfter(prev, params));
  // UpdateTime already set the bits for this time where they depend on it (Core computes them again).
  updateTime(header, prev, params, opts.now);
  if (!params.powAllowMinDifficultyBlocks) header.bits = nextWorkRequired(prev, header.time, params);
  header.nonce = 0;
  return { block, prev, height, coinbaseCommitment, txFees: chosen.map((t) => t.fee), txSigops: chosen.map((t) => t.sigopCost) };
}
