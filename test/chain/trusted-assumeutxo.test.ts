/**
 * Issue 7: a user-trusted regtest entry for a height the built-in table uses (200), but for the user's own
 * block. The user's snapshot of their own chain loads and validates in the background (in a worker, which
 * rebuilds the parameters from the entries), and Core's h200 snapshot still loads under the built-in entry.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { after, test } from 'node:test';
import { buildH200Chain } from '../../contrib/chaingen/spec-chains.js';
import { assumeutxoForHash, getChainParams } from '../../src/consensus/params.js';
import { ChainstateManager } from '../../src/chain/chainstate-manager.js';
import { scratchDir } from '../helpers.js';
import { branch } from './fixtures/forks.js';

const SNAPSHOT = path.resolve('snapshots/regtest-h200.dat');
const far = () => 2_000_000_000;
const open = new Set<ChainstateManager>();
after(async () => {
  for (const m of open) await m.close().catch(() => {});
});

test('a trusted entry at a built-in height for another block: both entries apply, each to its own block', { skip: existsSync(SNAPSHOT) ? false : 'no snapshots/regtest-h200.dat' }, async () => {
  const regtest = getChainParams('regtest');
  const mine = branch(undefined, 1, 205, 31_000);
  // The user's node dumps their own chain at 200.
  const dir = scratchDir('chainsnap-trusted-');
  const source = await ChainstateManager.open({ datadir: path.join(dir, 'source'), params: regtest, background: 'in-process', now: far });
  open.add(source);
  for (const b of mine.slice(0, 200)) await source.processBlock(b.bytes);
  const dump = await source.dumpTxoutSet(path.join(dir, 'mine-200.dat'), 'latest');
  open.delete(source);
  await source.close();
  assert.notEqual(dump.base_hash, assumeutxoForHash(regtest, dump.base_hash)?.blockHash, 'not a built-in block');

  const params = getChainParams('regtest', { assumeutxo: [`200:${dump.base_hash}:${dump.txoutset_hash}:${dump.nchaintx}`] });
  assert.equal(params.assumeutxo.filter((a) => a.height === 200).length, 2);

  const m = await ChainstateManager.open({ datadir: path.join(dir, 'user'), params, background: 'worker', now: far });
  open.add(m);
  for (const b of mine) m.processHeader(b.block.header);
  const loaded = await m.loadSnapshot(dump.path);
  assert.equal(loaded.base.key, dump.base_hash);
  assert.equal(loaded.entry.hashSerialized, dump.txoutset_hash);
  for (const b of mine) await m.processBlock(b.bytes);
  await m.backgroundIdle();
  assert.equal(m.validity, 'validated');
  assert.equal(m.active.tip.height, 205);
  open.delete(m);
  await m.close();

  // The built-in entry for height 200 still applies to Core's block, under the same parameters.
  const core = await ChainstateManager.open({ datadir: path.join(dir, 'core'), params, background: 'in-process', now: far });
  open.add(core);
  for (const b of buildH200Chain(200).blocks) core.processHeader(b.block.header);
  const coreLoaded = await core.loadSnapshot(SNAPSHOT);
  assert.equal(coreLoaded.entry.hashSerialized, '17dcc016d188d16068907cdeb38b75691a118d43053b8cd6a25969419381d13a');
  open.delete(core);
  await core.close();
});
