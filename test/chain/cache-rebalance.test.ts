/**
 * Issue 11 item 7: Core v30's IsInitialBlockDownload (tip work under MinimumChainWork or a tip older than
 * 24 h, and once false it latches) and ResizeCoinsCaches (a cache whose budget shrinks is written and
 * emptied at once). So the 95/5 split between the snapshot and background chainstates is decided once, and
 * no chainstate keeps more than its share while another one grows.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { buildH200Chain } from '../../contrib/chaingen/spec-chains.js';
import { getChainParams } from '../../src/consensus/params.js';
import { ChainstateManager } from '../../src/chain/chainstate-manager.js';
import { scratchDir } from '../helpers.js';

const params = getChainParams('regtest');
const SNAPSHOT = path.resolve('snapshots/regtest-h200.dat');
const skip = existsSync(SNAPSHOT) ? false : 'no snapshots/regtest-h200.dat';
const chain = buildH200Chain(272);
const DBCACHE = 400_000;

test('the split flips once, when initial block download ends; the shrinking cache is emptied at once; no flip back', { skip }, async () => {
  const datadir = scratchDir('chainsnap-rebalance-');
  // Tips days old: initial block download.
  let clock = chain.blocks[199].block.header.time + 3 * 24 * 3600;
  const m = await ChainstateManager.open({ datadir, params, dbcache: DBCACHE, now: () => clock, background: 'in-process' });
  try {
    for (const b of chain.blocks.slice(0, 150)) await m.processBlock(b.bytes);
    assert.ok(m.active.cache.memoryUsage > DBCACHE / 100, 'the single chainstate holds more than 1% of dbcache');
    for (const b of chain.blocks.slice(0, 200)) m.processHeader(b.block.header);
    // Loading a snapshot shrinks the active chainstate to 1%: it is within that while the coins load.
    let checked = 0;
    await m.loadSnapshot(SNAPSHOT, () => {
      const cs = m.active;
      assert.ok(cs.cache.memoryUsage <= cs.cacheBytes, `while the snapshot loads the active cache holds ${cs.cache.memoryUsage} bytes of its ${cs.cacheBytes}`);
      checked++;
    });
    assert.ok(checked > 0);

    const shares: number[] = [];
    const step = async (h: number) => {
      await m.processBlock(chain.blocks[h - 1].bytes);
      shares.push(m.active.cacheBytes);
      for (const cs of [m.active, m.background!]) {
        assert.ok(cs.cache.memoryUsage <= cs.cacheBytes, `after block ${h} the ${cs.role} cache holds ${cs.cache.memoryUsage} bytes of its ${cs.cacheBytes}`);
      }
    };
    // Still in initial block download: 95% to the snapshot chainstate, which fills.
    for (let h = 201; h <= 260; h++) await step(h);
    assert.equal(m.active.cacheBytes, Math.floor(DBCACHE * 0.95));
    assert.ok(m.active.cache.memoryUsage > DBCACHE * 0.05, 'the snapshot chainstate holds more than 5% of dbcache');
    // The tip is recent now: out of initial block download, 5% to the snapshot chainstate, at once.
    clock = chain.blocks[259].block.header.time + 600;
    // Headers-first sync from here: a header ahead of the tip, then its parent's block, alternately.
    for (let h = 261; h <= 271; h++) {
      if (h % 2 === 1) for (const b of chain.blocks.slice(h - 1, h + 1)) m.processHeader(b.block.header);
      await step(h);
    }
    const changes = shares.filter((s, i) => i > 0 && s !== shares[i - 1]).length;
    assert.equal(changes, 1, `the split changed once (snapshot shares in turn: ${shares.join(', ')})`);
    assert.equal(m.active.cacheBytes, Math.floor(DBCACHE * 0.05));
    // Latched: a tip older than 24 h no longer brings the node back into initial block download.
    clock += 2 * 24 * 3600;
    assert.equal(m.isInitialBlockDownload(), false);
  } finally {
    await m.close();
  }
});

test('a tip under the minimum chain work is initial block download, whatever its age', async () => {
  const datadir = scratchDir('chainsnap-ibd-minwork-');
  const clock = chain.blocks[9].block.header.time + 60;
  const m = await ChainstateManager.open({ datadir, params: { ...params, minimumChainWork: 1n << 40n }, now: () => clock, background: 'in-process' });
  try {
    for (const b of chain.blocks.slice(0, 10)) await m.processBlock(b.bytes);
    assert.equal(m.isInitialBlockDownload(), true);
  } finally {
    await m.close();
  }
});
