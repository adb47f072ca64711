/**
 * Test plumbing for script validation: a generated rich regtest chain (real signatures of every kind the
 * generator's wallet makes) and the same chain with one P2WPKH signature byte changed at a given height,
 * the blocks above it re-mined on top (txids are unchanged, so their spends stay valid).
 */
import { assembleBlock, type GeneratedBlock } from '../../contrib/chaingen/blocks.js';
import { buildRichChain, type RichChain } from '../../contrib/chaingen/rich-chain.js';
import { MemoryUtxoSet } from '../../src/coins/memory-utxo-set.js';
import { hashToHex } from '../../src/primitives/hash.js';
import { hasWitness, type Transaction } from '../../src/primitives/transaction.js';

/** The witness commitment output's script prefix (OP_RETURN, push 36, 0xaa21a9ed). */
const COMMITMENT = [0x6a, 0x24, 0xaa, 0x21, 0xa9, 0xed];
const isCommitment = (s: Uint8Array) => s.length >= 38 && COMMITMENT.every((b, i) => s[i] === b);

let cached: RichChain | undefined;

/** 130 blocks, no reorg: spends of every kind from height 101 on. */
export function scriptChain(): RichChain {
  cached ??= buildRichChain({ seed: 'script-checks', blocks: 130, outputsPerTx: 10, reorgDepth: 0 });
  return cached;
}

/** Where a P2WPKH input sits in a block: [tx index, input index]. */
export function findP2wpkhInput(gb: GeneratedBlock): [number, number] | undefined {
  for (let t = 1; t < gb.block.txs.length; t++) {
    const ins = gb.block.txs[t].inputs;
    for (let i = 0; i < ins.length; i++) {
      const w = ins[i].witness;
      if (w.length === 2 && w[1].length === 33 && ins[i].scriptSig.length === 0) return [t, i];
    }
  }
  return undefined;
}

function remine(gb: GeneratedBlock, prevHash: Uint8Array, txs: Transaction[]): GeneratedBlock {
  const cb = txs[0];
  const coinbase: Transaction = { ...cb, inputs: [{ ...cb.inputs[0], witness: [] }], outputs: cb.outputs.filter((o) => !isCommitment(o.script)) };
  const h = gb.block.header;
  return assembleBlock({ height: gb.height, prevHash, time: h.time, version: h.version, bits: h.bits, coinbase, txs: txs.slice(1), commitment: txs.slice(1).some(hasWitness) ? 'always' : 'never' });
}

export interface TamperedChain {
  blocks: GeneratedBlock[];
  /** The transaction whose signature was changed, and the input. */
  txIndex: number;
  inputIndex: number;
}

/** scriptChain with a byte of one P2WPKH signature flipped in block `height`, the blocks above re-mined. */
export function tamperedChain(height: number): TamperedChain {
  const honest = scriptChain().blocks;
  const target = honest[height - 1];
  const at = findP2wpkhInput(target);
  if (!at) throw new Error(`no P2WPKH input in block ${height}`);
  const [txIndex, inputIndex] = at;
  const txs = target.block.txs.map((tx, t) => {
    if (t !== txIndex) return tx;
    const inputs = tx.inputs.map((inp, i) => {
      if (i !== inputIndex) return inp;
      const sig = inp.witness[0].slice();
      sig[10] ^= 0x01;
      return { ...inp, witness: [sig, inp.witness[1]] };
    });
    return { ...tx, inputs };
  });
  const blocks = honest.slice(0, height - 1);
  let prev = height > 1 ? honest[height - 2].hash : undefined;
  for (const gb of honest.slice(height - 1)) {
    const next = remine(gb, prev ?? gb.block.header.prevHash, gb === target ? txs : gb.block.txs);
    blocks.push(next);
    prev = next.hash;
  }
  return { blocks, txIndex, inputIndex };
}

/** The UTXO set after `blocks[0 .. height)` and its hash_serialized_3 (display hex). */
export function utxoAt(blocks: readonly GeneratedBlock[], height: number): { utxo: MemoryUtxoSet; hash: string; chainTxCount: number } {
  const utxo = new MemoryUtxoSet();
  let chainTxCount = 1;
  for (const b of blocks.slice(0, height)) {
    utxo.applyBlock(b.block, b.height);
    chainTxCount += b.block.txs.length;
  }
  return { utxo, hash: hashToHex(utxo.stats().hashSerialized3), chainTxCount };
}
