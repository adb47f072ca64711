/**
 * The block index's tree logic: skip-pointer ancestors against plain walks on real mainnet headers,
 * median time past, fork points, best-header tie-break by arrival, invalidity propagation, chain tx
 * counts and the most-work-chain-with-data search, dirty tracking.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { ByteReader } from '../../src/primitives/bytes.js';
import { BlockHeader, blockHash, parseHeader } from '../../src/primitives/block.js';
import { sha256d } from '../../src/primitives/hash.js';
import { checkProofOfWork } from '../../src/consensus/pow.js';
import { getChainParams } from '../../src/consensus/params.js';
import { BlockIndex, BlockIndexEntry, getAncestor, lastCommonAncestor, medianTimePast } from '../../src/chain/block-index.js';
import { decodeStatus, encodeStatus, isValid } from '../../src/chain/block-status.js';
import { NO_VECTORS, vector } from '../helpers.js';

const regtest = getChainParams('regtest');
let salt = 0;

function mine(prev: BlockIndexEntry, time = prev.header.time + 600): BlockHeader {
  const h: BlockHeader = { version: 4, prevHash: prev.hash, merkleRoot: sha256d(Uint8Array.of(salt++ & 0xff, salt >> 8)), time, bits: 0x207fffff, nonce: 0 };
  while (!checkProofOfWork(blockHash(h), h.bits, regtest.powLimit)) h.nonce++;
  return h;
}

function extend(index: BlockIndex, from: BlockIndexEntry, n: number): BlockIndexEntry[] {
  const out: BlockIndexEntry[] = [];
  for (let i = 0, t = from; i < n; i++) out.push((t = index.acceptHeader(mine(t))));
  return out;
}

const newIndex = () => new BlockIndex(regtest, { now: () => 2_000_000_000 });

test('getAncestor via skip pointers equals a plain walk; median time past matches a naive median', { skip: NO_VECTORS }, () => {
  const bytes = new Uint8Array(readFileSync(vector('mainnet', 'headers-0-10236.bin')));
  const r = new ByteReader(bytes);
  const index = new BlockIndex(getChainParams('main'), { now: () => 2_000_000_000 });
  const byHeight: BlockIndexEntry[] = [];
  while (!r.eof) byHeight.push(index.acceptHeader(parseHeader(r)));
  const tip = byHeight[byHeight.length - 1];
  for (const target of [0, 1, 2, 3, 1000, 2015, 2016, 4095, 8191, 10235, 10236]) assert.equal(getAncestor(tip, target), byHeight[target]);
  assert.equal(getAncestor(tip, 10237), undefined);
  assert.equal(getAncestor(tip, -1), undefined);
  for (let h = 1; h < byHeight.length; h += 97) {
    const e = byHeight[h];
    assert.equal(getAncestor(e, Math.floor(h / 3)), byHeight[Math.floor(h / 3)]);
    assert.ok(e.skip && e.skip.height < h && byHeight[e.skip.height] === e.skip);
    const times = byHeight.slice(Math.max(0, h - 10), h + 1).map((x) => x.header.time).sort((a, b) => a - b);
    assert.equal(medianTimePast(e), times[Math.floor(times.length / 2)]);
  }
  assert.deepEqual(index.chainTo(byHeight[5]), byHeight.slice(0, 6));
});

test('lastCommonAncestor finds the fork point', () => {
  const index = newIndex();
  const a = extend(index, index.genesis, 20);
  const b = extend(index, a[9], 5);
  assert.equal(lastCommonAncestor(a[19], b[4]), a[9]);
  assert.equal(lastCommonAncestor(b[4], a[19]), a[9]);
  assert.equal(lastCommonAncestor(a[19], a[3]), a[3]);
  assert.equal(lastCommonAncestor(a[5], a[5]), a[5]);
});

test('best header: equal work goes to the earlier arrival; more work wins; duplicates return the entry', () => {
  const index = newIndex();
  const x = index.acceptHeader(mine(index.genesis, index.genesis.header.time + 100));
  const y = index.acceptHeader(mine(index.genesis, index.genesis.header.time + 200));
  assert.equal(x.chainWork, y.chainWork);
  assert.ok(x.sequenceId < y.sequenceId);
  assert.equal(index.bestHeader, x);
  assert.equal(index.acceptHeader(y.header), y);
  assert.equal(index.bestHeader, x, 're-announcing the later one changes nothing');
  const y2 = index.acceptHeader(mine(y));
  assert.equal(index.bestHeader, y2);
});

test('markInvalid: failed on the block, failed-ancestor on descendants, best header moves, children refused', () => {
  const index = newIndex();
  const main = extend(index, index.genesis, 6);
  const fork = extend(index, main[1], 3); // heights 3..5
  assert.equal(index.bestHeader, main[5]);
  index.markInvalid(main[3]);
  assert.equal(main[3].status.failure, 'failed');
  assert.equal(main[4].status.failure, 'failed-ancestor');
  assert.equal(main[5].status.failure, 'failed-ancestor');
  assert.equal(main[2].status.failure, undefined);
  assert.ok(fork.every((e) => e.status.failure === undefined));
  assert.equal(index.bestHeader, fork[2]);
  assert.throws(() => index.acceptHeader(main[5].header), /duplicate-invalid/);
  assert.throws(() => index.acceptHeader(mine(main[5])), /bad-prevblk/);
  // A descendant found bad on its own keeps 'failed' when an ancestor is invalidated later.
  index.markInvalid(fork[2]);
  index.markInvalid(fork[0]);
  assert.equal(fork[2].status.failure, 'failed');
  assert.equal(fork[1].status.failure, 'failed-ancestor');
  assert.equal(index.bestHeader, main[2]);
});

test('block data: chain tx counts link up out of order; findMostWorkChain wants data on the whole path', () => {
  const index = newIndex();
  const main = extend(index, index.genesis, 5);
  const fork = extend(index, main[0], 6); // more work, heights 2..7
  index.setBlockData(index.genesis, { file: 0, offset: 8 }, 1);
  assert.equal(index.findMostWorkChain(), index.genesis);
  // Data for main[1..4] before main[0]: counts stay unknown until the gap closes.
  for (let i = 1; i < 5; i++) index.setBlockData(main[i], { file: 0, offset: 100 * i }, i + 1);
  assert.equal(main[4].chainTxCount, 0);
  assert.equal(index.findMostWorkChain(), index.genesis);
  index.setBlockData(main[0], { file: 0, offset: 50 }, 1);
  assert.deepEqual(main.map((e) => e.chainTxCount), [2, 4, 7, 11, 16]);
  assert.equal(index.findMostWorkChain(), main[4]);
  for (const e of fork.slice(0, 5)) index.setBlockData(e, { file: 1, offset: e.height }, 1);
  assert.equal(index.findMostWorkChain(), fork[4], 'fork[4] has more work than main[4] and all its data');
  assert.equal(index.findMostWorkChain('scripts'), undefined);
  index.raiseValidity(main[4], 'scripts');
  assert.equal(index.findMostWorkChain('scripts'), main[4]);
  index.markInvalid(fork[2]);
  assert.equal(index.findMostWorkChain(), main[4]);
  assert.ok(isValid(main[4].status, 'transactions') && main[4].status.haveData);
});

test('assumeutxo base: setChainTxCount lets descendants with data become candidates without older data', () => {
  const index = newIndex();
  const chain = extend(index, index.genesis, 10);
  index.setBlockData(chain[8], { file: 0, offset: 8 }, 3);
  index.setBlockData(chain[9], { file: 0, offset: 800 }, 2);
  assert.equal(index.findMostWorkChain(), undefined);
  index.setChainTxCount(chain[7], 111);
  assert.equal(chain[8].chainTxCount, 114);
  assert.equal(chain[9].chainTxCount, 116);
  assert.equal(index.findMostWorkChain(), chain[9]);
});

test('dirty tracking: new and changed entries are taken once; markDirty gives them back', () => {
  const index = newIndex();
  assert.deepEqual(index.takeDirty(), [index.genesis]);
  const [a, b] = extend(index, index.genesis, 2);
  assert.deepEqual(index.entriesNeedingWrite(), [a, b]);
  assert.deepEqual(index.takeDirty(), [a, b]);
  assert.deepEqual(index.takeDirty(), []);
  index.setUndoData(a, { file: 0, offset: 8 });
  index.raiseValidity(b, 'header'); // no change: not dirty
  assert.deepEqual(index.takeDirty(), [a]);
  index.markDirty(b);
  assert.deepEqual(index.takeDirty(), [b]);
});

test("status encoding uses Core's bits and round-trips", () => {
  const index = newIndex();
  const [a] = extend(index, index.genesis, 1);
  index.setBlockData(a, { file: 0, offset: 8 }, 1, true);
  index.setUndoData(a, { file: 0, offset: 8 });
  index.raiseValidity(a, 'scripts');
  assert.equal(encodeStatus(a.status), 5 | 8 | 16 | 128);
  index.markInvalid(a);
  assert.equal(encodeStatus(a.status), 5 | 8 | 16 | 32 | 128);
  assert.deepEqual(decodeStatus(encodeStatus(a.status)), a.status);
  assert.deepEqual(decodeStatus(2 | 64), { validity: 'header', haveData: false, haveUndo: false, failure: 'failed-ancestor' });
  assert.throws(() => decodeStatus(1), /invalid block status/);
  assert.throws(() => decodeStatus(2 | 512), /invalid block status/);
});
