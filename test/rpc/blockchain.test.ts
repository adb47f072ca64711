/**
 * The chain methods over Core's regtest-A chain (../shared/vectors): gettxoutsetinfo equal to Core's at
 * every height checked, reorganisations seen by getchaintips, and getblock / gettxout / getchaintxstats
 * consistent with each other and with the blocks' bytes.
 */
import assert from 'node:assert/strict';
import { readFileSync, renameSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { ChainstateManager } from '../../src/chain/chainstate-manager.js';
import { getChainParams } from '../../src/consensus/params.js';
import { readFramedBlocks } from '../../src/primitives/block.js';
import { toHex } from '../../src/primitives/bytes.js';
import { coreChain, coreTrustedEntries, NO_VECTORS, scratchDir, vector, type CoreStats } from '../helpers.js';
import { testContext, type TestContext } from './context.js';

const far = () => 2_000_000_000;

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

async function expectStats(ctx: TestContext, core: CoreStats): Promise<void> {
  const s = (await ctx.call('gettxoutsetinfo')) as Json;
  assert.deepEqual(Object.keys(s), ['height', 'bestblock', 'txouts', 'bogosize', 'hash_serialized_3', 'total_amount', 'transactions', 'disk_size']);
  assert.deepEqual(
    [s.height, s.bestblock, s.txouts, s.bogosize, s.hash_serialized_3, s.total_amount, s.transactions],
    [core.height, core.hash, core.txouts, core.bogosize, core.hash_serialized_3, core.total_amount, core.transactions],
    `gettxoutsetinfo at ${core.height}`,
  );
  const mu = (await ctx.call('gettxoutsetinfo', 'muhash')) as Json;
  assert.equal(mu.muhash, core.muhash);
  assert.equal(mu.hash_serialized_3, undefined);
  const none = (await ctx.call('gettxoutsetinfo', 'none')) as Json;
  assert.deepEqual(Object.keys(none), ['height', 'bestblock', 'txouts', 'bogosize', 'total_amount', 'transactions', 'disk_size']);
}

test('Core regtest-A through the RPC methods', { skip: NO_VECTORS }, async () => {
  const chain = coreChain();
  const params = getChainParams('regtest', { assumeutxo: coreTrustedEntries() });
  const frames = [...readFramedBlocks(readFileSync(vector('core-regtest-A', 'blocks.dat')), params.messageStart)].map((f) => f.bytes);
  const stale = [...readFramedBlocks(readFileSync(vector('core-regtest-A', 'stale.dat')), params.messageStart)].map((f) => f.bytes);
  const staleAt = (h: number) => stale[chain.stale.findIndex((s) => s.height === h)];
  const datadir = scratchDir();
  const m = await ChainstateManager.open({ datadir, params, background: 'in-process', now: far });
  try {
    const ctx = testContext(m, datadir);
    await expectStats(ctx, chain.main_chain[0]);
    const feed = async (bytes: Uint8Array) => ctx.exclusive(() => m.processBlock(bytes));
    for (let h = 1; h <= 198; h++) {
      await feed(frames[h]);
      if (h === 120) await expectStats(ctx, chain.main_chain[120]);
    }
    // A stale branch first, then the main chain overtakes it (Core's reorganisation at 199/200).
    await feed(staleAt(199));
    await feed(staleAt(200));
    await expectStats(ctx, chain.stale.find((s) => s.height === 200)!);
    for (let h = 199; h <= 338; h++) await feed(frames[h]);
    await feed(staleAt(339));
    await feed(staleAt(340));
    for (let h = 339; h <= 400; h++) await feed(frames[h]);
    await expectStats(ctx, chain.main_chain[400]);

    assert.equal(await ctx.call('getblockcount'), 400);
    assert.equal(await ctx.call('getbestblockhash'), chain.main_chain[400].hash);
    assert.equal(await ctx.call('getblockhash', 0), params.genesisHash);
    assert.equal(await ctx.call('getblockhash', 200), chain.main_chain[200].hash);
    await ctx.rejects(-8, 'Block height out of range', 'getblockhash', 401);
    await ctx.rejects(-8, 'Block height out of range', 'getblockhash', -1);
    await ctx.rejects(-3, 'JSON value of type string is not of expected type number', 'getblockhash', '1');
    await ctx.rejects(-1, 'JSON integer out of range', 'getblockhash', 1.5);

    // Chain tips: the active one and the two stale branches, once connected, now two blocks off the chain.
    const tips = (await ctx.call('getchaintips')) as Json[];
    assert.deepEqual(tips, [
      { height: 400, hash: chain.main_chain[400].hash, branchlen: 0, status: 'active' },
      { height: 340, hash: chain.stale.find((s) => s.height === 340)!.hash, branchlen: 2, status: 'valid-fork' },
      { height: 200, hash: chain.stale.find((s) => s.height === 200)!.hash, branchlen: 2, status: 'valid-fork' },
    ]);

    // Headers and blocks: hex forms are the stored bytes; JSON fields in Core's order.
    const staleHash = chain.stale.find((s) => s.height === 339)!.hash;
    const sh = (await ctx.call('getblockheader', staleHash)) as Json;
    assert.deepEqual([sh.confirmations, sh.nextblockhash], [-1, undefined]);
    await ctx.rejects(-5, 'Block not found', 'getblockheader', '00'.repeat(32));
    await ctx.rejects(-8, "hash must be of length 64 (not 2, for 'ab')", 'getblockheader', 'ab');
    await ctx.rejects(-8, `hash must be hexadecimal string (not '${'zz'.repeat(32)}')`, 'getblockheader', 'zz'.repeat(32));
    await ctx.rejects(-8, "blockhash must be of length 64 (not 2, for 'ab')", 'getblock', 'ab');
    const tipHeader = (await ctx.call('getblockheader', chain.main_chain[400].hash)) as Json;
    assert.deepEqual(Object.keys(tipHeader), [
      'hash', 'confirmations', 'height', 'version', 'versionHex', 'merkleroot', 'time', 'mediantime', 'nonce', 'bits', 'target', 'difficulty', 'chainwork', 'nTx', 'previousblockhash',
    ]);
    assert.equal(tipHeader.chainwork, (400 * 2 + 2).toString(16).padStart(64, '0'));

    // Every block at verbosity 3, checked against the outputs it spends (as earlier blocks reported them).
    const outputs = new Map<string, Json>();
    let spentSeen = 0;
    for (let h = 0; h <= 400; h++) {
      const hash = chain.main_chain[h].hash;
      assert.equal(await ctx.call('getblock', hash, 0), toHex(frames[h]));
      assert.equal(await ctx.call('getblockheader', hash, false), toHex(frames[h].subarray(0, 80)));
      const v1 = (await ctx.call('getblock', hash)) as Json;
      const v3 = (await ctx.call('getblock', hash, 3)) as Json;
      assert.equal(v1.size, frames[h].length);
      assert.equal(v1.confirmations, 401 - h);
      assert.deepEqual(v1.tx, v3.tx.map((t: Json) => t.txid));
      assert.equal(v1.nTx, v3.tx.length);
      for (const [i, tx] of (v3.tx as Json[]).entries()) {
        if (i === 0 || h === 0) {
          assert.ok(tx.vin[0].coinbase !== undefined && tx.fee === undefined);
        } else {
          let inSats = 0;
          for (const vin of tx.vin as Json[]) {
            const spent = outputs.get(`${vin.txid}:${vin.vout}`);
            assert.ok(spent, `block ${h}: input ${vin.txid}:${vin.vout} was created earlier`);
            assert.deepEqual({ value: vin.prevout.value, scriptPubKey: vin.prevout.scriptPubKey }, { value: spent.value, scriptPubKey: spent.scriptPubKey });
            assert.equal(vin.prevout.height, spent.height);
            assert.equal(vin.prevout.generated, spent.generated);
            inSats += Math.round(vin.prevout.value * 1e8);
            spentSeen++;
          }
          const outSats = (tx.vout as Json[]).reduce((s, o) => s + Math.round(o.value * 1e8), 0);
          assert.equal(Math.round(tx.fee * 1e8), inSats - outSats, `fee of ${tx.txid}`);
        }
        for (const out of tx.vout as Json[]) outputs.set(`${tx.txid}:${out.n}`, { value: out.value, scriptPubKey: out.scriptPubKey, height: h, generated: i === 0 });
      }
      if (h === 2) {
        const v2 = (await ctx.call('getblock', hash, 2)) as Json;
        assert.equal(v2.tx[0].vin[0].prevout, undefined);
        assert.equal(await ctx.call('getblock', hash, false), toHex(frames[h]));
      }
    }
    assert.ok(spentSeen > 100, `${spentSeen} inputs checked`);

    // gettxout for every output of the last 20 blocks: present unless spent since; amounts and scripts as getblock's.
    const last = (await ctx.call('gettxoutsetinfo', 'none')) as Json;
    let found = 0;
    for (const [key, out] of outputs) {
      if (out.height <= 380) continue;
      const [txid, n] = key.split(':');
      const got = (await ctx.call('gettxout', txid, Number(n))) as Json | null;
      if (got === null) continue;
      found++;
      assert.deepEqual(got, { bestblock: last.bestblock, confirmations: 401 - out.height, value: out.value, scriptPubKey: out.scriptPubKey, coinbase: out.generated });
    }
    assert.ok(found > 20, `${found} unspent outputs checked`);
    assert.equal(await ctx.call('gettxout', '00'.repeat(32), 0), null);
    await ctx.rejects(-1, 'JSON integer out of range', 'gettxout', '00'.repeat(32), -1);

    const stats = (await ctx.call('getchaintxstats')) as Json;
    assert.deepEqual(Object.keys(stats), ['time', 'txcount', 'window_final_block_hash', 'window_final_block_height', 'window_block_count', 'window_interval', 'window_tx_count', 'txrate']);
    assert.deepEqual([stats.window_final_block_height, stats.window_block_count, stats.txcount], [400, 399, m.active.tip.chainTxCount]);
    const zero = (await ctx.call('getchaintxstats', 0)) as Json;
    assert.deepEqual(Object.keys(zero), ['time', 'txcount', 'window_final_block_hash', 'window_final_block_height', 'window_block_count']);
    await ctx.rejects(-8, "Invalid block count: should be between 0 and the block's height - 1", 'getchaintxstats', 400);
    await ctx.rejects(-8, 'Block is not in main chain', 'getchaintxstats', null, staleHash);

    const info = (await ctx.call('getblockchaininfo')) as Json;
    assert.deepEqual(Object.keys(info), [
      'chain', 'blocks', 'headers', 'bestblockhash', 'bits', 'target', 'difficulty', 'time', 'mediantime', 'verificationprogress', 'initialblockdownload', 'chainwork', 'size_on_disk', 'pruned', 'warnings',
    ]);
    assert.deepEqual([info.chain, info.blocks, info.headers, info.pruned, info.warnings], ['regtest', 400, 400, false, []]);
    assert.ok(info.size_on_disk > frames.reduce((s, f) => s + f.length, 0));
    assert.equal(await ctx.call('getdifficulty'), 4.656542373906925e-10);

    // rpc_blockchain.py: undo data or block files gone from disk.
    const blocksDir = path.join(datadir, 'blocks');
    const moved = async (file: string, check: () => Promise<void>) => {
      renameSync(path.join(blocksDir, file), path.join(blocksDir, `${file}.bak`));
      try {
        await check();
      } finally {
        renameSync(path.join(blocksDir, `${file}.bak`), path.join(blocksDir, file));
      }
    };
    const h10 = chain.main_chain[10].hash;
    const undoMissing = "Undo data expected but can't be read. This could be due to disk corruption or a conflict with a pruning event.";
    await moved('rev00000.dat', async () => {
      await ctx.rejects(-32603, undoMissing, 'getblock', h10, 2);
      await ctx.rejects(-32603, undoMissing, 'getblock', h10, 3);
      assert.equal(((await ctx.call('getblock', h10, 1)) as Json).height, 10);
    });
    await moved('blk00000.dat', () => ctx.rejects(-1, 'Block not found on disk', 'getblock', h10));
    await ctx.rejects(-3, 'JSON value of type string is not of expected type number', 'getblock', h10, '2');
    assert.equal(((await ctx.call('getblock', h10, true)) as Json).tx.length, 1);

    await ctx.rejects(-8, "'bogus' is not a valid hash_type", 'gettxoutsetinfo', 'bogus');
    await ctx.rejects(-8, 'Querying specific block heights requires coinstatsindex', 'gettxoutsetinfo', 'muhash', 100);
  } finally {
    await m.close();
  }
});
