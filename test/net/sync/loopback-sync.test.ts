/**
 * Sync over real loopback sockets between in-process nodes (netwire's connection layer, this sync): from
 * genesis; a snapshot node that fetches the tip and then the history by P2P alone until validated; a third
 * node from both; a serving peer killed mid-sync.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { buildH200Chain } from '../../../contrib/chaingen/spec-chains.js';
import { getChainParams } from '../../../src/consensus/params.js';
import { startLoopbackNode, type LoopbackNode } from './loopback-node.js';
import { waitFor } from './scripted-peer.js';

const params = getChainParams('regtest');
const chain = buildH200Chain(215);
const SNAPSHOT = path.resolve('snapshots/regtest-h200.dat');

async function server(): Promise<LoopbackNode> {
  const node = await startLoopbackNode({ params, noSync: true });
  for (const b of chain.blocks) await node.manager.processBlock(b.bytes);
  assert.equal(node.manager.active.height, 215);
  return node;
}

test('three nodes: a server, a snapshot node syncing tip then history by P2P until validated, a third from both', { skip: existsSync(SNAPSHOT) ? false : 'no snapshots/regtest-h200.dat' }, async () => {
  const a = await server();
  const b = await startLoopbackNode({ params, connect: [`127.0.0.1:${a.port}`], background: 'in-process' });
  // The snapshot needs its base header: the headers arrive by P2P, then the snapshot is loaded.
  await waitFor(() => b.manager.storage.index.bestHeader.height === 215, 'headers on the snapshot node');
  await b.manager.loadSnapshot(SNAPSHOT);
  await waitFor(() => b.manager.validity === 'validated' && b.manager.active.height === 215, 'snapshot validated', 60_000);
  const c = await startLoopbackNode({ params, connect: [`127.0.0.1:${a.port}`, `127.0.0.1:${b.port}`] });
  await waitFor(() => c.manager.active.height === 215, 'the third node at the tip', 60_000);
  assert.equal(c.manager.active.tip.key, a.manager.active.tip.key);
  assert.equal(b.manager.active.tip.key, a.manager.active.tip.key);
  for (const n of [c, b, a]) await n.stop();
});

test('a serving peer killed mid-sync: the sync completes from the other', async () => {
  const a1 = await server();
  const a2 = await server();
  const b = await startLoopbackNode({ params, connect: [`127.0.0.1:${a1.port}`, `127.0.0.1:${a2.port}`], syncOptions: { window: 32 } });
  await waitFor(() => b.manager.active.height >= 20, 'some blocks');
  await a1.stop();
  await waitFor(() => b.manager.active.height === 215, 'the tip', 60_000);
  assert.equal(b.manager.active.tip.key, a2.manager.active.tip.key);
  for (const n of [b, a2]) await n.stop();
});
