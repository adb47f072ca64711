/**
 * Core's tx_valid.json and tx_invalid.json, one subtest per case, with transaction_tests.cpp's flag
 * semantics: a valid case passes with every flag except the listed ones, still passes with any flag (or
 * random flags) removed, and fails when any listed flag is put back ("flags are maximal"); an invalid case
 * fails with exactly its flags, with any flag (or random flags) added, and passes with any listed flag
 * removed ("flags are minimal"). BADTX cases must fail CheckTransaction.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { after, describe, it } from 'node:test';
import { checkTransaction } from '../../src/consensus/tx-checks.js';
import { toHex } from '../../src/primitives/bytes.js';
import { transactionFromHex, type Transaction, type TxOut } from '../../src/primitives/transaction.js';
import { ScriptError } from '../../src/script/script-error.js';
import {
  parseScriptFlags,
  SCRIPT_VERIFY_ALL,
  SCRIPT_VERIFY_CLEANSTACK,
  SCRIPT_VERIFY_FLAG_BITS,
  SCRIPT_VERIFY_P2SH,
  SCRIPT_VERIFY_WITNESS,
} from '../../src/script/script-flags.js';
import { precomputeTxData, type PrecomputedTxData } from '../../src/script/tx-checker.js';
import { verifyInput } from '../../src/script/verify-input.js';
import { NO_VECTORS, vector } from '../helpers.js';
import { parseScript, rng } from './core-script-parse.js';

const FLAG_BITS = Array.from({ length: SCRIPT_VERIFY_FLAG_BITS }, (_, i) => 1 << i);

/** Core's TrimFlags: WITNESS needs P2SH, CLEANSTACK needs WITNESS. */
function trimFlags(f: number): number {
  if (!(f & SCRIPT_VERIFY_P2SH)) f &= ~SCRIPT_VERIFY_WITNESS;
  if (!(f & SCRIPT_VERIFY_WITNESS)) f &= ~SCRIPT_VERIFY_CLEANSTACK;
  return f;
}

/** Core's FillFlags: CLEANSTACK implies WITNESS, WITNESS implies P2SH. */
function fillFlags(f: number): number {
  if (f & SCRIPT_VERIFY_CLEANSTACK) f |= SCRIPT_VERIFY_WITNESS;
  if (f & SCRIPT_VERIFY_WITNESS) f |= SCRIPT_VERIFY_P2SH;
  return f;
}

/** Core's ExcludeIndividualFlags. */
function excludeIndividualFlags(f: number): Set<number> {
  const out = new Set<number>();
  for (const bit of FLAG_BITS) {
    const g = trimFlags(f & ~bit);
    if (g !== f) out.add(g);
  }
  return out;
}

const inv = (f: number) => ~f & SCRIPT_VERIFY_ALL;

/** Core's CheckTxScripts: whether the transaction's validity under `flags` is `expectValid`. */
function checkTxScripts(tx: Transaction, txData: PrecomputedTxData, flags: number, expectValid: boolean): boolean {
  let valid = true;
  for (let i = 0; i < tx.inputs.length && valid; i++) valid = verifyInput(tx, i, txData, flags) === ScriptError.OK;
  return valid === expectValid;
}

interface Case {
  index: number;
  tx: Transaction;
  txData: PrecomputedTxData;
  flags: string;
}

function loadCases(file: string): Case[] {
  const rows = JSON.parse(readFileSync(file, 'utf8')) as unknown[][];
  const cases: Case[] = [];
  rows.forEach((row, index) => {
    if (!Array.isArray(row[0])) return; // a comment
    const prevouts = new Map<string, TxOut>();
    for (const input of row[0] as unknown[][]) {
      const key = `${input[0] as string}:${(input[1] as number) >>> 0}`;
      prevouts.set(key, { script: parseScript(input[2] as string), value: input.length >= 4 ? (input[3] as number) : 0 });
    }
    const tx = transactionFromHex(row[1] as string);
    const spent = tx.inputs.map((i) => {
      const key = `${toHex(Uint8Array.from(i.prevout.txid).reverse())}:${i.prevout.vout}`;
      const out = prevouts.get(key);
      if (!out) throw new Error(`bad test ${index}: no prevout ${key}`);
      return out;
    });
    cases.push({ index, tx, txData: precomputeTxData(tx, spent), flags: row[2] as string });
  });
  return cases;
}

const caseName = (c: Case) => `#${c.index} [${c.flags}] ${c.tx.inputs.length} input(s)`;

for (const [name, expectValid] of [['tx_valid.json', true], ['tx_invalid.json', false]] as const) {
  const file = vector('core-tests', name);
  const skip = NO_VECTORS || (existsSync(file) ? false : `missing ${file}`);
  describe(`Core ${name}`, { skip }, () => {
    const cases = skip ? [] : loadCases(file);
    const tally = { passed: 0, failed: 0 };
    after(() => console.log(`${name}: ${tally.passed} passed, ${tally.failed} failed of ${tally.passed + tally.failed} cases`));
    const random = rng(expectValid ? 0x7a11d : 0x1a7a11d);
    for (const c of cases) {
      it(caseName(c), () => {
        tally.failed++;
        const { tx, txData } = c;
        if (expectValid) runValid(tx, txData, parseScriptFlags(c.flags), random);
        else runInvalid(tx, txData, c.flags, random);
        tally.failed--;
        tally.passed++;
      });
    }
  });
}

function runValid(tx: Transaction, txData: PrecomputedTxData, listed: number, random: () => number): void {
  assert.doesNotThrow(() => checkTransaction(tx), 'CheckTransaction');
  assert.equal(inv(listed), fillFlags(inv(listed)), 'bad test flags');
  assert.ok(checkTxScripts(tx, txData, inv(listed), true), 'fails with all but the listed flags');
  for (const bit of FLAG_BITS) {
    const flags = trimFlags(inv(listed | bit));
    assert.ok(checkTxScripts(tx, txData, flags, true), `fails with flag ${bit.toString(16)} unset`);
    const randomFlags = trimFlags(inv(listed | (random() & SCRIPT_VERIFY_ALL)));
    assert.ok(checkTxScripts(tx, txData, randomFlags, true), `fails with random flags ${randomFlags.toString(16)}`);
  }
  for (const excluding of excludeIndividualFlags(listed)) {
    assert.ok(checkTxScripts(tx, txData, inv(excluding), false), `too many flags unset: passes with ${inv(excluding).toString(16)}`);
  }
}

function runInvalid(tx: Transaction, txData: PrecomputedTxData, flagStr: string, random: () => number): void {
  let badTx = false;
  try {
    checkTransaction(tx);
  } catch {
    badTx = true;
  }
  if (badTx) {
    assert.equal(flagStr, 'BADTX', 'CheckTransaction fails but the case is not BADTX');
    return;
  }
  const listed = parseScriptFlags(flagStr);
  assert.equal(listed, fillFlags(listed), 'bad test flags');
  assert.ok(checkTxScripts(tx, txData, listed, false), 'passes with its flags');
  for (const bit of FLAG_BITS) {
    const flags = fillFlags(listed | bit);
    assert.ok(checkTxScripts(tx, txData, flags, false), `passes with flag ${bit.toString(16)} set`);
    const randomFlags = fillFlags(listed | (random() & SCRIPT_VERIFY_ALL));
    assert.ok(checkTxScripts(tx, txData, randomFlags, false), `passes with random flags ${randomFlags.toString(16)}`);
  }
  for (const excluding of excludeIndividualFlags(listed)) {
    assert.ok(checkTxScripts(tx, txData, excluding, true), `too many flags set: fails with ${excluding.toString(16)}`);
  }
}
