/**
 * The P2WPKH path without the interpreter (src/script/p2wpkh.ts) against the interpreter itself: a P2WSH
 * spend of the same P2PKH script runs the same ops on the same stack with the same signature hash (BIP143
 * commits to the scriptCode and amount, not to the spent output), so both must give the same error for every
 * signature, key, program and flag set tried here.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { secp256k1 } from '@noble/curves/secp256k1.js';
import { concatBytes } from '../../src/primitives/bytes.js';
import { hash160, sha256 } from '../../src/primitives/hash.js';
import { p2pkh, p2wpkh, p2wsh } from '../../src/primitives/script.js';
import type { Transaction } from '../../src/primitives/transaction.js';
import { scriptErrorName, ScriptError } from '../../src/script/script-error.js';
import { SCRIPT_FLAG_NAMES, SCRIPT_VERIFY_P2SH, SCRIPT_VERIFY_WITNESS } from '../../src/script/script-flags.js';
import { segwitV0Sighash } from '../../src/script/sighash.js';
import { publicKey, signEcdsa } from '../../src/script/sign.js';
import { precomputeTxData, TransactionSignatureChecker } from '../../src/script/tx-checker.js';
import { verifyScript } from '../../src/script/verify-script.js';

const N = secp256k1.Point.CURVE().n;
const AMOUNT = 123_456_789;
const key = Uint8Array.from({ length: 32 }, (_, i) => i + 1);
const otherKey = Uint8Array.from({ length: 32 }, (_, i) => 77 - i);

const tx: Transaction = {
  version: 2,
  inputs: [{ prevout: { txid: new Uint8Array(32).fill(7), vout: 1 }, scriptSig: new Uint8Array(0), sequence: 0xfffffffd, witness: [] }],
  outputs: [{ value: 1000, script: p2wpkh(new Uint8Array(20).fill(9)) }],
  lockTime: 0,
};

/** DER with a length-prefixed big-endian integer for each of r and s (minimal, as strict DER wants). */
function der(r: bigint, s: bigint): Uint8Array {
  const int = (v: bigint) => {
    let b = Buffer.from(v.toString(16).padStart(64, '0'), 'hex');
    while (b.length > 1 && b[0] === 0 && !(b[1] & 0x80)) b = b.subarray(1);
    if (b[0] & 0x80) b = Buffer.concat([Buffer.of(0), b]);
    return Buffer.concat([Buffer.of(0x02, b.length), b]);
  };
  const body = Buffer.concat([int(r), int(s)]);
  return Uint8Array.from(Buffer.concat([Buffer.of(0x30, body.length), body]));
}

/** The same signature with s replaced by n - s: valid to the curve, high S to policy. */
function highS(sig: Uint8Array): Uint8Array {
  const parsed = secp256k1.Signature.fromBytes(sig.subarray(0, sig.length - 1), 'der');
  return concatBytes(der(parsed.r, N - parsed.s), sig.subarray(sig.length - 1));
}

function hybrid(uncompressed: Uint8Array): Uint8Array {
  const k = Uint8Array.from(uncompressed);
  k[0] = 6 | (k[64] & 1);
  return k;
}

function sigFor(priv: Uint8Array, program: Uint8Array, hashType: number): Uint8Array {
  return signEcdsa(segwitV0Sighash(tx, 0, p2pkh(program), AMOUNT, hashType), priv, hashType);
}

/** Every flag combination worth telling apart here, each with WITNESS and P2SH (CLEANSTACK needs both). */
function flagSets(): number[] {
  const bit = (name: string) => 1 << SCRIPT_FLAG_NAMES.indexOf(name);
  const relevant = ['STRICTENC', 'DERSIG', 'LOW_S', 'NULLFAIL', 'WITNESS_PUBKEYTYPE', 'MINIMALDATA', 'CLEANSTACK'].map(bit);
  const sets: number[] = [];
  for (let m = 0; m < 1 << relevant.length; m++) {
    let f = SCRIPT_VERIFY_WITNESS | SCRIPT_VERIFY_P2SH;
    relevant.forEach((b, i) => (f |= m & (1 << i) ? b : 0));
    sets.push(f);
  }
  return sets;
}

function check(witness: Uint8Array[], program: Uint8Array, flags: number): ScriptError {
  const spk = p2wpkh(program);
  const d = precomputeTxData(tx, [{ value: AMOUNT, script: spk }]);
  return verifyScript(new Uint8Array(0), spk, witness, flags, new TransactionSignatureChecker(d, 0));
}

function interpreted(witness: Uint8Array[], program: Uint8Array, flags: number): ScriptError {
  const script = p2pkh(program);
  const spk = p2wsh(sha256(script));
  const d = precomputeTxData(tx, [{ value: AMOUNT, script: spk }]);
  return verifyScript(new Uint8Array(0), spk, [...witness, script], flags, new TransactionSignatureChecker(d, 0));
}

describe('P2WPKH without the interpreter', () => {
  const compressed = publicKey(key, true);
  const uncompressed = publicKey(key, false);
  const keys = [compressed, uncompressed, hybrid(uncompressed), publicKey(otherKey, true), new Uint8Array(0), new Uint8Array(521).fill(2), Uint8Array.of(2)];

  it('gives the error the interpreter gives, for every signature, key, program and flag set', () => {
    const seen = new Set<string>();
    let cases = 0;
    for (const pubkey of keys) {
      const program = hash160(pubkey);
      const good = sigFor(key, program, 0x01);
      const bad = Uint8Array.from(good);
      bad[10] ^= 1;
      const sigs = [
        good,
        sigFor(key, program, 0x83),
        sigFor(key, program, 0x02),
        sigFor(otherKey, program, 0x01),
        highS(good),
        bad,
        concatBytes(Uint8Array.of(0x31), good.subarray(1)),
        concatBytes(good.subarray(0, good.length - 1), Uint8Array.of(0x04)),
        Uint8Array.of(0x30, 0x06, 0x02, 0x01, 0x01, 0x02, 0x01, 0x01, 0x01),
        new Uint8Array(0),
        new Uint8Array(521).fill(0x30),
      ];
      for (const sig of sigs) {
        for (const prog of [program, hash160(compressed)]) {
          for (const flags of flagSets()) {
            const expected = interpreted([sig, pubkey], prog, flags);
            assert.equal(scriptErrorName(check([sig, pubkey], prog, flags)), scriptErrorName(expected), `case ${cases}`);
            seen.add(scriptErrorName(expected));
            cases++;
          }
        }
      }
    }
    // The cases reach every way a P2WPKH spend ends.
    for (const e of [ScriptError.OK, ScriptError.EVAL_FALSE, ScriptError.EQUALVERIFY, ScriptError.PUSH_SIZE, ScriptError.SIG_DER, ScriptError.SIG_HIGH_S,
      ScriptError.SIG_HASHTYPE, ScriptError.PUBKEYTYPE, ScriptError.WITNESS_PUBKEYTYPE, ScriptError.SIG_NULLFAIL]) {
      assert.ok(seen.has(scriptErrorName(e)), `never reached ${scriptErrorName(e)}`);
    }
  });

  it('needs exactly two witness items', () => {
    const program = hash160(compressed);
    const sig = sigFor(key, program, 0x01);
    const flags = SCRIPT_VERIFY_WITNESS | SCRIPT_VERIFY_P2SH;
    assert.equal(check([sig, compressed], program, flags), ScriptError.OK);
    for (const witness of [[], [compressed], [sig, sig, compressed]]) {
      assert.equal(check(witness, program, flags), ScriptError.WITNESS_PROGRAM_MISMATCH);
    }
  });
});
