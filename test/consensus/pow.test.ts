import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { ByteReader } from '../../src/primitives/bytes.js';
import { blockHash, parseHeader } from '../../src/primitives/block.js';
import { hashToHex } from '../../src/primitives/hash.js';
import {
  bitsFromTarget,
  blockProof,
  calculateNextWorkRequired,
  checkProofOfWork,
  getNextWorkRequired,
  PowBlock,
  targetFromBits,
} from '../../src/consensus/pow.js';
import { ChainParams, getChainParams } from '../../src/consensus/params.js';
import { VECTORS } from '../helpers.js';

const main = getChainParams('main');

test("SetCompact/GetCompact: Core's arith_uint256_tests bignum_SetCompact cases", () => {
  // [bits, target hex, GetCompact(negative) result, negative, overflow]
  const cases: Array<[number, string, number, boolean, boolean]> = [
    [0x00000000, '0', 0, false, false],
    [0x00123456, '0', 0, false, false],
    [0x01003456, '0', 0, false, false],
    [0x02000056, '0', 0, false, false],
    [0x03000000, '0', 0, false, false],
    [0x04000000, '0', 0, false, false],
    [0x00923456, '0', 0, false, false],
    [0x01803456, '0', 0, false, false],
    [0x02800056, '0', 0, false, false],
    [0x03800000, '0', 0, false, false],
    [0x04800000, '0', 0, false, false],
    [0x01123456, '12', 0x01120000, false, false],
    [0x01fedcba, '7e', 0x01fe0000, true, false],
    [0x02123456, '1234', 0x02123400, false, false],
    [0x03123456, '123456', 0x03123456, false, false],
    [0x04123456, '12345600', 0x04123456, false, false],
    [0x04923456, '12345600', 0x04923456, true, false],
    [0x05009234, '92340000', 0x05009234, false, false],
    [0x20123456, '1234560000000000000000000000000000000000000000000000000000000000', 0x20123456, false, false],
  ];
  for (const [bits, hex, compact, negative, overflow] of cases) {
    const r = targetFromBits(bits);
    const label = bits.toString(16);
    assert.equal(r.target, BigInt('0x' + hex), label);
    assert.equal(r.negative, negative, label);
    assert.equal(r.overflow, overflow, label);
    assert.equal(bitsFromTarget(r.target, r.negative), compact, label);
  }
  assert.deepEqual(
    { negative: targetFromBits(0xff123456).negative, overflow: targetFromBits(0xff123456).overflow },
    { negative: false, overflow: true },
  );
  // GetCompact never sets the sign bit: 0x80 needs a second byte.
  assert.equal(bitsFromTarget(0x80n), 0x02008000);
});

test('compact forms of the networks’ pow limits', () => {
  assert.equal(bitsFromTarget(main.powLimit), 0x1d00ffff);
  assert.equal(bitsFromTarget(getChainParams('signet').powLimit), 0x1e0377ae);
  assert.equal(bitsFromTarget(getChainParams('regtest').powLimit), 0x207fffff);
});

test('checkProofOfWork rejects negative, zero, overflowing and too-easy targets', () => {
  const genesis = getChainParams('main').genesis.header;
  const hash = blockHash(genesis);
  assert.equal(checkProofOfWork(hash, 0x1d00ffff, main.powLimit), true);
  assert.equal(checkProofOfWork(hash, 0x1b00ffff, main.powLimit), false); // hash above target
  assert.equal(checkProofOfWork(hash, 0x1d80ffff, main.powLimit), false); // negative
  assert.equal(checkProofOfWork(hash, 0x00000000, main.powLimit), false); // zero
  assert.equal(checkProofOfWork(hash, 0x23000001, main.powLimit), false); // overflow
  assert.equal(checkProofOfWork(hash, 0x1d01ffff, main.powLimit), false); // above powLimit
  assert.equal(checkProofOfWork(new Uint8Array(32), 0x207fffff, main.powLimit), false);
});

test('blockProof: chain work per block', () => {
  assert.equal(blockProof(0x1d00ffff), 0x100010001n); // genesis chainwork increment
  assert.equal(blockProof(0x207fffff), 2n);
  assert.equal(blockProof(0x1d80ffff), 0n);
  assert.equal(blockProof(0), 0n);
});

test("calculateNextWorkRequired: Core's pow_tests vectors", () => {
  const cases: Array<[string, number, number, number, number, number]> = [
    // name, last height, last time, last bits, first time, expected
    ['get_next_work', 32255, 1262152739, 0x1d00ffff, 1261130161, 0x1d00d86a],
    ['pow_limit', 2015, 1233061996, 0x1d00ffff, 1231006505, 0x1d00ffff],
    ['lower_limit_actual', 68543, 1279297671, 0x1c05a3f4, 1279008237, 0x1c0168fd],
    ['upper_limit_actual', 46367, 1269211443, 0x1c387f6f, 1263163443, 0x1d00e1fd],
  ];
  for (const [name, height, time, bits, firstTime, expected] of cases) {
    const first: PowBlock = { height: height - 2015, bits, time: firstTime };
    assert.equal(calculateNextWorkRequired({ height, time, bits }, first, main), expected, name);
  }
});

/** A synthetic chain: `bits[i]` and `time[i]` per height. */
function chainOf(entries: Array<[number, number]>): PowBlock[] {
  return entries.map(([bits, time], height) => ({ height, bits, time }));
}

function next(chain: PowBlock[], newTime: number, params: ChainParams): number {
  return getNextWorkRequired(chain[chain.length - 1], newTime, params, (h) => chain[h]);
}

