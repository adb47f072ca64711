/** Core's -blocksxor: xor.dat created as Core creates it, blocks and undo data written obfuscated and read back. */
import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { BlockStore, STORAGE_HEADER_BYTES } from '../../src/chain/block-store.js';
import { getChainParams } from '../../src/consensus/params.js';
import { equalBytes } from '../../src/primitives/bytes.js';
import { readFramedBlocks } from '../../src/primitives/block.js';
import { scratchDir } from '../helpers.js';

const params = getChainParams('regtest');
const blocks = [...readFramedBlocks(readFileSync('snapshots/regtest-h200-blocks.dat'), params.messageStart)].slice(0, 5).map((f) => Uint8Array.from(f.bytes));

test('a fresh blocks dir gets a random key; files on disk are obfuscated; reads and a read-only store undo it', async () => {
  const dir = scratchDir();
  const store = await BlockStore.open(dir, { magic: params.messageStart, obfuscate: true });
  const key = readFileSync(path.join(dir, 'xor.dat'));
  assert.equal(key.length, 8);
  assert.ok(key.some((b) => b !== 0), 'a random key');
  const positions = [];
  for (const b of blocks) positions.push(await store.writeBlock(b));
  const undo = await store.writeUndo(Uint8Array.of(1, 2, 3), new Uint8Array(32), 0);
  await store.sync();
  const raw = readFileSync(path.join(dir, 'blk00000.dat'));
  assert.ok(!equalBytes(raw.subarray(0, 4), params.messageStart), 'the magic is not in clear on disk');
  for (let i = 0; i < 4; i++) assert.equal(raw[i] ^ key[i], params.messageStart[i]);
  for (const [i, pos] of positions.entries()) assert.deepEqual(await store.readBlock(pos), blocks[i]);
  assert.deepEqual(await store.readUndo(undo, new Uint8Array(32)), Uint8Array.of(1, 2, 3));
  await store.close();

  const reader = await BlockStore.open(dir, { magic: params.messageStart, readOnly: true });
  assert.deepEqual(await reader.readBlock(positions[3]), blocks[3]);
  const whole = await reader.readFile('blk', 0);
  assert.deepEqual([...readFramedBlocks(whole, params.messageStart)].map((f) => Uint8Array.from(f.bytes)), blocks);
  await reader.close();

  // Reopened with obfuscation on: the stored key is kept and appends continue with it.
  const again = await BlockStore.open(dir, { magic: params.messageStart, obfuscate: true, lastFile: 0, files: new Map([[0, { ...store.fileInfo(0)! }]]) });
  assert.deepEqual(new Uint8Array(readFileSync(path.join(dir, 'xor.dat'))), new Uint8Array(key));
  const more = await again.writeBlock(blocks[0]);
  assert.equal(more.offset, positions[4].offset + blocks[4].length + STORAGE_HEADER_BYTES);
  assert.deepEqual(await again.readBlock(more), blocks[0]);
  await again.close();

  await assert.rejects(
    BlockStore.open(dir, { magic: params.messageStart, obfuscate: false }),
    /^Error: The blocksdir XOR-key can not be disabled when a random key was already stored! Stored key: '[0-9a-f]{16}', stored path: '.*xor\.dat'\.$/,
  );
});

test('a blocks dir that already holds block files, or -blocksxor=0, gets a zero key (no obfuscation)', async () => {
  const existing = scratchDir();
  writeFileSync(path.join(existing, 'blk00000.dat'), new Uint8Array(0));
  await (await BlockStore.open(existing, { magic: params.messageStart, obfuscate: true })).close();
  assert.deepEqual(new Uint8Array(readFileSync(path.join(existing, 'xor.dat'))), new Uint8Array(8));

  const off = scratchDir();
  const store = await BlockStore.open(off, { magic: params.messageStart, obfuscate: false });
  const pos = await store.writeBlock(blocks[1]);
  await store.sync();
  assert.deepEqual(new Uint8Array(readFileSync(path.join(off, 'blk00000.dat')).subarray(pos.offset, pos.offset + blocks[1].length)), blocks[1]);
  await store.close();
  assert.ok(existsSync(path.join(off, 'xor.dat')));
});
