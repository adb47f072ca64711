/** The daemon on mainnet syncing Bitcoin's first 600 blocks from real blk files (-chain=main -source-blocks). */
import assert from 'node:assert/strict';
import { copyFileSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { getChainParams } from '../../src/consensus/params.js';
import { blockHash, parseBlock, readFramedBlocks } from '../../src/primitives/block.js';
import { hashToHex } from '../../src/primitives/hash.js';
import { scratchDir, vector } from '../helpers.js';
import { DaemonProcess } from './daemon-process.js';
import { utxoStats, waitFor } from './fixtures/whole-node.js';

const FILES = ['blk00000.dat', 'blk00001.dat'];
const absent = FILES.find((f) => !existsSync(vector('mainnet', f)));
const SKIP = absent ? `mainnet vector ${vector('mainnet', absent)} not found` : false;
/** Block 100 of Bitcoin's chain. */
const BLOCK_100 = '000000007bc154e0fa7ea32218a72fe2c1bb9f86cf8c9ebf9a715ed27fdb229a';

test('-chain=main -source-blocks with mainnet blk00000/blk00001: height 599, its hashes; same after a restart', { skip: SKIP }, async () => {
  const coreDir = scratchDir();
  mkdirSync(path.join(coreDir, 'blocks'));
  for (const f of FILES) copyFileSync(vector('mainnet', f), path.join(coreDir, 'blocks', f));
  const framed = [...readFramedBlocks(readFileSync(vector('mainnet', 'blocks-0-599.dat')), getChainParams('main').messageStart)];
  const tipHash = hashToHex(blockHash(parseBlock(framed[599].bytes).header));

  const datadir = scratchDir();
  let node = await DaemonProcess.start({ datadir, network: 'main', args: [`-source-blocks=${coreDir}`] });
  await waitFor('height 599', async () => ((await node.call<number>('getblockcount')) === 599 ? true : undefined), 120_000, 100);
  const info = await node.call<{ chain: string; blocks: number; headers: number; bestblockhash: string }>('getblockchaininfo');
  assert.equal(info.chain, 'main');
  assert.equal(info.headers, 599);
  assert.equal(info.bestblockhash, tipHash);
  assert.equal(await node.call('getblockhash', 100), BLOCK_100);
  const stats = await utxoStats(node);
  assert.equal(stats.height, 599);
  assert.equal(stats.bestblock, tipHash);
  assert.equal(await node.stop(), 0);
  assert.equal(node.stderr, '');

  node = await DaemonProcess.start({ datadir, network: 'main' });
  assert.equal(await node.call('getbestblockhash'), tipHash);
  assert.deepEqual(await utxoStats(node), stats);
  assert.equal(await node.stop(), 0);
});
