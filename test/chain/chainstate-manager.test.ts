/**
 * The assumeutxo lifecycle on Core's h200 chain (contrib/chaingen builds it byte for byte): load the
 * snapshot with Core's own regtest parameters, sync past the base, validate the history in the background,
 * and restart into one chainstate.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { buildH200Chain } from '../../contrib/chaingen/spec-chains.js';
import { getChainParams } from '../../src/consensus/params.js';
import { hashToHex } from '../../src/primitives/hash.js';
import { ChainstateManager } from '../../src/chain/chainstate-manager.js';
import { computeChainstateStats } from '../../src/coins/coins-stats.js';
import { scratchDir } from '../helpers.js';

const params = getChainParams('regtest');
const SNAPSHOT = path.resolve('snapshots/regtest-h200.dat');
const chain = buildH200Chain(215);
const far = () => 2_000_000_000;

for (const background of ['in-process', 'worker'] as const) {
test(`h200 (${background}): load, sync past the base, validate in the background, restart into one chainstate`, { skip: existsSync(SNAPSHOT) ? false : 'no snapshots/regtest-h200.dat' }, async () => {
  const datadir = scratchDir();
  let m = await ChainstateManager.open({ datadir, params, background, now: far });
  for (const b of chain.blocks) m.processHeader(b.block.header);
  assert.equal(m.storage.index.bestHeader.height, 215);

  const loaded = await m.loadSnapshot(SNAPSHOT);
  assert.equal(loaded.coinsLoaded, 200);
  assert.equal(loaded.base.height, 200);
  assert.equal(m.active.tip.height, 200);
  assert.equal(m.validity, 'unvalidated');
  assert.ok(readFileSync(path.join(datadir, 'chainstate_snapshot', 'base_blockhash')).equals(Buffer.from(loaded.base.hash)));
  let states = m.chainstates();
  assert.deepEqual(states.map((s) => [s.role, s.tip.height]), [['background', 0], ['snapshot', 200]]);

  for (const b of chain.blocks.slice(200)) await m.processBlock(b.bytes);
  assert.equal(m.active.tip.height, 215);
  assert.equal(hashToHex(m.active.tip.hash), hashToHex(chain.blocks[214].hash));

  // dumptxoutset: Core's argument errors, and a rollback to the base equal to Core's h200 file.
  const dumpDir = scratchDir();
  const rejects = (p: Promise<unknown>, code: number, message: string) => assert.rejects(p, { name: 'DumpError', code, message });
  await rejects(m.dumpTxoutSet(path.join(dumpDir, 'x'), 'bogus'), -8, 'Invalid snapshot type "bogus" specified. Please specify "rollback" or "latest"');
  await rejects(m.dumpTxoutSet(path.join(dumpDir, 'x'), 'latest', 200), -8, 'Invalid snapshot type "latest" specified with rollback option');
  await rejects(m.dumpTxoutSet(path.join(dumpDir, 'x'), 'rollback', -1), -8, 'Target block height -1 is negative');
  await rejects(m.dumpTxoutSet(path.join(dumpDir, 'x'), 'rollback'), -8, 'Target block height 299 after current tip 215');
  await rejects(m.dumpTxoutSet(path.join(dumpDir, 'x'), 'rollback', '00'.repeat(32)), -5, 'Block not found');
  await rejects(m.dumpTxoutSet(SNAPSHOT, 'latest'), -8, `${SNAPSHOT} already exists. If you are sure this is what you want, move it out of the way first`);
  const rolled = await m.dumpTxoutSet(path.join(dumpDir, 'h200.dat'), 'rollback', 200);
  assert.deepEqual([rolled.base_height, rolled.coins_written, rolled.nchaintx], [200, 200, 201]);
  assert.ok(readFileSync(rolled.path).equals(readFileSync(SNAPSHOT)), 'rollback dump byte-identical to Core\'s h200 snapshot');
  assert.equal(m.active.tip.height, 215);

  for (const b of chain.blocks.slice(0, 200)) await m.processBlock(b.bytes);
  await m.backgroundIdle();
  assert.equal(m.validity, 'validated');
  states = m.chainstates();
  assert.deepEqual(states.map((s) => [s.role, s.tip.height, s.validated]), [['normal', 215, true]]);
  await m.close();

  m = await ChainstateManager.open({ datadir, params, background, now: far });
  assert.ok(!existsSync(path.join(datadir, 'chainstate_snapshot')));
  assert.ok(!existsSync(path.join(datadir, 'chainstate_todelete')));
  assert.ok(existsSync(path.join(datadir, 'chainstate', 'base_blockhash')), 'base_blockhash stays as a marker');
  assert.equal(m.active.tip.height, 215);
  assert.deepEqual(m.chainstates().map((s) => s.role), ['normal']);
  const stats = await computeChainstateStats(m.active.db);
  assert.equal(stats.txouts, 215);
  await m.close();
});
}
