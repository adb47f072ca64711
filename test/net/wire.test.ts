/** The v1 framing and message codecs: Core's header checks, split input, and payload round trips. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { getChainParams } from '../../src/consensus/params.js';
import { fromHex, toHex } from '../../src/primitives/bytes.js';
import { frameMessage, MAX_PROTOCOL_MESSAGE_LENGTH, serviceNames } from '../../src/net/protocol.js';
import { TransportError, V1Receiver } from '../../src/net/transport.js';
import { decodeAddrs, decodeInv, decodeLocator, decodeVersion, encodeAddrs, encodeInv, encodeLocator, encodeVersion } from '../../src/net/messages.js';

const magic = getChainParams('regtest').messageStart;

test('a message split at every byte arrives whole, once', () => {
  const frame = frameMessage(magic, 'ping', fromHex('3930000000000000'));
  for (let cut = 1; cut < frame.length; cut++) {
    const r = new V1Receiver(magic, 0);
    assert.deepEqual(r.receive(frame.subarray(0, cut)), []);
    const got = r.receive(frame.subarray(cut));
    assert.equal(got.length, 1);
    assert.equal(got[0]!.kind, 'message');
    if (got[0]!.kind === 'message') assert.equal(toHex(got[0]!.payload), '3930000000000000');
  }
});

test("wrong magic and oversized length end the connection with Core's log lines", () => {
  const bad = frameMessage(fromHex('ffffffff'), 'badmsg', fromHex('0164'));
  assert.throws(() => new V1Receiver(magic, 3).receive(bad), (e: Error) => e instanceof TransportError && e.message === 'Header error: Wrong MessageStart ffffffff received, peer=3');
  const header = frameMessage(magic, 'badmsg', new Uint8Array(0)).slice(0, 24);
  new DataView(header.buffer).setUint32(16, MAX_PROTOCOL_MESSAGE_LENGTH + 1, true);
  assert.throws(() => new V1Receiver(magic, 1).receive(header), /Header error: Size too large \(badmsg, 4000001 bytes\), peer=1/);
});

test('a bad checksum or message type drops the message only', () => {
  const frame = frameMessage(magic, 'badmsg\x01', fromHex('0164'));
  frame.set(fromHex('ffffffff'), 20);
  const r = new V1Receiver(magic, 0);
  const [got] = r.receive(frame);
  assert.equal(got!.kind, 'rejected');
  if (got!.kind === 'rejected') {
    assert.equal(got!.rawSize, 26);
    assert.match(got!.log, /Header error: Wrong checksum \(badmsg, 2 bytes\), expected [0-9a-f]{8} was ffffffff/);
  }
  const typed = frameMessage(magic, 'bad\x00msg', fromHex('0164'));
  const [t] = r.receive(typed);
  assert.equal(t!.kind, 'rejected');
  // The receiver goes on with the next message.
  assert.equal(r.receive(frameMessage(magic, 'verack', new Uint8Array(0)))[0]!.kind, 'message');
});

test('version, locators, inventories and addresses round-trip', () => {
  const v = encodeVersion({ version: 70016, services: 0x409n, theirServices: 0n, time: 1_700_000_000, addrRecv: { net: 'ipv4', bytes: Uint8Array.of(1, 2, 3, 4), port: 8333 }, nonce: 42n, userAgent: '/x:1/', startHeight: 7, relay: false });
  const d = decodeVersion(v);
  assert.equal(d.version, 70016);
  assert.equal(d.services, 0x409n);
  assert.equal(d.nonce, 42n);
  assert.equal(d.userAgent, '/x:1/');
  assert.equal(d.startHeight, 7);
  assert.equal(d.relay, false);
  assert.deepEqual([...d.addrRecv!.bytes], [1, 2, 3, 4]);
  const loc = decodeLocator(encodeLocator(70016, [new Uint8Array(32).fill(1)], new Uint8Array(32)));
  assert.equal(loc.locator.length, 1);
  const inv = decodeInv(encodeInv([{ type: 2, hash: new Uint8Array(32).fill(9) }]), 10);
  assert.equal(inv.items![0]!.type, 2);
  assert.equal(decodeInv(encodeInv(Array.from({ length: 11 }, () => ({ type: 1, hash: new Uint8Array(32) }))), 10).items, undefined);
  for (const v2 of [false, true]) {
    const addrs = decodeAddrs(encodeAddrs([{ net: 'ipv4', bytes: Uint8Array.of(9, 9, 9, 9), port: 8333, time: 5, services: 9n }], v2), v2, 1000).addrs!;
    assert.equal(addrs.length, 1);
    assert.equal(addrs[0]!.port, 8333);
    assert.equal(addrs[0]!.services, 9n);
  }
  assert.deepEqual(serviceNames(0x409n), ['NETWORK', 'WITNESS', 'NETWORK_LIMITED']);
});

test("addrv2: an unknown network is skipped, an address over 512 bytes is Core's error", () => {
  const raw = fromHex('02' + '61bc6649' + '01' + '99' + '02' + 'abab' + '208d' + '61bc6649' + '01' + '01' + '04' + '09090909' + '208d');
  const { addrs } = decodeAddrs(raw, true, 1000);
  assert.equal(addrs!.length, 1);
  assert.deepEqual([...addrs![0]!.bytes], [9, 9, 9, 9]);
  const long = fromHex('01' + '61bc6649' + '00' + '01' + 'fd0102' + 'ab'.repeat(513) + '208d');
  assert.throws(() => decodeAddrs(long, true, 1000), /Address too long: 513 > 512/);
  assert.throws(() => decodeAddrs(new Uint8Array(0), true, 1000), /end of data/);
});
