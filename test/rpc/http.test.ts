/**
 * The HTTP side under hostile and unusual clients, as Core's interface_http.py and interface_rpc.py drive
 * it: keep-alive and Connection: close, pipelined requests answered in order, header and body limits,
 * unknown methods and paths, garbage, slow and half-open clients that must not hold up anyone else, the
 * idle timeout, the work queue's 503, the allow list's 403, and a shutdown that lets calls in flight finish.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import net from 'node:net';
import { networkInterfaces } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { basic, request, startHarness, waitFor, type Harness } from './harness.js';

function cookieAuth(h: Harness): string {
  return basic('__cookie__', readFileSync(path.join(h.dir, '.cookie'), 'utf8').split(':')[1]!);
}

/** A raw connection: what was received so far, and whether the server closed it. */
function connect(port: number, host = '127.0.0.1', localAddress?: string) {
  const socket = net.connect({ port, host, localAddress });
  const state = { data: '', closed: false, socket };
  socket.on('data', (d) => (state.data += d.toString('latin1')));
  socket.on('close', () => (state.closed = true));
  socket.on('error', () => {});
  return state;
}

function rawPost(auth: string, body: string, extra = ''): string {
  return `POST / HTTP/1.1\r\nAuthorization: ${auth}\r\n${extra}Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`;
}

const h = await startHarness({ threads: 2, workQueue: 2 });
const auth = cookieAuth(h);
const uptimeOk = async () => (await request(h.port, '{"method":"uptime"}', { auth })).status === 200;

test('keep-alive by default; Connection: close closes after the reply', async () => {
  const c = connect(h.port);
  c.socket.write(rawPost(auth, '{"method":"uptime"}'));
  await waitFor(() => c.data.includes('"error":null'));
  c.socket.write(rawPost(auth, '{"method":"getconnectioncount","id":7}'));
  await waitFor(() => c.data.includes('"result":0,"error":null,"id":7'));
  assert.equal(c.closed, false);
  c.socket.write(rawPost(auth, '{"method":"uptime"}', 'Connection: close\r\n'));
  await waitFor(() => c.closed);
  assert.equal(c.data.match(/HTTP\/1\.1 200/g)?.length, 3);
});

test('pipelined requests on one connection are served one after the other, in order', async () => {
  const c = connect(h.port);
  c.socket.write(rawPost(auth, '{"method":"waitforgate"}') + rawPost(auth, '{"method":"echo","params":["second"]}'));
  await waitFor(() => h.gate.waiting.length === 1);
  // The second request waits for the first: the echo has not even started.
  assert.equal(c.data, '');
  assert.deepEqual(h.server.activeCommands().map((a) => a.method), ['waitforgate']);
  h.gate.releaseAll();
  await waitFor(() => c.data.includes('"second"'));
  assert.ok(c.data.indexOf('"released"') < c.data.indexOf('"second"'));
  c.socket.destroy();
});

test('unknown HTTP methods 405, unknown paths 404, long heads 400, garbage 400', async () => {
  assert.equal((await request(h.port, undefined, { method: 'DELETE', auth })).status, 405);
  assert.equal((await request(h.port, undefined, { method: 'GET', path: '/' + 'x'.repeat(1000) })).status, 404);
  assert.equal((await request(h.port, undefined, { method: 'GET', path: '/' + 'x'.repeat(10000) })).status, 400);
  const c = connect(h.port);
  c.socket.write('\x00\x01garbage that is no HTTP\r\n\r\n');
  await waitFor(() => c.closed);
  assert.match(c.data, /^HTTP\/1\.1 400 Bad Request/);
  assert.ok(await uptimeOk());
});

test('bodies over 32 MiB get 413, by Content-Length and when chunked; the server goes on', async () => {
  const big = connect(h.port);
  big.socket.write(`POST / HTTP/1.1\r\nAuthorization: ${auth}\r\nContent-Length: ${0x02000001}\r\n\r\n{"method":`);
  await waitFor(() => big.data.length > 0);
  assert.match(big.data, /^HTTP\/1\.1 413/);
  // The server drains for a moment, then closes the connection.
  await waitFor(() => big.closed);
  const chunked = connect(h.port);
  chunked.socket.write(`POST / HTTP/1.1\r\nAuthorization: ${auth}\r\nTransfer-Encoding: chunked\r\n\r\n`);
  const chunk = Buffer.alloc(1 << 20, 0x20);
  for (let i = 0; i < 40 && !chunked.data; i++) {
    chunked.socket.write(`${chunk.length.toString(16)}\r\n`);
    chunked.socket.write(chunk);
    chunked.socket.write('\r\n');
    await new Promise((r) => setImmediate(r));
  }
  await waitFor(() => chunked.closed);
  assert.match(chunked.data, /^HTTP\/1\.1 413/);
  // A body just under the limit is read and parsed (here: a parse error, 500).
  const under = await request(h.port, '[' + ' '.repeat(0x02000000 - 2) + '1', { auth });
  assert.equal(under.status, 500);
  assert.ok(await uptimeOk());
});

