/**
 * Failover between RPC block sources with real processes: two chainsnap nodes serve the same generated
 * chain, a third syncs from both (-source-rpc twice). The source in use is SIGKILLed halfway through the
 * block bytes (a relay in front of it holds the traffic at that point, so the kill is mid-sync on any
 * machine); the sync completes from the other one with the same tip and UTXO set hash.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { scratchDir } from '../helpers.js';
import { DaemonProcess } from './daemon-process.js';
import { TcpGate } from './fixtures/tcp-gate.js';
import { hexBytes, wholenodeChain } from './fixtures/wholenode-chain.js';
import { rpcUrl, servingNode, utxoStats, waitForValidatedTip } from './fixtures/whole-node.js';

test('two -source-rpc nodes, the one in use SIGKILLed mid-sync: the sync completes from the other', async () => {
  const chain = wholenodeChain();
  const [a, b] = await Promise.all([servingNode(chain), servingNode(chain)]);
  const gate = await TcpGate.open(a.node.port);
  const half = hexBytes(chain, 1, chain.tip.height) / 2;
  let killedAt = -1;
  gate.holdAfter(half, () => {
    killedAt = gate.relayed;
    a.node.child.kill('SIGKILL');
  });

  const node = await DaemonProcess.start({ datadir: scratchDir(), args: [`-source-rpc=${rpcUrl(a.node, gate.port)}`, `-source-rpc=${b.url}`] });
  const done = await waitForValidatedTip(node, chain.tip.height);
  assert.ok(killedAt > 0, 'the source in use was killed before the sync finished');
  assert.equal((await a.node.exited).signal, 'SIGKILL');
  assert.equal(done.chainstates[0].bestblockhash, chain.tip.hash);
  const stats = await utxoStats(node);
  assert.equal(stats.hash_serialized_3, chain.tip.hashSerialized3);
  assert.deepEqual(stats, await utxoStats(b.node));
  const log = readFileSync(path.join(node.networkDir, 'debug.log'), 'utf8');
  assert.match(log, /\[rpc-source\] http:\/\/127\.0\.0\.1:\d+ failed: .*; switching to http:\/\/127\.0\.0\.1:\d+/);

  assert.equal(await node.stop(), 0);
  assert.equal(node.stderr, '');
  assert.equal(await b.node.stop(), 0);
  await gate.close();
});
