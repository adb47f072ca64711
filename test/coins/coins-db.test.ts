/**
 * CoinsDB against real LevelDB: Bitcoin Core's own chainstate (regtest-A at height 400) read without
 * touching it, gives Core's gettxoutsetinfo; a database we write gives the same numbers after reopening,
 * is obfuscated on disk, orders vouts ≥ 16512 numerically for hashing, and handles Core's 'H' marker.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { ClassicLevel } from 'classic-level';
import { serializeCoin, type Coin } from '../../src/coins/coin.js';
import { readRecord, forEachRecord } from '../../src/coins/coin-record.js';
import { CoinsDB, CoinsDBError, OBFUSCATION_KEY_KEY, type CoinChange } from '../../src/coins/coins-db.js';
import { computeChainstateStats } from '../../src/coins/coins-stats.js';
import { MemoryUtxoSet } from '../../src/coins/memory-utxo-set.js';
import { formatBtc } from '../../src/coins/utxo-stats.js';
import { outpointKey, type OutpointKey } from '../../src/coins/view.js';
import { hashToHex } from '../../src/primitives/hash.js';
import { coreChain, NO_VECTORS, scratchDir, vector, type CoreStats } from '../helpers.js';

function coreTip(): CoreStats {
  return coreChain().main_chain[400];
}

/** Core's datadir, extracted; returns its chainstate directory. */
function coreChainstate(): string {
  const dir = scratchDir();
  execFileSync('tar', ['-xzf', vector('core-regtest-A', 'core-datadir.tar.gz'), '-C', dir]);
  return path.join(dir, 'chainstate');
}

function fingerprint(dir: string): string {
  return readdirSync(dir)
    .sort()
    .map((f) => `${f}:${createHash('sha256').update(readFileSync(path.join(dir, f))).digest('hex')}`)
    .join('\n');
}

/** Every coin of a database as changes, read through iterateRecords. */
async function allCoins(db: CoinsDB): Promise<CoinChange[]> {
  const out: CoinChange[] = [];
  await db.iterateRecords((b, n) =>
    forEachRecord(b, n, (off) => {
      const r = readRecord(b, off);
      out.push([outpointKey(r.txid, r.vout), { height: r.height, coinbase: r.coinbase, value: r.value, script: r.script }]);
    }),
  );
  return out;
}

test("Core's chainstate: gettxoutsetinfo at height 400, read without modifying the directory", { skip: NO_VECTORS }, async () => {
  const core = coreTip();
  const dir = coreChainstate();
  const before = fingerprint(dir);
  const db = await CoinsDB.open(dir, { readOnly: true });
  try {
    assert.equal(hashToHex(db.bestBlock()!), core.hash);
    assert.deepEqual(db.headBlocks(), []);
    assert.notDeepEqual([...db.obfuscationKey], [0, 0, 0, 0, 0, 0, 0, 0], 'Core obfuscates its chainstate');
    const s = await computeChainstateStats(db, { muhash: true, threads: 1 });
    assert.equal(hashToHex(s.bestBlock!), core.hash);
    assert.equal(hashToHex(s.hashSerialized3), core.hash_serialized_3);
    assert.equal(hashToHex(s.muhash!), core.muhash);
    assert.equal(s.txouts, core.txouts);
    assert.equal(s.transactions, core.transactions);
    assert.equal(s.bogosize, core.bogosize);
    assert.equal(formatBtc(s.totalAmount!), core.total_amount.toFixed(8));
    assert.ok(s.diskSize > 0);
    // Point lookups agree with the iteration.
    const coins = await allCoins(db);
    for (const [key, coin] of [coins[0], coins[coins.length >> 1], coins[coins.length - 1]]) assert.deepEqual(db.getCoin(key), coin);
    await assert.rejects(db.writeBatch([], new Uint8Array(32).fill(1)), CoinsDBError);
  } finally {
    await db.close();
  }
  assert.equal(fingerprint(dir), before, 'Core’s chainstate directory is byte-for-byte unchanged');
});

