/**
 * invalidateblock, reconsiderblock and preciousblock on a real ChainstateManager (LevelDB on disk, real
 * regtest blocks), following the single-node steps of Core's rpc_invalidateblock.py and
 * rpc_preciousblock.py: reorgs back to the other branch, the best header, ancestors and descendants
 * reconsidered, the genesis child, equal-work tips, and restarts.
 */
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import type { GeneratedBlock } from '../../contrib/chaingen/blocks.js';
import { getChainParams } from '../../src/consensus/params.js';
import { hashToHex } from '../../src/primitives/hash.js';
import { ChainstateManager } from '../../src/chain/chainstate-manager.js';
import type { BlockIndexEntry } from '../../src/chain/block-index.js';
import { computeChainstateStats } from '../../src/coins/coins-stats.js';
import { scratchDir } from '../helpers.js';
import { branch } from './fixtures/forks.js';

const params = getChainParams('regtest');
const far = () => 2_000_000_000;
const open = new Set<ChainstateManager>();
after(async () => {
  for (const m of open) await m.close().catch(() => {});
});

async function start(datadir = scratchDir('chainsnap-overrides-')): Promise<{ m: ChainstateManager; datadir: string }> {
  const m = await ChainstateManager.open({ datadir, params, background: 'in-process', now: far });
  open.add(m);
  return { m, datadir };
}

async function stop(m: ChainstateManager): Promise<void> {
  open.delete(m);
  await m.close();
}

const entry = (m: ChainstateManager, b: GeneratedBlock): BlockIndexEntry => m.storage.index.get(b.hash)!;
const tipKey = (m: ChainstateManager) => m.active.tip.key;
const key = (b: GeneratedBlock) => hashToHex(b.hash);

async function utxoHash(m: ChainstateManager): Promise<string> {
  await m.flush();
  return hashToHex((await computeChainstateStats(m.active.db)).hashSerialized3);
}

test('invalidate a block of the active branch: back to the other branch; reconsider: back again (rpc_invalidateblock.py)', async () => {
  const { m, datadir } = await start();
  // Node 0's chain of 4, then node 1's competing chain of 6 forces a reorg.
  const mine = branch(undefined, 1, 4, 1000);
  const theirs = branch(undefined, 1, 6, 2000);
  for (const b of mine) await m.processBlock(b.bytes);
  const hashMine = await utxoHash(m);
  for (const b of theirs) await m.processBlock(b.bytes);
  assert.equal(tipKey(m), key(theirs[5]));
  const hashTheirs = await utxoHash(m);
  // A header on the tip without its block: it must not change the outcome.
  const [header7] = branch(theirs[5], 7, 1, 2000);
  m.processHeader(header7.block.header);
  assert.equal(m.storage.index.bestHeader.height, 7);

  await m.invalidateBlock(entry(m, theirs[1]));
  assert.equal(tipKey(m), key(mine[3]));
  assert.equal(m.storage.index.bestHeader, m.active.tip, 'headers == blocks');
  assert.equal(entry(m, theirs[1]).status.failure, 'failed');
  for (const b of [...theirs.slice(2), header7]) assert.equal(entry(m, b).status.failure, 'failed-ancestor');
  assert.equal(entry(m, theirs[0]).status.failure, undefined);
  assert.equal(await utxoHash(m), hashMine);

  // Reconsidering the tip of the invalid branch clears its ancestors too; the best header is the header.
  await m.reconsiderBlock(entry(m, theirs[5]));
  assert.equal(tipKey(m), key(theirs[5]));
  assert.equal(m.storage.index.bestHeader.key, key(header7));
  assert.ok([...theirs, header7].every((b) => entry(m, b).status.failure === undefined));
  assert.equal(await utxoHash(m), hashTheirs);

  await m.invalidateBlock(entry(m, theirs[1]));
  assert.equal(tipKey(m), key(mine[3]));

  // Invalidate node 0's own chain as well: what is left is the other branch's block 1, below its invalid 2.
  await m.invalidateBlock(entry(m, mine[0]));
  assert.equal(tipKey(m), key(theirs[0]));
  await m.reconsiderBlock(entry(m, theirs[5]));
  assert.equal(tipKey(m), key(theirs[5]));

  // Invalidate block 4: the chain is 1-2-3; reconsider the header-only block 7: its ancestors come back
  // and the tip is the highest one with data.
  await m.invalidateBlock(entry(m, theirs[3]));
  assert.equal(tipKey(m), key(theirs[2]));
  assert.equal(m.storage.index.bestHeader.height, 3);
  await m.reconsiderBlock(entry(m, header7));
  assert.equal(tipKey(m), key(theirs[5]));
  assert.equal(m.storage.index.bestHeader.height, 7);

  // The state survives a restart: the invalid branch stays invalid.
  await m.invalidateBlock(entry(m, theirs[0]));
  assert.equal(tipKey(m), m.storage.index.genesis.key, 'both branches are invalid now');
  await m.reconsiderBlock(entry(m, mine[3]));
  assert.equal(tipKey(m), key(mine[3]));
  await stop(m);
  const again = await start(datadir);
  assert.equal(tipKey(again.m), key(mine[3]));
  assert.equal(entry(again.m, theirs[0]).status.failure, 'failed');
  assert.equal(entry(again.m, theirs[5]).status.failure, 'failed-ancestor');
  assert.equal(await utxoHash(again.m), hashMine);
  await stop(again.m);
});

