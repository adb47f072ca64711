/**
 * Genesis blocks, built the way Core's CreateGenesisBlock builds them (kernel/chainparams.cpp) rather than
 * pasted as hex, so the hashes asserted in the tests are a real check of our serialization and hashing.
 */
import { concatBytes, fromHex } from '../primitives/bytes.js';
import { Block, blockMerkleRoot } from '../primitives/block.js';
import { OP_CHECKSIG, pushData, pushNumber } from '../primitives/script.js';
import { Transaction } from '../primitives/transaction.js';

export interface GenesisSpec {
  timestamp: string;
  outputScript: Uint8Array;
  time: number;
  nonce: number;
  bits: number;
  version: number;
  reward: number;
}

export const SATOSHI_TIMESTAMP = 'The Times 03/Jan/2009 Chancellor on brink of second bailout for banks';
export const SATOSHI_OUTPUT_SCRIPT = concatBytes(
  pushData(
    fromHex(
      '04678afdb0fe5548271967f1a67130b7105cd6a828e03909a67962e0ea1f61deb649f6bc3f4cef38c4f35504e51ec112de5c384df7ba0b8d578a4c702b6bf11d5f',
    ),
  ),
  Uint8Array.of(OP_CHECKSIG),
);

export function createGenesisBlock(spec: GenesisSpec): Block {
  // scriptSig: `<< 486604799 << CScriptNum(4) << timestamp`; CScriptNum(4) is pushed as data (01 04), not OP_4.
  const scriptSig = concatBytes(
    pushNumber(486604799),
    pushData(Uint8Array.of(4)),
    pushData(new TextEncoder().encode(spec.timestamp)),
  );
  const coinbase: Transaction = {
    version: 1,
    inputs: [{ prevout: { txid: new Uint8Array(32), vout: 0xffffffff }, scriptSig, sequence: 0xffffffff, witness: [] }],
    outputs: [{ value: spec.reward, script: spec.outputScript }],
    lockTime: 0,
  };
  const block: Block = {
    header: {
      version: spec.version,
      prevHash: new Uint8Array(32),
      merkleRoot: new Uint8Array(32),
      time: spec.time,
      bits: spec.bits,
      nonce: spec.nonce,
    },
    txs: [coinbase],
  };
  block.header.merkleRoot = blockMerkleRoot(block).root;
  return block;
}
