import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { ByteReader, concatBytes, equalBytes, fromHex, toHex } from '../../src/primitives/bytes.js';
import { hashToHex, sha256d, ZERO_HASH } from '../../src/primitives/hash.js';
import {
  Block,
  blockHash,
  blockMerkleRoot,
  blockWitnessMerkleRoot,
  checkWitnessCommitment,
  computeMerkleRoot,
  makeWitnessCommitmentScript,
  parseBlock,
  parseHeader,
  readFramedBlocks,
  serializeBlock,
  serializeHeader,
  witnessCommitmentIndex,
} from '../../src/primitives/block.js';
import { hasWitness, txid } from '../../src/primitives/transaction.js';
import { checkProofOfWork } from '../../src/consensus/pow.js';
import { getChainParams } from '../../src/consensus/params.js';
import { VECTORS } from '../helpers.js';

const vector = (rel: string): string | undefined => {
  const p = path.join(VECTORS, rel);
  return existsSync(p) ? p : undefined;
};

const h = (n: number): Uint8Array => sha256d(Uint8Array.of(n));

test('merkle root: one leaf is itself, empty is zero, odd levels repeat the last hash', () => {
  assert.deepEqual(computeMerkleRoot([]), { root: new Uint8Array(32), mutated: false });
  assert.deepEqual(computeMerkleRoot([h(1)]).root, h(1));
  const ab = sha256d(concatBytes(h(1), h(2)));
  const cc = sha256d(concatBytes(h(3), h(3)));
  assert.deepEqual(computeMerkleRoot([h(1), h(2), h(3)]), { root: sha256d(concatBytes(ab, cc)), mutated: false });
});

test('merkle mutation (CVE-2012-2459): repeated trailing hashes keep the root but are flagged', () => {
  const leaves = (n: number) => Array.from({ length: n }, (_, i) => h(i));
  // [honest leaf count, mutated leaf list]: each mutated list has the honest root.
  const cases: Array<[number, Uint8Array[]]> = [
    [3, [...leaves(3), h(2)]], // last hash duplicated
    [6, [...leaves(6), h(4), h(5)]], // last two hashes duplicated
    [5, [...leaves(5), h(4)]],
    [10, [...leaves(10), h(8), h(9)]],
  ];
  for (const [n, mutatedLeaves] of cases) {
    const honest = computeMerkleRoot(leaves(n));
    const evil = computeMerkleRoot(mutatedLeaves);
    assert.equal(honest.mutated, false, `honest ${n}`);
    assert.deepEqual(evil.root, honest.root, `same root for ${n}`);
    assert.equal(evil.mutated, true, `mutated ${n}`);
  }
  // Equal siblings are flagged even when the root is not a collision.
  assert.equal(computeMerkleRoot([h(1), h(1)]).mutated, true);
  assert.equal(computeMerkleRoot([h(1), h(2), h(1), h(2)]).mutated, true); // equal pair one level up
  assert.equal(computeMerkleRoot([h(1), h(2), h(2), h(3)]).mutated, false); // equal, but not siblings
});

test('genesis blocks of all networks: hash and merkle root, and parse/serialize round trip', () => {
  const cases: Array<[Parameters<typeof getChainParams>[0], string, string]> = [
    ['main', '000000000019d6689c085ae165831e934ff763ae46a2a6c172b3f1b60a8ce26f', '4a5e1e4baab89f3a32518a88c31bc87f618f76673e2cc77ab2127b7afdeda33b'],
    ['testnet3', '000000000933ea01ad0ee984209779baaec3ced90fa3f408719526f8d77f4943', '4a5e1e4baab89f3a32518a88c31bc87f618f76673e2cc77ab2127b7afdeda33b'],
    ['testnet4', '00000000da84f2bafbbc53dee25a72ae507ff4914b867c565be350b0da8bf043', '7aa0a7ae1e223414cb807e40cd57e667b718e42aaf9306db9102fe28912b7b4e'],
    ['signet', '00000008819873e925422c1ff0f99f7cc9bbb232af63a077a480a3633bee1ef6', '4a5e1e4baab89f3a32518a88c31bc87f618f76673e2cc77ab2127b7afdeda33b'],
    ['regtest', '0f9188f13cb7b2c71f2a335e3a4fc328bf5beb436012afca590b1a11466e2206', '4a5e1e4baab89f3a32518a88c31bc87f618f76673e2cc77ab2127b7afdeda33b'],
  ];
  for (const [net, hash, root] of cases) {
    const g = getChainParams(net).genesis;
    assert.equal(hashToHex(blockHash(g.header)), hash, net);
    assert.equal(hashToHex(g.header.merkleRoot), root, net);
    assert.equal(hashToHex(blockMerkleRoot(g).root), root, net);
    const bytes = serializeBlock(g);
    assert.equal(toHex(serializeBlock(parseBlock(bytes))), toHex(bytes));
  }
});

