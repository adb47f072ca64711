/**
 * Regtest mining as Core's rpc/mining.cpp does it (GenerateBlock, generateBlocks, generateblock's assembly):
 * a fresh template per block, the merkle root, then nonces from 0 upward until the proof of work passes.
 * The try budget is shared by all the blocks of one call, a template whose nonces run out is replaced by a
 * new one, and an exhausted budget ends the call quietly with the blocks found so far, all as in Core.
 */
import type { ChainstateManager } from '../chain/chainstate-manager.js';
import { checkProofOfWork } from '../consensus/pow.js';
import type { ChainParams } from '../consensus/params.js';
import { blockMerkleRoot, serializeBlock, serializeHeader, type Block } from '../primitives/block.js';
import { writeU32LE } from '../primitives/bytes.js';
import { hashToHex, sha256d } from '../primitives/hash.js';
import type { Transaction } from '../primitives/transaction.js';
import { createNewBlock, segwitActiveAfter } from './assembler.js';
import { testBlockValidity } from './block-validity.js';
import { regenerateCommitments } from './coinbase.js';

/** Core's DEFAULT_MAX_TRIES (rpc/mining.h). */
export const DEFAULT_MAX_TRIES = 1_000_000;
const MAX_NONCE = 0xffffffff;

/** A try budget shared across the blocks of one generate call (Core passes max_tries by reference). */
export interface TryBudget {
  left: number;
}

/**
 * Core's GenerateBlock without the processing: sets the merkle root and searches the nonce. 'found': the
 * header now passes; 'nonces-exhausted': nonce 0xffffffff was reached (Core then makes a new template);
 * 'out-of-tries': the budget ran out (also when a valid nonce was reached on the very last try, as in Core).
 */
export function searchNonce(block: Block, params: ChainParams, budget: TryBudget, interrupted: () => boolean = () => false): 'found' | 'nonces-exhausted' | 'out-of-tries' {
  block.header.merkleRoot = blockMerkleRoot(block).root;
  const header = serializeHeader(block.header);
  const passes = () => checkProofOfWork(sha256d(header), block.header.bits, params.powLimit);
  let nonce = block.header.nonce >>> 0;
  let stop = false;
  while (budget.left > 0 && nonce < MAX_NONCE && !passes() && !(stop = interrupted())) {
    nonce++;
    budget.left--;
    writeU32LE(header, 76, nonce);
  }
  block.header.nonce = nonce;
  if (budget.left === 0 || stop) return 'out-of-tries';
  if (nonce === MAX_NONCE) return 'nonces-exhausted';
  return 'found';
}

/** Core's ProcessNewBlock refused the block (generate* turns this into RPC_INTERNAL_ERROR). */
export class BlockNotAcceptedError extends Error {
  override name = 'BlockNotAcceptedError';
  constructor(override readonly cause: unknown) {
    super('ProcessNewBlock, block not accepted');
  }
}

async function processNewBlock(manager: ChainstateManager, block: Block): Promise<void> {
  try {
    await manager.processBlock(serializeBlock(block));
  } catch (e) {
    throw new BlockNotAcceptedError(e);
  }
}

export interface MineOptions {
  /** Node time in seconds, read once per template (Core's NodeClock::now(), mock time included). */
  now: () => number;
  /** Core's regtest -blockversion. */
  blockVersion?: number;
  interrupted?: () => boolean;
}

/**
 * One round of Core's generateBlocks loop: a template on the active tip, the nonce search, and on success
 * ProcessNewBlock. Returns the block hash, 'retry' (nonces ran out: make a new template) or 'out-of-tries'.
 */
export async function mineOne(manager: ChainstateManager, script: Uint8Array, budget: TryBudget, opts: MineOptions): Promise<string | 'retry' | 'out-of-tries'> {
  const { block } = createNewBlock(manager, { coinbaseScript: script, now: opts.now(), blockVersion: opts.blockVersion });
  const found = searchNonce(block, manager.params, budget, opts.interrupted);
  if (found === 'out-of-tries') return found;
  if (found === 'nonces-exhausted') return 'retry';
  await processNewBlock(manager, block);
  return hashToHex(sha256d(serializeHeader(block.header)));
}

/**
 * Mines `count` blocks paying to `script` on the active chain (generatetoaddress without RPC). Returns
 * their hashes; fewer when the try budget ran out, as Core's generateBlocks.
 */
export async function mineBlocks(
  manager: ChainstateManager,
  script: Uint8Array,
  count: number,
  now: number | (() => number),
  maxTries = DEFAULT_MAX_TRIES,
): Promise<string[]> {
  const opts: MineOptions = { now: typeof now === 'number' ? () => now : now };
  const budget: TryBudget = { left: maxTries };
  const hashes: string[] = [];
  while (hashes.length < count) {
    const r = await mineOne(manager, script, budget, opts);
    if (r === 'out-of-tries') break;
    if (r !== 'retry') hashes.push(r);
  }
  return hashes;
}

/** Why generateblock could not make its block, in Core's words. */
export class GenerateBlockError extends Error {
  override name = 'GenerateBlockError';
  constructor(
    readonly kind: 'invalid' | 'failed',
    message: string,
  ) {
    super(message);
  }
}

/**
 * Core's generateblock after argument parsing: a template without mempool transactions, `txs` appended in
 * order (the coinbase keeps only the subsidy: Core adds them after the fees were counted), commitments
 * regenerated, TestBlockValidity, the nonce search with a fresh DEFAULT_MAX_TRIES budget, and
 * ProcessNewBlock when `submit`. Returns the block (hash via its header).
 */
export async function generateBlock(
  manager: ChainstateManager,
  script: Uint8Array,
  txs: Transaction[],
  submit: boolean,
  now: number,
  blockVersion?: number,
): Promise<Block> {
  const { block, prev } = createNewBlock(manager, { coinbaseScript: script, now, blockVersion });
  block.txs.push(...txs);
  regenerateCommitments(block, segwitActiveAfter(prev, manager.params));
  try {
    testBlockValidity(manager, block, { checkPow: false, checkMerkleRoot: false, now });
  } catch (e) {
    throw new GenerateBlockError('invalid', `TestBlockValidity failed: ${(e as Error).message}`);
  }
  const found = searchNonce(block, manager.params, { left: DEFAULT_MAX_TRIES });
  if (found !== 'found') throw new GenerateBlockError('failed', 'Failed to make block.');
  if (submit) await processNewBlock(manager, block);
  return block;
}
