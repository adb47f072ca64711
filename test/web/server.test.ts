/**
 * The status page's server on a real engine: what it serves and refuses, one snapshot shared by every SSE
 * client, no listener or socket left behind by clients that come and go, bounded history and log, and
 * credentials off loopback.
 */
import assert from 'node:assert/strict';
import http from 'node:http';
import { test } from 'node:test';
import { saltedEntry } from '../../src/rpc/auth.js';
import { WebServer } from '../../src/web/server.js';
import { waitFor } from '../node/fixtures/whole-node.js';
import { parsePrometheusText, sampleValue } from './prom-text.js';
import { localUrl, startWebNode } from './web-fixture.js';

interface SseEvent {
  name: string;
  data: string;
}

/** A real SSE client on a socket: the events as they arrive. */
function openStream(url: string): { events: SseEvent[]; status: Promise<number>; close(): void } {
  const events: SseEvent[] = [];
  let buffer = '';
  let req: http.ClientRequest;
  const status = new Promise<number>((resolve, reject) => {
    req = http.get(url, (res) => {
      resolve(res.statusCode ?? 0);
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        buffer += chunk;
        let end;
        while ((end = buffer.indexOf('\n\n')) >= 0) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const name = /^event: (.*)$/m.exec(block)?.[1];
          const data = /^data: (.*)$/m.exec(block)?.[1];
          if (name && data !== undefined) events.push({ name, data });
        }
      });
      res.on('error', () => {});
    });
    req.on('error', reject);
  });
  return { events, status, close: () => req.destroy() };
}

async function get(url: string, init: RequestInit = {}): Promise<{ status: number; type: string; text: string; headers: Headers }> {
  const res = await fetch(url, init);
  return { status: res.status, type: res.headers.get('content-type') ?? '', text: await res.text(), headers: res.headers };
}

test('the page, its assets, the snapshot and /metrics are served read-only, with a strict content policy', async () => {
  const node = await startWebNode();
  try {
    const page = await get(localUrl(node.web));
    assert.equal(page.status, 200);
    assert.match(page.type, /text\/html/);
    assert.match(page.text, /<script src="app.js"><\/script>/);
    assert.match(page.headers.get('content-security-policy') ?? '', /script-src 'self'/);
    for (const asset of ['/app.js', '/chart.js', '/style.css']) assert.equal((await get(localUrl(node.web, asset))).status, 200, asset);
    const json = JSON.parse((await get(localUrl(node.web, '/status.json?history'))).text);
    assert.equal(json.snapshot.network, 'regtest');
    assert.equal(json.snapshot.chainstates.length, 1);
    assert.deepEqual(json.snapshot.peers, []);
    assert.ok(Array.isArray(json.history) && json.history.length >= 1);
    assert.ok(json.snapshot.disk.some((d: { name: string }) => d.name === 'blocks'));
    assert.equal((await get(localUrl(node.web, '/nothing'))).status, 404);
    assert.equal((await get(localUrl(node.web, '/metrics'), { method: 'POST', body: 'x' })).status, 405);
    const metrics = await get(localUrl(node.web, '/metrics'));
    assert.match(metrics.type, /^text\/plain; version=0\.0\.4/);
    const families = parsePrometheusText(metrics.text);
    assert.equal(sampleValue(families, 'chainsnap_chainstates'), 1);
    assert.equal(sampleValue(families, 'chainsnap_chainstate_height', { role: 'normal' }), 0);
    assert.equal(sampleValue(families, 'chainsnap_peers'), 0);
    for (const name of families.keys()) assert.match(name, /^chainsnap_[a-z0-9_]+$/);
  } finally {
    await node.close();
  }
});

