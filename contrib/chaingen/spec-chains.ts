/**
 * The two deterministic regtest chains behind Core's regtest assumeutxo parameters (heights 110 and 200),
 * built byte for byte from /work/shared/spec/regtest-chains.md so Core's own numbers check our block
 * building, UTXO hashing and snapshot writing.
 */
import { MemoryUtxoSet } from '../../src/coins/memory-utxo-set.js';
import { blockSubsidy, getChainParams } from '../../src/consensus/params.js';
import { fromHex } from '../../src/primitives/bytes.js';
import { hexToHash, sha256 } from '../../src/primitives/hash.js';
import { p2pk, p2wsh } from '../../src/primitives/script.js';
import { assembleBlock, GeneratedBlock, makeCoinbase } from './blocks.js';

export interface SpecChain {
  /** blocks[i] has height i + 1. */
  blocks: GeneratedBlock[];
  utxo: MemoryUtxoSet;
}

const GENESIS_TIME = 1296688602;
/** P2WSH(OP_TRUE): anyone can spend it with the witness script `51`. */
export const P2WSH_OP_TRUE = p2wsh(sha256(Uint8Array.of(0x51)));
/** P2PK to the key whose private key is 1 (Core's TestChain100Setup coinbase key). */
export const P2PK_KEY_ONE = p2pk(fromHex('0279be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798'));

type BlockRecipe = (height: number, prevHash: Uint8Array) => GeneratedBlock;

function build(tip: number, recipe: BlockRecipe): SpecChain {
  const params = getChainParams('regtest');
  const utxo = new MemoryUtxoSet();
  const blocks: GeneratedBlock[] = [];
  let prev = hexToHash(params.genesisHash);
  for (let h = 1; h <= tip; h++) {
    const b = recipe(h, prev);
    utxo.applyBlock(b.block, h);
    blocks.push(b);
    prev = b.hash;
  }
  return { blocks, utxo };
}

/** Core's fuzz chain: one coinbase per block to P2WSH(OP_TRUE); continue past 200 for blocks to sync. */
export function buildH200Chain(tip = 200): SpecChain {
  const params = getChainParams('regtest');
  return build(tip, (h, prevHash) =>
    assembleBlock({
      height: h,
      prevHash,
      time: GENESIS_TIME + h,
      version: 4,
      coinbase: makeCoinbase({ height: h, outputs: [{ value: blockSubsidy(h, params), script: P2WSH_OP_TRUE }] }),
      commitment: 'never',
    }),
  );
}

/** Core's TestChain100Setup plus 10 blocks: P2PK coinbases with a witness commitment in every block. */
export function buildH110Chain(tip = 110): SpecChain {
  const params = getChainParams('regtest');
  return build(tip, (h, prevHash) =>
    assembleBlock({
      height: h,
      prevHash,
      time: 1598887952 + h - 1,
      version: 0x20000000,
      coinbase: makeCoinbase({ height: h, outputs: [{ value: blockSubsidy(h, params), script: P2PK_KEY_ONE }] }),
      commitment: 'always',
    }),
  );
}
