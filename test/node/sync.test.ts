/**
 * Whole-node sync: the shipped h200 chain served by one chainsnap node and followed by another through
 * -source-rpc (snapshot first, then background validation), and read from a blk directory (-source-blocks).
 */
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { getChainParams } from '../../src/consensus/params.js';
import { toHex } from '../../src/primitives/bytes.js';
import { readFramedBlocks } from '../../src/primitives/block.js';
import { scratchDir } from '../helpers.js';
import { DaemonProcess } from './daemon-process.js';

const BLOCKS_FILE = path.resolve('snapshots/regtest-h200-blocks.dat');
const SNAPSHOT = path.resolve('snapshots/regtest-h200.dat');
const blocks = [...readFramedBlocks(readFileSync(BLOCKS_FILE), getChainParams('regtest').messageStart)].map((f) => toHex(f.bytes));

interface ChainstatesReply {
  headers: number;
  chainstates: { blocks: number; bestblockhash: string; validated: boolean; snapshot_blockhash?: string }[];
}

async function waitFor<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 90_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function servingNode(): Promise<DaemonProcess> {
  const node = await DaemonProcess.start({ datadir: scratchDir() });
  for (const hex of blocks) assert.equal(await node.call('submitblock', hex), null);
  assert.equal(await node.call('getblockcount'), blocks.length);
  return node;
}

/** gettxoutsetinfo without disk_size, which depends on how LevelDB laid the files out. */
async function stats(node: DaemonProcess): Promise<Record<string, unknown>> {
  const { disk_size: _size, ...rest } = await node.call<Record<string, unknown>>('gettxoutsetinfo');
  return rest;
}

test('snapshot load over RPC, then sync and background validation from another chainsnap node (-source-rpc)', async () => {
  const server = await servingNode();
  const cookie = readFileSync(path.join(server.networkDir, '.cookie'), 'utf8').trim();
  const datadir = scratchDir();
  let node = await DaemonProcess.start({ datadir });
  for (const hex of blocks) assert.equal(await node.call('submitheader', hex.slice(0, 160)), null);
  const loaded = await node.call<{ coins_loaded: number; base_height: number }>('loadtxoutset', SNAPSHOT);
  assert.equal(loaded.coins_loaded, 200);
  assert.equal(loaded.base_height, 200);
  const two = await node.call<ChainstatesReply>('getchainstates');
  assert.equal(two.chainstates.length, 2);
  assert.equal(two.chainstates[1].blocks, 200);
  assert.equal(await node.stop(), 0);

  // Restart on the same state, now with the other node as the block source.
  node = await DaemonProcess.start({ datadir, args: [`-source-rpc=http://${cookie}@127.0.0.1:${server.port}`] });
  const after = await node.call<ChainstatesReply>('getchainstates');
  assert.ok(after.chainstates.length === 2 || after.chainstates[0].validated, 'the snapshot chainstate survived the restart');
  const done = await waitFor('background validation', async () => {
    const cs = await node.call<ChainstatesReply>('getchainstates');
    return cs.chainstates.length === 1 && cs.chainstates[0].blocks === blocks.length && cs.chainstates[0].validated ? cs : undefined;
  });
  assert.equal(done.chainstates[0].bestblockhash, await server.call('getbestblockhash'));
  assert.deepEqual(await stats(node), await stats(server));
  assert.equal(await node.stop(), 0);
  assert.equal(node.stderr, '');

  // A restart finds one chainstate, validated, at the same tip.
  node = await DaemonProcess.start({ datadir });
  const final = await node.call<ChainstatesReply>('getchainstates');
  assert.equal(final.chainstates.length, 1);
  assert.equal(final.chainstates[0].bestblockhash, done.chainstates[0].bestblockhash);
  assert.deepEqual(await stats(node), await stats(server));
  assert.equal(await node.stop(), 0);
  assert.equal(await server.stop(), 0);
});

test('sync from a directory of blk files (-source-blocks)', async () => {
  const blkDir = path.join(scratchDir(), 'blocks');
  mkdirSync(blkDir);
  copyFileSync(BLOCKS_FILE, path.join(blkDir, 'blk00000.dat'));
  const node = await DaemonProcess.start({ datadir: scratchDir(), args: [`-source-blocks=${blkDir}`] });
  await waitFor('the tip', async () => ((await node.call<number>('getblockcount')) === blocks.length ? true : undefined));
  const hashes = await node.call<string>('getbestblockhash');
  assert.equal(hashes, await node.call('getblockhash', blocks.length));
  assert.equal((await stats(node)).height, blocks.length);
  assert.equal(await node.stop(), 0);
});
