/**
 * The `bitcoin-core` npm package, the RPC client JavaScript users point at bitcoind, used unchanged against
 * the real daemon: its named helpers, command(), batches, and its error objects.
 */
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import Client from 'bitcoin-core';
import { scratchDir } from '../helpers.js';
import { DaemonProcess } from './daemon-process.js';

const ADDRESS = 'mjTkW3DjgyZck4KbiRusZsqTgaYTxdSz6z';

/** The package adds one camel-cased helper per bitcoind method at run time; its typings do not list them. */
type Helpers = Record<string, (...args: unknown[]) => Promise<unknown>>;

test('bitcoin-core (npm) against chainsnap: getblockchaininfo, getblockhash/getblock, gettxoutsetinfo, batch, errors', async () => {
  // Core's share/rpcauth/rpcauth.py line: user:salt$HMAC-SHA256(key=salt, password); the cookie stays on.
  const salt = '7f2e1c5a9b3d4e6f8a0b1c2d3e4f5a6b';
  const rpcauth = `alice:${salt}$${createHmac('sha256', salt).update('s3cret').digest('hex')}`;
  const node = await DaemonProcess.start({ datadir: scratchDir(), args: [`-rpcauth=${rpcauth}`] });
  const client = new Client({ host: `http://127.0.0.1:${node.port}`, username: 'alice', password: 's3cret', timeout: 30_000 });
  const helpers = client as unknown as Helpers;
  const mined = (await client.command('generatetoaddress', 101, ADDRESS)) as string[];
  assert.equal(mined.length, 101);

  const info = (await helpers.getBlockchainInfo()) as { chain: string; blocks: number; bestblockhash: string };
  assert.equal(info.chain, 'regtest');
  assert.equal(info.blocks, 101);
  assert.equal(info.bestblockhash, mined[100]);

  const hash = (await helpers.getBlockHash(50)) as string;
  assert.equal(hash, mined[49]);
  const block = (await helpers.getBlock(hash, 1)) as { hash: string; height: number; tx: string[] };
  assert.equal(block.hash, hash);
  assert.equal(block.height, 50);
  assert.equal(block.tx.length, 1);
  const raw = (await client.command('getblock', hash, 0)) as string;
  assert.match(raw, /^[0-9a-f]+$/);

  const stats = (await helpers.getTxOutSetInfo()) as { height: number; bestblock: string; txouts: number; hash_serialized_3: string };
  assert.equal(stats.height, 101);
  assert.equal(stats.bestblock, mined[100]);
  assert.equal(stats.txouts, 101);
  assert.match(stats.hash_serialized_3, /^[0-9a-f]{64}$/);

  const batch = (await client.command([
    { method: 'getblockcount' },
    { method: 'getblockhash', parameters: [101] },
    { method: 'getbestblockhash' },
    { method: 'getblockhash', parameters: [1000] },
  ])) as unknown[];
  assert.equal(batch[0], 101);
  assert.equal(batch[1], mined[100]);
  assert.equal(batch[2], mined[100]);
  assert.ok(batch[3] instanceof Error, 'a failed call in a batch comes back as an error in its place');
  assert.equal((batch[3] as Error & { code: number }).code, -8);

  await assert.rejects(helpers.getBlockHash(1000), (e: Error & { code: number }) => e.code === -8 && e.message === 'Block height out of range');
  const wrong = new Client({ host: `http://127.0.0.1:${node.port}`, username: 'alice', password: 'wrong' });
  await assert.rejects(wrong.command('getblockcount'), (e: Error & { code: number }) => e.code === 401);

  const cookie = readFileSync(path.join(node.networkDir, '.cookie'), 'utf8').trim().split(':');
  const viaCookie = new Client({ host: `http://127.0.0.1:${node.port}`, username: cookie[0], password: cookie[1] });
  assert.equal(await viaCookie.command('getblockcount'), 101);

  assert.equal(await client.command('stop'), 'Bitcoin Core stopping');
  assert.equal((await node.exited).code, 0);
  assert.equal(node.stderr, '');
});
