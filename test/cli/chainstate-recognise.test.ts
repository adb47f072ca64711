/**
 * `chainstate stats` recognises a chainstate by its obfuscation key and best-block records, and refuses
 * any other LevelDB (Core's blocks/index, say) instead of reporting an empty coin set.
 */
import assert from 'node:assert/strict';
import path from 'node:path';
import { test } from 'node:test';
import { ClassicLevel } from 'classic-level';
import { assertOneLineError, runCli, scratchDir } from '../helpers.js';

test('a LevelDB that is not a chainstate is refused with exit 1', async () => {
  const dir = scratchDir();
  const index = path.join(dir, 'index');
  // Block-index-like records: 'b' + hash, no obfuscation key, no best block.
  const db = new ClassicLevel<Buffer, Buffer>(index, { keyEncoding: 'buffer', valueEncoding: 'buffer' });
  await db.open();
  await db.put(Buffer.concat([Buffer.from('b'), Buffer.alloc(32, 7)]), Buffer.from('00', 'hex'));
  await db.put(Buffer.from('R'), Buffer.from('00', 'hex'));
  await db.close();
  const r = runCli(['chainstate', 'stats', index, '--json'], { ...process.env, HOME: dir });
  assert.equal(r.status, 1, r.stdout);
  assert.equal(r.stdout, '');
  assertOneLineError(r.stderr, /index is not a chainstate database: it has no obfuscation key or best block record/);
});
