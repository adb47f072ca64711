/**
 * Mining against Core's own answers: the 100 blocks Core's rpc_dumptxoutset.py mines with mocktime at
 * genesis + 1 must end in the block hash that test asserts, and every block is accepted by a real
 * ChainstateManager on disk.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ChainstateManager } from '../../src/chain/chainstate-manager.js';
import { getChainParams } from '../../src/consensus/params.js';
import { decodeAddress } from '../../src/script/address.js';
import { DEFAULT_MAX_TRIES, mineBlocks } from '../../src/mining/generate.js';
import { scratchDir } from '../helpers.js';

/** TestNode.PRIV_KEYS[0] of Core's functional test framework: the address `generate` pays to on node 0. */
const NODE0_ADDRESS = 'mjTkW3DjgyZck4KbiRusZsqTgaYTxdSz6z';

test("rpc_dumptxoutset.py's chain: 100 blocks at mocktime genesis+1 end in Core's block 100", async () => {
  const params = getChainParams('regtest');
  const mocktime = params.genesis.header.time + 1;
  const manager = await ChainstateManager.open({ datadir: scratchDir(), params, background: 'in-process', now: () => mocktime });
  try {
    const script = decodeAddress(NODE0_ADDRESS, params)!;
    const hashes = await mineBlocks(manager, script, 100, mocktime, DEFAULT_MAX_TRIES);
    assert.equal(hashes.length, 100);
    assert.equal(manager.active.tip.height, 100);
    assert.equal(hashes[99], '6885775faa46290bedfa071f22d0598c93f1d7e01f24607c4dedd69b9baa4a8f');
    assert.equal(manager.active.tip.key, hashes[99]);
  } finally {
    await manager.close();
  }
});
