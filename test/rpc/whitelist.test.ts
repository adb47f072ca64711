/** -rpcwhitelist: Core's parsing (intersection, commas and spaces) and 403s from a real server before any call runs. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { rpcAuthLine } from '../../src/rpc/auth.js';
import { checkWhitelist, parseRpcWhitelist } from '../../src/rpc/whitelist.js';
import { basic, request, startHarness } from './harness.js';

test('whitelists as Core parses them: set intersection for a repeated user, default on when any is given', () => {
  const w = parseRpcWhitelist(['a:getblockcount, getbestblockhash', 'a:getblockcount', 'b:', 'c']);
  assert.equal(w.byDefault, true);
  assert.deepEqual([...w.users.get('a')!], ['getblockcount']);
  assert.deepEqual([...w.users.get('b')!], ['']);
  assert.deepEqual([...w.users.get('c')!], []);
  assert.equal(parseRpcWhitelist([]).byDefault, false);
  assert.equal(parseRpcWhitelist(['a:x'], false).byDefault, false);
  assert.deepEqual(checkWhitelist(w, 'a', { method: 'getnetworkinfo' }), { allowed: false, method: 'getnetworkinfo' });
  assert.deepEqual(checkWhitelist(w, 'a', [{ method: 'getblockcount' }, 7]), { invalidBatch: true });
  assert.deepEqual(checkWhitelist(w, 'nobody', { method: 'getblockcount' }), { allowed: false });
  assert.deepEqual(checkWhitelist(parseRpcWhitelist(['a:x'], false), 'nobody', { method: 'y' }), { allowed: true });
});

test('a whitelisted user gets 403 for other methods, singly or in a batch; others get 403 under the default', async () => {
  const h = await startHarness({
    auth: { cookieFile: null, rpcauth: [rpcAuthLine('u1', 'p1'), rpcAuthLine('u2', 'p2')] },
    whitelist: parseRpcWhitelist(['u1:uptime,echo']),
  });
  const u1 = basic('u1', 'p1');
  assert.equal((await request(h.port, '{"method":"uptime","id":1}', { auth: u1 })).status, 200);
  assert.equal((await request(h.port, '{"method":"getnetworkinfo","id":1}', { auth: u1 })).status, 403);
  assert.equal((await request(h.port, '[{"method":"uptime"},{"method":"getnetworkinfo"}]', { auth: u1 })).status, 403);
  const batch = await request(h.port, '[{"method":"uptime"},3]', { auth: u1 });
  assert.equal(batch.status, 400);
  assert.deepEqual(batch.json, { result: null, error: { code: -32600, message: 'Invalid Request object' }, id: null });
  assert.equal((await request(h.port, '{"method":"uptime","id":1}', { auth: basic('u2', 'p2') })).status, 403);
  assert.equal((await request(h.port, 'not json', { auth: u1 })).status, 500, "the dispatcher's parse error");
});
