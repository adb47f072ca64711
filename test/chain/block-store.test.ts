/**
 * Block and undo files: real mainnet blocks written and read back across file rollover and restart,
 * Core's own rev00000.dat checksums verified against blk00000.dat's hashes, and a stopped Core regtest
 * node's xor-obfuscated blocks dir read back equal to the plain chain.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { appendFileSync, copyFileSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { equalBytes, toHex } from '../../src/primitives/bytes.js';
import { blockHash, parseHeader, readFramedBlocks } from '../../src/primitives/block.js';
import { ByteReader } from '../../src/primitives/bytes.js';
import { getChainParams } from '../../src/consensus/params.js';
import { BlockStore, STORAGE_HEADER_BYTES } from '../../src/chain/block-store.js';
import type { FilePos } from '../../src/chain/block-index.js';
import { NO_VECTORS, scratchDir, vector } from '../helpers.js';

const main = getChainParams('main');
const regtest = getChainParams('regtest');
const hashOf = (block: Uint8Array) => blockHash(parseHeader(new ByteReader(block)));

function framed(file: string, magic: Uint8Array): Uint8Array[] {
  return [...readFramedBlocks(new Uint8Array(readFileSync(file)), magic)].map((b) => b.bytes);
}

test('round trip of mainnet blocks 0..599 and their undo across rollover, restart and a torn tail', { skip: NO_VECTORS }, async () => {
  const dir = scratchDir();
  const blocks = framed(vector('mainnet', 'blocks-0-599.dat'), main.messageStart);
  assert.equal(blocks.length, 600);
  const maxFileSize = 20_000;
  let store = await BlockStore.open(dir, { magic: main.messageStart, maxFileSize });
  const positions: FilePos[] = [];
  const undoPos: FilePos[] = [];
  const undo = (i: number) => Uint8Array.of(i & 0xff, 1, 2, 3);
  // Concurrent writes: offsets are reserved synchronously, so none collide.
  const first = await Promise.all(blocks.slice(0, 300).map((b, i) => store.writeBlock(b, { height: i, time: parseHeader(new ByteReader(b)).time })));
  positions.push(...first);
  for (let i = 1; i < 300; i++) undoPos[i] = await store.writeUndo(undo(i), hashOf(blocks[i - 1]), positions[i].file);
  const synced = await store.sync();
  assert.ok(synced.lastFile >= 2, `rolled over into ${synced.lastFile + 1} files`);
  for (const [n, info] of synced.files) {
    assert.ok(info.size < maxFileSize, `blk${n} stays below the limit`);
    assert.equal(statSync(path.join(dir, `blk${String(n).padStart(5, '0')}.dat`)).size, info.size);
  }
  assert.equal([...synced.files.values()].reduce((s, i) => s + i.blocks, 0), 300);
  assert.equal(synced.files.get(0)!.heightFirst, 0);
  assert.equal(synced.files.get(synced.lastFile)!.heightLast, 299);
  await store.close();

  // A torn write after the last sync: junk past the recorded end is overwritten by the next record.
  const last = `blk${String(synced.lastFile).padStart(5, '0')}.dat`;
  appendFileSync(path.join(dir, last), Buffer.concat([Buffer.from(main.messageStart), Buffer.from([0xff, 0xff, 0, 0, 1, 2, 3])]));
  store = await BlockStore.open(dir, { magic: main.messageStart, maxFileSize, files: synced.files, lastFile: synced.lastFile });
  for (let i = 300; i < 600; i++) positions.push(await store.writeBlock(blocks[i]));
  const recorded = synced.files.get(synced.lastFile)!.size;
  if (positions[300].file === synced.lastFile) assert.equal(positions[300].offset, recorded + STORAGE_HEADER_BYTES);
  for (let i = 300; i < 600; i++) undoPos[i] = await store.writeUndo(undo(i), hashOf(blocks[i - 1]), positions[i].file);
  await store.sync();
  for (let i = 0; i < 600; i++) {
    assert.ok(equalBytes(await store.readBlock(positions[i]), blocks[i]), `block ${i}`);
    if (i > 0) assert.deepEqual(await store.readUndo(undoPos[i], hashOf(blocks[i - 1])), undo(i));
  }
  await assert.rejects(store.readUndo(undoPos[5], hashOf(blocks[5])), /Checksum mismatch at FlatFilePos\(nFile=\d+, nPos=\d+\) while reading block undo/);
  await assert.rejects(store.readBlock({ file: 0, offset: 4 }), /storage header/);
  await assert.rejects(store.readBlock({ file: 0, offset: positions[0].offset + 1 }), /Block magic mismatch/);
  await assert.rejects(store.readBlock({ file: 99, offset: 8 }), /OpenBlockFile failed/);
  await store.close();

  // The files read as Core's would: every block framed with the mainnet magic, in order.
  const reread: Uint8Array[] = [];
  for (let f = 0; f <= positions[599].file; f++) reread.push(...framed(path.join(dir, `blk${String(f).padStart(5, '0')}.dat`), main.messageStart));
  assert.equal(reread.length, 600);
});

test('without index info, appending resumes at the end of the files on disk', async () => {
  const dir = scratchDir();
  let store = await BlockStore.open(dir, { magic: regtest.messageStart });
  const a = await store.writeBlock(new Uint8Array(90).fill(1));
  const u = await store.writeUndo(Uint8Array.of(7), new Uint8Array(32), a.file);
  await store.close();
  store = await BlockStore.open(dir, { magic: regtest.messageStart });
  const b = await store.writeBlock(new Uint8Array(90).fill(2));
  const v = await store.writeUndo(Uint8Array.of(8), new Uint8Array(32), b.file);
  assert.deepEqual(b, { file: 0, offset: a.offset + 90 + STORAGE_HEADER_BYTES });
  assert.deepEqual(v, { file: 0, offset: u.offset + 1 + 32 + STORAGE_HEADER_BYTES });
  assert.deepEqual(await store.readBlock(a), new Uint8Array(90).fill(1));
  assert.deepEqual(await store.readUndo(v, new Uint8Array(32)), Uint8Array.of(8));
  await store.close();
});

test('an index that records more than a file holds is an error; a read-only store refuses writes', async () => {
  const dir = scratchDir();
  const store = await BlockStore.open(dir, { magic: regtest.messageStart });
  await store.writeBlock(new Uint8Array(100));
  const { files, lastFile } = await store.sync();
  await store.close();
  files.get(0)!.size += 1;
  await assert.rejects(BlockStore.open(dir, { magic: regtest.messageStart, files, lastFile }), /shorter than the block index records/);
  const ro = await BlockStore.open(dir, { magic: regtest.messageStart, readOnly: true });
  assert.throws(() => ro.writeBlock(new Uint8Array(100)), /read-only/);
  await ro.close();
});

test("Core's rev00000.dat: undo records for blocks 1..40 verify against blk00000.dat's hashes", { skip: NO_VECTORS }, async () => {
  const blocks = framed(vector('mainnet', 'blk00000.dat'), main.messageStart);
  const store = await BlockStore.open(vector('mainnet'), { magic: main.messageStart, readOnly: true });
  const rev = await store.readFile('rev', 0);
  let offset = STORAGE_HEADER_BYTES;
  for (let height = 1; height <= 40; height++) {
    const data = await store.readUndo({ file: 0, offset }, hashOf(blocks[height - 1]));
    assert.equal(toHex(data), '00', `block ${height} has no spends: empty CBlockUndo`);
    offset += data.length + 32 + STORAGE_HEADER_BYTES;
  }
  assert.equal(offset - STORAGE_HEADER_BYTES, rev.length);
  await assert.rejects(store.readUndo({ file: 0, offset: STORAGE_HEADER_BYTES }, hashOf(blocks[1])), /Checksum mismatch/);
  await store.close();

  // One flipped checksum byte is detected.
  const dir = scratchDir();
  const flipped = new Uint8Array(rev);
  flipped[41 * 7 + 20] ^= 0x01;
  writeFileSync(path.join(dir, 'rev00000.dat'), flipped);
  copyFileSync(vector('mainnet', 'blk00000.dat'), path.join(dir, 'blk00000.dat'));
  const bad = await BlockStore.open(dir, { magic: main.messageStart, readOnly: true });
  await bad.readUndo({ file: 0, offset: 41 * 6 + 8 }, hashOf(blocks[6]));
  await assert.rejects(bad.readUndo({ file: 0, offset: 41 * 7 + 8 }, hashOf(blocks[7])), /Checksum mismatch at FlatFilePos\(nFile=0, nPos=295\)/);
  await bad.close();
});

test("a stopped Core node's blocks dir is read through xor.dat: blocks equal blocks.dat's, undo checksums hold", { skip: NO_VECTORS }, async () => {
  const dir = scratchDir();
  execFileSync('tar', ['-xzf', vector('core-regtest-A', 'core-datadir.tar.gz'), '-C', dir]);
  const blocksDir = path.join(dir, 'blocks');
  const key = readFileSync(path.join(blocksDir, 'xor.dat'));
  assert.ok(key.some((b) => b !== 0), 'Core v28+ obfuscates by default');
  await assert.rejects(BlockStore.open(blocksDir, { magic: regtest.messageStart, obfuscate: false }), /The blocksdir XOR-key can not be disabled/);
  assert.equal(framed(path.join(blocksDir, 'blk00000.dat'), regtest.messageStart).length, 0, 'raw bytes are not readable');

  const store = await BlockStore.open(blocksDir, { magic: regtest.messageStart, readOnly: true });
  const expected = framed(vector('core-regtest-A', 'blocks.dat'), regtest.messageStart);
  const found = [...readFramedBlocks(await store.readFile('blk', 0), regtest.messageStart)];
  assert.ok(found.length >= 100);
  for (let i = 0; i < 100; i++) {
    assert.ok(equalBytes(found[i].bytes, expected[i]), `block ${i}`);
    assert.ok(equalBytes(await store.readBlock({ file: 0, offset: found[i].offset }), expected[i]));
  }

  // Every undo record in Core's rev file checks out against some known block's hash (its parent).
  const stale = framed(vector('core-regtest-A', 'stale.dat'), regtest.messageStart);
  const hashes = [...expected, ...stale].map(hashOf);
  const rev = await store.readFile('rev', 0);
  let checked = 0;
  let guess = 0;
  for (const rec of readFramedBlocksLoose(rev, regtest.messageStart)) {
    const pos = { file: 0, offset: rec };
    // Core writes undo as it connects blocks, so the parent is usually the one after the last match.
    const order = [guess, ...hashes.keys()];
    let found = -1;
    for (const i of order) {
      if (i < hashes.length && (await store.readUndo(pos, hashes[i]).then(() => true, () => false))) {
        found = i;
        break;
      }
    }
    assert.ok(found >= 0, `undo record at ${rec} matches a parent hash`);
    guess = found + 1;
    checked++;
  }
  assert.ok(checked >= expected.length - 1, `${checked} undo records verified`);
  await store.close();
});

/** Record offsets in a rev file (sizes may be below a block's minimum, so readFramedBlocks does not apply). */
function* readFramedBlocksLoose(bytes: Uint8Array, magic: Uint8Array): Iterable<number> {
  let pos = 0;
  while (pos + 8 <= bytes.length && equalBytes(bytes.subarray(pos, pos + 4), magic)) {
    const size = bytes[pos + 4] | (bytes[pos + 5] << 8) | (bytes[pos + 6] << 16) | (bytes[pos + 7] << 24);
    yield pos + 8;
    pos += 8 + size + 32;
  }
}
