/** Block sync on a real engine (real LevelDB, real blk files) against scripted peers serving a generated chain. */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { buildH200Chain } from '../../../contrib/chaingen/spec-chains.js';
import { getChainParams } from '../../../src/consensus/params.js';
import { hashToHex } from '../../../src/primitives/hash.js';
import { blockHash } from '../../../src/primitives/block.js';
import { ChainstateManager } from '../../../src/chain/chainstate-manager.js';
import { HeadersFirstSync } from '../../../src/net/sync/headers-first-sync.js';
import { scratchDir } from '../../helpers.js';
import { ScriptedPeer, syncSink, waitFor } from './scripted-peer.js';

const params = getChainParams('regtest');
const chain = buildH200Chain(215);
const SNAPSHOT = path.resolve('snapshots/regtest-h200.dat');
/** Near the chain's own time, so it is not "initial download" for ever (it starts in 2011). */
const NEAR_CHAIN = 1296688602 + 3000;

/**
 * A clock near the chain's own time, running: the best header is "recent", so headers are asked of every
 * peer (Core asks only one while the headers are more than a day old).
 */
function nearClock(): () => number {
  const t0 = Date.now();
  return () => NEAR_CHAIN * 1000 + (Date.now() - t0);
}

async function open(opts: { near?: boolean; inProcess?: boolean } = {}) {
  return ChainstateManager.open({ datadir: scratchDir(), params, background: opts.inProcess ? 'in-process' : undefined, now: opts.near ? () => NEAR_CHAIN : undefined });
}

test('one peer: headers first, then every block in a small window; peerStats follows', async () => {
  const m = await open();
  const sync = new HeadersFirstSync(syncSink(m), { window: 16, tickMs: 20 });
  const peer = new ScriptedPeer(sync, chain.blocks).connect();
  await waitFor(() => m.active.height === 215, 'the tip');
  assert.equal(m.active.tip.key, hashToHex(chain.blocks[214].hash));
  const getheaders = peer.received.filter((x) => x.command === 'getheaders');
  assert.equal(getheaders.length, 1, 'one batch of headers is enough for 215');
  const stats = sync.peerStats(peer.id)!;
  assert.equal(stats.syncedHeaders, 215);
  assert.equal(stats.syncedBlocks, 215);
  assert.deepEqual(stats.inflight, []);
  // No block was asked for twice, and never more than 16 were in flight.
  assert.equal(new Set(peer.blocksServed).size, peer.blocksServed.length);
  for (const msg of peer.received) if (msg.command === 'getdata') assert.ok(msg.items.length <= 16);
  await sync.stop();
  await m.close();
});

test('three peers share the download; a vanished peer\'s blocks go to the others', async () => {
  const m = await open();
  const sync = new HeadersFirstSync(syncSink(m), { window: 64, tickMs: 20, now: nearClock() });
  const gone = new ScriptedPeer(sync, chain.blocks, { silent: true }).connect();
  const a = new ScriptedPeer(sync, chain.blocks).connect();
  const b = new ScriptedPeer(sync, chain.blocks).connect();
  await waitFor(() => gone.received.some((x) => x.command === 'getheaders'), 'the first getheaders');
  gone.disconnect('killed');
  await waitFor(() => m.active.height === 215, 'the tip');
  assert.ok(a.blocksServed.length > 0 && b.blocksServed.length > 0, `both serve (${a.blocksServed.length}, ${b.blocksServed.length})`);
  await sync.stop();
  await m.close();
});

test('a peer withholding a block holds up the window: it is found stalling, dropped, and others finish', async () => {
  const m = await open();
  const lines: string[] = [];
  const sync = new HeadersFirstSync(syncSink(m, lines), { window: 32, tickMs: 20, stallTimeoutMs: 300, now: nearClock() });
  const withheld = hashToHex(chain.blocks[0].hash);
  const staller = new ScriptedPeer(sync, chain.blocks, { withhold: new Set([withheld]) }).connect();
  await waitFor(() => staller.blocksServed.length > 0, 'the staller serving');
  const good = new ScriptedPeer(sync, chain.blocks).connect();
  await waitFor(() => m.active.height === 215, 'the tip', 30_000);
  assert.match(staller.disconnected ?? '', /stalling/);
  assert.ok(lines.some((l) => l.startsWith('Peer is stalling block download')));
  assert.equal(good.disconnected, undefined);
  await sync.stop();
  await m.close();
});

