/**
 * verifyScript's path for witness programs spent with an empty scriptSig, which skips evaluating the
 * scriptPubKey: what that evaluation would decide (a false program) must still be decided, before the witness.
 */
import assert from 'node:assert/strict';
import { it } from 'node:test';
import { ScriptError } from '../../src/script/script-error.js';
import { parseScriptFlags } from '../../src/script/script-flags.js';
import type { SignatureChecker } from '../../src/script/tx-checker.js';
import { verifyScript } from '../../src/script/verify-script.js';

const never: SignatureChecker = {
  checkECDSASignature: () => false,
  checkSchnorrSignature: () => ScriptError.SCHNORR_SIG,
  checkLockTime: () => false,
  checkSequence: () => false,
};
const spk = (version: number, program: number[]) => Uint8Array.of(version === 0 ? 0 : 0x50 + version, program.length, ...program);
const verify = (script: Uint8Array, witness: Uint8Array[], flags: string) => verifyScript(new Uint8Array(0), script, witness, parseScriptFlags(flags), never);
const zeros = (n: number) => new Array<number>(n).fill(0);

it('a false witness program fails as its scriptPubKey leaves a false stack, before the witness is looked at', () => {
  for (const flags of ['P2SH,WITNESS', 'P2SH,WITNESS,TAPROOT,CLEANSTACK,DISCOURAGE_UPGRADABLE_WITNESS_PROGRAM']) {
    assert.equal(verify(spk(0, zeros(20)), [], flags), ScriptError.EVAL_FALSE);
    assert.equal(verify(spk(0, zeros(32)), [new Uint8Array(600)], flags), ScriptError.EVAL_FALSE);
    // Negative zero is false too.
    assert.equal(verify(spk(1, [...zeros(31), 0x80]), [], flags), ScriptError.EVAL_FALSE);
    assert.equal(verify(spk(16, [0, 0]), [], flags), ScriptError.EVAL_FALSE);
  }
});

it('a true witness program goes on to the witness, with a clean stack after it', () => {
  assert.equal(verify(spk(0, [...zeros(19), 1]), [], 'P2SH,WITNESS'), ScriptError.WITNESS_PROGRAM_MISMATCH);
  assert.equal(verify(spk(0, [...zeros(31), 1]), [], 'P2SH,WITNESS'), ScriptError.WITNESS_PROGRAM_WITNESS_EMPTY);
  assert.equal(verify(spk(16, [0, 1]), [], 'P2SH,WITNESS,CLEANSTACK'), ScriptError.OK);
  assert.equal(verify(spk(16, [0, 1]), [], 'P2SH,WITNESS,DISCOURAGE_UPGRADABLE_WITNESS_PROGRAM'), ScriptError.DISCOURAGE_UPGRADABLE_WITNESS_PROGRAM);
  // Pay-to-anchor.
  assert.equal(verify(spk(1, [0x4e, 0x73]), [], 'P2SH,WITNESS,CLEANSTACK,DISCOURAGE_UPGRADABLE_WITNESS_PROGRAM'), ScriptError.OK);
});

it('without WITNESS a witness program is a script like any other', () => {
  assert.equal(verify(spk(0, zeros(20)), [], 'P2SH'), ScriptError.EVAL_FALSE);
  assert.equal(verify(spk(0, [...zeros(19), 1]), [], 'P2SH'), ScriptError.OK);
});
