/**
 * Block assembly for generated regtest chains: coinbases with the BIP34 height push, the BIP141 witness
 * commitment, the merkle root and nonce grinding (from 0 upward, first nonce that passes, as the spec chains
 * require). Also the block weight and legacy sigop count the generator budgets against.
 */
import { concatBytes } from '../../src/primitives/bytes.js';
import {
  Block,
  blockHash,
  blockMerkleRoot,
  makeWitnessCommitmentScript,
  serializeBlock,
  serializeHeader,
} from '../../src/primitives/block.js';
import { sha256d } from '../../src/primitives/hash.js';
import { pushNumber } from '../../src/primitives/script.js';
import { hasWitness, serializeTransaction, Transaction, TxOut } from '../../src/primitives/transaction.js';
import { checkProofOfWork } from '../../src/consensus/pow.js';

export const REGTEST_BITS = 0x207fffff;
export const REGTEST_POW_LIMIT = BigInt('0x7fffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff');
export const MAX_BLOCK_WEIGHT = 4_000_000;
export const MAX_BLOCK_SIGOPS_COST = 80_000;
export const WITNESS_RESERVED_VALUE = new Uint8Array(32);

/** A block as generators hand it out: object, bytes, hash (internal order) and height. */
export interface GeneratedBlock {
  height: number;
  block: Block;
  bytes: Uint8Array;
  hash: Uint8Array;
}

export interface CoinbaseOptions {
  height: number;
  outputs: TxOut[];
  /** Bytes pushed after the height (Core's miner pushes OP_0: `00`). */
  extraScriptSig?: Uint8Array;
  sequence?: number;
  lockTime?: number;
}

/** A version-2 coinbase whose scriptSig starts with the BIP34 height push. */
export function makeCoinbase(o: CoinbaseOptions): Transaction {
  return {
    version: 2,
    inputs: [
      {
        prevout: { txid: new Uint8Array(32), vout: 0xffffffff },
        scriptSig: concatBytes(pushNumber(o.height), o.extraScriptSig ?? Uint8Array.of(0x00)),
        sequence: o.sequence ?? 0xfffffffe,
        witness: [],
      },
    ],
    outputs: o.outputs,
    lockTime: o.lockTime ?? o.height - 1,
  };
}

export interface AssembleOptions {
  height: number;
  prevHash: Uint8Array;
  time: number;
  version: number;
  bits?: number;
  coinbase: Transaction;
  txs?: Transaction[];
  /** 'auto': add the witness commitment when some transaction has a witness (default). */
  commitment?: 'auto' | 'always' | 'never';
}

/**
 * Builds and mines a block. With a commitment, the coinbase gets the 32-byte reserved value as its witness
 * and the commitment as its last output; the coinbase's own wtxid counts as zero, so order does not matter.
 */
export function assembleBlock(o: AssembleOptions): GeneratedBlock {
  const txs = [o.coinbase, ...(o.txs ?? [])];
  const bits = o.bits ?? REGTEST_BITS;
  const block: Block = {
    header: { version: o.version, prevHash: o.prevHash, merkleRoot: new Uint8Array(32), time: o.time, bits, nonce: 0 },
    txs,
  };
  const mode = o.commitment ?? 'auto';
  if (mode === 'always' || (mode === 'auto' && txs.slice(1).some(hasWitness))) {
    o.coinbase.inputs[0].witness = [WITNESS_RESERVED_VALUE];
    o.coinbase.outputs.push({ value: 0, script: makeWitnessCommitmentScript(block, WITNESS_RESERVED_VALUE) });
  }
  const { root, mutated } = blockMerkleRoot(block);
  if (mutated) throw new Error(`block ${o.height}: mutated merkle tree (duplicate transactions)`);
  block.header.merkleRoot = root;
  block.header.nonce = grindNonce(serializeHeader(block.header), bits);
  return { height: o.height, block, bytes: serializeBlock(block), hash: blockHash(block.header) };
}

/** The first nonce from 0 upward whose header hash meets the target. */
export function grindNonce(header: Uint8Array, bits: number, powLimit = REGTEST_POW_LIMIT): number {
  const h = Uint8Array.from(header);
  const view = new DataView(h.buffer);
  for (let nonce = 0; nonce <= 0xffffffff; nonce++) {
    view.setUint32(76, nonce, true);
    if (checkProofOfWork(sha256d(h), bits, powLimit)) return nonce;
  }
  throw new Error('no nonce satisfies the target');
}

/** BIP141 weight: 3 × size without witness + size with witness. */
export function txWeight(tx: Transaction): number {
  const base = serializeTransaction(tx, false).length;
  return hasWitness(tx) ? 3 * base + serializeTransaction(tx, true).length : 4 * base;
}

/** Core's GetLegacySigOpCount (inaccurate mode: a CHECKMULTISIG counts 20) over scriptSigs and outputs. */
export function legacySigOps(tx: Transaction): number {
  let n = 0;
  for (const i of tx.inputs) n += scriptSigOps(i.scriptSig);
  for (const o of tx.outputs) n += scriptSigOps(o.script);
  return n;
}

function scriptSigOps(s: Uint8Array): number {
  let n = 0;
  for (let pc = 0; pc < s.length; ) {
    const op = s[pc++];
    if (op <= 0x4e) {
      let size = op;
      if (op >= 0x4c) {
        const len = op === 0x4c ? 1 : op === 0x4d ? 2 : 4;
        if (pc + len > s.length) break;
        size = 0;
        for (let i = len - 1; i >= 0; i--) size = size * 256 + s[pc + i];
        pc += len;
      }
      pc += size;
    } else if (op === 0xac || op === 0xad) n += 1;
    else if (op === 0xae || op === 0xaf) n += 20;
  }
  return n;
}