test('notfound: the block is asked of another peer, never again of the one that lacks it', async () => {
  const m = await open();
  const sync = new HeadersFirstSync(syncSink(m), { tickMs: 20, now: nearClock() });
  const missing = new Set(chain.blocks.slice(10, 20).map((b) => hashToHex(b.hash)));
  const lacking = new ScriptedPeer(sync, chain.blocks, { notFound: missing }).connect();
  await waitFor(() => sync.peerStats(lacking.id)!.syncedHeaders === 215, 'headers');
  const other = new ScriptedPeer(sync, chain.blocks).connect();
  await waitFor(() => m.active.height === 215, 'the tip');
  for (const k of missing) assert.ok(other.blocksServed.includes(k));
  const askedOfLacking = lacking.received.flatMap((x) => (x.command === 'getdata' ? x.items.map((i) => hashToHex(i.hash)) : []));
  for (const k of missing) assert.ok(askedOfLacking.filter((h) => h === k).length <= 1);
  assert.ok(askedOfLacking.some((h) => missing.has(h)), "some were asked of it first");
  await sync.stop();
  await m.close();
});

test('an invalid header chain or an invalid block: misbehaving, and sync goes on with others', async () => {
  const m = await open();
  const sync = new HeadersFirstSync(syncSink(m), { tickMs: 20 });
  const liar = new ScriptedPeer(sync, chain.blocks.slice(0, 5)).connect();
  await waitFor(() => m.storage.index.bestHeader.height === 5, 'five headers');
  const bad = { ...chain.blocks[5].block.header, bits: 0x1d00ffff };
  await liar.deliver({ command: 'headers', headers: [bad] });
  assert.deepEqual(liar.misbehaved, ['header with invalid proof of work']);
  // A block whose transactions break a rule (its merkle root no longer matches: mutated).
  const sender = new ScriptedPeer(sync, chain.blocks.slice(0, 5)).connect();
  const tampered = Uint8Array.from(chain.blocks[5].bytes);
  tampered[tampered.length - 5] ^= 1;
  await waitFor(() => m.active.height === 5, 'five blocks');
  await sender.deliver({ command: 'headers', headers: [chain.blocks[5].block.header] });
  await sender.deliver({ command: 'block', bytes: tampered });
  assert.equal(sender.misbehaved.length, 1);
  const honest = new ScriptedPeer(sync, chain.blocks).connect();
  await waitFor(() => m.active.height === 215, 'the tip');
  assert.equal(honest.disconnected, undefined);
  await sync.stop();
  await m.close();
});

test('low-work headers are not stored until the chain shows the minimum work (presync, then redownload)', async () => {
  const minWork = chain.blocks.slice(0, 150).reduce((w) => w + 2n, 2n); // regtest: 2 per block, genesis included
  const m = await ChainstateManager.open({ datadir: scratchDir(), params: { ...params, minimumChainWork: minWork } });
  const sync = new HeadersFirstSync(syncSink(m), { tickMs: 20 });
  // 100 headers: too little work, and not a full batch, so nothing is stored.
  const short = new ScriptedPeer(sync, chain.blocks.slice(0, 100)).connect();
  await waitFor(() => short.received.some((x) => x.command === 'getheaders'), 'getheaders');
  await short.deliver({ command: 'headers', headers: chain.blocks.slice(0, 100).map((b) => b.block.header) });
  assert.equal(m.storage.index.bestHeader.height, 0);
  short.disconnect('done');
  // A peer with enough work on its chain gets its headers stored and its blocks fetched.
  const long = new ScriptedPeer(sync, chain.blocks).connect();
  await waitFor(() => m.active.height === 215, 'the tip');
  assert.equal(long.misbehaved.length, 0);
  await sync.stop();
  await m.close();
});

