/**
 * BIP340 verification on the N-API build's ECDSA key recovery (schnorr-by-recovery.ts) against BIP340's
 * own vectors (Core's copy, fixtures/bip340_test_vectors.csv) and, at random, against libsecp256k1's
 * schnorrsig_verify (tiny-secp256k1): valid signatures, then the same with one bit of the signature, key or
 * message flipped, and the encodings and points at the edges of the ranges.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { schnorr } from '@noble/curves/secp256k1.js';
import { fromHex, toHex } from '../../src/primitives/bytes.js';
import { taggedHash } from '../../src/script/sighash.js';
import * as tiny from 'tiny-secp256k1';
import { checkTapTweak, SCHNORR_BACKEND, schnorrVerify, schnorrVerifyByRecovery, schnorrVerifyWasm } from '../../src/script/secp256k1.js';

const NATIVE = SCHNORR_BACKEND.includes('N-API');
const noNative = NATIVE ? false : 'the secp256k1 N-API build did not load';

const P = 0xfffffffffffffffffffffffffffffffffffffffffffffffffffffffefffffc2fn;
const N = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n;
const be32 = (x: bigint) => fromHex(x.toString(16).padStart(64, '0'));
const int = (b: Uint8Array) => BigInt('0x' + toHex(b));

interface Case {
  sig: Uint8Array;
  msg: Uint8Array;
  key: Uint8Array;
}

/** Both paths on one case: the recovery's verdict (when it gives one) and the whole must be libsecp256k1's. */
function agree(c: Case, label: string): boolean {
  const expected = schnorrVerifyWasm(c.sig, c.msg, c.key);
  const byRecovery = schnorrVerifyByRecovery(c.sig, c.msg, c.key);
  if (byRecovery !== undefined) assert.equal(byRecovery, expected, `${label}: recovery path`);
  assert.equal(schnorrVerify(c.sig, c.msg, c.key), expected, label);
  return expected;
}

function flipBit(b: Uint8Array, bit: number): Uint8Array {
  const out = Uint8Array.from(b);
  out[bit >> 3] ^= 1 << (bit & 7);
  return out;
}

function signed(): Case {
  const secret = schnorr.utils.randomSecretKey();
  const msg = new Uint8Array(randomBytes(32));
  return { sig: schnorr.sign(msg, secret), msg, key: schnorr.getPublicKey(secret) };
}