test('every SSE client gets the same snapshot, computed once per interval', async () => {
  const node = await startWebNode({ intervalMs: 50 });
  const clients = Array.from({ length: 5 }, () => openStream(localUrl(node.web, '/events')));
  try {
    for (const c of clients) assert.equal(await c.status, 200);
    const broadcasts = (c: { events: SseEvent[] }) => c.events.filter((e) => e.name === 'status' && e.data.includes('"point"'));
    await waitFor('three broadcasts at every client', async () => (clients.every((c) => broadcasts(c).length >= 3) ? true : undefined), 30_000);
    for (const c of clients) assert.equal(c.events[0].name, 'history');
    // The last broadcast every client has seen: the same bytes everywhere.
    const times = clients.map((c) => new Set(broadcasts(c).map((e) => (JSON.parse(e.data) as { snapshot: { time: number } }).snapshot.time)));
    const common = [...times[0]].filter((t) => times.every((s) => s.has(t)));
    assert.ok(common.length >= 1, 'a broadcast all clients received');
    const t = common.at(-1)!;
    const payloads = clients.map((c) => broadcasts(c).find((e) => e.data.includes(`"time":${t},`))!.data);
    for (const p of payloads) assert.equal(p, payloads[0]);
  } finally {
    for (const c of clients) c.close();
    await node.close();
  }
});

test('clients coming and going leave no listener, socket or client behind; history and log stay bounded', async () => {
  const node = await startWebNode({ intervalMs: 20, historySeconds: 0.2 });
  try {
    const baseline = node.web.collector.listenerCount;
    for (let i = 0; i < 200; i++) {
      const c = openStream(localUrl(node.web, '/events'));
      await c.status;
      await waitFor('the history event', async () => (c.events.length > 0 ? true : undefined), 10_000, 5);
      c.close();
    }
    await waitFor('every client gone', async () => (node.web.hub.clientCount === 0 ? true : undefined), 10_000);
    assert.equal(node.web.collector.listenerCount, baseline, 'the hub stops listening when nobody watches');
    await waitFor('every socket closed', async () => (node.web['sockets'].size === 0 ? true : undefined), 10_000);

    // The chart keeps the last 0.2 s at 20 ms a point: 10 points, however long it runs.
    let ticks = 0;
    const stop = node.web.collector.subscribe(() => ticks++);
    await waitFor('30 more samples', async () => (ticks >= 30 ? true : undefined), 30_000, 10);
    stop();
    assert.equal(node.web.collector.historyPoints().length, 10);

    for (let i = 0; i < 120; i++) node.ctx.log.warn(`warning number ${i}`);
    node.ctx.log.error('<b>not html</b>');
    const log = node.web.collector.tick()!.log;
    assert.equal(log.recent.length, 50);
    assert.equal(log.warnings >= 120, true);
    assert.equal(log.errors, 1);
    assert.equal(log.recent.at(-1)!.message, '<b>not html</b>');
    assert.equal(log.recent.at(-2)!.message, 'warning number 119');
  } finally {
    await node.close();
  }
});

test('bound off loopback, every request needs the RPC credentials; without any, the page does not start', async () => {
  const entry = saltedEntry('__cookie__', 'secret-cookie');
  const node = await startWebNode({ host: '0.0.0.0', credentials: [entry] });
  try {
    const basic = (user: string, pass: string) => ({ authorization: `Basic ${Buffer.from(`${user}:${pass}`).toString('base64')}` });
    for (const p of ['/', '/metrics', '/events', '/status.json']) {
      const refused = await get(localUrl(node.web, p));
      assert.equal(refused.status, 401, p);
      assert.match(refused.headers.get('www-authenticate') ?? '', /^Basic /);
      assert.equal((await get(localUrl(node.web, p), { headers: basic('__cookie__', 'wrong') })).status, 401, p);
    }
    assert.equal((await get(localUrl(node.web, '/metrics'), { headers: basic('__cookie__', 'secret-cookie') })).status, 200);
  } finally {
    await node.close();
  }
  await assert.rejects(
    WebServer.start({ host: '0.0.0.0', port: 0, providers: node.web.collector['providers'], log: node.ctx.log }),
    /needs RPC credentials/,
  );
});

test('the stream takes 64 viewers at once and answers 503 to more', async () => {
  const node = await startWebNode();
  const clients = Array.from({ length: 64 }, () => openStream(localUrl(node.web, '/events')));
  try {
    for (const c of clients) assert.equal(await c.status, 200);
    await waitFor('64 clients', async () => (node.web.hub.clientCount === 64 ? true : undefined), 10_000);
    const extra = await get(localUrl(node.web, '/events'));
    assert.equal(extra.status, 503);
    assert.equal(extra.headers.get('retry-after'), '10');
  } finally {
    for (const c of clients) c.close();
    await node.close();
  }
});
