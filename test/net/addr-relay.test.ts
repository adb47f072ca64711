/**
 * Address relay on a real daemon over real sockets, as Core's net_processing does it: fresh addresses
 * from a small addr message go to peers that take part in address relay (an inbound peer does once it
 * sent an addr-related message), on the Poisson timer that setmocktime moves on; a peer that never did
 * gets nothing; getaddr is answered once per connection; addpeeraddress fills the address manager.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { decodeAddrs, encodeAddrs, encodeU64 } from '../../src/net/messages.js';
import { scratchDir } from '../helpers.js';
import { DaemonProcess, freePort } from '../node/daemon-process.js';
import { RawPeer, waitFor } from './raw-peer.js';

const addrsIn = (p: RawPeer) => p.received.filter((m) => m.type === 'addr').flatMap((m) => decodeAddrs(m.payload, false, 1000).addrs!);

async function pinged(p: RawPeer, nonce: bigint): Promise<void> {
  p.send('ping', encodeU64(nonce));
  await waitFor(() => p.received.some((m) => m.type === 'pong' && encodeU64(nonce).every((b, i) => b === m.payload[i])), 'the pong');
}

test('addresses are relayed to addr-relay peers on the timer, never to a peer that sent nothing addr-related', async () => {
  const port = await freePort();
  const node = await DaemonProcess.start({ datadir: scratchDir(), conf: ['[regtest]', 'bind=127.0.0.1', `port=${port}`, 'dnsseed=0', 'fixedseeds=0', 'connect=0'], args: ['-whitelist=addr@127.0.0.1'] });
  try {
    const [source, a, b, blackhole] = await Promise.all([0, 1, 2, 3].map(() => RawPeer.connect(port)));
    for (const p of [source, a, b, blackhole]) await p.handshake();
    for (const p of [a, b]) p.send('getaddr');
    for (const [i, p] of [a, b, blackhole].entries()) await pinged(p, BigInt(i + 1));
    const peers = await node.call<{ addr_relay_enabled: boolean }[]>('getpeerinfo');
    assert.deepEqual(peers.map((p) => p.addr_relay_enabled), [false, true, true, false]);

    const now = Math.floor(Date.now() / 1000);
    const fresh = [Uint8Array.of(123, 123, 0, 1), Uint8Array.of(123, 123, 0, 2)].map((bytes) => ({ net: 'ipv4' as const, bytes, port: 8333, time: now, services: 9n }));
    source.send('addr', encodeAddrs(fresh, false));
    await pinged(source, 10n);
    // Past any Poisson delay (30 s on average): each address goes to two relay peers, here both.
    assert.equal(await node.call('setmocktime', now + 600), null);
    for (const [i, p] of [a, b].entries()) {
      await pinged(p, BigInt(20 + i));
      assert.deepEqual(addrsIn(p).map((x) => x.bytes[3]).sort(), [1, 2]);
    }
    await pinged(blackhole, 30n);
    assert.equal(blackhole.count('addr'), 0);
    assert.equal(source.count('addr'), 0, 'never back to where the addresses came from');

    // A second getaddr on the same connection is ignored.
    a.send('getaddr');
    await pinged(a, 40n);
    // Under 1200 s past the node's own first ping, which these peers never answer: past 20 minutes (Core's
    // TIMEOUT_INTERVAL) the node drops them for a ping timeout. `now` is rounded down, so a jump to now + 1200
    // crossed that line whenever the ping went out in an earlier second, and the peer was gone if the node's
    // 100 ms timer ran before the test's ping arrived (getpeerinfo showed pingwait 1200.4).
    assert.equal(await node.call('setmocktime', now + 900), null);
    await pinged(a, 41n);
    assert.equal(addrsIn(a).length, 2);
  } finally {
    await node.stop();
  }
  assert.equal(node.stderr, '');
});

test('addpeeraddress: routable addresses go to the address manager, others are refused as in Core', async () => {
  const port = await freePort();
  const node = await DaemonProcess.start({ datadir: scratchDir(), conf: ['[regtest]', 'bind=127.0.0.1', `port=${port}`, 'dnsseed=0', 'fixedseeds=0', 'connect=0'] });
  try {
    assert.deepEqual(await node.call('addpeeraddress', '1.2.3.4', 8333), { success: true });
    assert.deepEqual(await node.call('addpeeraddress', '1.2.3.4', 8333), { error: 'failed-adding-to-new', success: false });
    assert.deepEqual(await node.call('addpeeraddress', '127.0.0.1', 8333), { error: 'failed-adding-to-new', success: false });
    assert.deepEqual(await node.call('addpeeraddress', '5.6.7.8', 8333, true), { success: true });
    await assert.rejects(node.call('addpeeraddress', 'not-an-ip', 8333), /Invalid IP address/);
    assert.equal((await node.call<unknown[]>('getnodeaddresses', 0)).length, 2);
  } finally {
    await node.stop();
  }
});
