/**
 * A coins flush cut into partial batches (Core's -dbbatchsize) and interrupted: a child process is killed
 * after some partial batches, the database holds 'H' = [new tip, old tip] and a mix of both states, and the
 * next start replays the blocks (Core's ReplayBlocks) and ends at the new tip with the reference UTXO hash.
 * Forward-only flushes (the first flush of a database, and one from an earlier tip) and one that includes a
 * reorganisation (the stale branch's blocks are rolled back with their undo data).
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import pino from 'pino';
import { getChainParams } from '../../src/consensus/params.js';
import { hashToHex } from '../../src/primitives/hash.js';
import { ChainstateManager } from '../../src/chain/chainstate-manager.js';
import { chainstateDir } from '../../src/chain/chainstate-dirs.js';
import { CoinsDB } from '../../src/coins/coins-db.js';
import { computeChainstateStats } from '../../src/coins/coins-stats.js';
import { replayChain } from './fixtures/replay-chain.js';
import { scratchDir } from '../helpers.js';

const RUNNER = fileURLToPath(new URL('./fixtures/replay-runner.js', import.meta.url));
const params = getChainParams('regtest');
const rich = replayChain();
const tip = rich.blocks[rich.blocks.length - 1];
const reference = hashToHex(rich.utxo.stats().hashSerialized3);
const ZERO = '00'.repeat(32);

function run(datadir: string, crashAfter: number, ...parts: string[]): void {
  const r = spawnSync(process.execPath, [RUNNER, datadir, String(crashAfter), ...parts], { encoding: 'utf8', timeout: 300_000 });
  if (crashAfter === 0) {
    assert.equal(r.status, 0, `runner failed: ${r.stderr}`);
    assert.match(r.stdout, /closed/);
  } else {
    assert.equal(r.signal, 'SIGKILL', `the runner should have died in its flush: ${r.status} ${r.stdout} ${r.stderr}`);
    assert.match(r.stderr, /Simulating a crash\. Goodbye\./);
    assert.doesNotMatch(r.stdout, /closed/);
  }
}

/** The interrupted state on disk: no best block, 'H' = [new, old]. */
async function headsOf(datadir: string): Promise<string[]> {
  const db = await CoinsDB.open(chainstateDir(datadir), { readOnly: true });
  try {
    assert.equal(db.bestBlock(), undefined, 'an interrupted flush has erased the best block');
    return db.headBlocks().map(hashToHex);
  } finally {
    await db.close();
  }
}

async function reopenAndCheck(datadir: string): Promise<string[]> {
  const lines: string[] = [];
  const log = pino({ level: 'info' }, { write: (s: string) => void lines.push(JSON.parse(s).msg) });
  const m = await ChainstateManager.open({ datadir, params, background: 'in-process', now: () => 2_000_000_000, log });
  try {
    assert.equal(m.active.tip.key, hashToHex(tip.hash), 'replayed to the new tip');
  } finally {
    await m.close();
  }
  const db = await CoinsDB.open(chainstateDir(datadir), { readOnly: true });
  try {
    assert.deepEqual(db.headBlocks(), []);
    assert.equal(hashToHex(db.bestBlock()!), hashToHex(tip.hash));
    assert.equal(hashToHex((await computeChainstateStats(db, { threads: 0 })).hashSerialized3), reference);
  } finally {
    await db.close();
  }
  return lines;
}

test('the first flush of a database, interrupted: replayed forward from genesis', async () => {
  const datadir = scratchDir('chainsnap-replay-first-');
  run(datadir, 4, `best:1-${tip.height}`);
  assert.deepEqual(await headsOf(datadir), [hashToHex(tip.hash), ZERO]);
  const log = await reopenAndCheck(datadir);
  assert.ok(log.includes('Replaying blocks'));
  assert.ok(log.includes(`Rolling forward to ${hashToHex(tip.hash)} (0 to ${tip.height})`), log.join('\n'));
});

test('a forward flush from an earlier tip, interrupted: rolled forward to the new tip', async () => {
  const datadir = scratchDir('chainsnap-replay-forward-');
  const mid = rich.blocks[104];
  run(datadir, 0, `best:1-${mid.height}`);
  run(datadir, 2, `best:${mid.height + 1}-${tip.height}`);
  assert.deepEqual(await headsOf(datadir), [hashToHex(tip.hash), hashToHex(mid.hash)]);
  const log = await reopenAndCheck(datadir);
  assert.ok(log.includes(`Rolling forward to ${hashToHex(tip.hash)} (${mid.height} to ${tip.height})`), log.join('\n'));
  assert.ok(!log.some((l) => l.startsWith('Rolling back')));
});

test('a flush that includes a reorganisation, interrupted: the stale branch rolled back, the best one forward', async () => {
  const datadir = scratchDir('chainsnap-replay-reorg-');
  const stale = rich.staleBlocks[rich.staleBlocks.length - 1];
  run(datadir, 0, `best:1-${rich.forkHeight}`, 'stale');
  run(datadir, 2, `best:${rich.forkHeight + 1}-${tip.height}`);
  assert.deepEqual(await headsOf(datadir), [hashToHex(tip.hash), hashToHex(stale.hash)]);
  const log = await reopenAndCheck(datadir);
  const fork = hashToHex(rich.blocks[rich.forkHeight - 1].hash);
  assert.ok(log.includes(`Rolling back from ${hashToHex(stale.hash)} (${stale.height} to ${rich.forkHeight})`), log.join('\n'));
  assert.ok(log.includes(`Rolled back to ${fork}`));
  assert.ok(log.includes(`Rolling forward to ${hashToHex(tip.hash)} (${rich.forkHeight} to ${tip.height})`));
});

test('an interrupted flush whose new tip the block index does not know: Core\'s replay failure', async () => {
  const datadir = scratchDir('chainsnap-replay-unknown-');
  run(datadir, 3, `best:1-${tip.height}`);
  // The same database under a datadir whose block index is fresh (genesis only).
  const other = scratchDir('chainsnap-replay-unknown-b-');
  const { cpSync } = await import('node:fs');
  cpSync(chainstateDir(datadir), chainstateDir(other), { recursive: true });
  await assert.rejects(
    ChainstateManager.open({ datadir: other, params, background: 'in-process', now: () => 2_000_000_000 }),
    /Unable to replay blocks\. You will need to rebuild the database using -reindex-chainstate\./,
  );
});
