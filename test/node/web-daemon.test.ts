/**
 * The daemon's status page and /metrics (-webport, -webbind) through the assumeutxo lifecycle: the shipped
 * h200 chain's headers, the h200 snapshot loaded, then the blocks. At each quiet point (nothing left to
 * connect) a scrape, parsed strictly, agrees with getchainstates. Off loopback the page wants the cookie.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { getChainParams } from '../../src/consensus/params.js';
import { toHex } from '../../src/primitives/bytes.js';
import { readFramedBlocks } from '../../src/primitives/block.js';
import { scratchDir } from '../helpers.js';
import { parsePrometheusText, sampleValue, type Family } from '../web/prom-text.js';
import { DaemonProcess, freePort } from './daemon-process.js';
import { waitFor, waitForValidatedTip } from './fixtures/whole-node.js';

const BLOCKS_FILE = path.resolve('snapshots/regtest-h200-blocks.dat');
const SNAPSHOT = path.resolve('snapshots/regtest-h200.dat');

interface FullChainstates {
  headers: number;
  chainstates: { blocks: number; validated: boolean; verificationprogress: number; coins_db_cache_bytes: number; coins_tip_cache_bytes: number }[];
}

async function scrape(url: string): Promise<Map<string, Family>> {
  const res = await fetch(`${url}metrics`);
  assert.equal(res.status, 200);
  return parsePrometheusText(await res.text());
}

/** At a quiet moment: getchainstates, a scrape, getchainstates again (unchanged: nothing moved in between). */
async function assertAgree(node: DaemonProcess, url: string): Promise<Map<string, Family>> {
  const before = await node.call<FullChainstates>('getchainstates');
  const m = await scrape(url);
  const after = await node.call<FullChainstates>('getchainstates');
  assert.deepEqual(after.chainstates.map((c) => c.blocks), before.chainstates.map((c) => c.blocks), 'the node was quiet');
  assert.equal(sampleValue(m, 'chainsnap_headers'), before.headers);
  assert.equal(sampleValue(m, 'chainsnap_chainstates'), before.chainstates.length);
  const roles = before.chainstates.length === 2 ? ['background', 'snapshot'] : ['normal'];
  before.chainstates.forEach((c, i) => {
    const role = { role: roles[i] };
    assert.equal(sampleValue(m, 'chainsnap_chainstate_height', role), c.blocks, `${roles[i]} height`);
    assert.equal(sampleValue(m, 'chainsnap_chainstate_validated', role), c.validated ? 1 : 0);
    // Core's estimate moves with the clock; the two reads are a moment apart.
    assert.ok(Math.abs(sampleValue(m, 'chainsnap_chainstate_verification_progress', role) - c.verificationprogress) < 1e-6);
    assert.equal(sampleValue(m, 'chainsnap_coins_cache_budget_bytes', { ...role, cache: 'db' }), c.coins_db_cache_bytes);
    assert.equal(sampleValue(m, 'chainsnap_coins_cache_budget_bytes', { ...role, cache: 'tip' }), c.coins_tip_cache_bytes);
  });
  return m;
}

test('/metrics agrees with getchainstates through a snapshot load and its background validation', async () => {
  const params = getChainParams('regtest');
  const blocks = [...readFramedBlocks(readFileSync(BLOCKS_FILE), params.messageStart)].map((f) => toHex(f.bytes));
  const webPort = await freePort();
  const node = await DaemonProcess.start({ datadir: scratchDir(), args: [`-webport=${webPort}`] });
  const url = `http://127.0.0.1:${webPort}/`;
  try {
    for (const hex of blocks) await node.call('submitheader', hex.slice(0, 160));
    await assertAgree(node, url);
    await node.call('loadtxoutset', SNAPSHOT);
    // No block is there yet: neither chainstate can move.
    let m = await assertAgree(node, url);
    assert.equal(sampleValue(m, 'chainsnap_snapshot_base_height'), 200);
    assert.equal(sampleValue(m, 'chainsnap_chainstate_target_height', { role: 'background' }), 200);
    assert.equal(sampleValue(m, 'chainsnap_chainstate_target_height', { role: 'snapshot' }), blocks.length);

    for (const hex of blocks) await node.call('submitblock', hex);
    await waitForValidatedTip(node, blocks.length, 120_000);
    m = await assertAgree(node, url);
    assert.equal(sampleValue(m, 'chainsnap_blocks_connected_total', { chainstate: 'active' }), blocks.length - 200);
    assert.equal(sampleValue(m, 'chainsnap_blocks_connected_total', { chainstate: 'background' }), 200);
    // Coinbase-only blocks: one input each.
    assert.equal(sampleValue(m, 'chainsnap_inputs_connected_total', { chainstate: 'active' }), blocks.length - 200);
    assert.equal(sampleValue(m, 'chainsnap_inputs_connected_total', { chainstate: 'background' }), 200);
    const calls = sampleValue(m, 'chainsnap_rpc_requests_total', { method: 'submitblock' });
    assert.equal(calls, blocks.length);
    assert.equal(sampleValue(m, 'chainsnap_rpc_request_duration_seconds_count', { method: 'submitblock' }), calls);
    assert.ok(sampleValue(m, 'chainsnap_rpc_request_duration_seconds_sum', { method: 'submitblock' }) > 0);
    assert.equal(m.get('chainsnap_rpc_request_duration_seconds')?.type, 'summary');
    assert.ok(sampleValue(m, 'chainsnap_disk_usage_bytes', { dir: 'blocks' }) > 0);
    assert.equal(sampleValue(m, 'chainsnap_peers'), 0);

    // The page's own snapshot says the same (computed by the sampler within a second).
    const snap = await waitFor('the page at the validated tip', async () => {
      const s = (await (await fetch(`${url}status.json`)).json()) as { snapshot: { chainstates: { height: number; validated: boolean }[]; operations: { kind: string; state: string; done: number; total: number }[] } };
      return s.snapshot.chainstates.length === 1 && s.snapshot.chainstates[0].height === blocks.length ? s.snapshot : undefined;
    }, 30_000);
    assert.equal(snap.chainstates[0].validated, true);
    const load = snap.operations.find((o) => o.kind === 'loadtxoutset')!;
    assert.equal(load.state, 'done');
    assert.equal(load.done, load.total);
  } finally {
    assert.equal(await node.stop(), 0);
  }
});

test('bound to 0.0.0.0 the page refuses requests without the RPC cookie; without credentials the node does not start', async () => {
  const webPort = await freePort();
  const node = await DaemonProcess.start({ datadir: scratchDir(), args: [`-webport=${webPort}`, '-webbind=0.0.0.0'] });
  try {
    const url = `http://127.0.0.1:${webPort}/`;
    for (const p of ['', 'metrics', 'events']) assert.equal((await fetch(url + p)).status, 401, p);
    const cookie = readFileSync(path.join(node.networkDir, '.cookie'), 'utf8').trim();
    const res = await fetch(`${url}metrics`, { headers: { authorization: `Basic ${Buffer.from(cookie).toString('base64')}` } });
    assert.equal(res.status, 200);
    assert.equal(sampleValue(parsePrometheusText(await res.text()), 'chainsnap_chainstates'), 1);
  } finally {
    assert.equal(await node.stop(), 0);
  }
  await assert.rejects(
    DaemonProcess.start({ datadir: scratchDir(), args: [`-webport=${await freePort()}`, '-webbind=0.0.0.0', '-norpccookiefile'] }),
    /needs RPC credentials/,
  );
});
