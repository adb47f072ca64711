/**
 * Hostile and broken clients against the real daemon process: no or wrong credentials, malformed JSON,
 * wrong types, unknown methods, a body over 32 MiB, a client trickling its headers, half-open and idle
 * connections. Each gets an error or a close, and a well-behaved client is answered promptly throughout;
 * `stop` then exits 0 with nothing on stderr, with the bad connections still open.
 */
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { connect, type Socket } from 'node:net';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { scratchDir } from '../helpers.js';
import { DaemonProcess } from './daemon-process.js';

/** A well-behaved client must be answered within this long while the others misbehave. */
const PROMPT_MS = 3_000;

interface Reply {
  status: number;
  body: string;
}

function post(port: number, body: string | Buffer, auth?: string): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    if (auth !== undefined) headers.authorization = `Basic ${Buffer.from(auth).toString('base64')}`;
    const req = request({ host: '127.0.0.1', port, method: 'POST', path: '/', headers, agent: false }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (d) => (text += d));
      res.on('end', () => resolve({ status: res.statusCode!, body: text }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}

function open(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = connect(port, '127.0.0.1', () => resolve(s));
    s.once('error', reject);
  });
}

test('hostile clients get errors or closes, the node keeps serving others promptly, and stops cleanly', async () => {
  const node = await DaemonProcess.start({ datadir: scratchDir() });
  const cookie = readFileSync(path.join(node.networkDir, '.cookie'), 'utf8').trim();
  const call = (method: string, params: unknown[] = []) => post(node.port, JSON.stringify({ jsonrpc: '1.0', id: 1, method, params }), cookie);
  const prompt = async (what: string) => {
    const started = Date.now();
    assert.equal(await node.call('getblockcount'), 0, what);
    assert.ok(Date.now() - started < PROMPT_MS, `${what}: answered in ${Date.now() - started} ms`);
  };
  const sockets: Socket[] = [];

  // Authentication.
  assert.equal((await post(node.port, '{"method":"getblockcount"}')).status, 401);
  assert.equal((await post(node.port, '{"method":"getblockcount"}', '__cookie__:wrong')).status, 401);
  assert.equal((await post(node.port, '{"method":"getblockcount"}', 'someone:else')).status, 401);
  await prompt('after refused credentials');

  // Broken requests: Core's status codes and error codes.
  const parse = await post(node.port, '{"method": "getblockcount", ', cookie);
  assert.equal(parse.status, 500);
  assert.equal(JSON.parse(parse.body).error.code, -32700);
  const notObject = await post(node.port, '"getblockcount"', cookie);
  assert.equal(notObject.status, 500);
  assert.deepEqual(JSON.parse(notObject.body).error, { code: -32700, message: 'Top-level object parse error' });
  const unknown = await call('nosuchmethod');
  assert.equal(JSON.parse(unknown.body).error.code, -32601);
  const wrongType = await call('getblockhash', ['zero']);
  assert.equal(JSON.parse(wrongType.body).error.code, -3);
  const badParams = await post(node.port, JSON.stringify({ method: 'getblockhash', params: 7 }), cookie);
  assert.ok(badParams.status >= 400 && JSON.parse(badParams.body).error, badParams.body);
  const badHex = await call('submitblock', ['zz']);
  assert.equal(JSON.parse(badHex.body).error.code, -22);
  await prompt('after broken requests');

  // A slow client trickling its headers, idle connections, half-open ones: none blocks the others.
  const slow = await open(node.port);
  sockets.push(slow);
  const head = `POST / HTTP/1.1\r\nHost: x\r\nAuthorization: Basic ${Buffer.from(cookie).toString('base64')}\r\n`;
  let sent = 0;
  const trickle = setInterval(() => {
    if (sent < head.length && !slow.destroyed) slow.write(head[sent++]);
  }, 20);
  for (let i = 0; i < 40; i++) sockets.push(await open(node.port));
  for (let i = 0; i < 5; i++) {
    const half = await open(node.port);
    half.on('error', () => {});
    half.end('POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{"meth');
    sockets.push(half);
  }
  for (const s of sockets) s.on('error', () => {});
  for (let i = 0; i < 10; i++) await prompt(`with a slow client and ${sockets.length} idle or half-open connections (${i})`);

  // A body over 32 MiB: 413 or a close, and the node still serves.
  const big = Buffer.alloc(0x02000000 + 1024, 0x20);
  big.write('{"method":"getblockcount","params":[');
  const oversized = await post(node.port, big, cookie).catch((e: Error) => ({ status: 0, body: e.message }));
  assert.ok(oversized.status === 413 || oversized.status === 0, `oversized body: ${oversized.status} ${oversized.body}`);
  await prompt('after an oversized body');
  const ok = await call('getblockchaininfo');
  assert.equal(ok.status, 200);
  assert.equal(JSON.parse(ok.body).result.chain, 'regtest');

  clearInterval(trickle);
  assert.equal(await node.stop(), 0);
  assert.equal(node.stderr, '');
  for (const s of sockets) s.destroy();
});
