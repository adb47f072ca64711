/**
 * Block rules that need no UTXO set: Core's CheckBlock (proof of work, merkle root and its mutation, size,
 * coinbase placement, every transaction's CheckTransaction, legacy sigops) and ContextualCheckBlock
 * (finality under BIP113, the BIP34 height in the coinbase, the BIP141 witness commitment, weight), with
 * Core's reasons, result kinds and debug strings. Both throw ValidationError.
 */
import { blockHash, blockMerkleRoot, checkWitnessCommitment, type Block } from '../primitives/block.js';
import { compactSizeLength, equalBytes } from '../primitives/bytes.js';
import { hashToHex } from '../primitives/hash.js';
import { pushNumber } from '../primitives/script.js';
import { isCoinbase, txid } from '../primitives/transaction.js';
import type { ChainParams } from './params.js';
import { checkProofOfWork } from './pow.js';
import { legacySigOpCount, MAX_BLOCK_SIGOPS_COST, MAX_BLOCK_WEIGHT, WITNESS_SCALE_FACTOR } from './sigops.js';
import { checkTransaction, isFinalTx, txBaseSize, txTotalSize } from './tx-checks.js';
import { invalid, ValidationError } from './validation-error.js';

export interface CheckBlockOptions {
  /** Check the header's proof of work (Core: fCheckPOW). Default true. */
  checkPow?: boolean;
  /** Check the merkle root and its CVE-2012-2459 mutation (Core: fCheckMerkleRoot). Default true. */
  checkMerkle?: boolean;
}

/** What the contextual rules need to know about where the block goes. */
export interface BlockPosition {
  height: number;
  /** Median time past of the parent block (BIP113 cut-off once CSV is active). */
  prevMedianTimePast: number;
  params: ChainParams;
}

/** Header size plus the transaction count, the part of a block's size outside its transactions. */
function blockOverhead(block: Block): number {
  return 80 + compactSizeLength(block.txs.length);
}

/** Core's GetBlockWeight: size without witness × 3 + size with witness. */
export function blockWeight(block: Block): number {
  let base = blockOverhead(block);
  let total = base;
  for (const tx of block.txs) {
    const b = txBaseSize(tx);
    base += b;
    total += txTotalSize(tx, b);
  }
  return base * (WITNESS_SCALE_FACTOR - 1) + total;
}

/** Core's CheckBlock. Throws ValidationError ('mutated' for merkle faults, 'consensus' otherwise). */
export function checkBlock(block: Block, params: ChainParams, opts: CheckBlockOptions = {}): void {
  const { checkPow = true, checkMerkle = true } = opts;
  if (checkPow && !checkProofOfWork(blockHash(block.header), block.header.bits, params.powLimit)) {
    throw invalid('high-hash', 'proof of work failed');
  }
  if (checkMerkle) {
    const { root, mutated } = blockMerkleRoot(block);
    if (!equalBytes(root, block.header.merkleRoot)) throw new ValidationError('mutated', 'bad-txnmrklroot', 'hashMerkleRoot mismatch');
    // Repeated trailing transactions leave the root unchanged but make the block invalid (CVE-2012-2459).
    if (mutated) throw new ValidationError('mutated', 'bad-txns-duplicate', 'duplicate transaction');
  }

  // Size limits (witness excluded: it is not committed to until ContextualCheckBlock).
  const n = block.txs.length;
  let size = blockOverhead(block);
  for (const tx of block.txs) size += txBaseSize(tx);
  if (n === 0 || n * WITNESS_SCALE_FACTOR > MAX_BLOCK_WEIGHT || size * WITNESS_SCALE_FACTOR > MAX_BLOCK_WEIGHT) {
    throw invalid('bad-blk-length', 'size limits failed');
  }

  if (!isCoinbase(block.txs[0])) throw invalid('bad-cb-missing', 'first tx is not coinbase');
  for (let i = 1; i < n; i++) if (isCoinbase(block.txs[i])) throw invalid('bad-cb-multiple', 'more than one coinbase');

  for (const tx of block.txs) {
    try {
      checkTransaction(tx);
    } catch (e) {
      if (!(e instanceof ValidationError)) throw e;
      throw invalid(e.reason, `Transaction check failed (tx hash ${hashToHex(txid(tx))}) ${e.debug}`);
    }
  }

  // Underestimates (no P2SH or witness sigops); ConnectBlock counts those with the coins at hand.
  let sigops = 0;
  for (const tx of block.txs) sigops += legacySigOpCount(tx);
  if (sigops * WITNESS_SCALE_FACTOR > MAX_BLOCK_SIGOPS_COST) throw invalid('bad-blk-sigops', 'out-of-bounds SigOpCount');
}

/** Core's ContextualCheckBlock for a block at `pos.height`. Throws ValidationError. */
export function contextualCheckBlock(block: Block, pos: BlockPosition): void {
  const { height, params } = pos;
  // BIP113: once CSV is active, lock times are judged against the parent's median time past.
  const lockTimeCutoff = height >= params.csvHeight ? pos.prevMedianTimePast : block.header.time;
  for (const tx of block.txs) {
    if (!isFinalTx(tx, height, lockTimeCutoff)) throw invalid('bad-txns-nonfinal', 'non-final transaction');
  }

  if (height >= params.bip34Height) {
    const expect = pushNumber(height);
    const sig = block.txs[0].inputs[0].scriptSig;
    if (sig.length < expect.length || !equalBytes(sig.subarray(0, expect.length), expect)) {
      throw invalid('bad-cb-height', 'block height mismatch in coinbase');
    }
  }

  const w = checkWitnessCommitment(block, height >= params.segwitHeight);
  if (!w.ok) throw new ValidationError('mutated', w.reason, w.debug);

  // Only now, with the witness tied to the header, may weight make the block permanently invalid.
  if (blockWeight(block) > MAX_BLOCK_WEIGHT) throw invalid('bad-blk-weight', 'ContextualCheckBlock : weight limit failed');
}