describe('BIP340 verification by ECDSA key recovery', () => {
  it("passes every BIP340 vector (Core's bip340_test_vectors.csv)", () => {
    const rows = readFileSync(path.resolve('test/script/fixtures/bip340_test_vectors.csv'), 'utf8').trim().split('\n').slice(1);
    const deferred: number[] = [];
    for (const row of rows) {
      const [index, , key, , msg, sig, result, comment] = row.split(',');
      const c = { sig: fromHex(sig.toLowerCase()), msg: fromHex(msg.toLowerCase()), key: fromHex(key.toLowerCase()) };
      const label = `vector ${index} (${comment || 'valid'})`;
      assert.equal(schnorrVerify(c.sig, c.msg, c.key), result === 'TRUE', label);
      const byRecovery = schnorrVerifyByRecovery(c.sig, c.msg, c.key);
      if (byRecovery !== undefined) {
        assert.equal(byRecovery, result === 'TRUE', `${label}: recovery path`);
      } else deferred.push(Number(index));
    }
    assert.equal(rows.length, 19);
    // Left to libsecp256k1: the off-curve key (5), an infinite sG − eP (9, 10), messages not of 32 bytes (15..18).
    if (NATIVE) assert.deepEqual(deferred, [5, 9, 10, 15, 16, 17, 18]);
  });

  it('agrees with libsecp256k1 on random signatures and their one-bit corruptions', { skip: noNative }, () => {
    let valid = 0;
    let decided = 0;
    for (let i = 0; i < 150; i++) {
      const c = signed();
      assert.equal(schnorrVerifyByRecovery(c.sig, c.msg, c.key), true, `signature ${i}`);
      assert.ok(agree(c, `signature ${i}`));
      valid++;
      const bit = (n: number) => Math.floor(Math.random() * n);
      const variants: Case[] = [
        { ...c, sig: flipBit(c.sig, bit(256)) }, // r
        { ...c, sig: flipBit(c.sig, 256 + bit(256)) }, // s
        { ...c, key: flipBit(c.key, bit(256)) },
        { ...c, msg: flipBit(c.msg, bit(256)) },
      ];
      for (const [k, v] of variants.entries()) {
        assert.equal(agree(v, `signature ${i} variant ${k}`), false);
        if (schnorrVerifyByRecovery(v.sig, v.msg, v.key) !== undefined) decided++;
      }
    }
    // Half the flipped keys are off the curve and go to libsecp256k1's own check; the rest stay native.
    assert.ok(decided > valid * 2.5, `recovery decided only ${decided} of ${valid * 4} corruptions`);
  });

  it('agrees at the edges: r, s and key out of range, s = 0, an infinite R, random garbage', { skip: noNative }, () => {
    const c = signed();
    const r = c.sig.subarray(0, 32);
    const s = c.sig.subarray(32);
    const sig = (rr: Uint8Array, ss: Uint8Array) => Uint8Array.from([...rr, ...ss]);
    const edges: Array<[string, Case]> = [
      ['r = p', { ...c, sig: sig(be32(P), s) }],
      ['r = p + 1 (mod 2^256)', { ...c, sig: sig(be32(P + 1n), s) }],
      ['r = n (a field element)', { ...c, sig: sig(be32(N), s) }],
      ['r = 0', { ...c, sig: sig(be32(0n), s) }],
      ['s = n', { ...c, sig: sig(r, be32(N)) }],
      ['s = n + s', { ...c, sig: sig(r, be32((N + int(s)) % 2n ** 256n)) }],
      ['s = 0', { ...c, sig: sig(r, be32(0n)) }],
      ['key = p', { ...c, key: be32(P) }],
      ['key = 0', { ...c, key: be32(0n) }],
      ['key ≥ n', { ...c, key: be32(N + 1n) }],
      ['all zero', { sig: new Uint8Array(64), msg: new Uint8Array(32), key: new Uint8Array(32) }],
    ];
    // s = e·d makes s·G − e·P the point at infinity, which recovery refuses: libsecp256k1 decides.
    const secret = schnorr.utils.randomSecretKey();
    const key = schnorr.getPublicKey(secret);
    const d = schnorr.Point.BASE.multiply(int(secret)).y % 2n === 0n ? int(secret) : N - int(secret);
    const e = int(taggedHash('BIP0340/challenge', r, key, c.msg)) % N;
    edges.push(['R at infinity', { sig: sig(r, be32((e * d) % N)), msg: c.msg, key }]);
    for (const [label, v] of edges) assert.equal(agree(v, label), false, label);
    assert.equal(schnorrVerifyByRecovery(edges.at(-1)![1].sig, c.msg, key), undefined, 'R at infinity goes to libsecp256k1');
    for (let i = 0; i < 200; i++) {
      const v = { sig: new Uint8Array(randomBytes(64)), msg: new Uint8Array(randomBytes(32)), key: i % 2 ? c.key : new Uint8Array(randomBytes(32)) };
      agree(v, `random ${i}`);
    }
  });

  it("checks taproot tweaks as libsecp256k1's xonly_pubkey_tweak_add_check", () => {
    /** The WebAssembly build's answer: the reference. */
    const expected = (output: Uint8Array, internal: Uint8Array, tweak: Uint8Array, parity: number) => {
      try {
        const r = tiny.xOnlyPointAddTweak(internal, tweak);
        return !!r && r.parity === parity && toHex(r.xOnlyPubkey) === toHex(output);
      } catch {
        return false;
      }
    };
    let valid = 0;
    for (let i = 0; i < 100; i++) {
      const internal = schnorr.getPublicKey(schnorr.utils.randomSecretKey());
      const tweak = new Uint8Array(randomBytes(32));
      const r = tiny.xOnlyPointAddTweak(internal, tweak);
      if (!r) continue;
      const cases: Array<[Uint8Array, Uint8Array, Uint8Array, number]> = [
        [r.xOnlyPubkey, internal, tweak, r.parity],
        [r.xOnlyPubkey, internal, tweak, 1 - r.parity],
        [flipBit(r.xOnlyPubkey, i), internal, tweak, r.parity],
        [r.xOnlyPubkey, flipBit(internal, i), tweak, r.parity],
        [r.xOnlyPubkey, internal, flipBit(tweak, i), r.parity],
        [r.xOnlyPubkey, be32(P), tweak, r.parity],
        [r.xOnlyPubkey, internal, be32(N), r.parity],
      ];
      for (const [k, c] of cases.entries()) assert.equal(checkTapTweak(...c), expected(...c), `tweak ${i} case ${k}`);
      assert.ok(checkTapTweak(...cases[0]));
      valid++;
    }
    assert.ok(valid > 90);
  });
});
