/**
 * The coinbase transaction of a new block and its witness commitment, as Core's BlockAssembler and
 * ChainstateManager build them (node/miner.cpp CreateNewBlock, validation.cpp GenerateCoinbaseCommitment and
 * UpdateUncommittedBlockStructures, miner.cpp RegenerateCommitments). Transactions are never changed in
 * place: their ids are cached per object, so every change makes a new coinbase.
 */
import { blockMerkleRoot, makeWitnessCommitmentScript, witnessCommitmentIndex, type Block } from '../primitives/block.js';
import { concatBytes } from '../primitives/bytes.js';
import { OP_0, pushNumber } from '../primitives/script.js';
import { NULL_VOUT, type Transaction } from '../primitives/transaction.js';

/** Core's CTransaction::CURRENT_VERSION, the version of a default-constructed CMutableTransaction. */
export const COINBASE_TX_VERSION = 2;
/** Core's CTxIn::MAX_SEQUENCE_NONFINAL: the coinbase's lock time is enforced. */
export const MAX_SEQUENCE_NONFINAL = 0xfffffffe;
/** The witness reserved value Core's miner commits to: 32 zero bytes. */
export const WITNESS_RESERVED_VALUE = new Uint8Array(32);

/**
 * Core's coinbase for a block at `height`: scriptSig `CScript() << height << OP_0`, sequence
 * MAX_SEQUENCE_NONFINAL, one output paying `value` to `script`, lock time height − 1.
 */
export function createCoinbase(height: number, script: Uint8Array, value: number): Transaction {
  if (height < 1) throw new Error(`a coinbase is for height 1 or more, not ${height}`);
  return {
    version: COINBASE_TX_VERSION,
    inputs: [
      {
        prevout: { txid: new Uint8Array(32), vout: NULL_VOUT },
        scriptSig: concatBytes(pushNumber(height), Uint8Array.of(OP_0)),
        sequence: MAX_SEQUENCE_NONFINAL,
        witness: [],
      },
    ],
    outputs: [{ value, script: Uint8Array.from(script) }],
    lockTime: (height - 1) >>> 0,
  };
}

function withCoinbase(block: Block, coinbase: Transaction): void {
  block.txs = [coinbase, ...block.txs.slice(1)];
}

/**
 * Core's UpdateUncommittedBlockStructures: a block with a commitment output whose coinbase has no witness
 * gets the 32-zero-byte reserved value as its coinbase witness, once segwit is active for it.
 */
export function updateUncommittedBlockStructures(block: Block, segwitActive: boolean): void {
  const coinbase = block.txs[0];
  if (witnessCommitmentIndex(block) === -1 || !segwitActive || coinbase.inputs.some((i) => i.witness.length > 0)) return;
  withCoinbase(block, {
    ...coinbase,
    inputs: coinbase.inputs.map((input, i) => (i === 0 ? { ...input, witness: [Uint8Array.from(WITNESS_RESERVED_VALUE)] } : input)),
  });
}

/**
 * Core's GenerateCoinbaseCommitment: when the coinbase has no commitment output yet, appends one (value 0,
 * committing to the witness merkle root with the zero reserved value), whether or not segwit is active;
 * then the coinbase witness as above. Returns the commitment script, or undefined when one was there.
 */
export function generateCoinbaseCommitment(block: Block, segwitActive: boolean): Uint8Array | undefined {
  let commitment: Uint8Array | undefined;
  if (witnessCommitmentIndex(block) === -1) {
    // The coinbase's own wtxid counts as zero, so adding the output does not change what it commits to.
    commitment = makeWitnessCommitmentScript(block, WITNESS_RESERVED_VALUE);
    const coinbase = block.txs[0];
    withCoinbase(block, { ...coinbase, outputs: [...coinbase.outputs, { value: 0, script: commitment }] });
  }
  updateUncommittedBlockStructures(block, segwitActive);
  return commitment;
}

/**
 * Core's RegenerateCommitments, after transactions were added to a template: drops the commitment output,
 * generates it again and recomputes the merkle root. Returns the new commitment script.
 */
export function regenerateCommitments(block: Block, segwitActive: boolean): Uint8Array | undefined {
  const pos = witnessCommitmentIndex(block);
  const coinbase = block.txs[0];
  // Core erases at GetWitnessCommitmentIndex without checking; a template always has one.
  if (pos === -1) throw new Error('the block has no witness commitment to regenerate');
  withCoinbase(block, { ...coinbase, outputs: coinbase.outputs.filter((_, i) => i !== pos) });
  const commitment = generateCoinbaseCommitment(block, segwitActive);
  block.header = { ...block.header, merkleRoot: blockMerkleRoot(block).root };
  return commitment;
}
