/** The JSON-RPC client against a real HTTP server standing in for bitcoind. */
import assert from 'node:assert/strict';
import path from 'node:path';
import { after, test } from 'node:test';
import { buildH200Chain } from '../../contrib/chaingen/spec-chains.js';
import { getChainParams } from '../../src/consensus/params.js';
import { serializeBlock } from '../../src/primitives/block.js';
import { hashToHex } from '../../src/primitives/hash.js';
import { RpcClient, RpcConnectionError, RpcHttpError } from '../../src/rpc/client.js';
import { RpcError } from '../../src/rpc/errors.js';
import { scratchDir } from '../helpers.js';
import { StandinBitcoind } from './standin-bitcoind.js';

const params = getChainParams('regtest');
const chain = buildH200Chain(20);
const blocks = [serializeBlock(params.genesis), ...chain.blocks.map((b) => b.bytes)];
const clients: RpcClient[] = [];
const client = (o: ConstructorParameters<typeof RpcClient>[0]) => {
  const c = new RpcClient(o);
  clients.push(c);
  return c;
};
after(() => clients.forEach((c) => c.close()));

test('calls, Core errors as RpcError, batches in call order, named parameters', async (t) => {
  const server = await new StandinBitcoind({ blocks, user: 'alice', password: 'p@ss:word' }).listen();
  t.after(() => server.kill());
  const c = client({ url: `http://alice:${encodeURIComponent('p@ss:word')}@127.0.0.1:${server.port}`, port: 0 });
  assert.equal(await c.call('getblockcount'), 20);
  assert.equal(await c.call('getblockhash', [5]), hashToHex(chain.blocks[4].hash));
  assert.equal(await c.call('getblockhash', { height: 6 }), hashToHex(chain.blocks[5].hash));
  await assert.rejects(c.call('getblockhash', [99]), (e: unknown) => e instanceof RpcError && e.code === -8 && e.message === 'Block height out of range');
  await assert.rejects(c.call('nosuchmethod'), { name: 'RpcError', code: -32601 });
  const batch = await c.batch([{ method: 'getblockhash', params: [1] }, { method: 'getblockhash', params: [-1] }, { method: 'getblockcount' }]);
  assert.equal(batch[0].result, hashToHex(chain.blocks[0].hash));
  assert.equal(batch[1].error?.code, -8);
  assert.equal(batch[2].result, 20);
  const sent = server.requests.at(-1) as { method: string; jsonrpc: string; id: number }[];
  assert.deepEqual(sent.map((r) => [r.method, r.jsonrpc]), [['getblockhash', '2.0'], ['getblockhash', '2.0'], ['getblockcount', '2.0']]);
});

test('a legacy JSON-RPC 1.0 server: errors arrive with HTTP 500 and 404 and still read as RpcError', async (t) => {
  const server = await new StandinBitcoind({ blocks, user: 'u', password: 'p', legacy: true }).listen();
  t.after(() => server.kill());
  const c = client({ port: server.port, user: 'u', password: 'p' });
  assert.equal(await c.call('getblockcount'), 20);
  await assert.rejects(c.call('getblockhash', [99]), { name: 'RpcError', code: -8 });
  await assert.rejects(c.call('nosuchmethod'), { name: 'RpcError', code: -32601 });
});

test('wrong password, refused connection and timeout are told apart', async (t) => {
  const server = await new StandinBitcoind({ blocks, user: 'u', password: 'right' }).listen();
  t.after(() => server.kill());
  await assert.rejects(client({ port: server.port, user: 'u', password: 'wrong' }).call('getblockcount'), (e: unknown) => e instanceof RpcHttpError && e.status === 401);

  const gone = await new StandinBitcoind({ blocks, user: 'u', password: 'p' }).listen();
  const port = gone.port;
  await gone.kill();
  await assert.rejects(client({ port, user: 'u', password: 'p' }).call('getblockcount'), (e: unknown) => e instanceof RpcConnectionError && e.code === 'ECONNREFUSED');

  let release!: () => void;
  const stuck = new Promise<void>((r) => (release = r));
  server.beforeCall = () => stuck;
  t.after(() => release());
  await assert.rejects(client({ port: server.port, user: 'u', password: 'right', timeoutMs: 200 }).call('getblockcount'), (e: unknown) => e instanceof RpcConnectionError && e.code === 'ETIMEDOUT');
});

test('cookie auth: a cookie rewritten by a restarted node is read again after a 401', async (t) => {
  const cookieFile = path.join(scratchDir(), '.cookie');
  const server = await new StandinBitcoind({ blocks, cookieFile }).listen();
  t.after(() => server.kill());
  const c = client({ port: server.port, cookieFile });
  assert.equal(await c.call('getblockcount'), 20);
  server.rotateCookie();
  assert.equal(await c.call('getblockcount'), 20);
});
