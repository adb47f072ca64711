/** The download plan on a real engine: order, window, in-flight blocks, and the two chainstates. */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { buildH200Chain } from '../../../contrib/chaingen/spec-chains.js';
import { getChainParams } from '../../../src/consensus/params.js';
import { ChainstateManager } from '../../../src/chain/chainstate-manager.js';
import { DownloadPlanner } from '../../../src/node/sources/download-plan.js';
import { scratchDir } from '../../helpers.js';

const params = getChainParams('regtest');
const chain = buildH200Chain(215);
const heights = (r: { blocks: { height: number }[] }) => r.blocks.map((e) => e.height);
const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);
const SNAPSHOT = path.resolve('snapshots/regtest-h200.dat');

test('one chainstate: parents first, bounded by the window above the last block with data; busy blocks skipped', async () => {
  const m = await ChainstateManager.open({ datadir: scratchDir(), params, now: () => 2_000_000_000 });
  for (const b of chain.blocks.slice(0, 40)) m.processHeader(b.block.header);
  const plan = new DownloadPlanner(m, 8);
  assert.deepEqual(heights(plan.next(100)), range(1, 8));
  assert.equal(plan.next(100).waiting, true);
  assert.deepEqual(heights(plan.next(3)), [1, 2, 3]);
  // Blocks 2 and 3 arrive before 1: the window stays anchored at the genesis until 1 arrives.
  await m.processBlock(chain.blocks[1].bytes);
  await m.processBlock(chain.blocks[2].bytes);
  assert.deepEqual(heights(plan.next(100)), [1, 4, 5, 6, 7, 8]);
  await m.processBlock(chain.blocks[0].bytes);
  assert.deepEqual(heights(plan.next(100)), range(4, 11));
  assert.deepEqual(heights(plan.next(100, new Set([chain.blocks[3].hash, chain.blocks[4].hash].map((h) => m.storage.index.get(h)!.key)))), range(6, 11));
  for (const b of chain.blocks.slice(3, 40)) await m.processBlock(b.bytes);
  assert.deepEqual(plan.next(100), { blocks: [], waiting: false, complete: true });
  await m.close();
});

test('with a snapshot: the active chainstate\'s blocks, then the background\'s up to the base', { skip: existsSync(SNAPSHOT) ? false : 'no snapshots/regtest-h200.dat' }, async () => {
  const m = await ChainstateManager.open({ datadir: scratchDir(), params, background: 'in-process', now: () => 2_000_000_000 });
  for (const b of chain.blocks) m.processHeader(b.block.header);
  await m.loadSnapshot(SNAPSHOT);
  const plan = new DownloadPlanner(m, 1024);
  assert.deepEqual(heights(plan.next(20)), [...range(201, 215), ...range(1, 5)]);
  for (const b of chain.blocks.slice(200)) await m.processBlock(b.bytes);
  assert.deepEqual(heights(plan.next(5)), range(1, 5));
  for (const b of chain.blocks.slice(0, 200)) await m.processBlock(b.bytes);
  await m.backgroundIdle();
  assert.equal(m.validity, 'validated');
  assert.deepEqual(plan.next(5), { blocks: [], waiting: false, complete: true });
  await m.close();
});