test('header: 80 bytes, parse/serialize round trip', () => {
  const g = getChainParams('main').genesis;
  const bytes = serializeHeader(g.header);
  assert.equal(bytes.length, 80);
  assert.deepEqual(serializeHeader(parseHeader(new ByteReader(bytes))), bytes);
});

test('readFramedBlocks skips junk and zero padding, stops at a truncated frame', () => {
  const magic = fromHex('fabfb5da');
  const g = serializeBlock(getChainParams('regtest').genesis);
  const frame = (b: Uint8Array) => concatBytes(magic, Uint8Array.of(b.length & 0xff, b.length >> 8, 0, 0), b);
  const file = concatBytes(frame(g), Uint8Array.of(1, 2, 3), frame(g), new Uint8Array(50), frame(g).subarray(0, 100));
  const got = [...readFramedBlocks(file, magic)];
  assert.equal(got.length, 2);
  assert.equal(got[0].offset, 8);
  assert.equal(got[1].offset, 8 + g.length + 3 + 8);
  assert.deepEqual(got[1].bytes, g);
});

test('mainnet blocks 0..599: parse, merkle roots, hashes chain, proof of work, round trip', (t) => {
  const file = vector('mainnet/blocks-0-599.dat');
  if (!file) return t.skip('mainnet/blocks-0-599.dat not found');
  const params = getChainParams('main');
  const bytes = new Uint8Array(readFileSync(file));
  let prev: Uint8Array = new Uint8Array(32);
  let height = 0;
  for (const { bytes: raw } of readFramedBlocks(bytes, params.messageStart)) {
    const block = parseBlock(raw);
    const hash = blockHash(block.header);
    if (height === 0) assert.equal(hashToHex(hash), params.genesisHash);
    assert.deepEqual(block.header.prevHash, prev, `prev hash at ${height}`);
    const { root, mutated } = blockMerkleRoot(block);
    assert.deepEqual(root, block.header.merkleRoot, `merkle root at ${height}`);
    assert.equal(mutated, false);
    assert.ok(checkProofOfWork(hash, block.header.bits, params.powLimit), `pow at ${height}`);
    assert.deepEqual(serializeBlock(block), raw);
    prev = hash;
    height++;
  }
  assert.equal(height, 600);
});

function checkRawBlock(block: Block, raw: Uint8Array): void {
  assert.deepEqual(serializeBlock(block), raw);
  const { root, mutated } = blockMerkleRoot(block);
  assert.deepEqual(root, block.header.merkleRoot);
  assert.equal(mutated, false);
}

test('mainnet block 413567 (pre-segwit): byte-identical round trip, merkle root, no witness', (t) => {
  const file = vector('mainnet/block-413567.raw');
  if (!file) return t.skip('mainnet/block-413567.raw not found');
  const raw = new Uint8Array(readFileSync(file));
  const block = parseBlock(raw);
  assert.equal(block.txs.length, 1557);
  checkRawBlock(block, raw);
  assert.ok(checkProofOfWork(blockHash(block.header), block.header.bits, getChainParams('main').powLimit));
  assert.equal(block.txs.some(hasWitness), false);
  assert.deepEqual(checkWitnessCommitment(block, false), { ok: true });
});

