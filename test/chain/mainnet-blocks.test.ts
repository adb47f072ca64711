/** Real mainnet data through the whole engine: blocks 0–599 accepted, stored, connected, and restarted. */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { getChainParams } from '../../src/consensus/params.js';
import { parseBlock, readFramedBlocks } from '../../src/primitives/block.js';
import { ChainstateManager } from '../../src/chain/chainstate-manager.js';
import { MemoryUtxoSet } from '../../src/coins/memory-utxo-set.js';
import { computeChainstateStats } from '../../src/coins/coins-stats.js';
import { NO_VECTORS, scratchDir, vector } from '../helpers.js';

test('mainnet blocks 0..599 connect in the engine and survive a restart', { skip: NO_VECTORS }, async () => {
  const params = getChainParams('main');
  const blocks = [...readFramedBlocks(readFileSync(vector('mainnet', 'blocks-0-599.dat')), params.messageStart)].map((f) => f.bytes);
  assert.equal(blocks.length, 600);
  const reference = new MemoryUtxoSet();
  blocks.slice(1).forEach((b, i) => reference.applyBlock(parseBlock(b), i + 1));

  const datadir = scratchDir();
  let m = await ChainstateManager.open({ datadir, params, dbcache: 1 << 20 });
  // Out of order on purpose: children before parents are refused, then accepted once the parent is in.
  await assert.rejects(m.processBlock(blocks[2]), { reason: 'prev-blk-not-found' });
  for (const b of blocks.slice(1)) await m.processBlock(b);
  assert.equal(m.active.tip.height, 599);
  await m.close();
  m = await ChainstateManager.open({ datadir, params });
  assert.equal(m.active.tip.height, 599);
  await m.active.flush(true);
  const stats = await computeChainstateStats(m.active.db);
  const ref = reference.stats();
  assert.deepEqual([stats.txouts, Buffer.from(stats.hashSerialized3).toString('hex')], [ref.txouts, Buffer.from(ref.hashSerialized3).toString('hex')]);
  await m.close();
});