test('our own database: Core’s coins written and reopened give Core’s numbers; values are obfuscated', { skip: NO_VECTORS }, async () => {
  const core = coreTip();
  const src = await CoinsDB.open(coreChainstate(), { readOnly: true });
  const coins = await allCoins(src);
  const best = src.bestBlock()!;
  await src.close();

  const dir = path.join(scratchDir(), 'chainstate');
  const db = await CoinsDB.open(dir, { create: true });
  const key = db.obfuscationKey;
  assert.notDeepEqual([...key], [0, 0, 0, 0, 0, 0, 0, 0]);
  await db.writeBatch(coins, best);
  await db.close();

  const again = await CoinsDB.open(dir);
  assert.deepEqual(again.obfuscationKey, key, 'the key persists');
  const s = await computeChainstateStats(again, { muhash: true, threads: 0 });
  assert.equal(hashToHex(s.hashSerialized3), core.hash_serialized_3);
  assert.equal(hashToHex(s.muhash!), core.muhash);
  assert.equal(s.txouts, core.txouts);
  assert.equal(hashToHex(again.bestBlock()!), core.hash);
  await again.close();

  // Raw LevelDB: the key is stored plain (CompactSize 8 ‖ key), everything else XOR-ed with it.
  const raw = new ClassicLevel<Buffer, Buffer>(dir, { keyEncoding: 'buffer', valueEncoding: 'buffer' });
  await raw.open();
  try {
    assert.deepEqual(raw.getSync(OBFUSCATION_KEY_KEY), Buffer.concat([Buffer.from([8]), key]));
    const [k, coin] = coins[7];
    const plain = Buffer.from(serializeCoin(coin!));
    const stored = raw.getSync(Buffer.from('C' + k, 'latin1'))!;
    assert.notDeepEqual(stored, plain);
    assert.deepEqual(Buffer.from(stored.map((b, i) => b ^ key[i % 8])), plain);
    const storedBest = raw.getSync(Buffer.from('B'))!;
    assert.deepEqual(Buffer.from(storedBest.map((b, i) => b ^ key[i % 8])), Buffer.from(best));
  } finally {
    await raw.close();
  }
});

test('vouts ≥ 16512 are hashed in numeric order, as Core does, although the keys sort otherwise', async () => {
  const ref = new MemoryUtxoSet();
  const changes: CoinChange[] = [];
  const vouts = [0, 1, 127, 128, 255, 256, 16511, 16512, 16513, 20000, 70000, 2_000_000];
  for (let t = 0; t < 3; t++) {
    const txid = createHash('sha256').update(`tx${t}`).digest();
    for (const vout of vouts) {
      const coin: Coin = { height: 100 + vout, coinbase: false, value: 1000 + vout, script: new Uint8Array([0x51, vout & 0xff]) };
      ref.add(txid, vout, coin);
      changes.push([outpointKey(txid, vout), coin]);
    }
  }
  const db = await CoinsDB.open(path.join(scratchDir(), 'cs'), { create: true });
  await db.writeBatch(changes, new Uint8Array(32).fill(7));
  // A tiny batch size makes every transaction boundary a batch boundary.
  for (const batchBytes of [1, 1 << 20]) {
    const s = await computeChainstateStats(db, { batchBytes });
    const r = ref.stats();
    assert.equal(hashToHex(s.hashSerialized3), hashToHex(r.hashSerialized3));
    assert.equal(s.txouts, r.txouts);
    assert.equal(s.transactions, 3);
  }
  // Spends erase.
  await db.writeBatch(changes.slice(0, 5).map(([k]) => [k, undefined]), new Uint8Array(32).fill(8));
  assert.equal(db.getCoin(changes[0][0]), undefined);
  assert.deepEqual(db.getCoin(changes[5][0]), changes[5][1]);
  assert.equal((await db.iterateRecords(() => undefined)).coins, changes.length - 5);
  await db.close();
});

/** Everything iterateRecords hands out: the record bytes, each stored coin (hex), the best block. */
async function everything(db: CoinsDB, batchBytes?: number): Promise<{ records: string; stored: string[]; best: string }> {
  const parts: Buffer[] = [];
  const stored: string[] = [];
  const { bestBlock } = await db.iterateRecords((b, n) => void parts.push(Buffer.from(b.subarray(0, n))), batchBytes);
  const again = await db.scanStoredCoins((key, _kl, vout, coin, len) => void stored.push(`${key.toString('hex', 1, 33)}:${vout}:${coin.toString('hex', 0, len)}`));
  assert.deepEqual(again.bestBlock, bestBlock);
  assert.equal(again.coins, stored.length);
  // A sink that reads its batch only later: the buffer must not change before its promise settles.
  const late: Buffer[] = [];
  await db.iterateRecords(async (b, n) => {
    await new Promise((r) => setImmediate(r));
    late.push(Buffer.from(b.subarray(0, n)));
  }, batchBytes);
  assert.equal(Buffer.concat(late).toString('hex'), Buffer.concat(parts).toString('hex'));
  return { records: Buffer.concat(parts).toString('hex'), stored, best: bestBlock ? hashToHex(bestBlock) : '' };
}

