/**
 * A coins flush cut into LevelDB batches of -dbbatchsize (Core's CCoinsViewDB::BatchWrite): the same
 * database as one batch, and a resident set bounded by the batch size rather than by the flush.
 * (An interrupted flush and its replay: test/chain/replay-blocks.test.ts.)
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import path from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { CoinsDB, type CoinChange } from '../../src/coins/coins-db.js';
import { DEFAULT_DB_CACHE_BATCH } from '../../src/coins/coins-write-options.js';
import { outpointKey } from '../../src/coins/view.js';
import { scratchDir } from '../helpers.js';

const FIXTURE = fileURLToPath(new URL('./fixtures/flush-memory.js', import.meta.url));

function coinAt(i: number): CoinChange {
  const txid = createHash('sha256').update(`batches ${i >> 2}`).digest();
  const script = new Uint8Array([22, 25, 34, 105, 10_001][i % 5]).fill(i & 0xff);
  return [outpointKey(txid, (i & 3) * 7000), { height: i, coinbase: i % 7 === 0, value: 1_000 + i * 3, script }];
}

async function contents(db: CoinsDB): Promise<string[]> {
  const out: string[] = [];
  await db.scanStoredCoins((key, kl, _vout, coin, len) => void out.push(`${key.toString('hex', 0, kl)}=${coin.toString('hex', 0, len)}`));
  return out;
}

test("Core's default -dbbatchsize is 32 MiB", () => {
  assert.equal(DEFAULT_DB_CACHE_BATCH, 32 * 1024 * 1024);
});

test('a flush written in many partial batches gives the same database as one batch', async () => {
  const dir = scratchDir('chainsnap-batches-');
  const one = await CoinsDB.open(path.join(dir, 'one'), { create: true, write: { batchBytes: 1 << 30 } });
  const many = await CoinsDB.open(path.join(dir, 'many'), { create: true, write: { batchBytes: 300 } });
  try {
    const first = Array.from({ length: 3000 }, (_, i) => coinAt(i));
    // Then a flush that spends a third, changes a third and adds new coins.
    const second: CoinChange[] = [
      ...first.filter((_, i) => i % 3 === 0).map(([k]): CoinChange => [k, undefined]),
      ...first.filter((_, i) => i % 3 === 1).map(([k, c]): CoinChange => [k, { ...c!, value: c!.value + 1 }]),
      ...Array.from({ length: 500 }, (_, i) => coinAt(10_000 + i)),
    ];
    const tips = [new Uint8Array(32).fill(1), new Uint8Array(32).fill(2)];
    for (const [changes, tip] of [[first, tips[0]], [second, tips[1]]] as const) {
      await one.writeBatch(changes, tip);
      await many.writeBatch(changes, tip);
      assert.equal(one.lastFlushBatches, 1);
      assert.ok(many.lastFlushBatches > 100, `${many.lastFlushBatches} batches`);
      for (const db of [one, many]) {
        assert.deepEqual(db.bestBlock(), tip);
        assert.deepEqual(db.headBlocks(), []);
      }
      assert.deepEqual(await contents(many), await contents(one));
    }
  } finally {
    await one.close();
    await many.close();
  }
});

test('a large flush in 4 MiB batches keeps the resident set well under that of one batch (same run)', (t) => {
  const run = (batchBytes: number) => {
    const dir = scratchDir('chainsnap-flush-memory-');
    const r = spawnSync(process.execPath, ['--expose-gc', FIXTURE, path.join(dir, 'db'), '1000000', String(batchBytes)], { encoding: 'utf8', timeout: 600_000 });
    assert.equal(r.status, 0, r.stderr);
    return JSON.parse(r.stdout) as { anonRise: number; hwmRise: number; batches: number };
  };
  const split = run(4 << 20);
  const whole = run(1 << 30);
  const mb = (n: number) => (n / 2 ** 20).toFixed(0);
  t.diagnostic(`1M coins: 4 MiB batches (${split.batches}) anon +${mb(split.anonRise)} MiB, peak RSS +${mb(split.hwmRise)} MiB; one batch anon +${mb(whole.anonRise)} MiB, peak RSS +${mb(whole.hwmRise)} MiB`);
  assert.equal(whole.batches, 1);
  assert.ok(split.batches >= 10);
  assert.ok(split.anonRise < whole.anonRise * 0.6, 'partial batches bound the native memory of a flush');
});
