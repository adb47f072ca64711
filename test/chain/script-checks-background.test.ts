/**
 * Background validation checks scripts too: after a snapshot load at height 120 of the signed regtest
 * chain, the history 1..120 is validated with -assumevalid=0 (on this thread and in the worker, which runs
 * its own script-check thread). An honest history validates the snapshot; a history with a bad signature
 * at 110 ends with the snapshot marked invalid, the normal chainstate active again and the node stopped.
 */
import assert from 'node:assert/strict';
import path from 'node:path';
import { after, test } from 'node:test';
import type { GeneratedBlock } from '../../contrib/chaingen/blocks.js';
import { writeSnapshotOf } from '../../contrib/chaingen/snapshot.js';
import { isFailed } from '../../src/chain/block-status.js';
import { ChainstateManager, FatalError } from '../../src/chain/chainstate-manager.js';
import { getChainParams } from '../../src/consensus/params.js';
import { hashToHex } from '../../src/primitives/hash.js';
import { scratchDir } from '../helpers.js';
import { scriptChain, tamperedChain, utxoAt } from './script-chain.js';

const BASE = 120;
const BAD = 110;
const far = () => 2_000_000_000;

const live = new Set<ChainstateManager>();
after(async () => {
  for (const m of live) await m.close().catch(() => {});
});

/** Headers, a trusted snapshot at BASE, the blocks above it, then the history: background validation runs. */
async function loadAndValidate(blocks: GeneratedBlock[], background: 'in-process' | 'worker'): Promise<ChainstateManager> {
  const datadir = scratchDir();
  const { utxo, hash, chainTxCount } = utxoAt(blocks, BASE);
  const file = path.join(datadir, 'snapshot.dat');
  writeSnapshotOf(utxo, file, getChainParams('regtest').messageStart, blocks[BASE - 1].hash);
  const params = getChainParams('regtest', { assumeutxo: [`${BASE}:${hashToHex(blocks[BASE - 1].hash)}:${hash}:${chainTxCount}`] });
  const m = await ChainstateManager.open({ datadir, params, now: far, background, scriptThreads: 2, assumeValid: '0'.repeat(64) });
  live.add(m);
  for (const b of blocks) m.processHeader(b.block.header);
  await m.loadSnapshot(file);
  for (const b of blocks.slice(BASE)) await m.processBlock(b.bytes);
  assert.equal(m.active.height, blocks.length);
  for (const b of blocks.slice(0, BASE)) {
    try {
      await m.processBlock(b.bytes);
    } catch (e) {
      // Once the snapshot is found invalid the node refuses further work.
      if (!(e instanceof FatalError)) throw e;
      break;
    }
  }
  await m.backgroundIdle();
  return m;
}

for (const background of ['in-process', 'worker'] as const) {
  test(`${background}: background validation checks every script of the history and validates the snapshot`, async () => {
    const m = await loadAndValidate(scriptChain().blocks, background);
    assert.equal(m.validity, 'validated');
    assert.equal(m.fatal, undefined);
  });

  test(`${background}: a bad signature at ${BAD} in the history: the snapshot is marked invalid`, async () => {
    const bad = tamperedChain(BAD);
    const m = await loadAndValidate(bad.blocks, background);
    assert.equal(m.validity, 'invalid');
    assert.ok(m.fatal instanceof FatalError);
    assert.ok(isFailed(m.storage.index.get(bad.blocks[BAD - 1].hash)!.status));
    assert.equal(m.active.height, BAD - 1);
  });
}
