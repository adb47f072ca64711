/**
 * Authentication over real HTTP, with rpc_users.py's credentials: no answer without auth, wrong users and
 * passwords refused, and each of cookie, rpcuser/rpcpassword and rpcauth accepted; the cookie file's
 * content, mode, atomic write and removal at shutdown.
 */
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { cookiePath, parseRpcAuth, rpcAuthLine } from '../../src/rpc/auth.js';
import { basic, request, startHarness } from './harness.js';

const BODY = '{"method":"uptime"}';

// From Core's rpc_users.py.
const RT_PASSWORD = 'cA773lm788buwYe4g4WT+05pKyNruVKjQ25x3n0DQcM=';
const RT_AUTH = 'rt:93648e835a54c573682c2eb19f882535$7681e9c5b74bdd85e78166031d2058e1069b3ed7ed967c93fc63abba06f31144';
const USER1_AUTH = 'user1:6dd184e5e69271fdd69103464630014f$eb3d7ce67c4d1ff3564270519b03b636c0291012692a5fa3dd1d2075daedd07b';

async function refused(port: number, auth?: string): Promise<void> {
  const r = await request(port, BODY, { auth });
  assert.equal(r.status, 401, `auth ${auth}`);
  assert.equal(r.headers['www-authenticate'], 'Basic realm="jsonrpc"');
  assert.equal(r.text, '');
}

test('cookie: written as __cookie__:<64 hex>, mode 0600, atomically; accepted; removed at shutdown', async () => {
  const h = await startHarness();
  const file = path.join(h.dir, '.cookie');
  const cookie = readFileSync(file, 'utf8');
  assert.match(cookie, /^__cookie__:[0-9a-f]{64}$/);
  assert.equal(statSync(file).mode & 0o777, 0o600);
  assert.deepEqual(readdirSync(h.dir), ['.cookie']);
  const password = cookie.split(':')[1]!;
  assert.equal((await request(h.port, BODY, { auth: basic('__cookie__', password) })).status, 200);
  await refused(h.port);
  await refused(h.port, basic('__cookie__', password + 'wrong'));
  await refused(h.port, basic('__cookie__x', password));
  await refused(h.port, basic('user', 'pass'));
  await refused(h.port, 'Basic !!!not-base64');
  await refused(h.port, 'Basic ' + Buffer.from('no colon').toString('base64'));
  await refused(h.port, 'Bearer ' + password);
  // Only POST is served, and that is said before credentials are asked for.
  const get = await request(h.port, undefined, { method: 'GET' });
  assert.equal(get.status, 405);
  assert.equal(get.text, 'JSONRPC server handles only POST requests');
  await h.server.close();
  assert.equal(existsSync(file), false);
});

test('-rpccookieperms sets the mode; -rpccookiefile is relative to the network directory', async () => {
  assert.equal(cookiePath('/data/regtest'), '/data/regtest/.cookie');
  assert.equal(cookiePath('/data/regtest', 'sub/c'), '/data/regtest/sub/c');
  assert.equal(cookiePath('/data/regtest', '/abs/c'), '/abs/c');
  assert.equal(cookiePath('/data/regtest', false), null);
  for (const [perms, mode] of [['group', 0o640], ['all', 0o644], ['owner', 0o600]] as const) {
    const h = await startHarness({ auth: { cookieFile: null } });
    const file = path.join(h.dir, 'mycookie');
    await h.server.close();
    const g = await startHarness({ auth: { cookieFile: file, cookiePerms: perms } });
    assert.equal(statSync(file).mode & 0o777, mode);
    await g.server.close();
  }
});

test('rpcuser/rpcpassword: accepted (UTF-8 too), no cookie written', async () => {
  const h = await startHarness({ auth: { cookieFile: null, user: 'rpcuser💻', password: 'rpcpassword🔑' } });
  assert.equal((await request(h.port, BODY, { auth: basic('rpcuser💻', 'rpcpassword🔑') })).status, 200);
  await refused(h.port, basic('rpcuser💻', 'rpcpassword🔑wrong'));
  await refused(h.port, basic('rpcuser💻wrong', 'rpcpassword🔑'));
  assert.deepEqual(readdirSync(h.dir), []);
  // A password replaces the cookie even when a cookie file is configured (Core's InitRPCAuthentication).
  const g = await startHarness({ auth: { cookieFile: path.join(h.dir, '.cookie'), user: 'u', password: 'p' } });
  assert.equal(existsSync(path.join(h.dir, '.cookie')), false);
  assert.equal((await request(g.port, BODY, { auth: basic('u', 'p') })).status, 200);
});

test('rpcauth: Core\'s salted lines accepted beside the cookie; generated lines work', async () => {
  const line = rpcAuthLine('rt2', '8/F3uMDw4KSEbw96U3CA1C4X05dkHDN2BPFjTgZW4KI=');
  const h = await startHarness({ auth: { cookieFile: null, rpcauth: [RT_AUTH, USER1_AUTH, line] } });
  assert.equal((await request(h.port, BODY, { auth: basic('rt', RT_PASSWORD) })).status, 200);
  assert.equal((await request(h.port, BODY, { auth: basic('user1', 'bitcoin') })).status, 200);
  assert.equal((await request(h.port, BODY, { auth: basic('rt2', '8/F3uMDw4KSEbw96U3CA1C4X05dkHDN2BPFjTgZW4KI=') })).status, 200);
  await refused(h.port, basic('rt', RT_PASSWORD + 'wrong'));
  await refused(h.port, basic('rtwrong', RT_PASSWORD));
  await refused(h.port, basic('user1', 'bitcoin1'));
});

test('malformed -rpcauth lines are refused at start (Core: "Invalid -rpcauth argument.")', async () => {
  for (const bad of ['', '""', 'foo', 'foo:bar', 'foo:bar:baz', 'foo$bar:baz', 'foo$bar$baz']) {
    assert.throws(() => parseRpcAuth(bad), /Invalid -rpcauth argument\./, bad);
    await assert.rejects(startHarness({ auth: { cookieFile: null, rpcauth: [USER1_AUTH, bad] } }), /Invalid -rpcauth argument\./);
  }
  assert.deepEqual(parseRpcAuth(USER1_AUTH), {
    user: 'user1',
    salt: '6dd184e5e69271fdd69103464630014f',
    hash: 'eb3d7ce67c4d1ff3564270519b03b636c0291012692a5fa3dd1d2075daedd07b',
  });
});

test('-norpccookiefile with nothing else: every request is refused', async () => {
  const h = await startHarness({ auth: { cookieFile: null } });
  await refused(h.port, basic('__cookie__', ''));
  await refused(h.port, basic('', ''));
});

test('a start that binds nothing fails with Core\'s message and leaves no cookie behind', async () => {
  const h = await startHarness({ auth: { cookieFile: null } });
  const file = path.join(h.dir, 'c');
  // 192.0.2.1 (TEST-NET-1) is no address of this machine: the bind fails.
  await assert.rejects(startHarness({ binds: [{ host: '192.0.2.1', port: 0 }], auth: { cookieFile: file } }), /Unable to bind any endpoint for RPC server/);
  assert.equal(existsSync(file), false);
  // One failing address among working ones is tolerated (as ::1 without IPv6).
  const ok = await startHarness({ binds: [{ host: '192.0.2.1', port: 0 }, { host: '127.0.0.1', port: 0 }], auth: { cookieFile: null } });
  assert.deepEqual(ok.server.addresses().map((a) => a.host), ['127.0.0.1']);
});