test('testnet3: 20-minute min-difficulty rule and the walk back to the last real difficulty', () => {
  const t3 = getChainParams('testnet3');
  const real = 0x1c0fffff;
  const limit = 0x1d00ffff;
  const t0 = 1_600_000_000;
  const chain = chainOf([
    [real, t0],
    [real, t0 + 600],
    [limit, t0 + 3000], // a min-difficulty block
    [limit, t0 + 5000],
  ]);
  assert.equal(next(chain, t0 + 5000 + 1201, t3), limit, 'late block may use the minimum');
  assert.equal(next(chain, t0 + 5000 + 1200, t3), real, 'on-time block reverts to the real difficulty');
  assert.equal(next(chain.slice(0, 2), t0 + 700, t3), real);
  // Mainnet has no such rule.
  assert.equal(next(chain.slice(0, 2), t0 + 100_000, main), real);
});

test('testnet4 (BIP94): the retarget scales the first block of the period, not a min-difficulty last block', () => {
  const t4 = getChainParams('testnet4');
  const t3 = getChainParams('testnet3');
  const real = 0x1c0fffff;
  const limit = 0x1d00ffff;
  const t0 = 1_700_000_000;
  const entries: Array<[number, number]> = [];
  for (let h = 0; h < 2016; h++) entries.push([h === 2015 ? limit : real, t0 + h * 600]);
  const chain = chainOf(entries);
  const last = chain[2015];
  // Exactly two weeks minus one spacing: the target shrinks a little from `real` (testnet4) or from the limit (testnet3).
  const bip94 = next(chain, last.time + 600, t4);
  const legacy = next(chain, last.time + 600, t3);
  assert.equal(bip94, calculateNextWorkRequired({ ...last, bits: real }, chain[0], t3));
  assert.notEqual(bip94, legacy);
  assert.equal(legacy, calculateNextWorkRequired(last, chain[0], t3));
});

test('regtest: no retargeting at period boundaries; min-difficulty rule in between', () => {
  const rt = getChainParams('regtest');
  const entries: Array<[number, number]> = [];
  for (let h = 0; h < 144; h++) entries.push([0x207fffff, 1296688602 + h]);
  const chain = chainOf(entries);
  assert.equal(next(chain, chain[143].time + 1, rt), 0x207fffff); // height 144 is a boundary
  assert.equal(next(chain.slice(0, 10), chain[9].time + 1, rt), 0x207fffff);
  const odd = chainOf([[0x207fffff, 0], [0x1f00ffff, 1]]);
  assert.equal(next(odd, 2, rt), 0x1f00ffff);
  assert.equal(next(odd, 10_000, rt), 0x207fffff);
});

function readHeaders(file: string): { hashes: Uint8Array[]; chain: PowBlock[]; prevs: Uint8Array[] } {
  const bytes = new Uint8Array(readFileSync(file));
  assert.equal(bytes.length % 80, 0);
  const r = new ByteReader(bytes);
  const hashes: Uint8Array[] = [];
  const chain: PowBlock[] = [];
  const prevs: Uint8Array[] = [];
  for (let height = 0; !r.eof; height++) {
    const h = parseHeader(r);
    hashes.push(blockHash(h));
    prevs.push(h.prevHash);
    chain.push({ height, bits: h.bits, time: h.time });
  }
  return { hashes, chain, prevs };
}

test('mainnet headers 0..10236: links, proof of work, and getNextWorkRequired gives every header its bits', (t) => {
  const file = path.join(VECTORS, 'mainnet/headers-0-10236.bin');
  if (!existsSync(file)) return t.skip(`${file} not found`);
  const { hashes, chain, prevs } = readHeaders(file);
  assert.equal(chain.length, 10237);
  assert.equal(hashToHex(hashes[0]), main.genesisHash);
  let retargets = 0;
  for (let h = 0; h < chain.length; h++) {
    assert.ok(checkProofOfWork(hashes[h], chain[h].bits, main.powLimit), `pow at ${h}`);
    if (h === 0) continue;
    assert.deepEqual(prevs[h], hashes[h - 1], `link at ${h}`);
    const want = getNextWorkRequired(chain[h - 1], chain[h].time, main, (x) => chain[x]);
    assert.equal(want, chain[h].bits, `bits at ${h}`);
    if (h % 2016 === 0) retargets++;
  }
  // Five retargets (2016 … 10080); early blocks were slow, so each one clamps at the pow limit.
  assert.equal(retargets, 5);
  assert.ok(chain.every((b) => b.bits === 0x1d00ffff));
});

test('signet headers 0..2015: links and proof of work with the signet pow limit', (t) => {
  const file = path.join(VECTORS, 'signet/headers-0-2015.bin');
  if (!existsSync(file)) return t.skip(`${file} not found`);
  const signet = getChainParams('signet');
  const { hashes, chain, prevs } = readHeaders(file);
  assert.equal(chain.length, 2016);
  assert.equal(hashToHex(hashes[0]), signet.genesisHash);
  for (let h = 0; h < chain.length; h++) {
    assert.ok(checkProofOfWork(hashes[h], chain[h].bits, signet.powLimit), `pow at ${h}`);
    if (h === 0) continue;
    assert.deepEqual(prevs[h], hashes[h - 1], `link at ${h}`);
    assert.equal(getNextWorkRequired(chain[h - 1], chain[h].time, signet, (x) => chain[x]), chain[h].bits);
  }
  // The first signet headers are not valid under mainnet's limit.
  assert.equal(checkProofOfWork(hashes[0], chain[0].bits, main.powLimit), false);
});