test('reconsider restores the tip from an ancestor or a descendant of the invalidated blocks', async () => {
  const { m } = await start();
  const blocks = branch(undefined, 1, 10, 0);
  for (const b of blocks) await m.processBlock(b.bytes);
  const original = await utxoHash(m);
  // Ancestors: invalidate the two blocks at the tip, reconsider only the previous tip.
  await m.invalidateBlock(entry(m, blocks[9]));
  await m.invalidateBlock(entry(m, blocks[8]));
  assert.equal(tipKey(m), key(blocks[7]));
  await m.reconsiderBlock(entry(m, blocks[9]));
  assert.equal(tipKey(m), key(blocks[9]));
  // Descendants: invalidate blocks 9 and 7, reconsider 7.
  await m.invalidateBlock(entry(m, blocks[8]));
  await m.invalidateBlock(entry(m, blocks[6]));
  assert.equal(tipKey(m), key(blocks[5]));
  await m.reconsiderBlock(entry(m, blocks[6]));
  assert.equal(tipKey(m), key(blocks[9]));
  assert.equal(m.storage.index.bestHeader, m.active.tip);
  assert.equal(await utxoHash(m), original);
  await stop(m);
});

test('invalidating the genesis child empties the chain; genesis itself cannot be invalidated', async () => {
  const { m } = await start();
  const blocks = branch(undefined, 1, 5, 0);
  for (const b of blocks) await m.processBlock(b.bytes);
  const original = await utxoHash(m);
  await m.invalidateBlock(m.storage.index.genesis);
  assert.equal(tipKey(m), key(blocks[4]), 'genesis: nothing happens, as in Core');
  assert.equal(m.storage.index.genesis.status.failure, undefined);

  await m.invalidateBlock(entry(m, blocks[0]));
  assert.equal(m.active.tip, m.storage.index.genesis);
  assert.equal(m.storage.index.bestHeader, m.storage.index.genesis);
  assert.equal((await computeChainstateStats(m.active.db)).txouts, 0, 'flushed at genesis: no coins');
  // A block on an invalid chain is refused when offered again, and nothing moves.
  await assert.rejects(m.processBlock(blocks[1].bytes), { reason: 'duplicate-invalid' });
  assert.equal(m.active.tip, m.storage.index.genesis);

  await m.reconsiderBlock(entry(m, blocks[0]));
  assert.equal(tipKey(m), key(blocks[4]));
  assert.equal(await utxoHash(m), original);
  await stop(m);
});

