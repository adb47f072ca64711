/**
 * Block sync between real chainsnap processes on loopback, by P2P alone: a node holding a generated chain of
 * a few thousand blocks; a second that loads a snapshot and fetches the tip, then the history, until the
 * snapshot is validated; a third from genesis from both, killed and restarted mid-sync, then finishing
 * after the first node is killed. Hashes and UTXO set statistics agree.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { getChainParams } from '../../src/consensus/params.js';
import { toHex } from '../../src/primitives/bytes.js';
import { parseBlock, readFramedBlocks } from '../../src/primitives/block.js';
import { encodeHeaders } from '../../src/net/messages.js';
import { RawPeer } from '../net/raw-peer.js';
import { scratchDir } from '../helpers.js';
import { waitFor } from '../net/raw-peer.js';
import { DaemonProcess, freePort } from './daemon-process.js';

const regtest = getChainParams('regtest');
const BLOCKS_FILE = path.resolve('snapshots/regtest-h200-blocks.dat');
const SNAPSHOT = path.resolve('snapshots/regtest-h200.dat');
/** Blocks mined on top of the 200 behind the regtest snapshot. */
const EXTRA = Number(process.env.P2P_SYNC_EXTRA ?? 2300);
const ADDRESS = 'mjTkW3DjgyZck4KbiRusZsqTgaYTxdSz6z';

interface Chainstates {
  chainstates: { blocks: number; bestblockhash: string; validated: boolean }[];
}

async function startNode(datadir: string, port: number, connect: number[] = []): Promise<DaemonProcess> {
  const conf = ['[regtest]', 'bind=127.0.0.1', `port=${port}`, 'dnsseed=0', 'fixedseeds=0', ...(connect.length ? connect.map((p) => `connect=127.0.0.1:${p}`) : ['connect=0'])];
  return DaemonProcess.start({ datadir, conf, args: ['-listen=1'] });
}

async function stats(node: DaemonProcess): Promise<Record<string, unknown>> {
  const { disk_size: _size, ...rest } = await node.call<Record<string, unknown>>('gettxoutsetinfo');
  return rest;
}

test('three nodes by P2P alone: a snapshot node validates its snapshot from history; a third syncs from both, survives a restart and a killed peer', async () => {
  const blocks = [...readFramedBlocks(readFileSync(BLOCKS_FILE), regtest.messageStart)].map((f) => toHex(f.bytes));
  const [pa, pb, pc] = [await freePort(), await freePort(), await freePort()];
  const a = await startNode(scratchDir(), pa);
  for (const hex of blocks) assert.equal(await a.call('submitblock', hex), null);
  for (let left = EXTRA; left > 0; left -= 500) await a.call('generatetoaddress', Math.min(500, left), ADDRESS);
  const height = blocks.length + EXTRA;
  assert.equal(await a.call('getblockcount'), height);
  const tip = await a.call<string>('getbestblockhash');

  const bDir = scratchDir();
  const b = await startNode(bDir, pb, [pa]);
  // Headers first (by P2P), then the snapshot, whose base must be a known header.
  await waitFor(async () => (await b.call<{ headers: number }>('getblockchaininfo')).headers === height, 'headers on b');
  const loaded = await b.call<{ base_height: number }>('loadtxoutset', SNAPSHOT);
  assert.equal(loaded.base_height, 200);
  await waitFor(async () => {
    const cs = await b.call<Chainstates>('getchainstates');
    return cs.chainstates.length === 1 && cs.chainstates[0].validated && cs.chainstates[0].blocks === height;
  }, 'b at the tip with its snapshot validated', 180_000);
  assert.equal(await b.call('getbestblockhash'), tip);

  const cDir = scratchDir();
  let c = await startNode(cDir, pc, [pa, pb]);
  await waitFor(async () => (await c.call<number>('getblockcount')) >= 300, 'c under way', 120_000);
  assert.equal(await c.stop(), 0);
  c = await startNode(cDir, pc, [pa, pb]);
  const resumed = await c.call<number>('getblockcount');
  assert.ok(resumed >= 300, `resumed at ${resumed}`);
  await waitFor(async () => (await c.call<number>('getblockcount')) >= Math.min(resumed + 200, height - 100), 'c moving again', 120_000);
  await a.kill();
  await waitFor(async () => (await c.call<string>('getbestblockhash')) === tip, 'c at the tip from b alone', 180_000);
  assert.deepEqual(await stats(c), await stats(b));
  for (const n of [c, b]) assert.equal(await n.stop(), 0);
  assert.equal(b.stderr, '');
  assert.equal(c.stderr, '');
});

test('hostile peers (an invalid header chain, a mutated block) are dropped while the sync goes on from an honest one', async () => {
  const raw = [...readFramedBlocks(readFileSync(BLOCKS_FILE), regtest.messageStart)].map((f) => f.bytes);
  const [pa, pb] = [await freePort(), await freePort()];
  const a = await startNode(scratchDir(), pa);
  // (A chain from 2011 keeps every node in initial download, where new tips are not announced: a has it all first.)
  for (const bytes of raw) await a.call('submitblock', toHex(bytes));
  const b = await startNode(scratchDir(), pb, [pa]);
  try {
    const liar = await RawPeer.connect(pb);
    await liar.handshake();
    // Block 1's header claiming a far harder target than its hash meets.
    const header = { ...parseBlock(raw[0]).header, bits: 0x1d00ffff };
    liar.send('headers', encodeHeaders([header]));
    await waitFor(() => liar.closed, 'the node drops a peer sending a header with invalid proof of work');
    const mutator = await RawPeer.connect(pb);
    await mutator.handshake();
    const tampered = Uint8Array.from(raw[raw.length - 1]);
    tampered[tampered.length - 10] ^= 1;
    mutator.send('block', tampered);
    await waitFor(() => mutator.closed, 'the node drops a peer sending a mutated block');
    await waitFor(async () => (await b.call<string>('getbestblockhash')) === (await a.call<string>('getbestblockhash')), 'b at a\'s tip');
  } finally {
    for (const n of [b, a]) await n.stop();
  }
  assert.equal(b.stderr, '');
});
