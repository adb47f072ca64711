/**
 * Header acceptance against real chains (all mainnet headers 0..10,236, signet 0..2015) and a table of
 * refused headers, one per Core reject reason, built by mutating real headers or grinding regtest ones.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { ByteReader } from '../../src/primitives/bytes.js';
import { BlockHeader, blockHash, parseHeader } from '../../src/primitives/block.js';
import { hashToHex, sha256d } from '../../src/primitives/hash.js';
import { checkProofOfWork } from '../../src/consensus/pow.js';
import { ChainParams, getChainParams } from '../../src/consensus/params.js';
import { ValidationError } from '../../src/consensus/validation-error.js';
import { BlockIndex, BlockIndexEntry, medianTimePast } from '../../src/chain/block-index.js';
import { MAX_FUTURE_BLOCK_TIME, MAX_TIMEWARP } from '../../src/chain/header-validation.js';
import { NO_VECTORS, vector } from '../helpers.js';

function readHeaders(file: string): BlockHeader[] {
  const bytes = new Uint8Array(readFileSync(file));
  const r = new ByteReader(bytes);
  const out: BlockHeader[] = [];
  while (!r.eof) out.push(parseHeader(r));
  return out;
}

/** Independent of pow.ts: expand nBits by hand and sum 2^256 / (target + 1). */
function expectedWork(headers: BlockHeader[]): bigint {
  let sum = 0n;
  for (const h of headers) {
    const target = BigInt(h.bits & 0x7fffff) * 256n ** BigInt((h.bits >>> 24) - 3);
    sum += (1n << 256n) / (target + 1n);
  }
  return sum;
}

const regtest = getChainParams('regtest');

/** A regtest header on `prev` with a nonce ground until it meets its (easy) target. */
function mine(prev: BlockIndexEntry | { hash: Uint8Array; header: BlockHeader }, over: Partial<BlockHeader> = {}, params: ChainParams = regtest): BlockHeader {
  const h: BlockHeader = {
    version: 4,
    prevHash: prev.hash,
    merkleRoot: sha256d(Uint8Array.of(prev.header.nonce & 0xff, Math.floor(Math.random() * 256))),
    time: prev.header.time + 600,
    bits: 0x207fffff,
    nonce: 0,
    ...over,
  };
  while (!checkProofOfWork(blockHash(h), h.bits, params.powLimit)) h.nonce++;
  return h;
}

/** Same, but keeps grinding until the proof of work FAILS (for high-hash). */
function unmine(h: BlockHeader, params: ChainParams): BlockHeader {
  const out = { ...h };
  while (checkProofOfWork(blockHash(out), out.bits, params.powLimit)) out.nonce++;
  return out;
}

function refuses(fn: () => unknown, result: string, reason: string): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof ValidationError, `expected ValidationError, got ${String(e)}`);
    assert.equal(e.reason, reason);
    assert.equal(e.result, result);
    return true;
  });
}

test('all mainnet headers 0..10,236 are accepted; best header is 10,236 with the summed work', { skip: NO_VECTORS }, () => {
  const headers = readHeaders(vector('mainnet', 'headers-0-10236.bin'));
  assert.equal(headers.length, 10237);
  const params = getChainParams('main');
  const last = headers[headers.length - 1];
  const index = new BlockIndex(params, { now: () => last.time + 1 });
  assert.equal(hashToHex(blockHash(headers[0])), params.genesisHash);
  for (const h of headers) index.acceptHeader(h);
  assert.equal(index.size, 10237);
  const best = index.bestHeader;
  assert.equal(best.height, 10236);
  assert.equal(best.key, hashToHex(blockHash(last)));
  assert.equal(best.chainWork, expectedWork(headers));
  // Core's chainwork before the first retarget: 0x100010001 per block.
  assert.equal(index.get(blockHash(headers[2015]))!.chainWork, 2016n * 0x100010001n);
  // Five retargets (2016..10080) were computed; mainnet stayed at powLimit, so each must yield 0x1d00ffff.
  assert.ok(headers.every((h) => h.bits === 0x1d00ffff));
});

