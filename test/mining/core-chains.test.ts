/**
 * Chains mined by real Core nodes, rebuilt block by block by our assembler on the same parent, with the same
 * payout script, transactions and clock: block version (version bits state per height), coinbase, witness
 * commitment, time, bits and nonce must give back Core's exact bytes. Core's generateblock leaves the fees of
 * the transactions it is given unclaimed; such blocks are rebuilt through generateBlock.
 *   - core-regtest-A/blocks.dat: 400 blocks with wallet transactions (block 151 from generateblock).
 * Two other Core chains come from other miners, so only what they share with v30's is compared there:
 *   - regtest/core-kernel-blocks-1-206.hex: Core's kernel test chain, whose coinbase scriptSig is the height
 *     push alone past height 16 (a newer Core's layout): versions, times, bits, and the coinbase but for its scriptSig;
 *   - regtest/rpc_getblockstats.json: a 2018 Core's chain (an extra nonce in the scriptSig, final sequence,
 *     lock time 0): block versions, bits and the witness commitment.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { ChainstateManager } from '../../src/chain/chainstate-manager.js';
import { blockSubsidy, getChainParams } from '../../src/consensus/params.js';
import { parseBlock, readFramedBlocks, serializeBlock, type Block } from '../../src/primitives/block.js';
import { serializeTransaction } from '../../src/primitives/transaction.js';
import { fromHex, toHex } from '../../src/primitives/bytes.js';
import { createNewBlock } from '../../src/mining/assembler.js';
import { testBlockValidity } from '../../src/mining/block-validity.js';
import { generateBlock, searchNonce } from '../../src/mining/generate.js';
import { NO_VECTORS, scratchDir, vector } from '../helpers.js';

/** Rebuilds blocks 1.. of `blocks` (index = height) and returns the mismatches and the generateblock heights. */
async function rebuild(blocks: Uint8Array[]): Promise<{ mismatches: string[]; byGenerateblock: number[] }> {
  const params = getChainParams('regtest');
  const manager = await ChainstateManager.open({ datadir: scratchDir(), params, background: 'in-process', now: () => 2_000_000_000 });
  const mismatches: string[] = [];
  const byGenerateblock: number[] = [];
  try {
    for (let h = 1; h < blocks.length; h++) {
      const core = parseBlock(blocks[h]);
      const now = core.header.time;
      // Core's miner took these from its mempool; the coinbase collects their fees.
      const { fees } = testBlockValidity(manager, core, { checkPow: false, checkMerkleRoot: false, now });
      const script = core.txs[0].outputs[0].script;
      let block: Block;
      if (core.txs[0].outputs[0].value === blockSubsidy(h, params) && fees > 0) {
        byGenerateblock.push(h);
        block = await generateBlock(manager, script, core.txs.slice(1), false, now);
      } else {
        const transactions = core.txs.slice(1).map((tx, i) => ({ tx, fee: i === 0 ? fees : 0, sigopCost: 0 }));
        block = createNewBlock(manager, { coinbaseScript: script, now, transactions }).block;
        assert.equal(searchNonce(block, params, { left: 1_000_000 }), 'found');
      }
      if (toHex(serializeBlock(block)) !== toHex(blocks[h])) {
        mismatches.push(`height ${h}: version ${block.header.version.toString(16)} vs ${core.header.version.toString(16)}, time ${block.header.time} vs ${core.header.time}, nonce ${block.header.nonce} vs ${core.header.nonce}, coinbase ${toHex(serializeBlock({ header: block.header, txs: [block.txs[0]] }))}`);
      }
      await manager.processBlock(blocks[h]);
    }
  } finally {
    await manager.close();
  }
  return { mismatches, byGenerateblock };
}

test("Core regtest-A: each block rebuilt by the assembler is byte-identical to Core's", { skip: NO_VECTORS }, async () => {
  const params = getChainParams('regtest');
  const blocks = [...readFramedBlocks(readFileSync(vector('core-regtest-A', 'blocks.dat')), params.messageStart)].map((f) => f.bytes);
  const { mismatches, byGenerateblock } = await rebuild(blocks);
  assert.deepEqual(mismatches, []);
  assert.deepEqual(byGenerateblock, [151]);
});

/** Our template on each block's parent, with its payout script and time, against what `compare` checks. */
async function templates(blocks: Uint8Array[], compare: (ours: Block, core: Block, height: number) => void): Promise<void> {
  const params = getChainParams('regtest');
  const manager = await ChainstateManager.open({ datadir: scratchDir(), params, background: 'in-process', now: () => 2_000_000_000 });
  try {
    for (let h = 1; h < blocks.length; h++) {
      const core = parseBlock(blocks[h]);
      const { block } = createNewBlock(manager, { coinbaseScript: core.txs[0].outputs[0].script, now: core.header.time });
      compare(block, core, h);
      await manager.processBlock(blocks[h]);
    }
  } finally {
    await manager.close();
  }
}

const withoutScriptSig = (b: Block) => toHex(serializeTransaction({ ...b.txs[0], inputs: [{ ...b.txs[0].inputs[0], scriptSig: new Uint8Array(0) }] }));

test("Core's kernel test chain: versions, times, bits and coinbases (scriptSig aside) match", { skip: NO_VECTORS }, async () => {
  const lines = readFileSync(vector('regtest', 'core-kernel-blocks-1-206.hex'), 'utf8').trim().split('\n');
  let signalled = 0;
  await templates([new Uint8Array(0), ...lines.map((l) => fromHex(l.trim()))], (ours, core, h) => {
    assert.equal(ours.header.version, core.header.version, `version at ${h}`);
    assert.equal(ours.header.time, core.header.time, `time at ${h}`);
    assert.equal(ours.header.bits, core.header.bits, `bits at ${h}`);
    if (core.txs.length === 1) assert.equal(withoutScriptSig(ours), withoutScriptSig(core), `coinbase at ${h}`);
    if (core.header.version === 0x30000000) signalled++;
  });
  assert.equal(signalled, 206 - 143);
});

test("rpc_getblockstats.py's chain (an old Core): versions, bits and witness commitments match", { skip: NO_VECTORS }, async () => {
  const json = JSON.parse(readFileSync(vector('regtest', 'rpc_getblockstats.json'), 'utf8')) as { blocks: string[] };
  await templates(json.blocks.map(fromHex), (ours, core, h) => {
    assert.equal(ours.header.version, core.header.version, `version at ${h}`);
    assert.equal(ours.header.bits, core.header.bits, `bits at ${h}`);
    if (core.txs.length === 1) assert.equal(toHex(ours.txs[0].outputs[1].script), toHex(core.txs[0].outputs[1].script), `commitment at ${h}`);
  });
});
