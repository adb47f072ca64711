/**
 * The block index's column store: the hand-written header hash against node:crypto, chain work past
 * 2^128 (the bigint fallback), lookups by hash and by display hex (one object per entry), the
 * connectable-entries filter, and a stored index rebuilt in height order whatever order its entries
 * arrive in, forks included.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { blockHash, serializeHeader, type BlockHeader } from '../../src/primitives/block.js';
import { sha256d } from '../../src/primitives/hash.js';
import { checkProofOfWork } from '../../src/consensus/pow.js';
import { getChainParams } from '../../src/consensus/params.js';
import { BlockIndex, getAncestor, hasMoreWork, storedEntryOf, type BlockIndexEntry } from '../../src/chain/block-index.js';
import { headerHashInto } from '../../src/chain/header-hash.js';
import { IndexStore, workLimbs } from '../../src/chain/index-store.js';

const regtest = getChainParams('regtest');
let salt = 0;

function mine(prev: BlockIndexEntry): BlockHeader {
  const h: BlockHeader = { version: 4, prevHash: prev.hash, merkleRoot: sha256d(Uint8Array.of(salt++ & 0xff, salt >> 8)), time: prev.header.time + 600, bits: 0x207fffff, nonce: 0 };
  while (!checkProofOfWork(blockHash(h), h.bits, regtest.powLimit)) h.nonce++;
  return h;
}

const newIndex = () => new BlockIndex(regtest, { now: () => 2_000_000_000 });

test('headerHashInto equals SHA-256d from node:crypto, at any offset', () => {
  for (let i = 0; i < 200; i++) {
    const buf = randomBytes(80 + (i % 7));
    const at = i % 7;
    const want = createHash('sha256').update(createHash('sha256').update(buf.subarray(at, at + 80)).digest()).digest();
    const out = new Uint8Array(40);
    headerHashInto(buf, at, out, 3);
    assert.deepEqual(Buffer.from(out.subarray(3, 35)), want);
  }
});

test('chain work beyond 2^128 falls back to bigints and still compares', () => {
  const s = new IndexStore();
  const header = new Uint8Array(80);
  const rows = [0, 1, 2].map((k) => {
    const hash = new Uint8Array(32).fill(k + 1);
    return s.addRecord(hash, 0, header, 0);
  });
  const big = (1n << 128n) - 5n;
  s.setWork(rows[0], -1, workLimbs(big));
  s.setWork(rows[1], rows[0], workLimbs(10n)); // carries out of the limbs
  s.setWork(rows[2], -1, workLimbs(1n << 200n)); // a proof beyond the limbs
  assert.equal(s.chainWork(rows[0]), big);
  assert.equal(s.chainWork(rows[1]), big + 10n);
  assert.equal(s.chainWork(rows[2]), 1n << 200n);
  assert.ok(s.compareWork(rows[1], rows[0]) > 0);
  assert.ok(s.compareWork(rows[0], rows[1]) < 0);
  assert.ok(s.compareWork(rows[2], rows[1]) > 0);
  assert.equal(s.find(new Uint8Array(32).fill(2)), rows[1]);
  assert.equal(s.find(new Uint8Array(32).fill(9)), -1);
});

test('lookups by hash and by display hex give the same object; malformed keys give nothing', () => {
  const index = newIndex();
  let tip = index.genesis;
  const chain = [tip];
  for (let i = 0; i < 300; i++) chain.push((tip = index.acceptHeader(mine(tip))));
  for (const e of chain) {
    assert.equal(index.get(e.hash), e);
    assert.equal(index.get(e.key), e);
    assert.equal(index.get(e.key.toUpperCase()), e);
  }
  assert.equal(chain[5].prev, chain[4]);
  assert.equal(getAncestor(tip, 17), chain[17]);
  assert.equal(index.get('zz'.repeat(32)), undefined);
  assert.equal(index.get(tip.key.slice(1)), undefined);
  assert.equal(index.get(new Uint8Array(31)), undefined);
  assert.equal(index.size, 301);
});

test('connectableEntries: only entries with a chain tx count, and with a floor only those it does not beat', () => {
  const index = newIndex();
  const a1 = index.acceptHeader(mine(index.genesis));
  const a2 = index.acceptHeader(mine(a1));
  const b1 = index.acceptHeader(mine(index.genesis));
  index.setBlockData(index.genesis, { file: 0, offset: 8 }, 1);
  assert.deepEqual(index.connectableEntries(), [index.genesis]);
  for (const [e, off] of [[a1, 300], [a2, 600], [b1, 900]] as const) index.setBlockData(e, { file: 0, offset: off }, 2);
  assert.deepEqual(new Set(index.connectableEntries()), new Set([index.genesis, a1, a2, b1]));
  assert.ok(hasMoreWork(a1, b1));
  assert.deepEqual(new Set(index.connectableEntries(a1)), new Set([a1, a2]));
  assert.deepEqual(new Set(index.connectableEntries(b1)), new Set([a1, a2, b1]));
});

test('restore links entries given in any order, forks and all, as they were', () => {
  const index = newIndex();
  let a = index.genesis;
  const all = [a];
  for (let i = 0; i < 60; i++) all.push((a = index.acceptHeader(mine(a))));
  let b = all[20];
  for (let i = 0; i < 50; i++) all.push((b = index.acceptHeader(mine(b))));
  for (let i = 0; i < 25; i++) all.push(index.acceptHeader(mine(all[30 + i])));
  index.setBlockData(all[1], { file: 3, offset: 77 }, 5);
  const records = all.map((e) => storedEntryOf(e));
  for (let i = records.length - 1; i > 0; i--) {
    const j = (i * 7919) % (i + 1);
    [records[i], records[j]] = [records[j], records[i]];
  }
  const back = BlockIndex.restore(regtest, records, { now: () => 2_000_000_000 });
  assert.equal(back.size, index.size);
  for (const e of all) {
    const r = back.get(e.key)!;
    assert.equal(r.height, e.height);
    assert.equal(r.chainWork, e.chainWork);
    assert.equal(r.prev?.key, e.prev?.key);
    assert.equal(r.skip?.key, e.skip?.key);
    assert.deepEqual(serializeHeader(r.header), serializeHeader(e.header));
    assert.deepEqual(r.dataPos, e.dataPos);
    assert.equal(r.sequenceId, e.sequenceId);
  }
  assert.equal(back.bestHeader.key, index.bestHeader.key);
  const dup = [...all.map((e) => storedEntryOf(e)), storedEntryOf(all[7])];
  assert.throws(() => BlockIndex.restore(regtest, dup), /stored twice/);
});
