/**
 * scanLevelDB against LevelDB itself: for databases shaped by real LevelDB (data only in the log, many
 * levels after compactions, overwrites and deletions, Bitcoin Core's own chainstate) the raw scan must
 * list exactly what LevelDB's iterator lists; compressed tables are refused, and writes racing a scan
 * leave it at one consistent state.
 */
import assert from 'node:assert/strict';
import { execFile, execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { promisify } from 'node:util';
import { ClassicLevel } from 'classic-level';
import { LevelFormatError } from '../../src/leveldb/coding.js';
import { crc32c } from '../../src/leveldb/crc32c.js';
import { readCurrentVersion } from '../../src/leveldb/manifest.js';
import { scanLevelDB } from '../../src/leveldb/scan.js';
import { TableCorruption, TableCursor } from '../../src/leveldb/table-cursor.js';
import { NO_VECTORS, prng, scratchDir, vector } from '../helpers.js';

type DB = ClassicLevel<Buffer, Buffer>;
const run = promisify(execFile);
const SCAN_FDS = path.resolve('dist/test/leveldb/scan-fds.js');
const ENC = { keyEncoding: 'buffer', valueEncoding: 'buffer' } as const;

async function openDb(dir: string, opts: { compression?: boolean; writeBufferSize?: number } = {}): Promise<DB> {
  const db = new ClassicLevel<Buffer, Buffer>(dir, { ...ENC, compression: opts.compression ?? false, writeBufferSize: opts.writeBufferSize ?? 64 << 10, maxFileSize: 256 << 10 });
  await db.open();
  return db;
}

async function viaLevelDB(db: DB): Promise<string[]> {
  const out: string[] = [];
  for await (const [k, v] of db.iterator()) out.push(`${k.toString('hex')}=${v.toString('hex')}`);
  return out;
}

async function viaScan(dir: string, yieldEvery?: number): Promise<string[]> {
  const out: string[] = [];
  await scanLevelDB(dir, (k, kl, v, vo, vl) => void out.push(`${k.toString('hex', 0, kl)}=${v.toString('hex', vo, vo + vl)}`), { yieldEvery });
  return out;
}


test('crc32c: the standard check value and an iSCSI vector', () => {
  assert.equal(crc32c(Buffer.from('123456789'), 0, 9), 0xe3069283);
  assert.equal(crc32c(Buffer.alloc(32), 0, 32), 0x8a9136aa);
});

test('crc32c: the sliced loop equals the bitwise definition at every offset and length, in a view with an offset, extended', () => {
  const bitwise = (b: Uint8Array, from: number, to: number, crc = 0) => {
    let c = ~crc;
    for (let i = from; i < to; i++) {
      c ^= b[i]!;
      for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0x82f63b78 : c >>> 1;
    }
    return ~c >>> 0;
  };
  const bytes = prng(3)(300);
  const view = bytes.subarray(7, 290);
  for (let from = 0; from < 40; from++) {
    for (let to = from; to <= view.length; to += 1 + (to % 7)) assert.equal(crc32c(view, from, to), bitwise(view, from, to), `[${from}, ${to})`);
  }
  assert.equal(crc32c(view, 50, 283, crc32c(view, 0, 50)), crc32c(view, 0, 283), 'extending a CRC');
});

test('entries only in the log (nothing flushed yet) are read from it', async () => {
  const dir = scratchDir();
  const db = await openDb(dir, { writeBufferSize: 4 << 20 });
  try {
    await db.put(Buffer.from('b'), Buffer.from('2'));
    await db.batch([
      { type: 'put', key: Buffer.from('a'), value: Buffer.from('1') },
      { type: 'put', key: Buffer.from('c'), value: Buffer.alloc(40_000, 7) }, // spans log blocks
      { type: 'del', key: Buffer.from('b') },
    ]);
    await db.put(Buffer.from('a'), Buffer.from('3'));
    assert.deepEqual(await viaScan(dir), await viaLevelDB(db));
    assert.equal((await viaScan(dir)).length, 2);
  } finally {
    await db.close();
  }
});

test('many levels, overwrites and deletions: the scan equals LevelDB, open and after close', async () => {
  const dir = scratchDir();
  const db = await openDb(dir);
  const rand = prng(7);
  const keys: Buffer[] = [];
  try {
    for (let round = 0; round < 40; round++) {
      const ops: Array<{ type: 'put'; key: Buffer; value: Buffer } | { type: 'del'; key: Buffer }> = [];
      for (let i = 0; i < 500; i++) {
        const r = rand(1)[0]!;
        if (keys.length > 0 && r < 40) {
          ops.push({ type: 'del', key: keys[(rand(2).readUInt16LE(0) * 31) % keys.length]! });
        } else if (keys.length > 0 && r < 100) {
          ops.push({ type: 'put', key: keys[(rand(2).readUInt16LE(0) * 17) % keys.length]!, value: rand(1 + (r % 50)) });
        } else {
          // Coin-like keys: 'C' ‖ 32 random bytes ‖ a short suffix; some values long enough for 2-byte varints.
          const key = Buffer.concat([Buffer.from('C'), rand(32), rand(1 + (r & 1))]);
          keys.push(key);
          ops.push({ type: 'put', key, value: rand(r > 250 ? 300 : 20 + (r % 30)) });
        }
      }
      await db.batch(ops);
    }
    const expected = await viaLevelDB(db);
    assert.ok(expected.length > 10_000);
    const files = execFileSync('ls', [dir]).toString();
    assert.match(files, /\.ldb/, 'the test needs tables, not just a log');
    assert.deepEqual(await viaScan(dir, 997), expected);
    await db.compactRange(Buffer.from('C'), Buffer.from('D'));
    assert.deepEqual(await viaScan(dir), expected, 'after a full compaction');
    await db.close();
    assert.deepEqual(await viaScan(dir), expected, 'closed');
  } finally {
    if (db.status === 'open') await db.close();
  }
});

test('a scan leaves no links behind, and removes links of a dead process', async () => {
  const dir = scratchDir();
  const db = await openDb(dir);
  const rand = prng(5);
  try {
    for (let i = 0; i < 40; i++) await db.batch(Array.from({ length: 300 }, () => ({ type: 'put' as const, key: rand(20), value: rand(40) })));
    assert.ok(readdirSync(dir).some((f) => f.endsWith('.ldb')));
    mkdirSync(path.join(dir, 'chainsnap-scan-999999999-abc'));
    // Left by an earlier process that had this process's id (ids are reused, in containers on every start).
    mkdirSync(path.join(dir, `chainsnap-scan-${process.pid}-old`));
    let during: string[] = [];
    await scanLevelDB(dir, () => {
      if (during.length === 0) during = readdirSync(dir).filter((f) => f.startsWith('chainsnap-scan-'));
    });
    assert.deepEqual(during.filter((f) => f.startsWith(`chainsnap-scan-${process.pid}-`)).length, 1, 'one link directory during the scan');
    assert.ok(!during.includes(`chainsnap-scan-${process.pid}-old`), 'a stale directory with a reused process id is gone');
    assert.ok(!during.includes('chainsnap-scan-999999999-abc'), "the dead process's links are gone");
    assert.deepEqual(readdirSync(dir).filter((f) => f.startsWith('chainsnap-scan-')), [], 'no link directory left');
    assert.deepEqual(await viaScan(dir), await viaLevelDB(db));
  } finally {
    await db.close();
  }
});

test('every file the scan opened is closed', { skip: existsSync('/proc/self/fd') ? false : 'needs /proc/self/fd' }, async () => {
  const dir = scratchDir();
  const db = await openDb(dir);
  const rand = prng(5);
  try {
    for (let i = 0; i < 40; i++) await db.batch(Array.from({ length: 300 }, () => ({ type: 'put' as const, key: rand(20), value: rand(40) })));
    // The scan runs in a process of its own, while this one's LevelDB may still be compacting: here its
    // background thread opens and closes files at any moment, so this process's descriptors say nothing
    // exact about the scan's.
    const { stdout } = await run(process.execPath, [SCAN_FDS, dir]);
    const seen = JSON.parse(stdout) as { before: string[]; after: string[]; duringTables: string[]; entries: number; stopped: boolean; afterStopped: string[] };
    assert.equal(seen.entries, 40 * 300);
    assert.ok(seen.duringTables.length > 0, 'the scan held tables open while it ran (so the count below can see them)');
    assert.deepEqual(seen.after, seen.before, 'every file the scan opened is closed');
    assert.ok(seen.stopped, 'a visitor that throws stops the scan');
    assert.deepEqual(seen.afterStopped, seen.before, 'every file a stopped scan opened is closed');
  } finally {
    await db.close();
  }
});

test('a cursor over many tables holds one open at a time', { skip: existsSync('/proc/self/fd') ? false : 'needs /proc/self/fd' }, async () => {
  const dir = scratchDir();
  const db = await openDb(dir);
  await db.batch(Array.from({ length: 200 }, (_, i) => ({ type: 'put' as const, key: Buffer.from(`k${i}`), value: Buffer.from(`v${i}`) })));
  await db.close();
  const again = await openDb(dir); // recovery writes the log into a table
  await again.close();
  const table = readdirSync(dir).find((f) => f.endsWith('.ldb'))!;
  const version = readCurrentVersion(dir);
  const file = version.levels.flat().find((f) => `${String(f.number).padStart(6, '0')}.ldb` === table)!;
  // The same table 300 times over: the cursor reads them one after another.
  const cursor = new TableCursor(Array.from({ length: 300 }, () => ({ file, path: path.join(dir, table) })));
  const before = readdirSync('/proc/self/fd').length;
  let entries = 0;
  let most = 0;
  while (cursor.next()) {
    if (entries++ % 97 === 0) most = Math.max(most, readdirSync('/proc/self/fd').length - before);
  }
  cursor.close();
  assert.equal(entries, 300 * 200);
  assert.equal(most, 1);
  assert.equal(readdirSync('/proc/self/fd').length, before);
});

test('a damaged table block fails its checksum (as LevelDB with verify_checksums, which Core uses)', async () => {
  const dir = scratchDir();
  const db = await openDb(dir);
  const rand = prng(3);
  for (let i = 0; i < 20; i++) await db.batch(Array.from({ length: 300 }, () => ({ type: 'put' as const, key: rand(20), value: rand(40) })));
  await db.close();
  // The largest table of the current version: a compaction cut short by close() can leave a larger
  // orphan file behind, which no reader ever opens (damaging it once made this test fail).
  const live = readCurrentVersion(dir).levels.flat().sort((a, b) => b.size - a.size)[0]!;
  const table = path.join(dir, `${String(live.number).padStart(6, '0')}.ldb`);
  const bytes = readFileSync(table);
  bytes[100] ^= 0x01; // inside the first data block
  writeFileSync(table, bytes);
  await assert.rejects(viaScan(dir), (e: unknown) => e instanceof TableCorruption && /checksum mismatch/.test(e.message));
});

test('compressed tables are refused with LevelFormatError (callers fall back to LevelDB)', async () => {
  const dir = scratchDir();
  const db = await openDb(dir, { compression: true });
  try {
    for (let i = 0; i < 50; i++) await db.batch(Array.from({ length: 100 }, (_, j) => ({ type: 'put' as const, key: Buffer.from(`k${i}-${j}`), value: Buffer.alloc(200, 1) })));
    await db.compactRange(Buffer.from('k'), Buffer.from('l'));
    await assert.rejects(viaScan(dir), LevelFormatError);
  } finally {
    await db.close();
  }
});

test('writes racing a scan: the scan sees one state the writer went through', async () => {
  const dir = scratchDir();
  const db = await openDb(dir, { writeBufferSize: 32 << 10 });
  const rand = prng(11);
  let stop = false;
  // Batch i sets key k(i mod 300) to i and the marker 'M' to i, so a consistent view has, for every key,
  // the last i ≤ M with that residue.
  let i = 0;
  const writer = (async () => {
    while (!stop) {
      await db.batch([
        { type: 'put', key: Buffer.from(`k${String(i % 300).padStart(3, '0')}`), value: Buffer.concat([Buffer.from(String(i).padStart(8, '0')), rand(100)]) },
        { type: 'put', key: Buffer.from('M'), value: Buffer.from(String(i).padStart(8, '0')) },
      ]);
      i++;
    }
  })();
  try {
    while (i < 1000) await new Promise((r) => setTimeout(r, 5));
    const from = i;
    let scans = 0;
    // Scan until the writer has moved on by a few hundred batches (flushes and compactions among them).
    for (; scans < 5 || (i < from + 300 && scans < 5000); scans++) {
      const seen = new Map<string, number>();
      await scanLevelDB(dir, (k, kl, v, vo) => void seen.set(k.toString('latin1', 0, kl), Number(v.toString('latin1', vo, vo + 8))), { yieldEvery: 50 });
      const m = seen.get('M');
      if (m === undefined) continue;
      for (let key = 0; key < 300; key++) {
        const want: number = m - ((((m - key) % 300) + 300) % 300);
        assert.equal(seen.get(`k${String(key).padStart(3, '0')}`), want < 0 ? undefined : want, `scan ${scans}, marker ${m}, key ${key}`);
      }
    }
    assert.ok(i >= from + 300, `the writer ran during the ${scans} scans (${i - from} batches)`);
  } finally {
    stop = true;
    await writer;
    await db.close();
  }
});

test("Bitcoin Core's chainstate directory scans like LevelDB reads it", { skip: NO_VECTORS }, async () => {
  const dir = scratchDir();
  execFileSync('tar', ['-xzf', vector('core-regtest-A', 'core-datadir.tar.gz'), '-C', dir]);
  const chainstate = path.join(dir, 'chainstate');
  const scanned = await viaScan(chainstate); // before LevelDB opens it: Core's log is still unreplayed
  const db = await openDb(chainstate);
  try {
    assert.deepEqual(scanned, await viaLevelDB(db));
    assert.ok(scanned.length > 100);
  } finally {
    await db.close();
  }
});
