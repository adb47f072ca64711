/** Addresses, subnets and the two persisted tables: the ban list and the address manager. */
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { pino } from 'pino';
import { AddrMan } from '../../src/net/addrman.js';
import { BanMan } from '../../src/net/banman.js';
import { formatService, formatSubNet, netGroup, parseNetAddr, parseService, parseSubNet, subnetMatch } from '../../src/net/netaddr.js';
import { scratchDir } from '../helpers.js';

const log = pino({ level: 'silent' });

test("addresses and subnets print as Core's ToString", () => {
  assert.equal(formatService(parseService('[::ffff:1.2.3.4]:8333', 1)!), '1.2.3.4:8333');
  assert.equal(formatService(parseService('[2001:db8::1]:18444', 1)!), '[2001:db8::1]:18444');
  assert.equal(formatSubNet(parseSubNet('127.0.0.1')!), '127.0.0.1/32');
  assert.equal(formatSubNet(parseSubNet('127.0.0.1/24')!), '127.0.0.0/24');
  assert.equal(formatSubNet(parseSubNet('2001:4d48:ac57:400:cacf:e9ff:fe1d:9c63/19')!), '2001:4000::/19');
  assert.equal(formatSubNet(parseSubNet('10.0.0.0/255.255.0.0')!), '10.0.0.0/16');
  assert.equal(parseSubNet('127.0.0.1/42'), undefined);
  const onion = 'pg6mmjiyjmcrsslvykfwnntlaru7p5svn6y2ymmju6nubxndf4pscryd.onion';
  assert.equal(formatSubNet(parseSubNet(onion)!), onion);
  assert.ok(subnetMatch(parseSubNet('127.0.0.0/8')!, parseNetAddr('127.1.2.3')!));
  assert.equal(netGroup(parseNetAddr('8.8.4.4')!), netGroup(parseNetAddr('8.8.8.8')!));
  assert.notEqual(netGroup(parseNetAddr('8.8.4.4')!), netGroup(parseNetAddr('8.9.8.8')!));
});

test('bans persist in banlist.json, sorted as Core sorts them, and expire', () => {
  const dir = scratchDir();
  let now = 1_000_000;
  const bans = new BanMan(dir, log, () => now);
  assert.ok(existsSync(path.join(dir, 'banlist.json')));
  bans.ban(parseSubNet('127.0.0.0/32')!, 0, false);
  bans.ban(parseSubNet('127.0.0.0/24')!, 0, false);
  bans.ban(parseSubNet('192.168.0.1')!, 1, false);
  assert.ok(bans.isBanned(parseNetAddr('127.0.0.9')!));
  assert.deepEqual(bans.list().map((b) => formatSubNet(b.subnet)), ['127.0.0.0/24', '127.0.0.0/32', '192.168.0.1/32']);
  now += 3;
  const again = new BanMan(dir, log, () => now);
  assert.deepEqual(again.list().map((b) => formatSubNet(b.subnet)), ['127.0.0.0/24', '127.0.0.0/32']);
  assert.ok(again.unban(parseSubNet('127.0.0.0/24')!));
  assert.equal(again.unban(parseSubNet('127.0.0.0/24')!), false);
  const json = JSON.parse(readFileSync(path.join(dir, 'banlist.json'), 'utf8'));
  assert.deepEqual(json.banned_nets.map((b: { address: string }) => b.address), ['127.0.0.0/32']);
});

test('the address manager keeps new and tried addresses across a restart', () => {
  const dir = scratchDir();
  const now = 1_700_000_000;
  const a = new AddrMan(dir, 8333, log);
  const source = parseNetAddr('9.9.9.9')!;
  const addrs = ['1.2.3.4:8333', '5.6.7.8:8333', '[2001:4860::8888]:8333'].map((s) => ({ ...parseService(s, 8333)!, time: now - 60, services: 9n }));
  assert.equal(a.add(addrs, source, 0, now, '9.9.9.9'), 3);
  assert.equal(a.add(addrs, source, 0, now, '9.9.9.9'), 0, 'known addresses are not added twice');
  a.good(addrs[0]!, now);
  a.save();
  const b = new AddrMan(dir, 8333, log);
  assert.equal(b.size, 3);
  assert.deepEqual(b.all().filter((e) => e.tried).map((e) => formatService(e)), ['1.2.3.4:8333']);
  const picked = b.select(now, (e) => e.net === 'ipv4');
  assert.ok(picked && picked.net === 'ipv4');
});
