/**
 * Core's script_tests.json, one subtest per case, with script_tests.cpp's harness: the crediting and spending
 * transactions, CLEANSTACK implying P2SH and WITNESS, the expected error by name, and the loop checking that
 * removing flags from a passing case or adding flags to a failing one does not change the outcome.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { describe, it, after } from 'node:test';
import { fromHex } from '../../src/primitives/bytes.js';
import { txid, type Transaction } from '../../src/primitives/transaction.js';
import { tapleafHash } from '../../src/script/sighash.js';
import { tapTweak, xOnlyPublicKey } from '../../src/script/sign.js';
import { tapTweakPubKey } from '../../src/script/secp256k1.js';
import { ScriptError, scriptErrorName } from '../../src/script/script-error.js';
import { parseScriptFlags, SCRIPT_VERIFY_CLEANSTACK, SCRIPT_VERIFY_FLAG_BITS, SCRIPT_VERIFY_P2SH, SCRIPT_VERIFY_WITNESS } from '../../src/script/script-flags.js';
import { precomputeTxData, TransactionSignatureChecker } from '../../src/script/tx-checker.js';
import { verifyScript } from '../../src/script/verify-script.js';
import { NO_VECTORS, vector } from '../helpers.js';
import { parseScript, rng } from './core-script-parse.js';

const FILE = vector('core-tests', 'script_tests.json');
const skip = NO_VECTORS || (existsSync(FILE) ? false : `missing ${FILE}`);
/** Core tries 256 random flag sets per case; SCRIPT_TESTS_FLAG_ROUNDS changes that. */
const RANDOM_FLAG_ROUNDS = Number(process.env.SCRIPT_TESTS_FLAG_ROUNDS ?? 256);

/** Core's BuildCreditingTransaction and BuildSpendingTransaction. */
function buildTxs(scriptPubKey: Uint8Array, scriptSig: Uint8Array, witness: Uint8Array[], value: number): { credit: Transaction; spend: Transaction } {
  const credit: Transaction = {
    version: 1,
    lockTime: 0,
    inputs: [{ prevout: { txid: new Uint8Array(32), vout: 0xffffffff }, scriptSig: Uint8Array.of(0, 0), sequence: 0xffffffff, witness: [] }],
    outputs: [{ value, script: scriptPubKey }],
  };
  const spend: Transaction = {
    version: 1,
    lockTime: 0,
    inputs: [{ prevout: { txid: txid(credit), vout: 0 }, scriptSig, sequence: 0xffffffff, witness }],
    outputs: [{ value, script: new Uint8Array(0) }],
  };
  return { credit, spend };
}

/** Core's script_errors table: names to errors (UNKNOWN_ERROR is no longer listed there). */
function errorByName(name: string): ScriptError {
  for (let e = 0; e < ScriptError.ERROR_COUNT; e++) if (scriptErrorName(e) === name) return e;
  throw new Error(`unknown script error name ${name}`);
}

// The key script_tests.cpp builds taproot outputs on: key0, the private key 1.
const KEY0 = new Uint8Array(32);
KEY0[31] = 1;

describe('Core script_tests.json', { skip }, () => {
  const rows = skip ? [] : (JSON.parse(readFileSync(FILE, 'utf8')) as unknown[][]);
  const tally = { passed: 0, failed: 0 };
  after(() => console.log(`script_tests.json: ${tally.passed} passed, ${tally.failed} failed of ${tally.passed + tally.failed} cases`));
  const random = rng(0x5c1297);
  rows.forEach((row, index) => {
    let pos = 0;
    const witness: Uint8Array[] = [];
    let value = 0;
    let leafScript: Uint8Array | undefined;
    let outputKey: Uint8Array | undefined;
    if (Array.isArray(row[0])) {
      const w = row[0] as unknown[];
      for (let i = 0; i < w.length - 1; i++) {
        const el = w[i] as string;
        if (el.startsWith('#SCRIPT#')) {
          leafScript = parseScript(el.slice('#SCRIPT#'.length));
          witness.push(leafScript);
        } else if (el === '#CONTROLBLOCK#') {
          const internal = xOnlyPublicKey(KEY0);
          const t = tapTweakPubKey(internal, tapTweak(internal, tapleafHash(leafScript!)))!;
          outputKey = t.outputKey;
          witness.push(Uint8Array.of(0xc0 | t.parity, ...internal));
        } else {
          witness.push(fromHex(el));
        }
      }
      value = Math.round((w[w.length - 1] as number) * 1e8);
      pos++;
    }
    if (row.length < 4 + pos) return; // a comment
    const [sigStr, pubStr, flagStr, errStr] = row.slice(pos, pos + 4) as string[];
    it(`#${index} ${sigStr} | ${pubStr} | ${flagStr} → ${errStr}`.slice(0, 200), () => {
      tally.failed++;
      const scriptSig = parseScript(sigStr);
      const scriptPubKey = pubStr === '0x51 0x20 #TAPROOTOUTPUT#' ? Uint8Array.of(0x51, 0x20, ...outputKey!) : parseScript(pubStr);
      let flags = parseScriptFlags(flagStr);
      if (flags & SCRIPT_VERIFY_CLEANSTACK) flags |= SCRIPT_VERIFY_P2SH | SCRIPT_VERIFY_WITNESS;
      const expected = errorByName(errStr);
      const { spend } = buildTxs(scriptPubKey, scriptSig, witness, value);
      const txData = precomputeTxData(spend, [{ value, script: scriptPubKey }]);
      const checker = new TransactionSignatureChecker(txData, 0);
      const got = verifyScript(scriptSig, scriptPubKey, witness, flags, checker);
      assert.equal(scriptErrorName(got), scriptErrorName(expected));
      const expectOk = expected === ScriptError.OK;
      for (let r = 0; r < RANDOM_FLAG_ROUNDS; r++) {
        const extra = random() & ((1 << SCRIPT_VERIFY_FLAG_BITS) - 1);
        const combined = expectOk ? flags & ~extra : flags | extra;
        if (combined & SCRIPT_VERIFY_CLEANSTACK && ~combined & (SCRIPT_VERIFY_P2SH | SCRIPT_VERIFY_WITNESS)) continue;
        if (combined & SCRIPT_VERIFY_WITNESS && ~combined & SCRIPT_VERIFY_P2SH) continue;
        const ok = verifyScript(scriptSig, scriptPubKey, witness, combined, checker) === ScriptError.OK;
        assert.equal(ok, expectOk, `with flags ${combined.toString(16)}`);
      }
      tally.failed--;
      tally.passed++;
    });
  });
});
