/** The P2P options as Core's InitParameterInteraction and AppInitMain resolve them, refused in Core's words. */
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { resolveNodeConfig, NodeConfigError } from '../../src/node/node-config.js';
import { formatSubNet } from '../../src/net/netaddr.js';
import { scratchDir } from '../helpers.js';

function p2p(conf: string, args: string[] = []) {
  const dir = path.join(scratchDir(), 'd');
  mkdirSync(dir);
  writeFileSync(path.join(dir, 'bitcoin.conf'), `regtest=1\n[regtest]\n${conf}`);
  return resolveNodeConfig([`-datadir=${dir}`, ...args], { HOME: dir }).p2p;
}

test('defaults: listen on the network port, DNS and fixed seeds, 125 connections, 60 s peer timeout', () => {
  const o = p2p('');
  assert.equal(o.listen, true);
  assert.equal(o.port, 18444);
  assert.deepEqual(o.binds, []);
  assert.equal(o.connectOnly, false);
  assert.equal(o.dnsseed, true);
  assert.equal(o.fixedSeeds, true);
  assert.equal(o.maxConnections, 125);
  assert.equal(o.peerTimeout, 60);
  assert.deepEqual(o.reachable, ['ipv4', 'ipv6']);
});

test('-connect turns listening and DNS seeds off unless -bind asks to listen; connect=0 connects nowhere', () => {
  const only = p2p('connect=127.0.0.1:1\n');
  assert.deepEqual(only.connect, ['127.0.0.1:1']);
  assert.equal(only.connectOnly, true);
  assert.equal(only.listen, false);
  assert.equal(only.dnsseed, false);
  const none = p2p('connect=0\nbind=127.0.0.1\nport=12345\n');
  assert.deepEqual(none.connect, []);
  assert.equal(none.connectOnly, true);
  assert.equal(none.listen, true);
  assert.equal(none.binds[0]!.port, 12345);
  assert.equal(p2p('', ['-noconnect']).connectOnly, true);
});

test('whitelists, onlynet and bad values', () => {
  const o = p2p('whitelist=addr,noban@127.0.0.0/8\nonlynet=ipv4\n');
  assert.equal(formatSubNet(o.whitelist[0]!.subnet), '127.0.0.0/8');
  assert.ok(o.whitelist[0]!.permissions.includes('addr') && o.whitelist[0]!.permissions.includes('noban'));
  assert.deepEqual(o.reachable, ['ipv4']);
  const refuse = (conf: string, message: string) => assert.throws(() => p2p(conf), (e: Error) => e instanceof NodeConfigError && e.message === message);
  refuse('onlynet=carrierpigeon\n', "Unknown network specified in -onlynet: 'carrierpigeon'");
  refuse('peertimeout=0\n', 'peertimeout must be a positive integer.');
  refuse('whitelist=fly@127.0.0.1\n', "Invalid P2P permission: 'fly'");
  refuse('whitelist=127.0.0.1/99\n', "Invalid netmask specified in -whitelist: '127.0.0.1/99'");
  refuse('port=70000\n', "Invalid port specified in -port: '70000'");
});
