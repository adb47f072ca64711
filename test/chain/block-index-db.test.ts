/**
 * Block index persistence in a real LevelDB: a full round trip of the mainnet headers with statuses,
 * positions and file metadata; incremental writes of dirty entries; corrupt and foreign indexes refused.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { ClassicLevel } from 'classic-level';
import { ByteReader } from '../../src/primitives/bytes.js';
import { BlockHeader, blockHash, parseHeader } from '../../src/primitives/block.js';
import { sha256d } from '../../src/primitives/hash.js';
import { checkProofOfWork } from '../../src/consensus/pow.js';
import { getChainParams } from '../../src/consensus/params.js';
import { BlockIndex, BlockIndexEntry } from '../../src/chain/block-index.js';
import { BlockIndexDb, encodeEntry } from '../../src/chain/block-index-db.js';
import type { BlockFileInfo } from '../../src/chain/block-store.js';
import { NO_VECTORS, scratchDir, vector } from '../helpers.js';

const main = getChainParams('main');
const regtest = getChainParams('regtest');
const now = () => 2_000_000_000;

function snapshot(index: BlockIndex): Map<string, unknown> {
  const out = new Map<string, unknown>();
  for (const e of index.entries()) {
    out.set(e.key, {
      header: e.header,
      height: e.height,
      chainWork: e.chainWork,
      prev: e.prev?.key,
      skip: e.skip?.key,
      status: e.status,
      dataPos: e.dataPos,
      undoPos: e.undoPos,
      txCount: e.txCount,
      chainTxCount: e.chainTxCount,
      sequenceId: e.sequenceId,
    });
  }
  return out;
}

test('round trip: mainnet headers with data, undo, validity, failures and file info survive close/reopen', { skip: NO_VECTORS }, async () => {
  const dir = scratchDir();
  const r = new ByteReader(new Uint8Array(readFileSync(vector('mainnet', 'headers-0-10236.bin'))));
  const index = new BlockIndex(main, { now });
  const chain: BlockIndexEntry[] = [];
  while (!r.eof) chain.push(index.acceptHeader(parseHeader(r)));
  for (const e of chain.slice(0, 300)) {
    index.setBlockData(e, { file: e.height >> 8, offset: 8 + e.height * 300 }, 1, false);
    if (e.height > 0) index.setUndoData(e, { file: e.height >> 8, offset: 8 + e.height * 41 });
    index.raiseValidity(e, e.height < 200 ? 'scripts' : 'chain');
  }
  index.markInvalid(chain[10000]);
  assert.equal(index.bestHeader, chain[9999]);
  const files = new Map<number, BlockFileInfo>([
    [0, { blocks: 256, size: 76800, undoSize: 10496, heightFirst: 0, heightLast: 255, timeFirst: chain[0].header.time, timeLast: chain[255].header.time }],
    [1, { blocks: 44, size: 13200, undoSize: 1804, heightFirst: 256, heightLast: 299, timeFirst: chain[256].header.time, timeLast: chain[299].header.time }],
  ]);

  const db = await BlockIndexDb.open(dir, main);
  await db.writeEntries(index.takeDirty(), { lastFile: 1, files });
  await db.close();

  const db2 = await BlockIndexDb.open(dir, main);
  const loaded = await db2.loadAll({ now });
  assert.equal(loaded.size, 10237);
  assert.deepEqual(snapshot(loaded), snapshot(index));
  assert.equal(loaded.bestHeader.key, chain[9999].key);
  assert.equal(loaded.findMostWorkChain('scripts')!.height, 199);
  assert.equal(loaded.get(chain[299].hash)!.chainTxCount, 300);
  assert.equal(await db2.lastFile(), 1);
  assert.deepEqual(await db2.fileInfos(), files);
  assert.deepEqual(loaded.takeDirty(), [], 'a freshly loaded index has nothing to write');

  // Incremental: only the changed entry is written, and the change is what the next load sees.
  const e = loaded.get(chain[300].hash)!;
  loaded.setBlockData(e, { file: 1, offset: 13208 }, 1);
  const dirty = loaded.takeDirty();
  assert.deepEqual(dirty, [e]);
  await db2.writeEntries(dirty);
  await db2.close();
  const db3 = await BlockIndexDb.open(dir, main);
  const again = await db3.loadAll({ now });
  assert.deepEqual(snapshot(again), snapshot(loaded));
  assert.equal(again.get(chain[300].hash)!.chainTxCount, 301);
  // New arrivals continue the sequence instead of reusing numbers.
  assert.ok(again.get(chain[300].hash)!.sequenceId > chain[10236].sequenceId);
  await db3.close();
});

function mine(prev: BlockIndexEntry): BlockHeader {
  const h: BlockHeader = { version: 4, prevHash: prev.hash, merkleRoot: sha256d(prev.hash), time: prev.header.time + 600, bits: 0x207fffff, nonce: 0 };
  while (!checkProofOfWork(blockHash(h), h.bits, regtest.powLimit)) h.nonce++;
  return h;
}

test('an empty index loads as genesis only; an entry whose parent is missing is corruption', async () => {
  const dir = scratchDir();
  const db = await BlockIndexDb.open(dir, regtest);
  const empty = await db.loadAll({ now });
  assert.equal(empty.size, 1);
  assert.equal(empty.bestHeader, empty.genesis);

  const other = new BlockIndex(regtest, { now });
  const a = other.acceptHeader(mine(other.genesis));
  const b = other.acceptHeader(mine(a));
  await db.writeEntries([other.genesis, b]);
  await assert.rejects(db.loadAll({ now }), /block index is corrupt/);
  await db.writeEntries([a]);
  const fixed = await db.loadAll({ now });
  assert.equal(fixed.bestHeader.key, b.key);
  await db.close();
});

test('an index written for one network is refused for another', async () => {
  const dir = scratchDir();
  const db = await BlockIndexDb.open(dir, regtest);
  await db.close();
  await assert.rejects(BlockIndexDb.open(dir, main), /belongs to another network/);
  const again = await BlockIndexDb.open(dir, regtest);
  await again.close();
});

/** `count` regtest headers on genesis, accepted into `index`. */
function mineChain(index: BlockIndex, count: number): BlockIndexEntry[] {
  const chain = [index.genesis];
  for (let i = 0; i < count; i++) chain.push(index.acceptHeader(mine(chain[chain.length - 1])));
  return chain;
}

