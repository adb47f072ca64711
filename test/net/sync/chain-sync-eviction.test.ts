/** Outbound chain-sync eviction (Core's ConsiderEviction) on a real engine, with a clock the test moves. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { buildH200Chain } from '../../../contrib/chaingen/spec-chains.js';
import { getChainParams } from '../../../src/consensus/params.js';
import { ChainstateManager } from '../../../src/chain/chainstate-manager.js';
import { HeadersFirstSync } from '../../../src/net/sync/headers-first-sync.js';
import { scratchDir } from '../../helpers.js';
import { ScriptedPeer, syncSink, waitFor } from './scripted-peer.js';

const params = getChainParams('regtest');
const chain = buildH200Chain(20);
/** Near the chain's own time, so headers are asked of every peer. */
const NEAR_CHAIN = 1296688602 + 3000;

test('a silent outbound peer gets 20 minutes, one getheaders and 2 more minutes; peers with our tip or inbound stay', async () => {
  const m = await ChainstateManager.open({ datadir: scratchDir(), params });
  let skew = 0;
  const t0 = Date.now();
  const now = () => NEAR_CHAIN * 1000 + (Date.now() - t0) + skew;
  const lines: string[] = [];
  const sync = new HeadersFirstSync(syncSink(m, lines), { tickMs: 20, now });
  const serving = new ScriptedPeer(sync, [...chain.blocks], { connType: 'outbound-full-relay' }).connect();
  await waitFor(() => m.active.height === 20, 'the tip from the serving peer');
  const silent = new ScriptedPeer(sync, [], { silent: true, connType: 'outbound-full-relay' }).connect();
  const blockRelay = new ScriptedPeer(sync, [], { silent: true, connType: 'block-relay-only' }).connect();
  const inbound = new ScriptedPeer(sync, [], { silent: true, inbound: true, connType: 'inbound' }).connect();
  const getheaders = (p: ScriptedPeer) => p.received.filter((x) => x.command === 'getheaders').length;
  await waitFor(() => getheaders(silent) === 1 && getheaders(blockRelay) === 1, 'the initial getheaders');

  skew += (20 * 60 + 1) * 1000;
  await waitFor(() => getheaders(silent) === 2 && getheaders(blockRelay) === 2, 'the last-call getheaders');
  assert.equal(silent.disconnected, undefined);
  skew += (2 * 60 + 1) * 1000;
  await waitFor(() => silent.disconnected !== undefined && blockRelay.disconnected !== undefined, 'both lagging peers evicted');
  assert.match(silent.disconnected!, /old chain/);
  assert.ok(lines.some((l) => l.startsWith('Outbound peer has old chain')));
  assert.equal(serving.disconnected, undefined, 'the peer with our tip stays');
  assert.equal(inbound.disconnected, undefined, 'inbound peers are not judged');
  await sync.stop();
  await m.close();
});
