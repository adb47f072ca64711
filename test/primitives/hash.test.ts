import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { test } from 'node:test';
import { hash160, hash160Equals, ripemd160, sha1, sha256, sha256d } from '../../src/primitives/hash.js';
import { toHex } from '../../src/primitives/bytes.js';

const enc = (s: string) => new TextEncoder().encode(s);
const ref = (alg: string, d: Uint8Array) => new Uint8Array(createHash(alg).update(d).digest());

test('one-shot digests match the published vectors', () => {
  assert.equal(toHex(sha256(enc('abc'))), 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
  assert.equal(toHex(sha1(enc('abc'))), 'a9993e364706816aba3e25717850c26c9cd0d89d');
  assert.equal(toHex(ripemd160(enc('abc'))), '8eb208f7e05d987a9b044a8e98c6b087f15a0bfc');
  // The genesis block's header hash (internal order).
  const genesisHeader = Uint8Array.from(Buffer.from(
    '0100000000000000000000000000000000000000000000000000000000000000000000003ba3edfd7a7b12b27ac72c3e67768f617fc81bc3888a51323a9fb8aa4b1e5e4a29ab5f49ffff001d1dac2b7c',
    'hex',
  ));
  assert.equal(toHex(sha256d(genesisHeader).reverse()), '000000000019d6689c085ae165831e934ff763ae46a2a6c172b3f1b60a8ce26f');
});

test('digests are fresh arrays and agree with createHash on every length, including the middle-buffer ones', () => {
  const results: Uint8Array[] = [];
  for (let n = 0; n < 300; n += 7) {
    const d = Uint8Array.from({ length: n }, (_, i) => (i * 31 + n) & 0xff);
    const once = ref('sha256', d);
    assert.deepEqual(sha256(d), once);
    assert.deepEqual(sha256d(d), ref('sha256', once));
    assert.deepEqual(hash160(d), ref('ripemd160', once));
    results.push(sha256d(d));
  }
  // No result shares storage with another (the two-step hashes reuse a middle buffer internally).
  assert.equal(new Set(results.map((r) => r.buffer)).size, results.length);
});

test('hash160 agrees with createHash on 2,000 random messages', () => {
  let seed = 0x9e3779b9;
  const next = () => ((seed = (Math.imul(seed ^ (seed >>> 15), 0x2c1b3c6d) + 0x6d2b79f5) | 0) >>> 0) & 0xff;
  for (let k = 0; k < 2000; k++) {
    const d = Uint8Array.from({ length: k % 80 }, next);
    assert.deepEqual(hash160(d), ref('ripemd160', ref('sha256', d)));
  }
  // The published RIPEMD-160 vector, through HASH160's padding: RIPEMD-160 of SHA-256('abc').
  assert.equal(toHex(hash160(enc('abc'))), toHex(ref('ripemd160', ref('sha256', enc('abc')))));
});

test('hash160Equals answers as hash160 does, for repeated, alternating, same-length and oversized keys', () => {
  const keys = [33, 33, 65, 20, 0, 100].map((n, k) => Uint8Array.from({ length: n }, (_, i) => (i * 13 + k * 7) & 0xff));
  const order = [0, 0, 1, 0, 1, 1, 2, 2, 3, 4, 4, 5, 5, 0, 5];
  for (const k of order) {
    for (const other of keys) assert.equal(hash160Equals(keys[k], hash160(other)), toHex(hash160(keys[k])) === toHex(hash160(other)), `key ${k}`);
    // The key's bytes changed in place after it was hashed: the memory of the last key must not answer.
    const changed = Uint8Array.from(keys[k]);
    if (changed.length > 0) {
      assert.ok(hash160Equals(changed, hash160(keys[k])));
      changed[changed.length - 1] ^= 1;
      assert.ok(!hash160Equals(changed, hash160(keys[k])));
      assert.ok(hash160Equals(changed, hash160(changed)));
    }
  }
});
