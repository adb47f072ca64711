/**
 * A snapshot that was trusted but is wrong (spec assumeutxo.md §7 "Completion" mismatch, "Restart"): the h200
 * recipe chain to 270, a snapshot of its UTXO set at 250 with one coin's value changed, and a trusted regtest
 * entry (250 has no built-in entry) carrying that tampered file's own hash. The load succeeds; background
 * validation computes the real hash at 250 and disagrees: the snapshot chainstate is set aside as
 * `chainstate_snapshot_INVALID`, the normal chainstate is active again at 250, the node is stopped with Core's
 * fatal message, a restart is refused with Core's message, and `resetSnapshot` recovers into a normal node
 * whose UTXO set matches the reference. Also: `base_blockhash` naming an unknown block, and a snapshot
 * directory without `base_blockhash`.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, test } from 'node:test';
import { writeSnapshotOf } from '../../contrib/chaingen/snapshot.js';
import { buildH200Chain } from '../../contrib/chaingen/spec-chains.js';
import { getChainParams, type ChainParams } from '../../src/consensus/params.js';
import { hashToHex } from '../../src/primitives/hash.js';
import { txid } from '../../src/primitives/transaction.js';
import { ChainstateManager, FatalError, StartupError } from '../../src/chain/chainstate-manager.js';
import { computeChainstateStats } from '../../src/coins/coins-stats.js';
import { MemoryUtxoSet } from '../../src/coins/memory-utxo-set.js';
import { scratchDir } from '../helpers.js';

const far = () => 2_000_000_000;
const TIP = 270;
const BASE = 250;
const SYNCED = 260;
const chain = buildH200Chain(TIP);
const hashAt = (h: number) => hashToHex(chain.blocks[h - 1].hash);
const MSG_FAILED_AT_STARTUP = 'UTXO snapshot failed to validate. Restart to resume normal initial block download, or try loading a different snapshot.';
const SNAPSHOT = path.resolve('snapshots/regtest-h200.dat');

/** The UTXO set at BASE with the coinbase of block 10 paying 49 BTC instead of 50: well-formed, just wrong. */
function tamperedSnapshot(dir: string): { file: string; params: ChainParams; realHash: string; tamperedHash: string } {
  const utxo = new MemoryUtxoSet();
  for (const b of chain.blocks.slice(0, BASE)) utxo.applyBlock(b.block, b.height);
  const realHash = hashToHex(utxo.stats().hashSerialized3);
  const cb10 = txid(chain.blocks[9].block.txs[0]);
  const coin = utxo.get(cb10, 0)!;
  assert.equal(coin.value, 50e8);
  utxo.add(cb10, 0, { ...coin, value: 49e8 });
  const tamperedHash = hashToHex(utxo.stats().hashSerialized3);
  assert.notEqual(tamperedHash, realHash);
  const file = path.join(dir, 'tampered-250.dat');
  assert.equal(writeSnapshotOf(utxo, file, getChainParams('regtest').messageStart, chain.blocks[BASE - 1].hash), BASE);
  // Regtest's built-in heights are 110, 200 and 299: 250 is free for a trusted entry.
  const params = getChainParams('regtest', { assumeutxo: [`${BASE}:${hashAt(BASE)}:${tamperedHash}:${BASE + 1}`] });
  return { file, params, realHash, tamperedHash };
}

/** Core's fatal message (validation.cpp, MaybeValidateSnapshot's handle_invalid_snapshot), CLIENT_NAME chainsnap. */
function coreFatalMessage(tipHeight: number, baseHeight: number): RegExp {
  const esc = (s: string) => s.replace(/[.*+?^${}()|[\]\\-]/g, '\\$&');
  return new RegExp(
    '^' +
      esc(
        'chainsnap failed to validate the -assumeutxo snapshot state. This indicates a hardware problem, or a bug in the software, or a ' +
          'bad software modification that allowed an invalid snapshot to be loaded. As a result of this, the node will shut down and stop using any ' +
          `state that was built on the snapshot, resetting the chain height from ${tipHeight} to ${baseHeight}. On the next restart, the node will resume syncing from ${baseHeight} ` +
          'without using any snapshot data. Please report this incident to ',
      ) +
      '.+' +
      esc(', including how you obtained the snapshot. The invalid snapshot chainstate will be left on disk in case it is helpful in diagnosing the issue that caused this error.') +
      '$',
  );
}

