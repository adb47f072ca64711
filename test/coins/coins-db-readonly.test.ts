/**
 * A read-only CoinsDB (opened on a private copy in $TMPDIR): its errors name the user's directory, never
 * the copy, and a failed open leaves no copy behind. Real LevelDB on disk.
 */
import assert from 'node:assert/strict';
import { cpSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { CoinsDB, CoinsDBError, type CoinChange } from '../../src/coins/coins-db.js';
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
