/**
 * CoinsDB.readRecordsInParallel against the one-thread read: the same record stream (vouts ≥ 16512
 * reordered, batches in key order), the same counts and best block, and computeChainstateStats with
 * worker threads gives the same statistics and MuHash, whatever the number of ranges, workers and credit.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import path from 'node:path';
import { test } from 'node:test';
import { ClassicLevel } from 'classic-level';
import { serializeCoin } from '../../src/coins/coin.js';
import { CoinsDB, type CoinChange } from '../../src/coins/coins-db.js';
import { computeChainstateStats } from '../../src/coins/coins-stats.js';
import { MuHash3072, RecordProduct } from '../../src/coins/muhash.js';
import { UtxoCounts, UtxoStatsAccumulator } from '../../src/coins/utxo-stats.js';
import { outpointKey, type OutpointKey } from '../../src/coins/view.js';
import { hashToHex } from '../../src/primitives/hash.js';
import { scratchDir } from '../helpers.js';

async function buildDb(): Promise<CoinsDB> {
  const dir = path.join(scratchDir(), 'cs');
  let db = await CoinsDB.open(dir, { create: true });
  const keys: OutpointKey[] = [];
  for (let round = 0; round < 6; round++) {
    const changes: CoinChange[] = [];
    for (let i = 0; i < 3000; i++) {
      const txid = createHash('sha256').update(`r${round}t${i >> 2}`).digest();
      const vout = (i & 3) === 3 ? 16512 + i : i & 3;
      const k = outpointKey(txid, vout);
      keys.push(k);
      changes.push([k, { height: round * 10 + (i & 7), coinbase: (i & 15) === 0, value: 546 + i * 1000, script: createHash('sha256').update(k).digest().subarray(0, 20 + (i % 13)) }]);
    }
    // One transaction with outputs on both sides of 16512, larger than a batch.
    if (round === 2) {
      const txid = createHash('sha256').update('wide').digest();
      for (let v = 0; v < 30_000; v += 3) changes.push([outpointKey(txid, v), { height: 5, coinbase: false, value: v, script: txid.subarray(0, 22) }]);
    }
    for (let j = round * 500; j < round * 500 + 200 && round > 0; j++) changes.push([keys[j]!, undefined]);
    await db.writeBatch(changes, new Uint8Array(32).fill(round + 1));
    if (round === 3) {
      // The first rounds go into a table, the later ones stay in the log.
      await db.close();
      db = await CoinsDB.open(dir);
    }
  }
  return db;
}

test('records read on workers equal the records read here, in order, with the same counts', async () => {
  const db = await buildDb();
  try {
    const parts: Buffer[] = [];
    const counts = new UtxoCounts();
    const serial = await db.iterateRecords((b, n) => {
      parts.push(Buffer.from(b.subarray(0, n)));
      counts.addRecords(b, n);
    }, 1 << 12);
    const expected = Buffer.concat(parts);
    for (const opts of [{ workers: 0 }, { workers: 0, batchBytes: 1 << 10 }, { workers: 2 }, { workers: 2, ranges: 1 }, { workers: 3, ranges: 257, batchBytes: 1 << 10, creditBytes: 1 << 12 }, { workers: 1, ranges: 5 }]) {
      const got: Buffer[] = [];
      const r = await db.readRecordsInParallel(async (b) => {
        // A sink that reads its batch later: it stays valid until the promise settles.
        await new Promise((res) => setImmediate(res));
        got.push(Buffer.from(b));
      }, opts);
      assert.ok(r, 'the direct read is available');
      assert.ok(Buffer.concat(got).equals(expected), JSON.stringify(opts));
      assert.equal(r.coins, serial.coins);
      assert.deepEqual(r.bestBlock, serial.bestBlock);
      assert.deepEqual([r.counts.txouts, r.counts.transactions, r.counts.bogosize, r.counts.totalAmount], [counts.txouts, counts.transactions, counts.bogosize, counts.totalAmount]);
    }
  } finally {
    await db.close();
  }
});

test('chainstate statistics and MuHash, read here in one pass or on worker threads, equal those of the general reader', async () => {
  const db = await buildDb();
  try {
    const acc = new UtxoStatsAccumulator();
    const product = new RecordProduct();
    const serial = await db.iterateRecords((b, n) => {
      acc.addRecords(b, n);
      product.add(b.subarray(0, n));
    }, 1 << 12);
    const expected = { bestBlock: serial.bestBlock, ...acc.finalize(), muhash: new MuHash3072().insertProduct(product.take()).finalize(), diskSize: 0 };
    for (const opts of [{ threads: 0 }, { threads: 1, scanThreads: 2 }, { threads: 1, batchBytes: 1 << 10 }]) {
      const s = await computeChainstateStats(db, { muhash: true, ...opts });
      assert.equal(hashToHex(s.hashSerialized3), hashToHex(expected.hashSerialized3), JSON.stringify(opts));
      assert.equal(hashToHex(s.muhash!), hashToHex(expected.muhash));
      assert.deepEqual({ ...s, diskSize: 0 }, expected);
    }
  } finally {
    await db.close();
  }
});

test('without the direct read (rawScan off) there is no parallel read: the caller reads on its thread', async () => {
  const dir = path.join(scratchDir(), 'cs');
  const db = await CoinsDB.open(dir, { create: true, rawScan: false });
  try {
    assert.equal(await db.readRecordsInParallel(() => undefined), undefined);
    assert.equal((await computeChainstateStats(db, { scanThreads: 2 })).txouts, 0);
  } finally {
    await db.close();
  }
});

test('compressed tables, which the direct read refuses, are read through LevelDB with the same statistics', async () => {
  const dir = path.join(scratchDir(), 'cs');
  // A database only another writer makes (CoinsDB writes uncompressed tables, as Core does): no
  // obfuscation key, so read plain, and scripts repetitive enough for Snappy to keep its blocks.
  const raw = new ClassicLevel<Buffer, Buffer>(dir, { keyEncoding: 'buffer', valueEncoding: 'buffer', compression: true });
  await raw.open();
  const puts = [{ type: 'put' as const, key: Buffer.from('B'), value: Buffer.alloc(32, 9) }];
  for (let i = 0; i < 2000; i++) {
    const txid = createHash('sha256').update(`c${i >> 3}`).digest();
    const coin = serializeCoin({ height: i, coinbase: false, value: 1000 + i, script: new Uint8Array(60).fill(0x51) });
    puts.push({ type: 'put', key: Buffer.concat([Buffer.from('C'), Buffer.from(outpointKey(txid, i & 7), 'latin1')]), value: Buffer.from(coin) });
  }
  await raw.batch(puts);
  await raw.compactRange(Buffer.from('A'), Buffer.from('D'));
  await raw.close();
  const direct = await CoinsDB.open(dir, { readOnly: true });
  const viaLevel = await CoinsDB.open(dir, { readOnly: true, rawScan: false });
  try {
    await assert.rejects(direct.readRecordsInParallel(() => undefined, { workers: 0 }), /compressed blocks/);
    const a = await computeChainstateStats(direct);
    const b = await computeChainstateStats(viaLevel);
    assert.equal(a.txouts, 2000);
    assert.deepEqual(a, b);
  } finally {
    await direct.close();
    await viaLevel.close();
  }
});