test('mainnet: the injected clock decides time-too-new (header 100, two hours + 1 s early)', { skip: NO_VECTORS }, () => {
  const headers = readHeaders(vector('mainnet', 'headers-0-10236.bin'));
  const index = new BlockIndex(getChainParams('main'));
  for (const h of headers.slice(0, 100)) index.acceptHeader(h, h.time - MAX_FUTURE_BLOCK_TIME);
  const h = headers[100];
  refuses(() => index.acceptHeader(h, h.time - MAX_FUTURE_BLOCK_TIME - 1), 'time-future', 'time-too-new');
  assert.equal(index.acceptHeader(h, h.time - MAX_FUTURE_BLOCK_TIME).height, 100);
});

test('signet headers 0..2015 are accepted', { skip: NO_VECTORS }, () => {
  const headers = readHeaders(vector('signet', 'headers-0-2015.bin'));
  assert.equal(headers.length, 2016);
  const index = new BlockIndex(getChainParams('signet'), { now: () => headers[2015].time });
  for (const h of headers) index.acceptHeader(h);
  assert.equal(index.bestHeader.height, 2015);
  assert.equal(index.bestHeader.chainWork, expectedWork(headers));
});

test('mainnet mutations: a changed nonce is high-hash; a changed bits field is high-hash before bad-diffbits', { skip: NO_VECTORS }, () => {
  const headers = readHeaders(vector('mainnet', 'headers-0-10236.bin'));
  const params = getChainParams('main');
  const index = new BlockIndex(params, { now: () => 2_000_000_000 });
  for (const h of headers.slice(0, 11)) index.acceptHeader(h);
  refuses(() => index.acceptHeader({ ...headers[11], nonce: headers[11].nonce + 1 }), 'consensus', 'high-hash');
  refuses(() => index.acceptHeader({ ...headers[11], bits: 0x1d00fffe }), 'consensus', 'high-hash');
  // Proof of work is checked before the parent is looked up (Core's AcceptBlockHeader order).
  refuses(() => index.acceptHeader(headers[50]), 'missing-prev', 'prev-blk-not-found');
  refuses(() => index.acceptHeader({ ...headers[50], prevHash: new Uint8Array(32) }), 'consensus', 'high-hash');
});

test('regtest: a table of refused headers, one per Core reject reason', () => {
  const now = 1_700_000_000;
  const index = new BlockIndex(regtest, { now: () => now });
  let tip: BlockIndexEntry = index.genesis;
  for (let i = 0; i < 12; i++) tip = index.acceptHeader(mine(tip, { time: tip.header.time + 600 }));
  const mtp = medianTimePast(tip);
  const bad = index.acceptHeader(mine(tip));
  index.markInvalid(bad);

  const cases: Array<[string, () => BlockHeader, string, string]> = [
    ['proof of work fails', () => unmine(mine(tip), regtest), 'consensus', 'high-hash'],
    ['unknown parent', () => mine({ hash: sha256d(Uint8Array.of(1)), header: tip.header }), 'missing-prev', 'prev-blk-not-found'],
    ['parent failed', () => mine(bad), 'invalid-prev', 'bad-prevblk'],
    ['bits differ from the required', () => mine(tip, { bits: 0x207ffffe }), 'consensus', 'bad-diffbits'],
    ['time equal to the median time past', () => mine(tip, { time: mtp }), 'consensus', 'time-too-old'],
    ['time before the median time past', () => mine(tip, { time: mtp - 1 }), 'consensus', 'time-too-old'],
    ['time more than 2 h ahead', () => mine(tip, { time: now + MAX_FUTURE_BLOCK_TIME + 1 }), 'time-future', 'time-too-new'],
    ['version 1 after BIP34', () => mine(tip, { version: 1 }), 'consensus', 'bad-version(0x00000001)'],
    ['version 2 after BIP66', () => mine(tip, { version: 2 }), 'consensus', 'bad-version(0x00000002)'],
    ['version 3 after BIP65', () => mine(tip, { version: 3 }), 'consensus', 'bad-version(0x00000003)'],
    ['negative version', () => mine(tip, { version: -1 }), 'consensus', 'bad-version(0xffffffff)'],
  ];
  for (const [name, make, result, reason] of cases) {
    const h = make();
    assert.doesNotThrow(() => blockHash(h), name);
    refuses(() => index.acceptHeader(h), result, reason);
    assert.equal(index.get(blockHash(h)), undefined, `${name}: a refused header is not added`);
  }
  refuses(() => index.acceptHeader(bad.header), 'consensus', 'duplicate-invalid');
  // Boundaries that pass: exactly now + 2 h, MTP + 1, version 4.
  assert.equal(index.acceptHeader(mine(tip, { time: now + MAX_FUTURE_BLOCK_TIME })).height, 13);
  assert.equal(index.acceptHeader(mine(tip, { time: mtp + 1 })).height, 13);
  assert.equal(index.bestHeader.height, 13);
});