test('with a snapshot: the blocks above the base first, then the history until the snapshot is validated', { skip: existsSync(SNAPSHOT) ? false : 'no snapshots/regtest-h200.dat' }, async () => {
  const m = await open({ inProcess: true });
  for (const b of chain.blocks.slice(0, 200)) m.processHeader(b.block.header);
  await m.loadSnapshot(SNAPSHOT);
  const sync = new HeadersFirstSync(syncSink(m), { window: 1024, tickMs: 20 });
  const peer = new ScriptedPeer(sync, chain.blocks).connect();
  await waitFor(() => m.active.height === 215, 'the snapshot chainstate at the tip');
  await waitFor(() => peer.blocksServed.length === 215, 'the history');
  const asked = peer.received.flatMap((x) => (x.command === 'getdata' ? x.items.map((i) => m.storage.index.get(i.hash)!.height) : []));
  assert.deepEqual(asked.slice(0, 16), [...Array.from({ length: 15 }, (_, i) => 201 + i), 1], 'the blocks above the base come first');
  await m.backgroundIdle();
  assert.equal(m.validity, 'validated');
  await sync.stop();
  await m.close();
});

test('new tips: announced by headers to peers that prefer them, by inv to the others; announcements are fetched', async () => {
  const m = await open({ near: true });
  const sync = new HeadersFirstSync(syncSink(m), { tickMs: 20, now: () => NEAR_CHAIN * 1000 });
  const source = new ScriptedPeer(sync, chain.blocks.slice(0, 210)).connect();
  await waitFor(() => m.active.height === 210, 'height 210');
  const wantsHeaders = new ScriptedPeer(sync, chain.blocks.slice(0, 210), { preferHeaders: true, inbound: true }).connect();
  const wantsInv = new ScriptedPeer(sync, chain.blocks.slice(0, 210), { inbound: true }).connect();
  await waitFor(() => sync.peerStats(wantsHeaders.id)!.syncedHeaders === 210 && sync.peerStats(wantsInv.id)!.syncedHeaders === 210, 'peers known to be at 210');
  // The source announces block 211 by headers: it is fetched at once and announced on.
  const full = new ScriptedPeer(sync, chain.blocks.slice(0, 211), { inbound: true }).connect();
  await full.deliver({ command: 'headers', headers: [chain.blocks[210].block.header] });
  await waitFor(() => m.active.height === 211, 'height 211');
  const tip = hashToHex(chain.blocks[210].hash);
  await waitFor(() => wantsHeaders.received.some((x) => x.command === 'headers' && hashToHex(blockHash(x.headers[x.headers.length - 1])) === tip), 'a headers announcement');
  // (Block 210 may have been announced too, when it became our tip before the peer's own headers came.)
  await waitFor(() => wantsInv.received.some((x) => x.command === 'inv' && hashToHex(x.items[0].hash) === tip), 'an inv announcement');
  const h = [...wantsHeaders.received].reverse().find((x) => x.command === 'headers')!;
  assert.ok(h.command === 'headers' && h.headers.length === 1);
  assert.ok(!full.received.some((x) => x.command === 'inv' || x.command === 'headers'), 'not announced back to its sender');
  assert.equal(source.disconnected, undefined);
  await sync.stop();
  await m.close();
});

test('a peer we served headers to (a forwarded getheaders) gets the next tip as headers, not inv', async () => {
  const m = await open({ near: true });
  const sync = new HeadersFirstSync(syncSink(m), { tickMs: 20, now: () => NEAR_CHAIN * 1000 });
  new ScriptedPeer(sync, chain.blocks.slice(0, 210)).connect();
  await waitFor(() => m.active.height === 210, 'height 210');
  // Silent: it never announces anything, so only the getheaders it sent tells us what it has.
  const quiet = new ScriptedPeer(sync, [], { preferHeaders: true, inbound: true, silent: true }).connect();
  await quiet.deliver({ command: 'getheaders', version: 70016, locator: [chain.blocks[209].hash], stop: new Uint8Array(32) });
  const full = new ScriptedPeer(sync, chain.blocks.slice(0, 211), { inbound: true }).connect();
  await full.deliver({ command: 'headers', headers: [chain.blocks[210].block.header] });
  await waitFor(() => m.active.height === 211, 'height 211');
  const tip = hashToHex(chain.blocks[210].hash);
  await waitFor(() => quiet.received.some((x) => x.command === 'headers' && hashToHex(blockHash(x.headers[0])) === tip), 'a headers announcement');
  assert.ok(!quiet.received.some((x) => x.command === 'inv'));
  await sync.stop();
  await m.close();
});
