/**
 * The engine against a chain a real Bitcoin Core node made (../shared/vectors/core-regtest-A), with its
 * snapshot heights added as trusted regtest entries: load Core's dumptxoutset file, connect the rest of the
 * chain including a reorganisation, compare the UTXO hashes with Core's after every block, validate the
 * history in the background, and dump rollback snapshots byte-identical to Core's.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { getChainParams } from '../../src/consensus/params.js';
import { parseBlock, readFramedBlocks } from '../../src/primitives/block.js';
import { hashToHex } from '../../src/primitives/hash.js';
import { ChainstateManager } from '../../src/chain/chainstate-manager.js';
import { computeChainstateStats } from '../../src/coins/coins-stats.js';
import { coreChain, coreTrustedEntries, HAVE_VECTORS, NO_VECTORS, scratchDir, vector, type CoreStats } from '../helpers.js';


const far = () => 2_000_000_000;

test('Core regtest-A: snapshot at 300, reorg above the base, per-block hashes, background validation, rollback dumps', { skip: NO_VECTORS }, async () => {
  assert.ok(HAVE_VECTORS);
  const chain = coreChain();
  const params = getChainParams('regtest', { assumeutxo: coreTrustedEntries() });
  const blocks = [...readFramedBlocks(readFileSync(vector('core-regtest-A', 'blocks.dat')), params.messageStart)].map((f) => f.bytes);
  const stale = [...readFramedBlocks(readFileSync(vector('core-regtest-A', 'stale.dat')), params.messageStart)].map((f) => f.bytes);
  const staleAt = (h: number) => stale[chain.stale.findIndex((s) => s.height === h)];
  const datadir = scratchDir();
  let m = await ChainstateManager.open({ datadir, params, background: 'in-process', now: far });
  for (const b of [...blocks.slice(1), ...stale]) m.processHeader(parseBlock(b).header);

  const snap = chain.snapshots.find((s) => s.base_height === 300)!;
  const loaded = await m.loadSnapshot(vector('core-regtest-A', 'snapshots', snap.file));
  assert.equal(loaded.coinsLoaded, snap.coins_written);

  // Both hashes after every block, as Core's gettxoutsetinfo reported them.
  const expect = async (core: CoreStats) => {
    assert.equal(m.active.tip.key, core.hash, `tip at height ${core.height}`);
    await m.active.flush(true);
    const s = await computeChainstateStats(m.active.db, { muhash: true, threads: 0 });
    assert.equal(hashToHex(s.hashSerialized3), core.hash_serialized_3, `hash_serialized_3 at ${core.height}`);
    assert.equal(s.txouts, core.txouts);
    assert.equal(hashToHex(s.muhash!), core.muhash, `muhash at ${core.height}`);
  };
  await expect(chain.main_chain[300]);
  for (let h = 301; h <= 338; h++) {
    await m.processBlock(blocks[h]);
    await expect(chain.main_chain[h]);
  }
  // The stale branch arrives first and becomes the tip; the main chain's equal-work blocks do not displace it.
  await m.processBlock(staleAt(339));
  await expect(chain.stale.find((s) => s.height === 339)!);
  await m.processBlock(staleAt(340));
  await expect(chain.stale.find((s) => s.height === 340)!);
  await m.processBlock(blocks[339]);
  await m.processBlock(blocks[340]);
  assert.equal(m.active.tip.key, chain.stale.find((s) => s.height === 340)!.hash);
  // One more block on the main chain: reorganise.
  for (let h = 341; h <= 400; h++) {
    await m.processBlock(blocks[h]);
    await expect(chain.main_chain[h]);
  }

  // Rollback dumps while the snapshot is still unvalidated: byte-identical to Core's files.
  for (const s of chain.snapshots.filter((x) => x.base_height > 300)) {
    const out = path.join(datadir, `dump-${s.base_height}.dat`);
    const r = s.base_height === 400 ? await m.dumpTxoutSet(out, 'latest') : await m.dumpTxoutSet(out, 'rollback', s.base_height);
    assert.deepEqual([r.base_height, r.base_hash, r.coins_written, r.txoutset_hash, r.nchaintx], [s.base_height, s.base_hash, s.coins_written, s.txoutset_hash, s.nchaintx]);
    assert.equal(createHash('sha256').update(readFileSync(out)).digest('hex'), s.sha256, `${s.file} byte-identical`);
  }
  assert.equal(m.active.tip.height, 400, 'dumps leave the active chain alone');

  // The history: the background chainstate connects 1..300 (ignoring the stale 199/200) and checks the hash.
  await m.processBlock(staleAt(199));
  for (let h = 1; h <= 300; h++) await m.processBlock(blocks[h]);
  await m.backgroundIdle();
  assert.equal(m.validity, 'validated');
  await m.close();

  m = await ChainstateManager.open({ datadir, params, background: 'in-process', now: far });
  assert.deepEqual(m.chainstates().map((c) => [c.role, c.tip.height]), [['normal', 400]]);
  await expect(chain.main_chain[400]);
  await m.close();
});