test('bad-version thresholds sit exactly at the BIP34/66/65 heights', () => {
  const params: ChainParams = { ...regtest, bip34Height: 2, bip66Height: 3, bip65Height: 4 };
  const index = new BlockIndex(params, { now: () => 2_000_000_000 });
  const h1 = index.acceptHeader(mine(index.genesis, { version: 1 })); // height 1: nothing active
  refuses(() => index.acceptHeader(mine(h1, { version: 1 })), 'consensus', 'bad-version(0x00000001)');
  const h2 = index.acceptHeader(mine(h1, { version: 2 }));
  refuses(() => index.acceptHeader(mine(h2, { version: 2 })), 'consensus', 'bad-version(0x00000002)');
  const h3 = index.acceptHeader(mine(h2, { version: 3 }));
  refuses(() => index.acceptHeader(mine(h3, { version: 3 })), 'consensus', 'bad-version(0x00000003)');
  assert.equal(index.acceptHeader(mine(h3, { version: 4 })).height, 4);
  assert.equal(index.acceptHeader(mine(h3, { version: 0x20000000 })).height, 4);
});

test('BIP94 (testnet4 rule, regtest -test=bip94): the first block of a period may not go back > 600 s', () => {
  const params: ChainParams = { ...regtest, enforceBIP94: true };
  const interval = params.powTargetTimespan / params.powTargetSpacing; // 144 on regtest
  const index = new BlockIndex(params, { now: () => 2_000_000_000 });
  let tip: BlockIndexEntry = index.genesis;
  while (tip.height < interval - 1) tip = index.acceptHeader(mine(tip, { time: tip.header.time + 1000 }));
  refuses(() => index.acceptHeader(mine(tip, { time: tip.header.time - MAX_TIMEWARP - 1 })), 'consensus', 'time-timewarp-attack');
  const ok = index.acceptHeader(mine(tip, { time: tip.header.time - MAX_TIMEWARP }));
  assert.equal(ok.height, interval);
  // Inside a period the same step back is allowed; without BIP94 it is allowed everywhere.
  assert.equal(index.acceptHeader(mine(ok, { time: ok.header.time - 700 })).height, interval + 1);
  const plain = new BlockIndex(regtest, { now: () => 2_000_000_000 });
  let t: BlockIndexEntry = plain.genesis;
  while (t.height < interval - 1) t = plain.acceptHeader(mine(t, { time: t.header.time + 1000 }));
  assert.equal(plain.acceptHeader(mine(t, { time: t.header.time - MAX_TIMEWARP - 1 })).height, interval);
});

test('checkpoint hook: forks below the last known checkpoint are bad-fork-prior-to-checkpoint', () => {
  const first = new BlockIndex(regtest, { now: () => 2_000_000_000 });
  const chain: BlockIndexEntry[] = [first.genesis];
  for (let i = 1; i <= 4; i++) chain.push(first.acceptHeader(mine(chain[i - 1])));
  const params: ChainParams = { ...regtest, checkpoints: [{ height: 3, hash: chain[3].key }] };
  const index = new BlockIndex(params, { now: () => 2_000_000_000 });
  // Before the checkpoint block is known, forks are fine.
  const early = index.acceptHeader(mine(index.genesis, { time: index.genesis.header.time + 1 }));
  for (let i = 1; i <= 4; i++) index.acceptHeader(chain[i].header);
  refuses(() => index.acceptHeader(mine(chain[1], { time: chain[1].header.time + 1 })), 'checkpoint', 'bad-fork-prior-to-checkpoint');
  refuses(() => index.acceptHeader(mine(early)), 'checkpoint', 'bad-fork-prior-to-checkpoint');
  // A block at or above the checkpoint height is not a fork "prior" to it.
  assert.equal(index.acceptHeader(mine(chain[2], { time: chain[2].header.time + 1 })).height, 3);
});
