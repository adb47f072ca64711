/**
 * A read-only CoinsDB (opened on a private copy in $TMPDIR): its errors name the user's directory, never
 * the copy, and a failed open leaves no copy behind. Real LevelDB on disk.
 */
import assert from 'node:assert/strict';
import { cpSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { ClassicLevel } from 'classic-level';
import { serializeCoin } from '../../src/coins/coin.js';
import { CoinsDB, CoinsDBError, type CoinChange } from '../../src/coins/coins-db.js';
import { computeChainstateStats } from '../../src/coins/coins-stats.js';
import { outpointKey } from '../../src/coins/view.js';
import { scratchDir } from '../helpers.js';

const ownCopies = () => readdirSync(tmpdir()).filter((n) => n.startsWith(`chainsnap-ro-${process.pid}-`));

test('a read-only open of a damaged database names the missing file in the given directory', async () => {
  const dir = scratchDir();
  const good = path.join(dir, 'good');
  const db = await CoinsDB.open(good, { create: true });
  const changes: CoinChange[] = [];
  for (let i = 0; i < 1000; i++) changes.push([outpointKey(new Uint8Array(32).fill(i & 255), i), { height: 1, coinbase: false, value: i, script: new Uint8Array([0x51]) }]);
  await db.writeBatch(changes, new Uint8Array(32).fill(3));
  await db.close();
  // Reopening replays the log into a table.
  await (await CoinsDB.open(good)).close();
  const table = readdirSync(good).find((n) => n.endsWith('.ldb'));
  assert.ok(table, 'the coins are in a table');
  const damaged = path.join(dir, 'damaged');
  cpSync(good, damaged, { recursive: true });
  rmSync(path.join(damaged, table));
  await assert.rejects(CoinsDB.open(damaged, { readOnly: true }), (e: Error) => {
    assert.ok(e instanceof CoinsDBError);
    assert.match(e.message, new RegExp(`${damaged.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}/${table}`));
    assert.doesNotMatch(e.message, /chainsnap-ro-/);
    return true;
  });
  assert.deepEqual(ownCopies(), [], 'no private copy left');
});

test('a private copy that cannot be made says where and what to change', async () => {
  const dir = scratchDir();
  const db = await CoinsDB.open(path.join(dir, 'db'), { create: true });
  await db.close();
  const saved = process.env.TMPDIR;
  process.env.TMPDIR = path.join(dir, 'no-such-tmp');
  try {
    await assert.rejects(CoinsDB.open(path.join(dir, 'db'), { readOnly: true }), (e: Error) => {
      assert.ok(e instanceof CoinsDBError);
      assert.match(e.message, /^cannot make the private copy of \S+db in \S+no-such-tmp: no such file or directory \(set TMPDIR to a writable directory/);
      return true;
    });
  } finally {
    if (saved === undefined) delete process.env.TMPDIR;
    else process.env.TMPDIR = saved;
  }
});

/** Coins i in [from, to) worth `value`, or spent; the txid repeats every 256 coins. */
function coinChanges(from: number, to: number, value: number, spent = false): CoinChange[] {
  const out: CoinChange[] = [];
  for (let i = from; i < to; i++) out.push([outpointKey(new Uint8Array(32).fill(i & 255), i), spent ? undefined : { height: 1, coinbase: false, value, script: new Uint8Array([0x51]) }]);
  return out;
}

const tables = (dir: string) => readdirSync(dir).filter((n) => n.endsWith('.ldb')).sort();

/** Every coin as stored, key and value in hex, in key order. */
async function storedCoins(db: CoinsDB): Promise<[string, string][]> {
  const out: [string, string][] = [];
  await db.scanStoredCoins((k, kl, _vout, coin, coinLen) => void out.push([Buffer.from(k.subarray(0, kl)).toString('hex'), Buffer.from(coin.subarray(0, coinLen)).toString('hex')]));
  return out;
}

test("a read-only open keeps the database's logs from LevelDB: no table, no compaction in the copy, and the logs' writes still read", async () => {
  const dir = path.join(scratchDir(), 'db');
  // Three level-0 tables (each open replays the last one's log into one), then writes left in the log:
  // replaying them would make a fourth level-0 table, which starts a compaction of the whole copy.
  for (let round = 0; round < 3; round++) {
    const db = await CoinsDB.open(dir, { create: true });
    await db.writeBatch(coinChanges(round * 1000, round * 1000 + 3000, round + 1), new Uint8Array(32).fill(round + 1));
    await db.close();
  }
  const writer = await CoinsDB.open(dir);
  await writer.writeBatch([...coinChanges(0, 500, 77), ...coinChanges(500, 1000, 0, true)], new Uint8Array(32).fill(9));
  await writer.close();
  assert.equal(tables(dir).length, 3, 'three tables; the last writes only in the log');
  const viaLevel = await CoinsDB.open(dir, { readOnly: true, rawScan: false });
  const expected = await storedCoins(viaLevel);
  const expectedStats = await computeChainstateStats(viaLevel);
  await viaLevel.close();
  assert.equal(expected.length, 5000 - 500);

  const db = await CoinsDB.open(dir, { readOnly: true });
  try {
    const copies = ownCopies();
    assert.equal(copies.length, 1);
    const copy = path.join(tmpdir(), copies[0]!);
    assert.deepEqual(tables(copy), tables(dir), 'LevelDB wrote no table into the copy');
    assert.deepEqual(db.bestBlock(), new Uint8Array(32).fill(9));
    assert.equal(db.getCoin(outpointKey(new Uint8Array(32).fill(10), 10))?.value, 77, 'overwritten in the log');
    assert.equal(db.getCoin(outpointKey(new Uint8Array(32).fill(600 & 255), 600)), undefined, 'spent in the log');
    assert.equal(db.getCoin(outpointKey(new Uint8Array(32).fill(2500 & 255), 2500))?.value, 3, 'only in a table');
    assert.deepEqual(await storedCoins(db), expected, "the direct read sees the logs' writes");
    assert.deepEqual({ ...(await computeChainstateStats(db)), diskSize: 0 }, { ...expectedStats, diskSize: 0 });
    assert.deepEqual(tables(copy), tables(dir), 'and still no table');
  } finally {
    await db.close();
  }
  assert.deepEqual(ownCopies(), [], 'no private copy left');
});

test('a read-only database the direct read refuses gets its logs back before LevelDB iterates it', async () => {
  const dir = path.join(scratchDir(), 'cs');
  // Compressed tables (another writer's: CoinsDB writes uncompressed ones, as Core does), unobfuscated,
  // then a write left in the log that spends coins and moves the best block.
  const raw = new ClassicLevel<Buffer, Buffer>(dir, { keyEncoding: 'buffer', valueEncoding: 'buffer', compression: true });
  await raw.open();
  const coinKey = (i: number) => Buffer.concat([Buffer.from('C'), Buffer.from(outpointKey(new Uint8Array(32).fill(i >> 3), i & 7), 'latin1')]);
  const puts = [{ type: 'put' as const, key: Buffer.from('B'), value: Buffer.alloc(32, 9) }];
  for (let i = 0; i < 2000; i++) puts.push({ type: 'put', key: coinKey(i), value: Buffer.from(serializeCoin({ height: i, coinbase: false, value: 1000 + i, script: new Uint8Array(60).fill(0x51) })) });
  await raw.batch(puts);
  await raw.compactRange(Buffer.from('A'), Buffer.from('D'));
  await raw.batch([{ type: 'put', key: Buffer.from('B'), value: Buffer.alloc(32, 7) }, ...Array.from({ length: 100 }, (_, i) => ({ type: 'del' as const, key: coinKey(i) }))]);
  await raw.close();
  const direct = await CoinsDB.open(dir, { readOnly: true });
  try {
    assert.deepEqual(direct.bestBlock(), new Uint8Array(32).fill(7));
    const s = await computeChainstateStats(direct);
    assert.equal(s.txouts, 1900);
    assert.deepEqual(s.bestBlock, new Uint8Array(32).fill(7));
    assert.deepEqual(direct.bestBlock(), new Uint8Array(32).fill(7));
  } finally {
    await direct.close();
  }
  assert.deepEqual(ownCopies(), [], 'no private copy left');

  // Two passes that fall back at once share one reopening: neither loses the files it reads.
  const twice = await CoinsDB.open(dir, { readOnly: true });
  try {
    const [a, b] = await Promise.all([storedCoins(twice), storedCoins(twice)]);
    assert.equal(a.length, 1900);
    assert.deepEqual(b, a);
    assert.equal(twice.getCoin(outpointKey(new Uint8Array(32).fill(0), 0)), undefined, 'spent in the log');
  } finally {
    await twice.close();
  }
  assert.deepEqual(ownCopies(), [], 'no private copy left');
});
