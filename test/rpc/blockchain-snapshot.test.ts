/**
 * loadtxoutset, getchainstates, getprogress, dumptxoutset and the block methods around a snapshot, on Core's
 * h200 regtest chain (contrib/chaingen builds it byte for byte) with the shipped snapshot.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { buildH200Chain } from '../../contrib/chaingen/spec-chains.js';
import { ChainstateManager } from '../../src/chain/chainstate-manager.js';
import { getChainParams } from '../../src/consensus/params.js';
import { scratchDir } from '../helpers.js';
import { testContext } from './context.js';

const params = getChainParams('regtest');
const SNAPSHOT = path.resolve('snapshots/regtest-h200.dat');
const far = () => 2_000_000_000;

async function until(cond: () => Promise<boolean> | boolean): Promise<void> {
  while (!(await cond())) await new Promise((r) => setImmediate(r));
}

test('h200: load without waiting, poll, two chainstates, dump errors and rollback, validation', { skip: existsSync(SNAPSHOT) ? false : 'no snapshots/regtest-h200.dat' }, async () => {
  const chain = buildH200Chain(215);
  const datadir = scratchDir();
  const m = await ChainstateManager.open({ datadir, params, background: 'in-process', now: far });
  try {
    for (const b of chain.blocks) m.processHeader(b.block.header);
    const ctx = testContext(m, datadir);

    // Core's errors before anything loads.
    await ctx.rejects(-8, `Couldn't open file ${path.join(datadir, 'nope.dat')} for reading.`, 'loadtxoutset', 'nope.dat');
    writeFileSync(path.join(datadir, 'junk.dat'), 'not a snapshot at all, but long enough for a whole header.......');
    await ctx.rejects(-22, /^Unable to parse metadata: Invalid UTXO set snapshot magic bytes\. .*: iostream error$/, 'loadtxoutset', 'junk.dat');

    // Start the load and return at once; the read-only methods answer while it runs.
    const started = (await ctx.call('loadtxoutset', SNAPSHOT, false)) as { operation: number };
    assert.deepEqual(Object.keys(started), ['operation']);
    const during = (await ctx.call('getchainstates')) as { headers: number; chainstates: unknown[] };
    assert.equal(during.headers, 215);
    assert.equal(await ctx.call('getblockcount'), 0);
    await until(async () => ((await ctx.call('getprogress', started.operation)) as { state: string }).state !== 'running');
    const op = (await ctx.call('getprogress', started.operation)) as Record<string, unknown>;
    assert.equal(op.state, 'done', JSON.stringify(op));
    assert.deepEqual([op.kind, op.target, op.done, op.total, op.unit, op.progress], ['loadtxoutset', SNAPSHOT, 200, 200, 'coins', 1]);
    assert.deepEqual(op.result, {
      coins_loaded: 200,
      tip_hash: m.active.tip.key,
      base_height: 200,
      path: SNAPSHOT,
    });
    await ctx.rejects(-8, 'No operation with id 99', 'getprogress', 99);

    // Two chainstates: the background one first, at genesis; the snapshot one active and not validated.
    const states = (await ctx.call('getchainstates')) as { headers: number; chainstates: Record<string, unknown>[] };
    assert.equal(states.chainstates.length, 2);
    assert.deepEqual(Object.keys(states.chainstates[1]), [
      'blocks', 'bestblockhash', 'bits', 'target', 'difficulty', 'verificationprogress', 'coins_db_cache_bytes', 'coins_tip_cache_bytes', 'snapshot_blockhash', 'validated',
    ]);
    assert.deepEqual([states.chainstates[0].blocks, states.chainstates[0].validated, states.chainstates[0].snapshot_blockhash], [0, true, undefined]);
    assert.deepEqual([states.chainstates[1].blocks, states.chainstates[1].validated, states.chainstates[1].snapshot_blockhash], [200, false, m.active.tip.key]);
    assert.equal(states.chainstates[1].bits, '207fffff');
    assert.equal(states.chainstates[1].target, '7fffff0000000000000000000000000000000000000000000000000000000000');
    assert.equal(states.chainstates[1].difficulty, 4.656542373906925e-10);

    const info = (await ctx.call('getblockchaininfo')) as Record<string, unknown>;
    assert.deepEqual(info.backgroundvalidation, {
      snapshotheight: 200,
      blocks: 0,
      bestblockhash: params.genesisHash,
      mediantime: params.genesis.header.time,
      chainwork: '0000000000000000000000000000000000000000000000000000000000000002',
      verificationprogress: 1 / 201,
    });
    const progress = (await ctx.call('getprogress')) as { backgroundvalidation: Record<string, unknown> };
    assert.deepEqual([progress.backgroundvalidation.height, progress.backgroundvalidation.base], [0, 200]);

    // Below the base the blocks were never downloaded.
    await ctx.rejects(-1, 'Block not available (not fully downloaded)', 'getblock', await ctx.call('getblockhash', 100));
    const header100 = (await ctx.call('getblockheader', await ctx.call('getblockhash', 100))) as Record<string, unknown>;
    assert.deepEqual([header100.height, header100.confirmations, header100.nTx], [100, 101, 0]);

    await ctx.rejects(-32603, `Unable to load UTXO snapshot: Can't activate a snapshot-based chainstate more than once. (${SNAPSHOT})`, 'loadtxoutset', SNAPSHOT);

    for (const b of chain.blocks.slice(200)) await m.processBlock(b.bytes);
    assert.equal(await ctx.call('getblockcount'), 215);

    // dumptxoutset: Core's argument errors.
    await ctx.rejects(-8, 'Invalid snapshot type "bogus" specified. Please specify "rollback" or "latest"', 'dumptxoutset', 'x.dat', 'bogus');
    await ctx.rejects(-8, 'Invalid snapshot type "latest" specified with rollback option', 'dumptxoutset', 'x.dat', 'latest', { rollback: 200 });
    await ctx.rejects(-8, 'Target block height -1 is negative', 'dumptxoutset', 'x.dat', '', { rollback: -1 });
    await ctx.rejects(-8, 'Target block height 216 after current tip 215', 'dumptxoutset', 'x.dat', 'rollback', { rollback: 216 });
    await ctx.rejects(-8, "hash_or_height must be of length 64 (not 3, for 'abc')", 'dumptxoutset', 'x.dat', '', { rollback: 'abc' });
    await ctx.rejects(-5, 'Block not found', 'dumptxoutset', 'x.dat', '', { rollback: '00'.repeat(32) });
    await ctx.rejects(-8, `${SNAPSHOT} already exists. If you are sure this is what you want, move it out of the way first`, 'dumptxoutset', SNAPSHOT, 'latest');
    const invalid = path.join(datadir, 'invalid', 'path');
    await ctx.rejects(-8, `Couldn't open file ${invalid}.incomplete for writing.`, 'dumptxoutset', invalid, 'latest');

    // A rollback to the base reproduces Core's file; relative paths are under the network directory.
    const dumped = (await ctx.call('dumptxoutset', 'h200.dat', '', { rollback: 200 })) as Record<string, unknown>;
    assert.deepEqual(Object.keys(dumped), ['coins_written', 'base_hash', 'base_height', 'path', 'txoutset_hash', 'nchaintx']);
    assert.deepEqual([dumped.coins_written, dumped.base_height, dumped.path, dumped.nchaintx], [200, 200, path.join(datadir, 'h200.dat'), 201]);
    assert.ok(readFileSync(path.join(datadir, 'h200.dat')).equals(readFileSync(SNAPSHOT)));
    assert.equal(ctx.networkActive, true);
    const latest = (await ctx.call('dumptxoutset', 'tip.dat', 'latest')) as Record<string, unknown>;
    assert.deepEqual([latest.base_height, latest.coins_written], [215, 215]);

    // rpc_dumptxoutset.py's check: without the rev file the rollback fails, and the network comes back as it was.
    const rev = path.join(datadir, 'blocks', 'rev00000.dat');
    for (const active of [true, false]) {
      ctx.networkActive = active;
      renameSync(rev, `${rev}.bogus`);
      try {
        await ctx.rejects(-1, 'Could not roll back to requested height.', 'dumptxoutset', 'utxos.dat', '', { rollback: 205 });
      } finally {
        renameSync(`${rev}.bogus`, rev);
      }
      assert.equal(ctx.networkActive, active);
      assert.ok(!existsSync(path.join(datadir, 'utxos.dat.incomplete')));
    }
    ctx.networkActive = true;
    const ops = ((await ctx.call('getprogress')) as { operations: Record<string, unknown>[] }).operations;
    assert.deepEqual(ops.slice(0, 2).map((o) => [o.kind, o.state]), [['loadtxoutset', 'done'], ['loadtxoutset', 'failed']]);
    const dumps = ops.filter((o) => o.kind === 'dumptxoutset');
    assert.equal(dumps.filter((o) => o.state === 'done').length, 2);
    assert.deepEqual(dumps.at(-1)!.error, { code: -1, message: 'Could not roll back to requested height.' });

    // The history arrives; background validation ends and the snapshot chainstate is validated.
    for (const b of chain.blocks.slice(0, 200)) await m.processBlock(b.bytes);
    await m.backgroundIdle();
    const after = (await ctx.call('getchainstates')) as { chainstates: Record<string, unknown>[] };
    assert.deepEqual(after.chainstates.map((c) => [c.blocks, c.validated, c.snapshot_blockhash !== undefined]), [[215, true, true]]);
    const done = (await ctx.call('getblockchaininfo')) as Record<string, unknown>;
    assert.equal(done.backgroundvalidation, undefined);
    assert.equal(((await ctx.call('getprogress')) as Record<string, unknown>).backgroundvalidation, undefined);
  } finally {
    await m.close();
  }
});

test('h200: a blocking load answers as Core does; getprogress and getchainstates answer meanwhile', { skip: existsSync(SNAPSHOT) ? false : 'no snapshots/regtest-h200.dat' }, async () => {
  const chain = buildH200Chain(200);
  const datadir = scratchDir();
  const m = await ChainstateManager.open({ datadir, params, background: 'in-process', now: far });
  try {
    for (const b of chain.blocks) m.processHeader(b.block.header);
    const ctx = testContext(m, datadir);
    // Relative to the network directory, as Core's AbsPathForConfigVal.
    const copy = path.join(datadir, 'utxo.dat');
    writeFileSync(copy, readFileSync(SNAPSHOT));
    const load = ctx.call('loadtxoutset', 'utxo.dat');
    const progress = (await ctx.call('getprogress')) as { operations: Record<string, unknown>[] };
    assert.deepEqual(progress.operations.map((o) => [o.kind, o.target, o.total]), [['loadtxoutset', copy, 200]]);
    assert.equal(((await ctx.call('getchainstates')) as { headers: number }).headers, 200);
    assert.deepEqual(await load, { coins_loaded: 200, tip_hash: m.snapshotBase!.key, base_height: 200, path: copy });
    assert.equal(await ctx.call('getbestblockhash'), m.snapshotBase!.key);
  } finally {
    await m.close();
  }
});