test('invalidating a block off the active chain marks its branch only; the tip stays', async () => {
  const { m } = await start();
  const main = branch(undefined, 1, 6, 0);
  const side = branch(main[1], 3, 2, 500);
  for (const b of [...main, ...side]) await m.processBlock(b.bytes);
  assert.equal(tipKey(m), key(main[5]));
  await m.invalidateBlock(entry(m, side[0]));
  assert.equal(tipKey(m), key(main[5]));
  assert.deepEqual(side.map((b) => entry(m, b).status.failure), ['failed', 'failed-ancestor']);
  // More work on the invalid side branch is never followed.
  const [more] = branch(side[1], 5, 1, 500);
  await assert.rejects(m.processBlock(more.bytes), { reason: 'bad-prevblk' });
  assert.equal(tipKey(m), key(main[5]));
  await stop(m);
});

test('preciousblock switches between equal-work tips; a later call overrides; more work wins (rpc_preciousblock.py)', async () => {
  const { m } = await start();
  const z = branch(undefined, 1, 2, 0);
  const c = branch(z[1], 3, 3, 100);
  const g = branch(z[1], 3, 3, 200);
  for (const b of [...z, ...c, ...g]) await m.processBlock(b.bytes);
  assert.equal(tipKey(m), key(c[2]), 'the first received of equal work stays');
  const hashC = await utxoHash(m);

  await m.preciousBlock(entry(m, g[2]));
  assert.equal(tipKey(m), key(g[2]));
  // (The branches' coinbases are alike, so their sets are too: the set hash is checked for consistency.)
  assert.equal(await utxoHash(m), hashC);
  await m.preciousBlock(entry(m, c[2]));
  assert.equal(tipKey(m), key(c[2]));
  await m.preciousBlock(entry(m, g[2]));
  assert.equal(tipKey(m), key(g[2]));
  await m.preciousBlock(entry(m, g[2]));
  assert.equal(tipKey(m), key(g[2]), 'again on the tip: nothing moves');
  await m.preciousBlock(entry(m, c[2]));
  assert.equal(tipKey(m), key(c[2]));
  assert.equal(await utxoHash(m), hashC);

  // H on top of G: more work wins, and C (less work now) cannot be preferred any more.
  const [h] = branch(g[2], 6, 1, 200);
  await m.processBlock(h.bytes);
  assert.equal(tipKey(m), key(h));
  await m.preciousBlock(entry(m, c[2]));
  assert.equal(tipKey(m), key(h));

  // I-J-K-L on Z: equal work with H; precious switches to it and back.
  const l = branch(z[1], 3, 4, 300);
  for (const b of l) await m.processBlock(b.bytes);
  assert.equal(tipKey(m), key(h));
  await m.preciousBlock(entry(m, l[3]));
  assert.equal(tipKey(m), key(l[3]));
  await m.preciousBlock(entry(m, h));
  assert.equal(tipKey(m), key(h));
  await stop(m);
});

test('calls that are not awaited one by one still run one at a time', async () => {
  const { m } = await start();
  const blocks = branch(undefined, 1, 8, 0);
  const other = branch(undefined, 1, 9, 900);
  // Everything at once: blocks, an invalidation in the middle, and a flush.
  const all = [
    ...blocks.map((b) => m.processBlock(b.bytes)),
    m.invalidateBlock(m.storage.index.genesis),
    ...other.slice(0, 3).map((b) => m.processBlock(b.bytes)),
    m.flush(),
  ];
  await Promise.all(all);
  assert.equal(tipKey(m), key(blocks[7]));
  const late = [m.invalidateBlock(entry(m, blocks[2])), ...other.slice(3).map((b) => m.processBlock(b.bytes)), m.reconsiderBlock(entry(m, blocks[2]))];
  await Promise.all(late);
  assert.equal(tipKey(m), key(other[8]), 'the longer chain wins once all is done');
  await stop(m);
});