const live = new Set<ChainstateManager>();
after(async () => {
  for (const m of live) await m.close().catch(() => {});
});

async function open(datadir: string, params: ChainParams, background: 'in-process' | 'worker', resetSnapshot = false): Promise<ChainstateManager> {
  const m = await ChainstateManager.open({ datadir, params, background, now: far, resetSnapshot });
  live.add(m);
  return m;
}

async function close(m: ChainstateManager): Promise<void> {
  live.delete(m);
  await m.close();
}

async function waitFor(what: string, cond: () => boolean, ms = 20_000): Promise<void> {
  const until = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > until) assert.fail(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

const dirs = (datadir: string) => readdirSync(datadir).filter((d) => d.startsWith('chainstate')).sort();

/** Headers to TIP, the tampered load, blocks BASE+1..SYNCED, then the history 1..BASE. */
async function loadAndValidate(datadir: string, background: 'in-process' | 'worker') {
  const t = tamperedSnapshot(datadir);
  const m = await open(datadir, t.params, background);
  for (const b of chain.blocks) m.processHeader(b.block.header);
  const loaded = await m.loadSnapshot(t.file);
  assert.equal(loaded.coinsLoaded, BASE);
  assert.equal(m.active.tip.key, hashAt(BASE));
  assert.equal(m.validity, 'unvalidated');
  for (const b of chain.blocks.slice(BASE, SYNCED)) await m.processBlock(b.bytes);
  assert.equal(m.active.tip.height, SYNCED);
  for (const b of chain.blocks.slice(0, BASE)) await m.processBlock(b.bytes);
  return { m, ...t };
}

for (const background of ['in-process', 'worker'] as const) {
  test(`tampered trusted snapshot (${background}): invalid at completion, fatal, refused at restart, recovered with resetSnapshot`, async () => {
    const datadir = scratchDir('chainsnap-invalid-');
    const { m, params } = await loadAndValidate(datadir, background);
    await m.backgroundIdle();
    await waitFor('the fatal error', () => m.fatal !== undefined);

    assert.equal(m.validity, 'invalid');
    assert.ok(m.fatal instanceof FatalError, 'fatal is a FatalError');
    assert.match(m.fatal.message, coreFatalMessage(SYNCED, BASE));
    assert.ok(m.fatal.message.includes('failed to validate the -assumeutxo snapshot state'));
    assert.ok(m.fatal.message.includes(`resetting the chain height from ${SYNCED} to ${BASE}`));
    assert.deepEqual(dirs(datadir), ['chainstate', 'chainstate_snapshot_INVALID']);
    assert.deepEqual(m.chainstates().map((c) => [c.role, c.tip.key]), [['normal', hashAt(BASE)]]);
    assert.equal(m.active.tip.key, hashAt(BASE));
    // Every later call refuses with the same fatal error.
    await assert.rejects(() => m.processBlock(chain.blocks[SYNCED].bytes), (e) => e === m.fatal);
    await close(m);

    // Restart: refused, and nothing is touched.
    await assert.rejects(
      () => open(datadir, params, background),
      (e) => e instanceof StartupError && e.message === MSG_FAILED_AT_STARTUP,
    );
    assert.deepEqual(dirs(datadir), ['chainstate', 'chainstate_snapshot_INVALID']);

    // resetSnapshot: one normal chainstate, which goes on from 250 without any snapshot data.
    let n = await open(datadir, params, background, true);
    assert.deepEqual(dirs(datadir), ['chainstate']);
    assert.equal(n.validity, 'validated');
    const states = n.chainstates();
    assert.equal(states.length, 1);
    assert.equal(states[0].role, 'normal');
    assert.ok(states[0].tip.height >= BASE && states[0].tip.height <= SYNCED, `normal chainstate at ${states[0].tip.height}`);
    for (const b of chain.blocks.slice(BASE)) await n.processBlock(b.bytes);
    assert.equal(n.active.tip.key, hashAt(TIP));
    await n.active.flush(true);
    const stats = await computeChainstateStats(n.active.db);
    const want = chain.utxo.stats();
    assert.equal(hashToHex(stats.hashSerialized3), hashToHex(want.hashSerialized3), 'UTXO set of the h200 recipe chain at 270');
    assert.equal(stats.txouts, want.txouts);
    await close(n);

    // And it stays a normal node.
    n = await open(datadir, params, background);
    assert.deepEqual(n.chainstates().map((c) => [c.role, c.tip.height]), [['normal', TIP]]);
    await close(n);
  });

  test(`tampered trusted snapshot (${background}): backgroundIdle() resolves only once the mismatch has been handled`, async () => {
    // backgroundIdle's contract (tests and shutdown): the background work queued so far is done. Reaching the
    // base and judging the hash is part of that work; a caller that closes right after must not race it.
    const datadir = scratchDir('chainsnap-invalid-idle-');
    const { m } = await loadAndValidate(datadir, background);
    await m.backgroundIdle();
    assert.equal(m.validity, 'invalid');
    assert.ok(m.fatal instanceof FatalError, 'fatal is set when backgroundIdle() resolves');
    assert.deepEqual(dirs(datadir), ['chainstate', 'chainstate_snapshot_INVALID'], 'the snapshot chainstate is set aside when backgroundIdle() resolves');
    await close(m);
  });
}

test('base_blockhash naming a block without assumeutxo data: Core\'s startup error; without base_blockhash the directory is dropped', async () => {
  const params = getChainParams('regtest');
  const datadir = scratchDir('chainsnap-basehash-');
  let m = await open(datadir, params, 'in-process');
  await close(m);
  const snapDir = path.join(datadir, 'chainstate_snapshot');
  mkdirSync(snapDir);
  // Core's feature_assumeutxo.py writes 'z' * 32.
  writeFileSync(path.join(snapDir, 'base_blockhash'), Buffer.alloc(32, 'z'));
  await assert.rejects(
    () => open(datadir, params, 'in-process'),
    (e) => e instanceof StartupError && e.message === `Assumeutxo data not found for the given blockhash '${'7a'.repeat(32)}'.`,
  );
  assert.ok(existsSync(snapDir), 'the directory is left for the user');
  rmSync(path.join(snapDir, 'base_blockhash'));
  m = await open(datadir, params, 'in-process');
  assert.ok(!existsSync(snapDir), 'a snapshot directory without base_blockhash is an interrupted load, removed');
  assert.deepEqual(m.chainstates().map((c) => c.role), ['normal']);
  await close(m);
});

test('a real snapshot chainstate whose base_blockhash was removed is dropped at startup; loading again works', { skip: existsSync(SNAPSHOT) ? false : 'no snapshots/regtest-h200.dat' }, async () => {
  const params = getChainParams('regtest');
  const datadir = scratchDir('chainsnap-nobase-');
  let m = await open(datadir, params, 'in-process');
  for (const b of chain.blocks.slice(0, 210)) m.processHeader(b.block.header);
  await m.loadSnapshot(SNAPSHOT);
  for (const b of chain.blocks.slice(200, 205)) await m.processBlock(b.bytes);
  assert.equal(m.active.tip.height, 205);
  await close(m);
  rmSync(path.join(datadir, 'chainstate_snapshot', 'base_blockhash'));
  m = await open(datadir, params, 'in-process');
  assert.deepEqual(dirs(datadir), ['chainstate']);
  assert.deepEqual(m.chainstates().map((c) => [c.role, c.tip.height]), [['normal', 0]]);
  const r = await m.loadSnapshot(SNAPSHOT);
  assert.equal(r.coinsLoaded, 200);
  assert.equal(m.active.tip.height, 205, 'the stored blocks above the base are connected again');
  await close(m);
});
