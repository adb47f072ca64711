/**
 * The allow list and bind rules (Core's -rpcallowip subnet forms, -rpcbind with and without -rpcallowip),
 * and exact JSON numbers for amounts.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { allowList, clientAllowed, parseSubnet, rpcBinds, splitHostPort } from '../../src/rpc/access.js';
import { JsonNumber, writeJson } from '../../src/rpc/request.js';
import { valueFromAmount } from '../../src/rpc/util.js';

test('loopback is always allowed, IPv4-mapped addresses count as IPv4, others only when listed', () => {
  const base = allowList([]);
  for (const a of ['127.0.0.1', '127.255.0.9', '::1', '::ffff:127.0.0.1']) assert.ok(clientAllowed(base, a), a);
  for (const a of ['10.0.0.1', '::2', '::ffff:10.0.0.1', undefined, 'not-an-ip']) assert.ok(!clientAllowed(base, a), String(a));
  const list = allowList(['10.1.0.0/16', '192.168.1.7', '172.16.0.0/255.240.0.0', 'fe80::/10']);
  assert.ok(clientAllowed(list, '10.1.200.3'));
  assert.ok(!clientAllowed(list, '10.2.0.1'));
  assert.ok(clientAllowed(list, '::ffff:192.168.1.7'));
  assert.ok(!clientAllowed(list, '192.168.1.8'));
  assert.ok(clientAllowed(list, '172.31.255.255'));
  assert.ok(!clientAllowed(list, '172.32.0.0'));
  assert.ok(clientAllowed(list, 'fe80::1%eth0'));
  assert.ok(clientAllowed(allowList(['0.0.0.0/0']), '8.8.8.8'));
  assert.ok(clientAllowed(allowList(['::/0']), '2001:db8::1'));
  assert.ok(!clientAllowed(allowList(['::/0']), '8.8.8.8'));
});

test('invalid -rpcallowip values are refused with Core\'s message', () => {
  for (const bad of ['', 'abc', '1.2.3.4/33', '1.2.3.4/255.0.255.0', '::/129', '1.2.3.4/ffff::', 'example.com']) {
    assert.equal(parseSubnet(bad), undefined, bad);
  }
  assert.throws(() => allowList(['1.2.3']), /^Error: Invalid -rpcallowip subnet specification: 1\.2\.3\. Valid values are a single IP/);
});

test('-rpcbind counts only with -rpcallowip; host:port forms', () => {
  assert.deepEqual(rpcBinds([], [], 18443).binds, [{ host: '::1', port: 18443 }, { host: '127.0.0.1', port: 18443 }]);
  const ignored = rpcBinds(['0.0.0.0'], [], 18443);
  assert.equal(ignored.binds.length, 2);
  assert.match(ignored.warnings[0]!, /-rpcbind was ignored because -rpcallowip was not specified/);
  assert.match(rpcBinds([], ['10.0.0.0/8'], 1).warnings[0]!, /-rpcallowip was specified without -rpcbind/);
  assert.deepEqual(rpcBinds(['0.0.0.0', '[::]:9000', '10.0.0.2:8000'], ['10.0.0.0/8'], 18443).binds, [
    { host: '0.0.0.0', port: 18443 },
    { host: '::', port: 9000 },
    { host: '10.0.0.2', port: 8000 },
  ]);
  assert.deepEqual(splitHostPort('::1', 5), { host: '::1', port: 5 });
  assert.deepEqual(splitHostPort('[::1]', 5), { host: '::1', port: 5 });
  assert.throws(() => splitHostPort('127.0.0.1:0', 5), /Invalid port specified in -rpcbind: '127\.0\.0\.1:0'/);
  assert.throws(() => splitHostPort('127.0.0.1:x', 5), /Invalid port/);
});

test('amounts are written with eight decimals; bigints as numbers; strings are never turned into numbers', () => {
  assert.equal(writeJson({ a: valueFromAmount(100), b: valueFromAmount(-5_000_000_000n), c: valueFromAmount(0) }), '{"a":0.00000100,"b":-50.00000000,"c":0.00000000}');
  assert.equal(writeJson([1n << 70n, 'x']), '[1180591620717411303424,"x"]');
  for (const s of ['\u0000#12\u0000#', '\u000012\u0000', '\\u0000#12\\u0000#']) assert.equal(writeJson([s, valueFromAmount(1)]), `[${JSON.stringify(s)},0.00000001]`);
  assert.throws(() => new JsonNumber('1; drop'), /not a JSON number/);
});
