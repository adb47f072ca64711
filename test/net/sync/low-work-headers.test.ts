/**
 * Core's headers presync when the peer's chain is still growing: a short answer in the middle of a
 * low-work sync ends it as a valid answer, so the next announcement starts a new sync at once (not two
 * minutes later, when Core's getheaders would be considered unanswered).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { buildH200Chain } from '../../../contrib/chaingen/spec-chains.js';
import { getChainParams } from '../../../src/consensus/params.js';
import { ChainstateManager } from '../../../src/chain/chainstate-manager.js';
import { HeadersFirstSync } from '../../../src/net/sync/headers-first-sync.js';
import { LowWorkHeadersSync } from '../../../src/net/sync/low-work-headers.js';
import { scratchDir } from '../../helpers.js';
import { ScriptedPeer, syncSink, waitFor } from './scripted-peer.js';

const params = getChainParams('regtest');
/** Regtest work: 2 per block, genesis included. */
const workOf = (blocks: number) => 2n * BigInt(blocks + 1);

test('LowWorkHeadersSync: a short message ends presync as a valid answer; a broken chain is a failure', async () => {
  const chain = buildH200Chain(120).blocks.map((b) => b.block.header);
  const m = await ChainstateManager.open({ datadir: scratchDir(), params });
  const genesis = m.storage.index.bestHeader;
  const sync = new LowWorkHeadersSync(params, genesis, workOf(120), 10, 20);
  assert.deepEqual(sync.process(chain.slice(0, 50), true), { success: true, requestMore: true, headers: [] });
  const short = sync.process(chain.slice(50, 60), false);
  assert.equal(short.success, true);
  assert.equal(short.requestMore, false);
  assert.match(short.abort!, /incomplete headers message at height=60 \(presync phase\)/);
  assert.equal(sync.state, 'final');

  const broken = new LowWorkHeadersSync(params, genesis, workOf(120), 10, 20);
  broken.process(chain.slice(0, 50), true);
  const r = broken.process(chain.slice(60, 70), true);
  assert.equal(r.success, false);
  assert.equal(broken.state, 'final');

  // Redownload: a short message gives up but still releases what the work proved.
  const full = new LowWorkHeadersSync(params, genesis, workOf(100), 10, 20);
  assert.equal(full.process(chain.slice(0, 100), true).requestMore, true);
  assert.equal(full.state, 'redownload');
  const again = full.process(chain.slice(0, 50), false);
  assert.equal(again.success, true);
  assert.equal(again.requestMore, false);
  assert.deepEqual(again.headers, chain.slice(0, 30));
  await m.close();
});

test('a peer whose chain grows during presync: its next announcement starts a new headers sync at once', async () => {
  const blocks = buildH200Chain(2010).blocks;
  const m = await ChainstateManager.open({ datadir: scratchDir(), params: { ...params, minimumChainWork: workOf(2010) } });
  const sync = new HeadersFirstSync(syncSink(m), { tickMs: 20 });
  // The peer has 2,005 blocks when asked: 2,000 headers start a presync, the 5 after end it short of the work.
  const peer = new ScriptedPeer(sync, blocks.slice(0, 2005)).connect();
  const getheaders = () => peer.received.filter((x) => x.command === 'getheaders').length;
  await waitFor(() => getheaders() === 2, 'the presync continuation');
  await waitFor(() => sync.presyncedHeaders(peer.id) === -1, 'the presync to end');
  assert.equal(m.storage.index.bestHeader.height, 0);
  // It mines five more and announces them (headers that do not connect): asked at once, from genesis.
  peer.extend(blocks.slice(2005));
  await peer.deliver({ command: 'headers', headers: blocks.slice(2005).map((b) => b.block.header) });
  assert.equal(getheaders(), 3);
  await waitFor(() => m.storage.index.bestHeader.height === 2010, 'the headers, presynced and redownloaded');
  assert.equal(peer.misbehaved.length, 0);
  await sync.stop();
  await m.close();
});
