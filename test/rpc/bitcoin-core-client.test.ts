/**
 * The `bitcoin-core` npm package (the JS client people use with bitcoind), unchanged, against our server:
 * plain and named calls, its camel-case methods, batches with a failing member, errors as its RpcError,
 * wrong credentials, and a wallet-scoped client.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import Client from 'bitcoin-core';
import { startHarness } from './harness.js';

const h = await startHarness();
const [username, password] = readFileSync(path.join(h.dir, '.cookie'), 'utf8').split(':') as [string, string];
const host = `http://127.0.0.1:${h.port}`;
const silent = { info() {}, debug() {}, error() {}, warn() {}, trace() {}, fatal() {} };
const client = new Client({ host, username, password, logger: silent });

test('command() and the camel-case methods', async () => {
  // json-bigint builds objects without a prototype; compare their JSON.
  assert.deepEqual(JSON.parse(JSON.stringify(await client.command('echo', 'hello', 42, { a: [1] }))), ['hello', 42, { a: [1] }]);
  assert.equal(typeof (await client.command('uptime')), 'number');
  const info = (await (client as unknown as { getNetworkInfo(): Promise<Record<string, unknown>> }).getNetworkInfo());
  assert.equal(info.connections, 0);
  // json-bigint keeps our eight-decimal amounts as numbers.
  assert.equal(Number(info.relayfee), 0.000001);
  assert.deepEqual(await client.command('getrawmempool'), []);
});

test('named parameters (client with a version that supports them)', async () => {
  const named = new Client({ host, username, password, logger: silent, version: '0.21.0' });
  assert.match(await named.command('help', { command: 'uptime' }), /^uptime\n/);
  const sequenced = await named.command('getrawmempool', { mempool_sequence: true });
  assert.deepEqual(JSON.parse(JSON.stringify(sequenced)), { txids: [], mempool_sequence: 1 });
});

test('batch: one reply per call, a failing member as an RpcError in its place', async () => {
  const replies = await client.command([
    { method: 'echo', parameters: ['x'] },
    { method: 'foobar', parameters: [] },
    { method: 'getconnectioncount', parameters: [] },
  ]);
  assert.deepEqual(replies[0], ['x']);
  assert.equal((replies[1] as { code: number }).code, -32601);
  assert.equal((replies[1] as Error).message, 'Method not found');
  assert.equal(replies[2], 0);
});

test('errors arrive as the client\'s RpcError with Core\'s code and message', async () => {
  await assert.rejects(client.command('foobar'), { name: 'RpcError', code: -32601, message: 'Method not found' });
  await assert.rejects(client.command('getrawmempool', true, true), { code: -8, message: 'Verbose results cannot contain mempool sequence values.' });
  await assert.rejects(client.command('setmocktime', -1), { code: -8 });
});

test('wrong credentials: the client reports HTTP 401', async () => {
  const wrong = new Client({ host, username, password: password + 'x', logger: silent });
  await assert.rejects(wrong.command('uptime'), { code: 401 });
});

test('a wallet-scoped client: node methods work, wallet methods (POST /wallet/<name>) are "Method not found"', async () => {
  const wallet = new Client({ host, username, password, logger: silent, wallet: 'w1' });
  assert.equal(typeof (await wallet.command('uptime')), 'number');
  await assert.rejects(wallet.command('getbalance'), { code: -32601, message: 'Method not found' });
});