test('slow and half-open clients do not hold up anyone else', async () => {
  const dribbler = connect(h.port);
  const request1 = rawPost(auth, '{"method":"uptime"}');
  let sent = 0;
  const timer = setInterval(() => {
    if (sent < request1.length && !dribbler.closed) dribbler.socket.write(request1[sent++]!);
  }, 20);
  const halfHead = connect(h.port);
  halfHead.socket.write('POST / HTTP/1.1\r\nContent-Length: 50\r\n');
  const halfBody = connect(h.port);
  halfBody.socket.write(`POST / HTTP/1.1\r\nAuthorization: ${auth}\r\nContent-Length: 50\r\n\r\n{"meth`);
  const silent = connect(h.port);
  for (let i = 0; i < 20; i++) {
    const started = Date.now();
    assert.ok(await uptimeOk());
    assert.ok(Date.now() - started < 1000);
  }
  clearInterval(timer);
  for (const c of [dribbler, halfHead, halfBody, silent]) c.socket.destroy();
});

test('-rpcservertimeout: an incomplete request is dropped (EOF, no reply) after the timeout; a complete one is served', async () => {
  const t = await startHarness({ serverTimeoutSeconds: 1 });
  const c = connect(t.port);
  const start = Date.now();
  c.socket.write('GET /test1 HTTP/1.1\r\nHost: somehost\r\n');
  await waitFor(() => c.closed);
  const took = Date.now() - start;
  assert.equal(c.data, '');
  assert.ok(took >= 900 && took <= 4000, `closed after ${took} ms`);
  // So is one whose body stops coming.
  const halfBody = connect(t.port);
  halfBody.socket.write(`POST / HTTP/1.1\r\nAuthorization: ${cookieAuth(t)}\r\nContent-Length: 50\r\n\r\n{"meth`);
  await waitFor(() => halfBody.closed);
  assert.equal(halfBody.data, '');
  // A long call is not cut by the idle timeout.
  const tauth = cookieAuth(t);
  const slow = request(t.port, '{"method":"waitforgate"}', { auth: tauth });
  await waitFor(() => t.gate.waiting.length === 1);
  await new Promise((r) => setTimeout(r, 1500));
  t.gate.releaseAll();
  assert.equal((await slow).status, 200);
  const d = connect(t.port);
  d.socket.write('GET /test2 HTTP/1.1\r\nHost: somehost\r\n\r\n');
  await waitFor(() => d.data.length > 0);
  assert.match(d.data, /^HTTP\/1\.1 404 Not Found/);
  d.socket.destroy();
});

test('work queue: -rpcthreads calls run, -rpcworkqueue wait, the rest get 503', async () => {
  const q = await startHarness({ threads: 1, workQueue: 1 });
  const qauth = cookieAuth(q);
  const first = request(q.port, '{"method":"waitforgate"}', { auth: qauth });
  await waitFor(() => q.gate.waiting.length === 1);
  const second = request(q.port, '{"method":"waitforgate"}', { auth: qauth });
  // The second is queued (not running): wait until the server has read it, by polling a third until refused.
  let refused;
  await waitFor(async () => {
    refused = await request(q.port, '{"method":"uptime"}', { auth: qauth });
    return refused.status === 503;
  });
  assert.equal(refused!.text, 'Work queue depth exceeded');
  q.gate.releaseAll();
  assert.equal((await first).status, 200);
  await waitFor(() => q.gate.waiting.length === 1);
  q.gate.releaseAll();
  assert.equal((await second).status, 200);
  assert.equal((await request(q.port, '{"method":"uptime"}', { auth: qauth })).status, 200);
});

const external = Object.values(networkInterfaces())
  .flat()
  .find((i) => i && i.family === 'IPv4' && !i.internal)?.address;

test('-rpcallowip: a client outside loopback and the allowed subnets gets 403', { skip: external ? false : 'no non-loopback IPv4 address' }, async () => {
  const a = await startHarness({ binds: [{ host: external!, port: 0 }] });
  const c = connect(a.port, external!, external!);
  c.socket.write(rawPost(cookieAuth(a), '{"method":"uptime"}'));
  await waitFor(() => c.closed);
  assert.match(c.data, /^HTTP\/1\.1 403/);
  const b = await startHarness({ binds: [{ host: external!, port: 0 }], allowIps: [`${external}/32`] });
  const d = connect(b.port, external!, external!);
  d.socket.write(rawPost(cookieAuth(b), '{"method":"uptime"}', 'Connection: close\r\n'));
  await waitFor(() => d.closed);
  assert.match(d.data, /^HTTP\/1\.1 200/);
});

test('stop replies "Bitcoin Core stopping", then asks for shutdown; close() lets calls in flight finish', async () => {
  const s = await startHarness();
  const sauth = cookieAuth(s);
  const r = await request(s.port, '{"jsonrpc":"2.0","id":1,"method":"stop"}', { auth: sauth });
  assert.deepEqual(r.json, { jsonrpc: '2.0', result: 'Bitcoin Core stopping', id: 1 });
  await waitFor(() => s.shutdowns === 1);
  const inFlight = request(s.port, '{"method":"waitforgate"}', { auth: sauth });
  await waitFor(() => s.gate.waiting.length === 1);
  const closing = s.server.close();
  s.gate.releaseAll();
  const reply = await inFlight;
  assert.equal(reply.status, 200);
  assert.equal(reply.headers.connection, 'close');
  await closing;
  await assert.rejects(request(s.port, '{"method":"uptime"}', { auth: sauth }), /ECONNREFUSED/);
});

test('after all of the above, the first server still serves', async () => {
  assert.ok(await uptimeOk());
});