test('an index written uncompressed is read straight from its files, the same as through the iterator', async () => {
  const dir = scratchDir();
  const index = new BlockIndex(regtest, { now });
  const chain = mineChain(index, 3000);
  const db = await BlockIndexDb.open(dir, regtest);
  // Some entries in tables of more than one level, some only in the log, one written twice.
  await db.writeEntries(index.takeDirty().slice(0, 2000));
  await db.close();
  const db2 = await BlockIndexDb.open(dir, regtest);
  await db2.writeEntries(chain.slice(2000, 2500));
  await db2.close();
  const db3 = await BlockIndexDb.open(dir, regtest);
  await db3.writeEntries(chain.slice(2500));
  index.setBlockData(chain[1], { file: 0, offset: 8 }, 1);
  await db3.writeEntries(index.takeDirty());
  assert.ok(readdirSync(path.join(dir, 'index')).filter((f) => f.endsWith('.ldb')).length >= 2, 'entries are in tables');

  const direct = await db3.loadAll({ now }, 'files');
  assert.equal(db3.lastReadPath, 'files');
  const iterated = await db3.loadAll({ now }, 'iterator');
  assert.equal(db3.lastReadPath, 'iterator');
  assert.equal(direct.size, 3001);
  assert.deepEqual(snapshot(direct), snapshot(iterated));
  assert.deepEqual(snapshot(direct), snapshot(index));
  assert.deepEqual(direct.get(chain[1].hash)!.dataPos, { file: 0, offset: 8 }, 'the newer version of an entry written twice');
  await db3.loadAll({ now });
  assert.equal(db3.lastReadPath, 'files', 'the default reads the files');
  await db3.close();
});

test('an index an older build wrote with snappy-compressed tables still opens, through the iterator', async () => {
  const dir = scratchDir();
  const index = new BlockIndex(regtest, { now });
  mineChain(index, 1500);
  // What earlier builds did: classic-level's default options, which compress with snappy.
  const old = new ClassicLevel<Uint8Array, Uint8Array>(path.join(dir, 'index'), { keyEncoding: 'view', valueEncoding: 'view' });
  await old.put(Uint8Array.of(0x4e), regtest.messageStart);
  await old.batch(index.takeDirty().map((e) => ({ type: 'put' as const, key: Uint8Array.of(0x62, ...e.hash), value: encodeEntry(e) })));
  // Writes the memtable into a table with the options of this session.
  await old.compactRange(Uint8Array.of(0), Uint8Array.of(0xff));
  await old.close();

  const db = await BlockIndexDb.open(dir, regtest);
  await assert.rejects(db.loadAll({ now }, 'files'), { name: 'LevelFormatError', message: /compressed/ });
  const loaded = await db.loadAll({ now });
  assert.equal(db.lastReadPath, 'iterator');
  assert.deepEqual(snapshot(loaded), snapshot(index));
  await db.close();
});

test('a wide fork (more siblings than the loader scans) and a genesis hash stored at another height', async () => {
  const dir = scratchDir();
  const index = new BlockIndex(regtest, { now });
  const a = index.acceptHeader(mine(index.genesis));
  const tips: BlockIndexEntry[] = [];
  for (let i = 0; i < 40; i++) {
    const h = mine(a);
    h.time += i;
    while (!checkProofOfWork(blockHash(h), h.bits, regtest.powLimit)) h.nonce++;
    tips.push(index.acceptHeader(mine(index.acceptHeader(h))));
  }
  const db = await BlockIndexDb.open(dir, regtest);
  await db.writeEntries(index.takeDirty());
  for (const read of ['files', 'iterator'] as const) {
    const loaded = await db.loadAll({ now }, read);
    assert.equal(loaded.size, 82);
    assert.deepEqual(snapshot(loaded), snapshot(index));
  }
  // Genesis under its own key, but at height 5: the same hash twice.
  const g = index.genesis;
  await db.writeEntries([{ hash: g.hash, header: g.header, height: 5, status: g.status, dataPos: undefined, undoPos: undefined, txCount: 0, chainTxCount: 0, sequenceId: 0 }]);
  for (const read of ['files', 'iterator'] as const) await assert.rejects(db.loadAll({ now }, read), /block index is corrupt/);
  await db.close();
});
