/** Flag names and bits as Core's interpreter.h and policy.h have them; error texts as ScriptErrorString. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ScriptError, scriptErrorName, scriptErrorString } from '../../src/script/script-error.js';
import {
  formatScriptFlags,
  MANDATORY_SCRIPT_VERIFY_FLAGS,
  parseScriptFlags,
  SCRIPT_FLAG_NAMES,
  SCRIPT_VERIFY_DISCOURAGE_UPGRADABLE_PUBKEYTYPE,
  SCRIPT_VERIFY_TAPROOT,
  STANDARD_SCRIPT_VERIFY_FLAGS,
} from '../../src/script/script-flags.js';

test('flag names round-trip and keep Core bit positions', () => {
  assert.equal(SCRIPT_FLAG_NAMES.length, 21);
  assert.equal(parseScriptFlags('TAPROOT'), SCRIPT_VERIFY_TAPROOT);
  assert.equal(SCRIPT_VERIFY_TAPROOT, 1 << 17);
  assert.equal(SCRIPT_VERIFY_DISCOURAGE_UPGRADABLE_PUBKEYTYPE, 1 << 20);
  assert.equal(parseScriptFlags(''), 0);
  assert.equal(parseScriptFlags('NONE'), 0);
  assert.equal(formatScriptFlags(parseScriptFlags('WITNESS,P2SH')), 'P2SH,WITNESS');
  assert.equal(parseScriptFlags(formatScriptFlags(STANDARD_SCRIPT_VERIFY_FLAGS)), STANDARD_SCRIPT_VERIFY_FLAGS);
  assert.equal(formatScriptFlags(MANDATORY_SCRIPT_VERIFY_FLAGS), 'P2SH,DERSIG,NULLDUMMY,CHECKLOCKTIMEVERIFY,CHECKSEQUENCEVERIFY,WITNESS,TAPROOT');
  assert.throws(() => parseScriptFlags('P2SH,NOPE'), /unknown verification flag 'NOPE'/);
});

test('script errors: Core order, names and texts', () => {
  assert.equal(ScriptError.OK, 0);
  assert.equal(ScriptError.EVAL_FALSE, 2);
  assert.equal(ScriptError.WITNESS_PUBKEYTYPE, 43);
  assert.equal(ScriptError.TAPSCRIPT_MINIMALIF, 50);
  assert.equal(scriptErrorName(ScriptError.SIG_NULLFAIL), 'NULLFAIL');
  assert.equal(scriptErrorString(ScriptError.EVAL_FALSE), 'Script evaluated without error but finished with a false/empty top stack element');
  assert.equal(scriptErrorString(ScriptError.SCHNORR_SIG), 'Invalid Schnorr signature');
  assert.equal(scriptErrorString(ScriptError.UNKNOWN_ERROR), 'unknown error');
  for (let e = 0; e < ScriptError.ERROR_COUNT; e++) assert.notEqual(scriptErrorString(e), e === ScriptError.UNKNOWN_ERROR ? '' : 'unknown error', ScriptError[e]);
});
