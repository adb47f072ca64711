/**
 * Core's sighash.json (legacy SignatureHash, one subtest per case, with and without precomputed data) and BIP341's wallet vectors through the
 * interpreter: every key-path input's signature hash, midstates and expected witness verified by verifyInput,
 * and every script-path control block accepted by the taproot commitment check (and a damaged one refused).
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { after, describe, it } from 'node:test';
import { checkTransaction } from '../../src/consensus/tx-checks.js';
import { fromHex, toHex } from '../../src/primitives/bytes.js';
import { hashToHex } from '../../src/primitives/hash.js';
import { transactionFromHex, type Transaction } from '../../src/primitives/transaction.js';
import { ScriptError, scriptErrorName } from '../../src/script/script-error.js';
import { SCRIPT_VERIFY_P2SH, SCRIPT_VERIFY_TAPROOT, SCRIPT_VERIFY_WITNESS, STANDARD_SCRIPT_VERIFY_FLAGS } from '../../src/script/script-flags.js';
import { legacySighash, PrecomputedTx, taprootSigMsg, taprootSighash } from '../../src/script/sighash.js';
import { precomputeTxData, TransactionSignatureChecker } from '../../src/script/tx-checker.js';
import { verifyInput } from '../../src/script/verify-input.js';
import { verifyScript } from '../../src/script/verify-script.js';
import { NO_VECTORS, vector } from '../helpers.js';

const SIGHASH_JSON = vector('core-tests', 'sighash.json');
const BIP341_JSON = vector('core-tests', 'bip341_wallet_vectors.json');
const skipFor = (file: string) => NO_VECTORS || (existsSync(file) ? false : `missing ${file}`);

function tallied(name: string) {
  const tally = { passed: 0, failed: 0 };
  after(() => console.log(`${name}: ${tally.passed} passed, ${tally.failed} failed of ${tally.passed + tally.failed} cases`));
  return (fn: () => void) => () => {
    tally.failed++;
    fn();
    tally.failed--;
    tally.passed++;
  };
}

describe('Core sighash.json', { skip: skipFor(SIGHASH_JSON) }, () => {
  const rows = skipFor(SIGHASH_JSON) ? [] : (JSON.parse(readFileSync(SIGHASH_JSON, 'utf8')) as unknown[][]);
  const count = tallied('sighash.json');
  rows.forEach((row, index) => {
    if (row.length === 1) return; // the header comment
    const [rawTx, script, input, hashType, expected] = row as [string, string, number, number, string];
    it(`#${index} input ${input} hash type ${hashType}`, count(() => {
      const tx = transactionFromHex(rawTx);
      assert.doesNotThrow(() => checkTransaction(tx));
      assert.equal(hashToHex(legacySighash(tx, input, fromHex(script), hashType)), expected);
      // The same with the transaction's precomputed data, and, as SIGHASH_ALL messages are patched from one
      // serialisation only for transactions of 8 inputs and more, on the transaction padded to 12 inputs:
      // every input's hash from the patched copy equals the one serialised directly.
      const pre = new PrecomputedTx(tx);
      assert.equal(hashToHex(legacySighash(tx, input, fromHex(script), hashType, pre)), expected);
      assert.equal(hashToHex(legacySighash(tx, input, fromHex(script), hashType, pre)), expected, 'again, with the precomputed data');
      const padded = { ...tx, inputs: Array.from({ length: 12 }, (_, i) => tx.inputs[i % tx.inputs.length]) };
      const paddedPre = new PrecomputedTx(padded);
      for (const i of [0, input, 11]) {
        const direct = hashToHex(legacySighash(padded, i, fromHex(script), hashType));
        assert.equal(hashToHex(legacySighash(padded, i, fromHex(script), hashType, paddedPre)), direct, `padded input ${i}`);
        assert.equal(hashToHex(legacySighash(padded, i, fromHex(script), hashType, paddedPre)), direct, `padded input ${i}, again`);
      }
    }));
  });
});

const TAPROOT_FLAGS = SCRIPT_VERIFY_P2SH | SCRIPT_VERIFY_WITNESS | SCRIPT_VERIFY_TAPROOT;

describe('BIP341 wallet vectors', { skip: skipFor(BIP341_JSON) }, () => {
  const v = skipFor(BIP341_JSON) ? undefined : JSON.parse(readFileSync(BIP341_JSON, 'utf8'));
  const count = tallied('bip341_wallet_vectors.json');
  for (const spend of v?.keyPathSpending ?? []) {
    const tx = transactionFromHex(spend.given.rawUnsignedTx);
    const spent = spend.given.utxosSpent.map((u: { scriptPubKey: string; amountSats: number }) => ({ value: u.amountSats, script: fromHex(u.scriptPubKey) }));
    const txData = precomputeTxData(tx, spent);
    it('key path: the transaction midstates', count(() => {
      const m = spend.intermediary;
      assert.equal(toHex(txData.pre.amounts()), m.hashAmounts);
      assert.equal(toHex(txData.pre.outputs()), m.hashOutputs);
      assert.equal(toHex(txData.pre.prevouts()), m.hashPrevouts);
      assert.equal(toHex(txData.pre.scriptPubKeys()), m.hashScriptPubkeys);
      assert.equal(toHex(txData.pre.sequences()), m.hashSequences);
    }));
    for (const input of spend.inputSpending) {
      const { txinIndex, hashType } = input.given;
      it(`key path: input ${txinIndex} hash type ${hashType} verifies`, count(() => {
        assert.equal(toHex(taprootSigMsg(txData.pre, txinIndex, hashType)!), input.intermediary.sigMsg);
        assert.equal(toHex(taprootSighash(txData.pre, txinIndex, hashType)), input.intermediary.sigHash);
        const signed: Transaction = { ...tx, inputs: tx.inputs.map((i, n) => (n === txinIndex ? { ...i, witness: input.expected.witness.map(fromHex) } : i)) };
        const signedData = precomputeTxData(signed, spent);
        assert.equal(scriptErrorName(verifyInput(signed, txinIndex, signedData, STANDARD_SCRIPT_VERIFY_FLAGS)), 'OK');
        // One bit of the signature changed: BIP340 verification must refuse it.
        const bad = input.expected.witness.map(fromHex);
        bad[0][5] ^= 1;
        const broken: Transaction = { ...tx, inputs: tx.inputs.map((i, n) => (n === txinIndex ? { ...i, witness: bad } : i)) };
        assert.equal(scriptErrorName(verifyInput(broken, txinIndex, precomputeTxData(broken, spent), TAPROOT_FLAGS)), 'SCHNORR_SIG');
      }));
    }
  }
  (v?.scriptPubKey ?? []).forEach((c: { given: { scriptTree: unknown }; expected: { scriptPubKey: string; scriptPathControlBlocks?: string[] } }, index: number) => {
    const leaves: Array<{ script: string; leafVersion: number }> = [];
    const walk = (t: unknown): void => (Array.isArray(t) ? t.forEach(walk) : void leaves.push(t as { script: string; leafVersion: number }));
    if (c.given.scriptTree) walk(c.given.scriptTree);
    it(`script path: scriptPubKey #${index}, ${leaves.length} leaves, control blocks commit`, count(() => {
      const spk = fromHex(c.expected.scriptPubKey);
      const blocks = c.expected.scriptPathControlBlocks ?? [];
      assert.equal(blocks.length, leaves.length);
      leaves.forEach((leaf, n) => {
        const control = fromHex(blocks[n]);
        assert.equal(control[0] & 0xfe, leaf.leafVersion);
        const tx: Transaction = { version: 2, lockTime: 0, inputs: [{ prevout: { txid: new Uint8Array(32), vout: 0 }, scriptSig: new Uint8Array(0), sequence: 0, witness: [] }], outputs: [] };
        const checker = new TransactionSignatureChecker(precomputeTxData(tx, [{ value: 1, script: spk }]), 0);
        const run = (cb: Uint8Array) => verifyScript(new Uint8Array(0), spk, [fromHex(leaf.script), cb], TAPROOT_FLAGS, checker);
        assert.notEqual(run(control), ScriptError.WITNESS_PROGRAM_MISMATCH);
        const damaged = Uint8Array.from(control);
        damaged[damaged.length - 1] ^= 1;
        assert.equal(scriptErrorName(run(damaged)), 'WITNESS_PROGRAM_MISMATCH');
      });
    }));
  });
});