test("reading the files directly hands out exactly what LevelDB's iterator does", async () => {
  const dir = path.join(scratchDir(), 'cs');
  let db = await CoinsDB.open(dir, { create: true });
  const keys: OutpointKey[] = [];
  for (let round = 0; round < 12; round++) {
    const changes: CoinChange[] = [];
    for (let i = 0; i < 4000; i++) {
      const txid = createHash('sha256').update(`r${round}t${i >> 2}`).digest();
      const vout = (i & 3) === 3 ? 16512 + i : i & 3;
      const k = outpointKey(txid, vout);
      keys.push(k);
      changes.push([k, { height: round * 10 + (i & 7), coinbase: (i & 15) === 0, value: 546 + i * 1000, script: createHash('sha256').update(k).digest().subarray(0, 20 + (i % 13)) }]);
    }
    // Spend some earlier coins so tables hold deletions over older puts.
    for (let j = round * 700; j < round * 700 + 300 && round > 0; j++) changes.push([keys[j]!, undefined]);
    await db.writeBatch(changes, new Uint8Array(32).fill(round + 1));
    if (round === 5) {
      // Reopening turns the log into a table: the later rounds then lie in the log over it.
      await db.close();
      db = await CoinsDB.open(dir);
    }
  }
  assert.ok(readdirSync(dir).some((f) => f.endsWith('.ldb')) && readdirSync(dir).some((f) => f.endsWith('.log')));
  const raw = await everything(db, 1 << 16);
  await db.close();
  db = await CoinsDB.open(dir, { rawScan: false });
  const viaLevelDB = await everything(db, 1 << 16);
  await db.close();
  assert.equal(raw.stored.length, 12 * 4000 - 11 * 300);
  assert.equal(raw.best, hashToHex(new Uint8Array(32).fill(12)));
  assert.deepEqual(raw.stored, viaLevelDB.stored);
  assert.equal(raw.records, viaLevelDB.records);
  assert.equal(raw.best, viaLevelDB.best);
});

test('a large last write (left in the log by LevelDB) is moved into a table before a direct read', async () => {
  const dir = path.join(scratchDir(), 'cs');
  const db = await CoinsDB.open(dir, { create: true });
  const changes: CoinChange[] = [];
  for (let i = 0; i < 120_000; i++) {
    const txid = createHash('sha256').update(`big${i}`).digest();
    changes.push([outpointKey(txid, i & 1), { height: 1, coinbase: false, value: i, script: txid.subarray(0, 22) }]);
  }
  await db.writeBatch(changes, new Uint8Array(32).fill(3));
  const logs = () => readdirSync(dir).filter((f) => f.endsWith('.log')).reduce((n, f) => n + statSync(path.join(dir, f)).size, 0);
  assert.ok(logs() > 4 << 20, `the batch is in the log (${logs()} bytes)`);
  const got = await everything(db);
  assert.ok(logs() < 1 << 20, `the log was flushed into a table (${logs()} bytes left)`);
  assert.equal(got.stored.length, changes.length);
  await db.close();
  const again = await CoinsDB.open(dir, { rawScan: false });
  assert.deepEqual(await everything(again), got);
  await again.close();
});

test("Core's chainstate: the direct read and LevelDB's iterator agree", { skip: NO_VECTORS }, async () => {
  const dir = coreChainstate();
  const results = [];
  for (const rawScan of [true, false]) {
    const db = await CoinsDB.open(dir, { readOnly: true, rawScan });
    results.push(await everything(db));
    await db.close();
  }
  assert.ok(results[0]!.stored.length > 100);
  assert.deepEqual(results[0], results[1]);
  assert.equal(results[0]!.best, coreTip().hash);
});

test("'H' (Core's interrupted flush): detected, and only the block it was flushing to may complete it", async () => {
  const dir = path.join(scratchDir(), 'cs');
  const a = new Uint8Array(32).fill(0xaa);
  const b = new Uint8Array(32).fill(0xbb);
  const c = new Uint8Array(32).fill(0xcc);
  const db = await CoinsDB.open(dir, { create: true });
  const key = db.obfuscationKey;
  await db.writeBatch([], a);
  await db.close();
  // What Core leaves after crashing between the partial batches of a flush from a to b.
  const raw = new ClassicLevel<Buffer, Buffer>(dir, { keyEncoding: 'buffer', valueEncoding: 'buffer' });
  await raw.open();
  const heads = Buffer.concat([Buffer.from([2]), b, a]).map((x, i) => x ^ key[i % 8]);
  await raw.batch([
    { type: 'del', key: Buffer.from('B') },
    { type: 'put', key: Buffer.from('H'), value: Buffer.from(heads) },
  ]);
  await raw.close();

  const again = await CoinsDB.open(dir);
  assert.equal(again.bestBlock(), undefined);
  assert.deepEqual(again.headBlocks(), [b, a]);
  await assert.rejects(again.writeBatch([], c), /interrupted while flushing/);
  await again.writeBatch([], b);
  assert.deepEqual(again.headBlocks(), []);
  assert.deepEqual(again.bestBlock(), b);
  await again.close();
});

test('opening: a missing database is an error unless created; read-only never creates', async () => {
  const dir = path.join(scratchDir(), 'none');
  await assert.rejects(CoinsDB.open(dir), CoinsDBError);
  await assert.rejects(CoinsDB.open(dir, { readOnly: true, create: true }), CoinsDBError);
  const db = await CoinsDB.open(dir, { create: true });
  assert.equal(db.bestBlock(), undefined);
  assert.equal((await computeChainstateStats(db)).txouts, 0);
  await db.close();
});
