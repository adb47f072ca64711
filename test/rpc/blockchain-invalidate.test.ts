/**
 * invalidateblock, reconsiderblock and preciousblock as RPC methods: Core's argument errors and codes, null
 * results, and the chain moving as rpc_invalidateblock.py expects, on a real ChainstateManager. The node's
 * context is reduced to what these methods use, with a real queue for `exclusive`.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { after, test } from 'node:test';
import { pino } from 'pino';
import { buildH200Chain } from '../../contrib/chaingen/spec-chains.js';
import { getChainParams } from '../../src/consensus/params.js';
import { hashToHex } from '../../src/primitives/hash.js';
import { ChainstateManager } from '../../src/chain/chainstate-manager.js';
import { SerialQueue } from '../../src/chain/serial-queue.js';
import type { RpcContext } from '../../src/rpc/context.js';
import { invalidateMethods } from '../../src/rpc/blockchain-invalidate.js';
import type { RpcMethod } from '../../src/rpc/method.js';
import { Operations } from '../../src/rpc/operations.js';
import { scratchDir } from '../helpers.js';
import { branch } from '../chain/fixtures/forks.js';

const params = getChainParams('regtest');
const far = () => 2_000_000_000;
const SNAPSHOT = path.resolve('snapshots/regtest-h200.dat');
const open = new Set<ChainstateManager>();
after(async () => {
  for (const m of open) await m.close().catch(() => {});
});

function contextFor(manager: ChainstateManager, datadir: string): RpcContext {
  const queue = new SerialQueue();
  return {
    manager,
    params,
    networkDir: datadir,
    log: pino({ level: 'silent' }),
    startTime: 0,
    now: () => Math.floor(Date.now() / 1000),
    mockTime: 0,
    networkActive: true,
    exclusive: (fn) => queue.run(fn),
    operations: new Operations(),
    methods: new Map(invalidateMethods.map((m) => [m.name, m])),
    activeCommands: () => [],
    logPath: path.join(datadir, 'debug.log'),
    logging: { categories: () => ({}), update: () => {} },
    requestShutdown: () => {},
  };
}

const method = (name: string): RpcMethod => invalidateMethods.find((m) => m.name === name)!;
const call = (ctx: RpcContext, name: string, ...params: unknown[]) => Promise.resolve(method(name).handler(params, ctx));

test('the three methods: Core names, one required hex argument', () => {
  assert.deepEqual(invalidateMethods.map((m) => [m.name, m.category, m.args.map((a) => [a.name, a.type, a.optional ?? false])]), [
    ['invalidateblock', 'blockchain', [['blockhash', 'hex', false]]],
    ['reconsiderblock', 'blockchain', [['blockhash', 'hex', false]]],
    ['preciousblock', 'blockchain', [['blockhash', 'hex', false]]],
  ]);
});

test('invalidateblock / reconsiderblock / preciousblock over a real chain, with Core\'s errors', async () => {
  const datadir = scratchDir('chainsnap-rpc-invalidate-');
  const m = await ChainstateManager.open({ datadir, params, background: 'in-process', now: far });
  open.add(m);
  const ctx = contextFor(m, datadir);
  const a = branch(undefined, 1, 4, 10);
  const b = branch(undefined, 1, 6, 20);
  for (const x of [...a, ...b]) await m.processBlock(x.bytes);
  const hex = (x: { hash: Uint8Array }) => hashToHex(x.hash);
  assert.equal(m.active.tip.key, hex(b[5]));

  for (const name of ['invalidateblock', 'reconsiderblock', 'preciousblock']) {
    await assert.rejects(call(ctx, name, '00'.repeat(32)), { name: 'RpcError', code: -5, message: 'Block not found' });
    await assert.rejects(call(ctx, name, 'abc'), { code: -8, message: "blockhash must be of length 64 (not 3, for 'abc')" });
    await assert.rejects(call(ctx, name, 'zz'.repeat(32)), { code: -8, message: `blockhash must be hexadecimal string (not '${'zz'.repeat(32)}')` });
  }
  assert.equal(m.active.tip.key, hex(b[5]));

  assert.equal(await call(ctx, 'invalidateblock', hex(b[1]).toUpperCase()), null);
  assert.equal(m.active.tip.key, hex(a[3]));
  assert.equal(await call(ctx, 'reconsiderblock', hex(b[5])), null);
  assert.equal(m.active.tip.key, hex(b[5]));
  // Equal work on a: precious switches to it.
  const [a5, a6] = branch(a[3], 5, 2, 10);
  for (const x of [a5, a6]) await m.processBlock(x.bytes);
  assert.equal(m.active.tip.key, hex(b[5]));
  assert.equal(await call(ctx, 'preciousblock', hex(a6)), null);
  assert.equal(m.active.tip.key, hex(a6));
  assert.equal(await call(ctx, 'invalidateblock', params.genesisHash), null, 'genesis: nothing happens, no error');
  assert.equal(m.active.tip.key, hex(a6));
  open.delete(m);
  await m.close();
});

test('invalidateblock below an active snapshot\'s base: RPC_DATABASE_ERROR, nothing changes', { skip: existsSync(SNAPSHOT) ? false : 'no snapshots/regtest-h200.dat' }, async () => {
  const datadir = scratchDir('chainsnap-rpc-invalidate-snap-');
  const m = await ChainstateManager.open({ datadir, params, background: 'in-process', now: far });
  open.add(m);
  const ctx = contextFor(m, datadir);
  const chain = buildH200Chain(202);
  for (const x of chain.blocks) m.processHeader(x.block.header);
  await m.loadSnapshot(SNAPSHOT);
  for (const x of chain.blocks.slice(200)) await m.processBlock(x.bytes);
  const base = hashToHex(chain.blocks[199].hash);
  await assert.rejects(call(ctx, 'invalidateblock', hashToHex(chain.blocks[150].hash)), {
    code: -20,
    message: new RegExp(`^Block ${hashToHex(chain.blocks[150].hash)} \\(height 151\\) is at or below the snapshot base block ${base} \\(height 200\\)`),
  });
  assert.equal(m.active.tip.height, 202);
  assert.equal(await call(ctx, 'invalidateblock', hashToHex(chain.blocks[200].hash)), null);
  assert.equal(m.active.tip.key, base);
  open.delete(m);
  await m.close();
});
