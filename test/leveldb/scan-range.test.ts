/**
 * scanRange: a scan bounded by user keys lists exactly the entries of the full scan in that range, on a
 * database with several levels, level-0 tables, a log, overwrites and deletions; ranges that tile the key
 * space tile the full scan (what the parallel chainstate read relies on).
 */
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { ClassicLevel } from 'classic-level';
import { readCurrentVersion } from '../../src/leveldb/manifest.js';
import { openScanView, scanRange } from '../../src/leveldb/scan.js';
import { TableCorruption } from '../../src/leveldb/table-cursor.js';
import { prng, scratchDir } from '../helpers.js';

type DB = ClassicLevel<Buffer, Buffer>;


async function build(dir: string): Promise<DB> {
  const db = new ClassicLevel<Buffer, Buffer>(dir, { keyEncoding: 'buffer', valueEncoding: 'buffer', compression: false, writeBufferSize: 64 << 10, maxFileSize: 128 << 10 });
  await db.open();
  const rand = prng(11);
  const keys: Buffer[] = [];
  for (let round = 0; round < 60; round++) {
    const ops: Array<{ type: 'put'; key: Buffer; value: Buffer } | { type: 'del'; key: Buffer }> = [];
    for (let i = 0; i < 500; i++) {
      const r = rand(1)[0]!;
      if (keys.length > 0 && r < 40) ops.push({ type: 'del', key: keys[(rand(2).readUInt16LE(0) * 31) % keys.length]! });
      else if (keys.length > 0 && r < 100) ops.push({ type: 'put', key: keys[(rand(2).readUInt16LE(0) * 17) % keys.length]!, value: rand(1 + (r % 50)) });
      else {
        const key = Buffer.concat([Buffer.from('C'), rand(32), rand(1 + (r & 1))]);
        keys.push(key);
        ops.push({ type: 'put', key, value: rand(20 + (r % 30)) });
      }
    }
    await db.batch(ops);
  }
  await db.put(Buffer.from('B'), Buffer.from('best'));
  return db;
}

async function collect(view: ReturnType<typeof openScanView>, lower?: Uint8Array, upper?: Uint8Array): Promise<string[]> {
  const out: string[] = [];
  await scanRange(view, (k, kl, v, vo, vl) => void out.push(`${k.toString('hex', 0, kl)}=${v.toString('hex', vo, vo + vl)}`), { lower, upper, yieldEvery: 1000 });
  return out;
}

test('bounded scans equal the full scan cut at the bounds; tiling ranges tile it', async () => {
  const dir = scratchDir();
  const db = await build(dir);
  try {
    const version = readCurrentVersion(dir);
    assert.ok(version.levels.flat().length >= 3, 'the test needs several tables');
    const view = openScanView(dir);
    try {
      assert.ok(view.logBatches.length > 0, 'the test needs entries in the log');
      const all = await collect(view);
      assert.ok(all.length > 8000);
      const rand = prng(5);
      for (let i = 0; i < 12; i++) {
        const a = Buffer.concat([Buffer.from('C'), rand(1 + (i % 3))]);
        const b = Buffer.concat([Buffer.from('C'), rand(1 + (i % 2))]);
        const [lower, upper] = Buffer.compare(a, b) <= 0 ? [a, b] : [b, a];
        const want = all.filter((e) => {
          const k = Buffer.from(e.slice(0, e.indexOf('=')), 'hex');
          return Buffer.compare(k, lower) >= 0 && Buffer.compare(k, upper) < 0;
        });
        assert.deepEqual(await collect(view, lower, upper), want, `[${lower.toString('hex')}, ${upper.toString('hex')})`);
      }
      // Bounds that are keys themselves: the entry at `upper` is left out, wherever it falls in its block.
      const keyOf = (e: string) => Buffer.from(e.slice(0, e.indexOf('=')), 'hex');
      for (let i = 1; i < 40; i++) {
        const lower = keyOf(all[Math.floor((i - 1) * all.length / 40)]!);
        const upper = keyOf(all[Math.floor((i * all.length) / 40) + (i % 3)]!);
        const want = all.filter((e) => Buffer.compare(keyOf(e), lower) >= 0 && Buffer.compare(keyOf(e), upper) < 0);
        assert.deepEqual(await collect(view, lower, upper), want, `[${lower.toString('hex')}, ${upper.toString('hex')})`);
      }
      for (const n of [1, 3, 64, 1000]) {
        const bounds = [Buffer.from('B')];
        for (let i = 1; i < n; i++) bounds.push(Buffer.from([0x43, Math.floor((i * 65536) / n) >> 8, Math.floor((i * 65536) / n) & 0xff]));
        bounds.push(Buffer.from('D'));
        const tiled: string[] = [];
        for (let i = 0; i < n; i++) tiled.push(...(await collect(view, bounds[i], bounds[i + 1])));
        assert.deepEqual(tiled, all, `${n} ranges`);
      }
      assert.deepEqual(await collect(view, Buffer.from('D')), [], 'nothing above the last key');
      assert.deepEqual(await collect(view, undefined, Buffer.from('C')), [`42=${Buffer.from('best').toString('hex')}`]);
    } finally {
      view.close();
    }
  } finally {
    await db.close();
  }
});

