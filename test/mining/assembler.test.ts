/**
 * The assembler's rules one by one, on a real regtest ChainstateManager: the coinbase scriptSig (CScriptNum
 * height then OP_0), sequence and lock time; the time rule (median time past + 1, mock time, BIP94's
 * minimum on retarget blocks); Core's nonce search budget; and the version bits states reaching
 * getblocktemplate (started, locked in, active).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ChainstateManager } from '../../src/chain/chainstate-manager.js';
import { medianTimePast } from '../../src/chain/block-index.js';
import { getChainParams } from '../../src/consensus/params.js';
import { toHex } from '../../src/primitives/bytes.js';
import { createNewBlock, minimumTime } from '../../src/mining/assembler.js';
import { blockTemplate } from '../../src/mining/block-template.js';
import { createCoinbase } from '../../src/mining/coinbase.js';
import { mineBlocks, searchNonce } from '../../src/mining/generate.js';
import { scratchDir } from '../helpers.js';

const params = getChainParams('regtest');
const OP_TRUE = Uint8Array.of(0x51);

/** The node's clock for the time-too-new rule stays far ahead; the miners below pass their own time. */
async function open() {
  return ChainstateManager.open({ datadir: scratchDir(), params, background: 'in-process', now: () => 2_000_000_000 });
}

test('coinbase: height as CScriptNum then OP_0, non-final sequence, lock time height - 1', () => {
  const cases: [number, string][] = [
    [1, '5100'],
    [16, '6000'],
    [17, '011100'],
    [127, '017f00'],
    [128, '02800000'],
    [144, '02900000'],
    [32768, '0300800000'],
    [8388608, '040000800000'],
  ];
  for (const [height, scriptSig] of cases) {
    const cb = createCoinbase(height, OP_TRUE, 1);
    assert.equal(toHex(cb.inputs[0].scriptSig), scriptSig, `height ${height}`);
    assert.equal(cb.inputs[0].sequence, 0xfffffffe);
    assert.equal(cb.lockTime, height - 1);
    assert.equal(cb.version, 2);
  }
});

test('time: median time past + 1 under an old mock time, the mock time otherwise, BIP94 minimum on retarget blocks', async () => {
  const clock = { now: params.genesis.header.time + 1000 };
  const m = await open();
  try {
    await mineBlocks(m, OP_TRUE, 142, () => clock.now);
    assert.equal(m.active.at(1)!.header.time, clock.now, 'mock time ahead of the chain is used as is');
    assert.equal(m.active.tip.header.time, medianTimePast(m.active.at(141)!) + 1, 'a static mock time falls behind: median time past + 1');
    // Block 143 far ahead; then the clock goes back: block 144 starts a retarget period (144 % 144 == 0).
    clock.now += 100_000;
    await mineBlocks(m, OP_TRUE, 1, () => clock.now);
    const prev = m.active.tip;
    clock.now = params.genesis.header.time;
    assert.equal(minimumTime(prev, params), prev.header.time - 600);
    const { block } = createNewBlock(m, { coinbaseScript: OP_TRUE, now: clock.now });
    assert.equal(block.header.time, prev.header.time - 600, 'BIP94: no more than 600 s before the parent on a retarget block');
    await mineBlocks(m, OP_TRUE, 1, () => clock.now);
    // Past the boundary only median time past counts again.
    const tip = m.active.tip;
    assert.equal(createNewBlock(m, { coinbaseScript: OP_TRUE, now: clock.now }).block.header.time, medianTimePast(tip) + 1);
  } finally {
    await m.close();
  }
});

test("nonce search: Core's try budget", async () => {
  const clock = { now: params.genesis.header.time + 1 };
  const m = await open();
  try {
    const { block } = createNewBlock(m, { coinbaseScript: OP_TRUE, now: clock.now });
    assert.equal(searchNonce(block, params, { left: 0 }), 'out-of-tries');
    const budget = { left: 1_000 };
    assert.equal(searchNonce(block, params, budget), 'found');
    // Each failed nonce costs one try; the one that passes costs none.
    assert.equal(budget.left, 1_000 - block.header.nonce);
    if (block.header.nonce > 0) {
      block.header.nonce = 0;
      assert.equal(searchNonce(block, params, { left: block.header.nonce + 1 }), 'out-of-tries', 'a budget running out on the last try fails, as in Core');
    }
    block.header.nonce = 0xfffffffe;
    block.header.bits = 0x03000001; // a target nothing meets
    assert.equal(searchNonce(block, { ...params, powLimit: 1n << 255n }, { left: 10 }), 'nonces-exhausted');
  } finally {
    await m.close();
  }
});

test('getblocktemplate through the testdummy deployment: started, locked in (signalled), active (a rule)', async () => {
  const clock = { now: params.genesis.header.time + 1 };
  const m = await open();
  const segwit = new Set(['segwit']);
  try {
    await mineBlocks(m, OP_TRUE, 287, () => clock.now);
    let t = blockTemplate(m, segwit, clock.now);
    assert.equal(t.version, 0x30000000);
    assert.deepEqual(t.vbavailable, { testdummy: 28 });
    assert.deepEqual(t.rules, ['csv', '!segwit', 'taproot']);
    await mineBlocks(m, OP_TRUE, 144, () => clock.now);
    t = blockTemplate(m, segwit, clock.now);
    assert.equal(t.height, 432);
    assert.equal(t.version, 0x20000000);
    assert.deepEqual(t.vbavailable, {});
    assert.deepEqual(t.rules, ['csv', '!segwit', 'taproot', 'testdummy']);
    assert.equal(m.active.at(431)!.header.version, 0x30000000);
    assert.equal(m.active.at(288)!.header.version, 0x30000000);
  } finally {
    await m.close();
  }
});