test('mainnet block 866342 (segwit): round trip, witness commitment verifies, tampering is caught', (t) => {
  const file = vector('mainnet/block-866342.raw');
  if (!file) return t.skip('mainnet/block-866342.raw not found');
  const raw = new Uint8Array(readFileSync(file));
  const block = parseBlock(raw);
  checkRawBlock(block, raw);
  assert.ok(checkProofOfWork(blockHash(block.header), block.header.bits, getChainParams('main').powLimit));
  assert.ok(block.txs.some(hasWitness));
  const pos = witnessCommitmentIndex(block);
  assert.ok(pos >= 0);
  assert.deepEqual(checkWitnessCommitment(block), { ok: true });
  const reserved = block.txs[0].inputs[0].witness[0];
  assert.deepEqual(makeWitnessCommitmentScript(block, reserved), block.txs[0].outputs[pos].script.subarray(0, 38));
  assert.equal(blockWitnessMerkleRoot(block).mutated, false);
  // Changing the reserved value breaks the commitment; a wrong size is its own error.
  const coinbaseIn = block.txs[0].inputs[0];
  coinbaseIn.witness = [new Uint8Array(32).fill(1)];
  assert.equal((checkWitnessCommitment(block) as { reason: string }).reason, 'bad-witness-merkle-match');
  coinbaseIn.witness = [new Uint8Array(31)];
  assert.equal((checkWitnessCommitment(block) as { reason: string }).reason, 'bad-witness-nonce-size');
  coinbaseIn.witness = [reserved];
  assert.equal((checkWitnessCommitment(block, false) as { reason: string }).reason, 'unexpected-witness');
});

test('testnet3 blocks 928828 and 1087400: round trip and merkle roots', (t) => {
  for (const name of ['block-928828.raw', 'block-1087400.raw']) {
    const file = vector(`testnet3/${name}`);
    if (!file) return t.skip(`testnet3/${name} not found`);
    const raw = new Uint8Array(readFileSync(file));
    const block = parseBlock(raw);
    checkRawBlock(block, raw);
    assert.deepEqual(checkWitnessCommitment(block), { ok: true });
  }
});

test('signet blocks 0..120: chain from genesis, merkle roots, witness commitments', (t) => {
  const file = vector('signet/blocks-0-120.json');
  if (!file) return t.skip('signet/blocks-0-120.json not found');
  const params = getChainParams('signet');
  const blocks = JSON.parse(readFileSync(file, 'utf8')) as Array<{ block: string; height: number }>;
  let prev: Uint8Array = new Uint8Array(32);
  for (const { block: hex, height } of blocks) {
    const raw = fromHex(hex);
    const block = parseBlock(raw);
    if (height === 0) assert.deepEqual(raw, serializeBlock(params.genesis));
    assert.deepEqual(block.header.prevHash, prev, `prev at ${height}`);
    checkRawBlock(block, raw);
    assert.deepEqual(checkWitnessCommitment(block), { ok: true }, `commitment at ${height}`);
    prev = blockHash(block.header);
  }
});

test('regtest kernel blocks 1..206: chain on the regtest genesis, PoW, commitments', (t) => {
  const file = vector('regtest/core-kernel-blocks-1-206.hex');
  if (!file) return t.skip('regtest/core-kernel-blocks-1-206.hex not found');
  const params = getChainParams('regtest');
  let prev = blockHash(params.genesis.header);
  const lines = readFileSync(file, 'utf8').split('\n').filter(Boolean);
  assert.equal(lines.length, 206);
  for (const line of lines) {
    const raw = fromHex(line.trim());
    const block = parseBlock(raw);
    assert.deepEqual(block.header.prevHash, prev);
    checkRawBlock(block, raw);
    assert.deepEqual(checkWitnessCommitment(block), { ok: true });
    prev = blockHash(block.header);
    assert.ok(checkProofOfWork(prev, block.header.bits, params.powLimit));
  }
});

test('a coinbase-only block commits to SHA256d(64 zero bytes) (regtest-chains.md, height 110 recipe)', () => {
  const g = structuredClone(getChainParams('regtest').genesis);
  const script = makeWitnessCommitmentScript(g);
  assert.equal(toHex(script), '6a24aa21a9ed' + toHex(sha256d(new Uint8Array(64))));
  g.txs[0].outputs.push({ value: 0, script });
  g.txs[0].inputs[0].witness = [ZERO_HASH];
  g.header.merkleRoot = blockMerkleRoot(g).root;
  assert.equal(witnessCommitmentIndex(g), 1);
  assert.deepEqual(checkWitnessCommitment(g), { ok: true });
  assert.ok(equalBytes(txid(g.txs[0]), g.header.merkleRoot));
});
