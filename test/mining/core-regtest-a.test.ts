/**
 * Every block of Core's regtest-A chain (../shared/vectors/core-regtest-A, mined by a real Core node with
 * generatetoaddress, wallet transactions included) rebuilt by our assembler on the same parent, with the
 * same payout script, transactions and clock (block 151 came from generateblock, whose coinbase leaves the
 * fees unclaimed): block version (version bits state per height), coinbase,
 * witness commitment, time, bits and nonce must give back Core's exact bytes.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { ChainstateManager } from '../../src/chain/chainstate-manager.js';
import { blockSubsidy, getChainParams } from '../../src/consensus/params.js';
import { parseBlock, readFramedBlocks, serializeBlock } from '../../src/primitives/block.js';
import { toHex } from '../../src/primitives/bytes.js';
import { createNewBlock } from '../../src/mining/assembler.js';
import { testBlockValidity } from '../../src/mining/block-validity.js';
import { generateBlock, searchNonce } from '../../src/mining/generate.js';
import { NO_VECTORS, scratchDir, vector } from '../helpers.js';

test('Core regtest-A: each block rebuilt by the assembler is byte-identical to Core\'s', { skip: NO_VECTORS }, async () => {
  const params = getChainParams('regtest');
  const blocks = [...readFramedBlocks(readFileSync(vector('core-regtest-A', 'blocks.dat')), params.messageStart)].map((f) => f.bytes);
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
      let block;
      if (core.txs[0].outputs[0].value === blockSubsidy(h, params) && fees > 0) {
        // generateblock: transactions are added after the template, so the coinbase leaves their fees unclaimed.
        byGenerateblock.push(h);
        block = await generateBlock(manager, script, core.txs.slice(1), false, now);
      } else {
        const transactions = core.txs.slice(1).map((tx, i) => ({ tx, fee: i === 0 ? fees : 0, sigopCost: 0 }));
        block = createNewBlock(manager, { coinbaseScript: script, now, transactions }).block;
        assert.equal(searchNonce(block, params, { left: 1_000_000 }), 'found');
      }
      const ours = toHex(serializeBlock(block));
      if (ours !== toHex(blocks[h])) mismatches.push(`height ${h}: version ${block.header.version.toString(16)} vs ${core.header.version.toString(16)}, nonce ${block.header.nonce} vs ${core.header.nonce}, coinbase value ${block.txs[0].outputs[0].value} vs ${core.txs[0].outputs[0].value}`);
      await manager.processBlock(blocks[h]);
    }
  } finally {
    await manager.close();
  }
  assert.deepEqual(mismatches, []);
  assert.deepEqual(byGenerateblock, [151]);
});
