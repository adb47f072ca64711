/**
 * invalidateblock, reconsiderblock and preciousblock while a snapshot chainstate is active (Core's h200
 * snapshot, Core's regtest parameters): above the base they work as on a normal chain; at or below the base
 * they are refused and change nothing (Core would disconnect down to the base, then fail for want of undo
 * data); a stale branch below the base can be marked invalid. Background validation still completes. Also
 * the reads the RPC layer uses (getCoin, readRawBlock), the periodic flush and the dump's progress.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { after, test } from 'node:test';
import { buildH200Chain } from '../../contrib/chaingen/spec-chains.js';
import { getChainParams } from '../../src/consensus/params.js';
import { hashToHex } from '../../src/primitives/hash.js';
import { txid } from '../../src/primitives/transaction.js';
import { ChainstateManager } from '../../src/chain/chainstate-manager.js';
import type { DumpPhase } from '../../src/chain/dump.js';
import { computeChainstateStats } from '../../src/coins/coins-stats.js';
import { scratchDir } from '../helpers.js';
import { branch } from './fixtures/forks.js';

const params = getChainParams('regtest');
const SNAPSHOT = path.resolve('snapshots/regtest-h200.dat');
const skip = existsSync(SNAPSHOT) ? false : 'no snapshots/regtest-h200.dat';
const far = () => 2_000_000_000;
const chain = buildH200Chain(215);
const block = (h: number) => chain.blocks[h - 1];

const open = new Set<ChainstateManager>();
after(async () => {
  for (const m of open) await m.close().catch(() => {});
});

for (const background of ['in-process', 'worker'] as const) {
  test(`snapshot active (${background}): overrides above the base work, at or below it are refused`, { skip }, async () => {
    const datadir = scratchDir('chainsnap-overrides-snap-');
    const m = await ChainstateManager.open({ datadir, params, background, now: far });
    open.add(m);
    const at = (h: number) => m.storage.index.get(block(h).hash)!;
    for (const b of chain.blocks) m.processHeader(b.block.header);
    await m.loadSnapshot(SNAPSHOT);
    for (const b of chain.blocks.slice(200)) await m.processBlock(b.bytes);
    assert.equal(m.active.tip, at(215));
    await m.flush();
    const at215 = hashToHex((await computeChainstateStats(m.active.db)).hashSerialized3);

    await m.invalidateBlock(at(205));
    assert.equal(m.active.tip, at(204));
    assert.equal(m.storage.index.bestHeader, at(204));
    await m.reconsiderBlock(at(205));
    assert.equal(m.active.tip, at(215));

    // Down to the base itself is possible: the blocks above it have undo data.
    await m.invalidateBlock(at(201));
    assert.equal(m.active.tip, at(200));
    await m.reconsiderBlock(at(201));
    assert.equal(m.active.tip, at(215));

    for (const h of [200, 150, 1]) {
      await assert.rejects(m.invalidateBlock(at(h)), { name: 'ChainOverrideError', message: new RegExp(`at or below the snapshot base block ${hashToHex(block(200).hash)}`) });
      assert.equal(m.active.tip, at(215));
      assert.equal(at(h).status.failure, undefined);
    }
    await m.flush();
    assert.equal(hashToHex((await computeChainstateStats(m.active.db)).hashSerialized3), at215);

    // Two equal-work tips above the base: 211'-215' on 210.
    const fork = branch(block(210), 211, 5, 4000);
    for (const b of fork) await m.processBlock(b.bytes);
    assert.equal(m.active.tip, at(215));
    const forkTip = m.storage.index.get(fork[4].hash)!;
    await m.preciousBlock(forkTip);
    assert.equal(m.active.tip, forkTip);
    await m.preciousBlock(at(215));
    assert.equal(m.active.tip, at(215));
    await m.invalidateBlock(at(211));
    assert.equal(m.active.tip, forkTip, 'invalidating one branch moves to the other');
    await m.reconsiderBlock(at(211));
    assert.equal(m.active.tip, at(215), 'equal work: the latest precious block ranks first');

    // A stale branch below the base is not on the snapshot chain: it can be marked invalid.
    const stale = branch(block(99), 100, 2, 4000);
    for (const b of stale) await m.processBlock(b.bytes);
    await m.invalidateBlock(m.storage.index.get(stale[0].hash)!);
    assert.equal(m.storage.index.get(stale[1].hash)!.status.failure, 'failed-ancestor');
    assert.equal(m.active.tip, at(215));

    // The reads gettxout and getblock use. Coins at or below the base are in the database only: reading
    // one does not fill the cache.
    const cb100 = txid(block(100).block.txs[0]);
    const cached = m.active.cache.size;
    assert.deepEqual(m.getCoin(cb100, 0), { height: 100, coinbase: true, value: block(100).block.txs[0].outputs[0].value, script: block(100).block.txs[0].outputs[0].script });
    assert.equal(m.active.cache.size, cached);
    assert.equal(m.getCoin(cb100, 1), undefined);
    assert.equal(m.getCoin(txid(block(212).block.txs[0]), 0)?.height, 212);
    assert.ok(Buffer.from(await m.readRawBlock(forkTip)).equals(fork[4].bytes));
    assert.equal((await m.readUndo(forkTip)).length, 0, 'a coinbase-only block spends nothing');
    await assert.rejects(m.readRawBlock(at(100)), /not stored/);

    // Background validation completes, with the base's ancestors untouched by the refusals.
    for (const b of chain.blocks.slice(0, 200)) await m.processBlock(b.bytes);
    await m.backgroundIdle();
    assert.equal(m.validity, 'validated');
    open.delete(m);
    await m.close();
  });
}

test('dumptxoutset reports progress: writing for latest; copying, rolling back and writing for a rollback', { skip }, async () => {
  const datadir = scratchDir('chainsnap-dump-progress-');
  const m = await ChainstateManager.open({ datadir, params, background: 'in-process', now: far });
  open.add(m);
  for (const b of chain.blocks) await m.processBlock(b.bytes);
  const seen: Array<[number, number, DumpPhase]> = [];
  const latest = await m.dumpTxoutSet(path.join(datadir, 'latest.dat'), 'latest', undefined, (d, t, p) => seen.push([d, t, p]));
  assert.deepEqual(seen, [[215, 215, 'writing']]);
  assert.equal(latest.coins_written, 215);

  seen.length = 0;
  const rolled = await m.dumpTxoutSet(path.join(datadir, 'rolled.dat'), 'rollback', 200, (d, t, p) => seen.push([d, t, p]));
  assert.deepEqual(seen, [[215, 215, 'copying'], ...Array.from({ length: 15 }, (_, i): [number, number, DumpPhase] => [i + 1, 15, 'rolling-back']), [200, 200, 'writing']]);
  assert.ok(readFileSync(rolled.path).equals(readFileSync(SNAPSHOT)));
  open.delete(m);
  await m.close();
});