test('tables larger than the 1 MiB read window: ranges cut anywhere, and a damaged block past the first window is found', async () => {
  const dir = scratchDir();
  const db = new ClassicLevel<Buffer, Buffer>(dir, { keyEncoding: 'buffer', valueEncoding: 'buffer', compression: false, writeBufferSize: 8 << 20, maxFileSize: 8 << 20 });
  await db.open();
  const rand = prng(23);
  // About 5 MB: blocks straddle the window's end, and a range's read-ahead has somewhere to stop.
  for (let round = 0; round < 10; round++) {
    await db.batch(Array.from({ length: 4000 }, () => ({ type: 'put' as const, key: Buffer.concat([Buffer.from('C'), rand(32)]), value: rand(60 + (rand(1)[0]! % 200)) })));
  }
  await db.compactRange(Buffer.from('A'), Buffer.from('D'));
  await db.close();
  const version = readCurrentVersion(dir);
  const big = version.levels.flat().find((t) => t.size > 3 << 20);
  assert.ok(big, 'the test needs a table of several windows');

  const view = openScanView(dir);
  try {
    const all = await collect(view);
    assert.equal(all.length, 40_000);
    const keyOf = (e: string) => Buffer.from(e.slice(0, e.indexOf('=')), 'hex');
    const cuts = prng(29);
    for (let i = 0; i < 30; i++) {
      const [lower, upper] = [Buffer.concat([Buffer.from('C'), cuts(2)]), Buffer.concat([Buffer.from('C'), cuts(2)])].sort(Buffer.compare) as [Buffer, Buffer];
      const want = all.filter((e) => Buffer.compare(keyOf(e), lower) >= 0 && Buffer.compare(keyOf(e), upper) < 0);
      assert.deepEqual(await collect(view, lower, upper), want, `[${lower.toString('hex')}, ${upper.toString('hex')})`);
    }
    const tiled: string[] = [];
    for (let i = 0; i < 37; i++) tiled.push(...(await collect(view, Buffer.from([0x43, Math.floor((i * 256) / 37)]), i === 36 ? Buffer.from('D') : Buffer.from([0x43, Math.floor(((i + 1) * 256) / 37)]))));
    assert.deepEqual(tiled, all, 'ranges that tile the table');
  } finally {
    view.close();
  }

  // One byte changed in the data past the first window (and at its edge): the block holding it fails its CRC.
  const file = path.join(dir, `${String(big.number).padStart(6, '0')}.ldb`);
  const original = readFileSync(file);
  for (const at of [(1 << 20) - 3, (1 << 20) + 10, 3 << 20]) {
    const damaged = Buffer.from(original);
    damaged[at] ^= 0x40;
    writeFileSync(file, damaged);
    const v = openScanView(dir);
    try {
      await assert.rejects(collect(v), (e: Error) => e instanceof TableCorruption && /checksum mismatch/.test(e.message), `byte ${at}`);
    } finally {
      v.close();
    }
  }
  writeFileSync(file, original);
});
