/**
 * SIGKILL of the real daemon during each phase of the assumeutxo lifecycle: snapshot load (loadtxoutset
 * wait=false, killed while getprogress reports it running), sync of the snapshot chainstate (the block
 * source sits behind a relay that stops it at a seeded random byte count inside the phase) and background
 * validation (the relay withholds one block of the history at a seeded random height), so each kill lands
 * in its phase on any machine. Every restart resumes; the end state equals that
 * of the source node, which was never killed, and the generator's UTXO set.
 *
 * CRASH_SEED=<n> reproduces a run.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { Prng } from '../../contrib/chaingen/prng.js';
import { getChainParams } from '../../src/consensus/params.js';
import { toHex } from '../../src/primitives/bytes.js';
import { blockHash, parseBlock, readFramedBlocks } from '../../src/primitives/block.js';
import { hashToHex } from '../../src/primitives/hash.js';
import { scratchDir } from '../helpers.js';
import { DaemonProcess } from './daemon-process.js';
import { TcpGate } from './fixtures/tcp-gate.js';
import { hexBytes, wholenodeChain } from './fixtures/wholenode-chain.js';
import { rpcUrl, servingNode, utxoStats, waitFor, waitForValidatedTip, type ChainstatesReply } from './fixtures/whole-node.js';

const SEED = Number(process.env.CRASH_SEED ?? Date.now() % 1_000_000);

test(`SIGKILL during snapshot load, sync and background validation; restarts end with the never-killed node's hashes (CRASH_SEED=${SEED})`, async (t) => {
  const prng = new Prng(`crash-restart-${SEED}`);
  const random = () => prng.u32() / 2 ** 32;
  const chain = wholenodeChain();
  const { node: server } = await servingNode(chain);
  const datadir = scratchDir();
  const base = chain.base.height;
  const tip = chain.tip.height;
  const kills: string[] = [];
  const session = (gate?: TcpGate) => DaemonProcess.start({ datadir, args: [chain.assumeutxoArg, ...(gate ? [`-source-rpc=${rpcUrl(server, gate.port)}`] : [])] });
  const chainstates = (node: DaemonProcess) => node.call<ChainstatesReply>('getchainstates');

  // Headers first (loadtxoutset needs the base block's header), straight from the blk file.
  const params = getChainParams('regtest');
  const framed = [...readFramedBlocks(readFileSync(path.join(chain.blkDir, 'blocks', 'blk00000.dat')), params.messageStart)];
  let node = await session();
  for (const f of framed) assert.equal(await node.call('submitheader', toHex(f.bytes.subarray(0, 80))), null);

  // Load: killed while it runs, until a kill lands in it (at most a few tries; the load is then finished normally).
  let killedInLoad = 0;
  for (let attempt = 0; attempt < 3 && killedInLoad < 2; attempt++) {
    const { operation } = await node.call<{ operation: number }>('loadtxoutset', chain.snapshot, false);
    const { state } = await node.call<{ state: string }>('getprogress', operation);
    if (state === 'running') await new Promise((r) => setTimeout(r, random() * 20));
    await node.kill();
    if (state === 'running') {
      killedInLoad++;
      kills.push('load');
    }
    node = await session();
    if ((await chainstates(node)).chainstates.length === 2) break;
  }
  assert.ok(killedInLoad > 0, 'a kill landed during the snapshot load');
  if ((await chainstates(node)).chainstates.length === 1) {
    const loaded = await node.call<{ coins_loaded: number; base_height: number }>('loadtxoutset', chain.snapshot);
    assert.equal(loaded.base_height, base);
  }
  const afterLoad = await chainstates(node);
  assert.equal(afterLoad.chainstates.length, 2);
  assert.equal(afterLoad.chainstates[1].snapshot_blockhash, chain.base.hash);
  await node.kill();

  // Sync of the snapshot chainstate: the source stops at a random point of the blocks above the base.
  let gate = await TcpGate.open(server.port);
  let killed = false;
  gate.holdAfter(Math.floor((0.15 + 0.6 * random()) * hexBytes(chain, base + 1, tip)), () => {
    killed = true;
    node.child.kill('SIGKILL');
  });
  node = await session(gate);
  await node.exited;
  assert.ok(killed, 'killed by the relay during the sync');
  kills.push('sync');
  await gate.close();
  node = await session();
  const afterSync = await chainstates(node);
  assert.equal(afterSync.chainstates.length, 2);
  assert.ok(afterSync.chainstates[1].blocks >= base && afterSync.chainstates[1].blocks < tip, `snapshot chainstate at ${afterSync.chainstates[1].blocks}`);
  await node.kill();

  // Background validation: the source never passes on the request for one block of the history, so the
  // background chainstate stops short of it; the node is killed at a random moment once the snapshot
  // chainstate is at the tip and the background one has moved.
  gate = await TcpGate.open(server.port);
  const withheld = 101 + Math.floor(random() * (base - 110));
  gate.withhold(hashToHex(blockHash(parseBlock(framed[withheld - 1].bytes).header)));
  node = await session(gate);
  await waitFor('background validation under way', async () => {
    const cs = await chainstates(node);
    assert.equal(cs.chainstates.length, 2, 'background validation cannot finish');
    return cs.chainstates[1].blocks === tip && cs.chainstates[0].blocks > 0 ? true : undefined;
  }, 120_000, 10);
  await new Promise((r) => setTimeout(r, random() * 200));
  await node.kill();
  kills.push('background');
  await gate.close();
  node = await session();
  const afterBackground = await chainstates(node);
  assert.equal(afterBackground.chainstates.length, 2, 'background validation resumes after the restart');
  assert.ok(afterBackground.chainstates[0].blocks < withheld, `background chainstate at ${afterBackground.chainstates[0].blocks}`);
  await node.kill();

  // The last session runs to the end.
  gate = await TcpGate.open(server.port);
  node = await session(gate);
  const done = await waitForValidatedTip(node, tip);
  assert.equal(done.chainstates[0].bestblockhash, chain.tip.hash);
  const stats = await utxoStats(node);
  assert.equal(stats.hash_serialized_3, chain.tip.hashSerialized3);
  assert.deepEqual(stats, await utxoStats(server));
  assert.equal(await node.stop(), 0);
  assert.equal(node.stderr, '');
  await gate.close();

  node = await session();
  assert.deepEqual(await utxoStats(node), await utxoStats(server));
  assert.equal(await node.stop(), 0);
  assert.equal(await server.stop(), 0);
  t.diagnostic(`kills: ${kills.join(', ')}`);
});
