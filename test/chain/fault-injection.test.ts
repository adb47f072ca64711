/**
 * Issue 11 fault injection for the block files and the block index: a flipped byte and a truncated file
 * in blk, rev and the index LevelDB's table each give a clear error, and the next start either runs on
 * the durable state or refuses with the same clear message (never a silent change of chain).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { closeSync, openSync, readdirSync, readSync, statSync, truncateSync, writeSync } from 'node:fs';
import path from 'node:path';
import { buildH200Chain } from '../../contrib/chaingen/spec-chains.js';
import { getChainParams } from '../../src/consensus/params.js';
import { ChainstateManager } from '../../src/chain/chainstate-manager.js';
import { scratchDir } from '../helpers.js';

const params = getChainParams('regtest');
const far = () => 2_000_000_000;
const chain = buildH200Chain(200).blocks.slice(0, 30);
const open = (datadir: string) => ChainstateManager.open({ datadir, params, background: 'in-process', now: far });

/** A node with 30 blocks, closed twice so that the index LevelDB has its entries in a table file. */
async function node(): Promise<string> {
  const datadir = scratchDir('chainsnap-fault-');
  let m = await open(datadir);
  for (const b of chain) await m.processBlock(b.bytes);
  await m.close();
  m = await open(datadir);
  await m.close();
  return datadir;
}

function flip(file: string, at: number): void {
  const fd = openSync(file, 'r+');
  const b = Buffer.alloc(1);
  readSync(fd, b, 0, 1, at);
  b[0] ^= 0x5a;
  writeSync(fd, b, 0, 1, at);
  closeSync(fd);
}

const blocksFile = (datadir: string, name: string) => path.join(datadir, 'blocks', name);

async function entryOf(datadir: string, height: number) {
  const m = await open(datadir);
  const e = m.storage.index.get(chain[height - 1].hash)!;
  const dataPos = e.dataPos!;
  const undoPos = e.undoPos!;
  await m.close();
  return { dataPos, undoPos };
}

test('blk: a flipped byte in a record gives a clear read error; the node starts on its chain', async () => {
  const datadir = await node();
  const { dataPos } = await entryOf(datadir, 20);
  flip(blocksFile(datadir, 'blk00000.dat'), dataPos.offset - 8);
  const m = await open(datadir);
  try {
    assert.equal(m.active.height, 30);
    const e = m.storage.index.get(chain[19].hash)!;
    await assert.rejects(m.readRawBlock(e), /Block magic mismatch for FlatFilePos\(nFile=0, nPos=\d+\)/);
  } finally {
    await m.close();
  }
});

test('rev: a flipped byte gives Core\'s checksum error; the node starts on its chain', async () => {
  const datadir = await node();
  const { undoPos } = await entryOf(datadir, 25);
  flip(blocksFile(datadir, 'rev00000.dat'), undoPos.offset + 2);
  const m = await open(datadir);
  try {
    assert.equal(m.active.height, 30);
    await assert.rejects(m.readUndo(m.storage.index.get(chain[24].hash)!), /Checksum mismatch at FlatFilePos\(nFile=0, nPos=\d+\) while reading block undo/);
  } finally {
    await m.close();
  }
});

for (const name of ['blk00000.dat', 'rev00000.dat']) {
  test(`${name} truncated: every start refuses with a clear message and the file is left as it was`, async () => {
    const datadir = await node();
    const file = blocksFile(datadir, name);
    truncateSync(file, Math.floor(statSync(file).size / 2));
    const size = statSync(file).size;
    for (let i = 0; i < 2; i++) {
      await assert.rejects(open(datadir), /blk00000\.dat\/rev00000\.dat in .* are shorter than the block index records/);
      assert.equal(statSync(file).size, size);
    }
  });
}

function indexTable(datadir: string): string {
  const dir = path.join(datadir, 'blocks', 'index');
  const tables = readdirSync(dir).filter((f) => f.endsWith('.ldb'));
  assert.ok(tables.length > 0, 'the index has a table file');
  return tables.map((f) => path.join(dir, f)).sort((a, b) => statSync(b).size - statSync(a).size)[0];
}

test('index table: a flipped byte is refused at start with a clear error, every time', async () => {
  const datadir = await node();
  const table = indexTable(datadir);
  flip(table, Math.floor(statSync(table).size / 3));
  for (let i = 0; i < 2; i++) await assert.rejects(open(datadir), { name: 'StartupError', message: /^Error (opening|loading) block database \(.*(corrupt|Corruption)/i });
});

test('index table: truncated is refused at start with a clear error, every time', async () => {
  const datadir = await node();
  const table = indexTable(datadir);
  truncateSync(table, Math.floor(statSync(table).size / 2));
  for (let i = 0; i < 2; i++) await assert.rejects(open(datadir), { name: 'StartupError', message: /^Error opening block database \(Fatal LevelDB error: / });
});
