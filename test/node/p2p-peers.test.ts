/**
 * The P2P layer between real daemons on loopback: the handshake between two chainsnap nodes, hostile byte
 * streams that end in a disconnect while the node keeps serving, bans that refuse reconnects, and the
 * address manager across a restart.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { encodeAddrs, encodeInv, encodeU64 } from '../../src/net/messages.js';
import { frameMessage } from '../../src/net/protocol.js';
import { getChainParams } from '../../src/consensus/params.js';
import { scratchDir } from '../helpers.js';
import { RawPeer, waitFor } from '../net/raw-peer.js';
import { DaemonProcess, freePort } from './daemon-process.js';

interface PeerInfo {
  id: number;
  addr: string;
  inbound: boolean;
  subver: string;
  connection_type: string;
  bytesrecv_per_msg: Record<string, number>;
}

async function startNode(datadir: string, port: number, extra: string[] = []): Promise<DaemonProcess> {
  return DaemonProcess.start({ datadir, conf: ['[regtest]', 'bind=127.0.0.1', `port=${port}`, 'dnsseed=0', 'fixedseeds=0', 'connect=0'], args: extra });
}

test('two chainsnap nodes complete the handshake both ways and see each other in getpeerinfo', async () => {
  const [pa, pb] = [await freePort(), await freePort()];
  const a = await startNode(scratchDir(), pa, ['-uacomment=a']);
  const b = await startNode(scratchDir(), pb, ['-uacomment=b']);
  try {
    assert.equal(await b.call('addnode', `127.0.0.1:${pa}`, 'onetry'), null);
    const peer = async (n: DaemonProcess, inbound: boolean) => (await n.call<PeerInfo[]>('getpeerinfo')).find((p) => p.inbound === inbound);
    await waitFor(async () => ((await peer(a, true))?.bytesrecv_per_msg.pong ?? 0) >= 32, 'a has a pong from b');
    await waitFor(async () => ((await peer(b, false))?.bytesrecv_per_msg.pong ?? 0) >= 32, 'b has a pong from a');
    assert.match((await peer(a, true))!.subver, /\(b\)\/$/);
    assert.equal((await peer(b, false))!.connection_type, 'manual');
    const info = await a.call<{ connections: number; localservicesnames: string[] }>('getnetworkinfo');
    assert.equal(info.connections, 1);
    assert.deepEqual(info.localservicesnames, ['NETWORK', 'WITNESS', 'NETWORK_LIMITED']);
    const totals = await a.call<{ totalbytesrecv: number }>('getnettotals');
    assert.ok(totals.totalbytesrecv > 0);
    assert.equal(await a.call('disconnectnode', '', (await peer(a, true))!.id), null);
    await waitFor(async () => (await b.call<number>('getconnectioncount')) === 0, 'b sees the disconnect');
  } finally {
    await a.stop();
    await b.stop();
  }
  assert.equal(a.stderr, '');
});

test('garbage, an oversized message and a ping flood: the node drops the stream (or answers) and keeps going', async () => {
  const port = await freePort();
  const node = await startNode(scratchDir(), port);
  try {
    const garbage = await RawPeer.connect(port);
    garbage.sendRaw(Uint8Array.from({ length: 4096 }, (_, i) => (i * 7919) & 0xff));
    await waitFor(() => garbage.closed, 'a garbage stream is disconnected');

    const big = await RawPeer.connect(port);
    const header = frameMessage(getChainParams('regtest').messageStart, 'block', new Uint8Array(0)).slice(0, 24);
    new DataView(header.buffer).setUint32(16, 4_000_001, true);
    big.sendRaw(header);
    await waitFor(() => big.closed, 'an oversized message is disconnected');

    const flood = await RawPeer.connect(port);
    await flood.handshake();
    for (let i = 1; i <= 5000; i++) flood.send('ping', encodeU64(BigInt(i)));
    assert.equal(typeof (await node.call('getblockcount')), 'number', 'RPC answers during the flood');
    await waitFor(() => flood.count('pong') >= 5000, 'every ping is answered');
    assert.equal(flood.closed, false);

    const oversizedInv = await RawPeer.connect(port);
    await oversizedInv.handshake();
    oversizedInv.send('inv', encodeInv(Array.from({ length: 50_001 }, () => ({ type: 1, hash: new Uint8Array(32) }))));
    await waitFor(() => oversizedInv.closed, 'an oversized inv is misbehaviour: the loopback peer is disconnected');
    assert.equal(flood.closed, false, 'other peers stay');
    flood.close();
  } finally {
    assert.equal(await node.stop(), 0);
  }
});

test('setban disconnects and refuses a banned address; the address manager survives a restart', async () => {
  const [pa, pb] = [await freePort(), await freePort()];
  const dirA = scratchDir();
  let a = await startNode(dirA, pa);
  const b = await startNode(scratchDir(), pb);
  try {
    await b.call('addnode', `127.0.0.1:${pa}`, 'onetry');
    await waitFor(async () => (await a.call<number>('getconnectioncount')) === 1, 'b connects to a');
    await a.call('setban', '127.0.0.1', 'add');
    await waitFor(async () => (await a.call<number>('getconnectioncount')) === 0, 'the banned peer is dropped');
    await b.call('addnode', `127.0.0.1:${pa}`, 'onetry');
    const raw = await RawPeer.connect(pa);
    await waitFor(() => raw.closed, 'a banned address cannot connect');
    assert.equal(await a.call('getconnectioncount'), 0);
    assert.equal((await a.call<unknown[]>('listbanned')).length, 1);
    await a.call('clearbanned');

    const peer = await RawPeer.connect(pa);
    await peer.handshake();
    const now = Math.floor(Date.now() / 1000);
    peer.send('addr', encodeAddrs([{ net: 'ipv4', bytes: Uint8Array.of(1, 2, 3, 4), port: 18444, time: now, services: 9n }], false));
    await waitFor(async () => (await a.call<unknown[]>('getnodeaddresses', 0)).length === 1, 'the address is kept');
    peer.close();
    assert.equal(await a.stop(), 0);
    a = await startNode(dirA, pa);
    assert.deepEqual((await a.call<{ address: string; port: number }[]>('getnodeaddresses', 0)).map((x) => `${x.address}:${x.port}`), ['1.2.3.4:18444']);
  } finally {
    await a.stop();
    await b.stop();
  }
});
