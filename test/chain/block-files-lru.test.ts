/**
 * Issue 11 item 3: block and undo files are opened on demand and only a few stay open (Core opens a
 * FlatFile per access). 400 blocks in 400 blk files with their undo in 400 rev files (801 files with
 * xor.dat) are written, synced and read back while the process's open descriptors are counted.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { getChainParams } from '../../src/consensus/params.js';
import { equalBytes } from '../../src/primitives/bytes.js';
import { BlockStore } from '../../src/chain/block-store.js';
import type { FilePos } from '../../src/chain/block-index.js';
import { scratchDir } from '../helpers.js';

const magic = getChainParams('regtest').messageStart;
const openFds = () => readdirSync('/proc/self/fd').length;

test('801 small block files: descriptors stay within the open-file limit while writing, syncing and reading', async () => {
  const dir = scratchDir();
  const LIMIT = 16;
  const baseline = openFds();
  let peak = 0;
  const sample = () => (peak = Math.max(peak, openFds() - baseline));
  const block = (i: number) => new Uint8Array(120).fill(i & 0xff);
  const prev = new Uint8Array(32);
  let store = await BlockStore.open(dir, { magic, maxFileSize: 200, maxOpenFiles: LIMIT });
  const blocks: FilePos[] = [];
  const undos: FilePos[] = [];
  for (let i = 0; i < 400; i++) {
    blocks.push(await store.writeBlock(block(i), { height: i, time: i }));
    undos.push(await store.writeUndo(block(i + 1), prev, blocks[i].file));
    sample();
  }
  const synced = await store.sync();
  sample();
  assert.equal(synced.lastFile, 399, 'one block per file');
  assert.equal(readdirSync(dir).filter((f) => /^(blk|rev)\d+\.dat$/.test(f)).length, 800);
  await store.close();
  store = await BlockStore.open(dir, { magic, maxFileSize: 200, maxOpenFiles: LIMIT, files: synced.files, lastFile: synced.lastFile });
  // Reads in parallel too: a file in use is never closed under a read, and none opens beyond the limit.
  const timer = setInterval(sample, 1);
  const reads = await Promise.all(blocks.map(async (pos, i) => [await store.readBlock(pos), await store.readUndo(undos[i], prev)] as const));
  clearInterval(timer);
  sample();
  reads.forEach(([b, u], i) => {
    assert.ok(equalBytes(b, block(i)), `block ${i}`);
    assert.ok(equalBytes(u, block(i + 1)), `undo ${i}`);
  });
  assert.ok(store.openFiles <= LIMIT, `${store.openFiles} files left open`);
  await store.close();
  // A few closes may still be in flight when the next file opens.
  assert.ok(peak <= LIMIT + 4, `peak of ${peak} descriptors above the ${baseline} the test started with`);
  assert.ok(openFds() <= baseline, 'every descriptor is closed');
});
