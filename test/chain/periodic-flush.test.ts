/**
 * Issue 11 item 5: Core's FlushStateToDisk(PERIODIC). Blocks, the block index and the coins reach disk once
 * DATABASE_WRITE_INTERVAL (50–70 min, at random) has passed, without a cache over budget or a shutdown: a
 * node SIGKILLed after headers and blocks arrived past the interval finds them at the next start. The clock
 * is the manager's `now` (Core's mockable NodeClock), so the test needs no waiting.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { buildH200Chain } from '../../contrib/chaingen/spec-chains.js';
import { getChainParams } from '../../src/consensus/params.js';
import { hashToHex } from '../../src/primitives/hash.js';
import { BlockStorage } from '../../src/chain/block-storage.js';
import { ChainstateManager } from '../../src/chain/chainstate-manager.js';
import { CoinsDB } from '../../src/coins/coins-db.js';
import { scratchDir } from '../helpers.js';

const RUNNER = fileURLToPath(new URL('./fixtures/periodic-flush-runner.js', import.meta.url));
const params = getChainParams('regtest');
const chain = buildH200Chain(12);

async function afterKill(mode: 'headers' | 'blocks'): Promise<{ bestHeader: number; stored: number[]; coinsAt: number }> {
  const datadir = scratchDir(`chainsnap-periodic-${mode}-`);
  const r = spawnSync(process.execPath, [RUNNER, datadir, mode], { encoding: 'utf8', timeout: 60_000 });
  assert.equal(r.signal, 'SIGKILL', `the runner dies by SIGKILL: ${r.stderr}`);
  assert.equal(r.stdout.trim(), 'flushed');
  const storage = await BlockStorage.open(datadir, params, { now: () => 2_000_000_000 });
  const db = await CoinsDB.open(path.join(datadir, 'chainstate'));
  try {
    const best = db.bestBlock();
    return {
      bestHeader: storage.index.bestHeader.height,
      stored: chain.blocks.filter((b) => storage.index.get(b.hash)?.status.haveData).map((b) => b.height),
      coinsAt: best ? (storage.index.get(best)?.height ?? -1) : -1,
    };
  } finally {
    await db.close();
    await storage.close();
  }
}

test('headers received after the write interval survive a SIGKILL, with the blocks and coins before them', async () => {
  const s = await afterKill('headers');
  assert.equal(s.bestHeader, 12, 'headers 6..12 are in the block index on disk');
  assert.deepEqual(s.stored, [1, 2, 3, 4, 5]);
  assert.equal(s.coinsAt, 5, 'the coins were written with them');
});

test('a block connected after the write interval survives a SIGKILL: block, index and coins', async () => {
  const s = await afterKill('blocks');
  assert.equal(s.bestHeader, 12);
  assert.deepEqual(s.stored, [1, 2, 3, 4, 5, 6]);
  assert.equal(s.coinsAt, 6);
});

test('before the interval nothing is written but what the cache budget forces; at the interval, once; then not again until the next', async () => {
  const datadir = scratchDir('chainsnap-periodic-inproc-');
  let clock = 2_000_000_000;
  const m = await ChainstateManager.open({ datadir, params, now: () => clock, background: 'in-process' });
  try {
    const coinsBest = () => m.active.db.bestBlock();
    const genesisBest = coinsBest();
    for (const b of chain.blocks.slice(0, 3)) await m.processBlock(b.bytes);
    clock += 49 * 60;
    await m.processBlock(chain.blocks[3].bytes);
    assert.deepEqual(coinsBest(), genesisBest, 'under 50 minutes: no write');
    clock += 22 * 60;
    await m.processBlock(chain.blocks[4].bytes);
    assert.equal(hashToHex(coinsBest()!), hashToHex(chain.blocks[4].hash), 'past 70 minutes: written');
    assert.ok(m.active.cache.size > 0, 'a periodic write keeps the cache warm (Sync, not Flush)');
    clock += 49 * 60;
    await m.processBlock(chain.blocks[5].bytes);
    assert.equal(hashToHex(coinsBest()!), hashToHex(chain.blocks[4].hash), 'the next write waits for the next interval');
  } finally {
    await m.close();
  }
});
