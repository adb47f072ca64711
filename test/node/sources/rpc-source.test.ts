/**
 * --source-rpc against stand-ins for bitcoind (real HTTP servers serving a real chain): a source on another
 * network is refused, the source in use is killed mid-sync and the next one finishes the same chain, new
 * tips are picked up by polling, and a sync resumes when a source comes back after all were down.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { buildH200Chain } from '../../../contrib/chaingen/spec-chains.js';
import { getChainParams } from '../../../src/consensus/params.js';
import { serializeBlock } from '../../../src/primitives/block.js';
import { hashToHex } from '../../../src/primitives/hash.js';
import { ChainstateManager } from '../../../src/chain/chainstate-manager.js';
import { RpcBlockSource } from '../../../src/node/sources/rpc-source.js';
import { scratchDir } from '../../helpers.js';
import { StandinBitcoind } from '../../rpc/standin-bitcoind.js';
import { makeSink, waitFor } from './sink.js';

const params = getChainParams('regtest');
const chain = buildH200Chain(320);
const blocks = [serializeBlock(params.genesis), ...chain.blocks.map((b) => b.bytes)];
// Made at file level: their removal then runs after the tests' own clean-up (engines closed first).
const datadirs = [scratchDir(), scratchDir(), scratchDir()];
const hashAt = (h: number) => hashToHex(chain.blocks[h - 1].hash);

test('failover: the source in use dies mid-sync, the next one completes the same chain; new tips are polled', async (t) => {
  const auth = { user: 'u', password: 'p' };
  const servers: StandinBitcoind[] = [];
  t.after(() => Promise.all(servers.map((s) => s.kill().catch(() => {}))));
  const mainnet = await new StandinBitcoind({ blocks: [serializeBlock(getChainParams('main').genesis)], chain: 'main', ...auth }).listen();
  const a = await new StandinBitcoind({ blocks: blocks.slice(0, 301), ...auth }).listen();
  const b = await new StandinBitcoind({ blocks: blocks.slice(0, 301), ...auth }).listen();
  servers.push(mainnet, a, b);
  let servedByA = 0;
  a.beforeCall = (method) => {
    if (method === 'getblock' && ++servedByA === 60) void a.kill();
  };

  const m = await ChainstateManager.open({ datadir: datadirs[0], params, now: () => 2_000_000_000 });
  const lines: string[] = [];
  const source = new RpcBlockSource(makeSink(m, lines), [mainnet.url, a.url, b.url], { pollMs: 50, concurrency: 4, headersPerBatch: 64 });
  await source.start();
  // Hooks run in the order they were added: stop the source, then close the engine, then the servers.
  t.after(async () => {
    await source.stop();
    await m.close();
  });
  await waitFor(() => m.active.tip.height === 300, 'sync to 300');
  assert.equal(m.active.tip.key, hashAt(300));
  assert.ok(servedByA >= 60, 'the first source served part of the chain before it died');
  assert.ok(lines.some((l) => l.includes(`http://127.0.0.1:${mainnet.port} is on another network`)), lines.join('\n'));
  assert.ok(lines.some((l) => l.includes(`http://127.0.0.1:${a.port} failed`) && l.includes(`switching to http://127.0.0.1:${b.port}`)), lines.join('\n'));
  assert.ok(lines.some((l) => /^\[rpc-source\] http:\/\/127\.0\.0\.1:\d+: chain=regtest tip height=300 hash=[0-9a-f]{64}$/.test(l)));
  assert.equal(source.status().url, `http://127.0.0.1:${b.port}`);

  b.extend(blocks.slice(301, 311));
  await waitFor(() => m.active.tip.height === 310, 'the new tip polled from the source');
  assert.equal(m.active.tip.key, hashAt(310));
  assert.equal(source.status().tipHeight, 310);
  assert.equal(source.status().blocksReceived >= 310, true);
});

test('all sources down: the sync waits, and resumes when one comes back', async (t) => {
  const a = await new StandinBitcoind({ blocks: blocks.slice(0, 101), user: 'u', password: 'p' }).listen();
  const port = a.port;
  const m = await ChainstateManager.open({ datadir: datadirs[1], params, now: () => 2_000_000_000 });
  const source = new RpcBlockSource(makeSink(m), [a.url], { pollMs: 50, retryMs: 50 });
  await source.start();
  t.after(async () => {
    await source.stop();
    await m.close();
  });
  await waitFor(() => m.active.tip.height === 100, 'sync to 100');
  await a.kill();
  await waitFor(() => source.status().state === 'waiting', 'the source to notice');
  const back = await new StandinBitcoind({ blocks: blocks.slice(0, 121), user: 'u', password: 'p' }).listen(port);
  await waitFor(() => m.active.tip.height === 120, 'resumed sync to 120');
  assert.equal(m.active.tip.key, hashAt(120));
  await source.stop();
  await back.kill();
});

const SNAPSHOT = path.resolve('snapshots/regtest-h200.dat');

test('with a snapshot loaded: blocks above the base come first, then the background chainstate\'s up to the base', { skip: existsSync(SNAPSHOT) ? false : 'no snapshots/regtest-h200.dat' }, async (t) => {
  const server = await new StandinBitcoind({ blocks: blocks.slice(0, 216), user: 'u', password: 'p' }).listen();
  const m = await ChainstateManager.open({ datadir: datadirs[2], params, background: 'worker', now: () => 2_000_000_000 });
  for (const b of chain.blocks.slice(0, 215)) m.processHeader(b.block.header);
  await m.loadSnapshot(SNAPSHOT);
  const source = new RpcBlockSource(makeSink(m), [server.url], { pollMs: 50, window: 32, concurrency: 1 }); // one at a time: the order is the plan's
  await source.start();
  t.after(async () => {
    await source.stop();
    await m.close();
    await server.kill();
  });
  await waitFor(() => m.validity === 'validated' && m.active.tip.height === 215, 'background validation to the base');
  assert.equal(m.active.tip.key, hashAt(215));
  const seq = (h: number) => m.storage.index.get(chain.blocks[h - 1].hash)!.sequenceId;
  const above = Array.from({ length: 15 }, (_, i) => seq(201 + i));
  const below = Array.from({ length: 200 }, (_, i) => seq(1 + i));
  assert.ok(Math.max(...above) < Math.min(...below), 'snapshot chainstate served first');
});
