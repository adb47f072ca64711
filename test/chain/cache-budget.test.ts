/**
 * Issue 11, "Scale": a -dbcache larger than V8's heap limit is accepted and used. The coins cache lives in
 * ArrayBuffer slabs off the heap (coin-slab-table.ts), so nothing sizes the heap from dbcache; this starts
 * a daemon with such a budget (without filling it), mines and stops it cleanly, and checks the split.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { getHeapStatistics } from 'node:v8';
import { largeCacheThreshold, splitCache } from '../../src/chain/cache-budget.js';
import { DaemonProcess } from '../node/daemon-process.js';
import { scratchDir } from '../helpers.js';

const ADDRESS = 'mjTkW3DjgyZck4KbiRusZsqTgaYTxdSz6z';
const MiB = 2 ** 20;

test('the split and the large-cache threshold stay exact at 16 GiB and beyond', () => {
  for (const total of [16384 * MiB, 65536 * MiB]) {
    const s = splitCache(total, { kind: 'two-chainstates', initialBlockDownload: true });
    assert.ok(s.background + s.snapshot <= total && s.background + s.snapshot > total - 2);
    assert.equal(largeCacheThreshold(total), total - 10 * MiB);
  }
});

test('a daemon runs with a -dbcache above the V8 heap limit', { timeout: 120_000 }, async () => {
  const heapMiB = Math.ceil(getHeapStatistics().heap_size_limit / MiB);
  const dbcacheMiB = Math.max(16384, 2 * heapMiB);
  const node = await DaemonProcess.start({ datadir: scratchDir('chainsnap-dbcache-'), args: [`-dbcache=${dbcacheMiB}`] });
  try {
    await node.call('generatetoaddress', 120, ADDRESS);
    const { chainstates } = await node.call<{ chainstates: { blocks: number; coins_db_cache_bytes: number; coins_tip_cache_bytes: number }[] }>('getchainstates');
    assert.equal(chainstates.length, 1);
    assert.equal(chainstates[0].blocks, 120);
    const budget = chainstates[0].coins_db_cache_bytes + chainstates[0].coins_tip_cache_bytes;
    assert.ok(Math.abs(budget - dbcacheMiB * MiB) < 16, `the chainstate's budget is ${budget} bytes, -dbcache ${dbcacheMiB} MiB`);
    const info = await node.call<{ txouts: number }>('gettxoutsetinfo');
    assert.equal(info.txouts, 120);
  } finally {
    assert.equal(await node.stop(), 0, node.stderr);
  }
});
