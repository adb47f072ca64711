/**
 * UTXO-dependent transaction rules and counting: CheckTxInputs reasons and messages, BIP68 sequence locks
 * (height and time), sigop counting for every script kind, and GetBlockScriptFlags including mainnet's
 * two exception blocks.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { blockScriptFlags } from '../../src/chain/connect-block.js';
import type { Coin } from '../../src/coins/coin.js';
import { outpointKey, type CoinsView } from '../../src/coins/view.js';
import { getChainParams } from '../../src/consensus/params.js';
import * as S from '../../src/consensus/sigops.js';
import { calculateSequenceLocks, checkTxInputs, evaluateSequenceLocks, formatMoney, LOCKTIME_VERIFY_SEQUENCE } from '../../src/consensus/tx-verify.js';
import { ValidationError } from '../../src/consensus/validation-error.js';
import { hexToHash } from '../../src/primitives/hash.js';
import { multisig, p2sh, p2wpkh, p2wsh, pushData } from '../../src/primitives/script.js';
import type { Transaction } from '../../src/primitives/transaction.js';

const id = (b: number) => new Uint8Array(32).fill(b);
const coin = (value: number, over: Partial<Coin> = {}): Coin => ({ height: 10, coinbase: false, value, script: Uint8Array.of(0x51), ...over });
const tx = (prevs: number[], outs: number[], over: Partial<Transaction> = {}): Transaction => ({
  version: 2,
  inputs: prevs.map((p) => ({ prevout: { txid: id(p), vout: 0 }, scriptSig: new Uint8Array(0), sequence: 0xffffffff, witness: [] })),
  outputs: outs.map((value) => ({ value, script: Uint8Array.of(0x51) })),
  lockTime: 0,
  ...over,
});
function viewOf(coins: Record<number, Coin>): CoinsView {
  const m = new Map(Object.entries(coins).map(([k, c]) => [outpointKey(id(Number(k)), 0), c]));
  return { getCoin: (k) => m.get(k), haveCoin: (k) => m.has(k), bestBlock: () => undefined };
}
const reason = (fn: () => unknown): [string, string] => {
  try {
    fn();
  } catch (e) {
    assert.ok(e instanceof ValidationError);
    return [e.reason, e.debug];
  }
  assert.fail('accepted');
};

test('CheckTxInputs: fee, and each reason with its message', () => {
  const view = viewOf({ 1: coin(5000), 2: coin(7000), 3: coin(100, { coinbase: true, height: 50 }), 4: coin(21e14 + 1) });
  const spent: Coin[] = [];
  assert.equal(checkTxInputs(tx([1, 2], [11_000]), view, 200, spent), 1000);
  assert.deepEqual(spent.map((c) => c.value), [5000, 7000]);
  // A missing input is reported before a premature coinbase spend, whatever the order of the inputs.
  assert.deepEqual(reason(() => checkTxInputs(tx([3, 9], [1]), view, 100)), ['bad-txns-inputs-missingorspent', 'CheckTxInputs: inputs missing/spent']);
  assert.deepEqual(reason(() => checkTxInputs(tx([3], [1]), view, 149)), ['bad-txns-premature-spend-of-coinbase', 'tried to spend coinbase at depth 99']);
  assert.equal(checkTxInputs(tx([3], [1]), view, 150), 99);
  assert.deepEqual(reason(() => checkTxInputs(tx([4], [1]), view, 200)), ['bad-txns-inputvalues-outofrange', '']);
  assert.deepEqual(reason(() => checkTxInputs(tx([1], [5001]), view, 200)), ['bad-txns-in-belowout', 'value in (0.00005) < value out (0.00005001)']);
  assert.deepEqual([formatMoney(1e8), formatMoney(0), formatMoney(123_456_780), formatMoney(-5e7)], ['1.00', '0.00', '1.2345678', '-0.50']);
});

test('BIP68 sequence locks: heights, 512-second units, disable flag, version 1, no CSV', () => {
  const mtp = (h: number) => 1_000_000 + h * 600;
  const seq = (s: number, version = 2) => tx([1], [1], { version, inputs: [{ ...tx([1], []).inputs[0], sequence: s }] });
  let lock = calculateSequenceLocks(seq(10), LOCKTIME_VERIFY_SEQUENCE, [100], mtp);
  assert.deepEqual(lock, { minHeight: 109, minTime: -1 });
  assert.equal(evaluateSequenceLocks(109, mtp(108), lock), false);
  assert.equal(evaluateSequenceLocks(110, mtp(109), lock), true);
  // Type flag: 3 units of 512 s from the MTP of the block before the coin's block.
  lock = calculateSequenceLocks(seq((1 << 22) | 3), LOCKTIME_VERIFY_SEQUENCE, [100], mtp);
  assert.deepEqual(lock, { minHeight: -1, minTime: mtp(99) + 3 * 512 - 1 });
  assert.equal(evaluateSequenceLocks(200, mtp(99) + 1535, lock), false);
  assert.equal(evaluateSequenceLocks(200, mtp(99) + 1536, lock), true);
  const none = { minHeight: -1, minTime: -1 };
  assert.deepEqual(calculateSequenceLocks(seq(0x80000000 | 10), LOCKTIME_VERIFY_SEQUENCE, [100], mtp), none);
  assert.deepEqual(calculateSequenceLocks(seq(10, 1), LOCKTIME_VERIFY_SEQUENCE, [100], mtp), none);
  assert.deepEqual(calculateSequenceLocks(seq(10), 0, [100], mtp), none);
  // Core's version is unsigned: 0xffffffff (−1 as int32) is ≥ 2.
  assert.deepEqual(calculateSequenceLocks(seq(10, -1), LOCKTIME_VERIFY_SEQUENCE, [100], mtp), { minHeight: 109, minTime: -1 });
});

test('sigop counting: legacy, P2SH, witness v0 native and nested, accurate multisig, malformed scripts', () => {
  const key = new Uint8Array(33).fill(2);
  const ms = multisig(2, [key, key, key]);
  assert.equal(S.scriptSigOpCount(ms, false), 20);
  assert.equal(S.scriptSigOpCount(ms, true), 3);
  assert.equal(S.scriptSigOpCount(Uint8Array.of(0xac, 0x4c, 5, 0xac), false), 1, 'stops at a push running off the end');
  assert.equal(S.scriptSigOpCount(Uint8Array.of(0xad, 0xae), true), 21, 'CHECKMULTISIG without a preceding OP_N counts 20');
  const redeem = ms;
  const hash20 = new Uint8Array(20).fill(9);
  const allFlags = S.SCRIPT_VERIFY_P2SH | S.SCRIPT_VERIFY_WITNESS;
  const spendWith = (scriptSig: Uint8Array, witness: Uint8Array[] = []): Transaction =>
    tx([1], [1], { inputs: [{ ...tx([1], []).inputs[0], scriptSig, witness }] });

  const p2shSpend = spendWith(Uint8Array.of(0x00, ...pushData(redeem)));
  const p2shCoin = [coin(1, { script: p2sh(hash20) })];
  assert.equal(S.p2shSigOpCount(p2shSpend, p2shCoin), 3);
  assert.equal(S.transactionSigOpCost(p2shSpend, p2shCoin, allFlags), 12);
  assert.equal(S.transactionSigOpCost(p2shSpend, p2shCoin, 0), 0, 'no P2SH flag: redeem script not counted');
  assert.equal(S.p2shSigOpCount(spendWith(Uint8Array.of(...pushData(redeem), 0x76)), p2shCoin), 0, 'not push-only');

  assert.equal(S.transactionSigOpCost(spendWith(new Uint8Array(0), [new Uint8Array(72), key]), [coin(1, { script: p2wpkh(hash20) })], allFlags), 1);
  const wsh = [coin(1, { script: p2wsh(new Uint8Array(32)) })];
  assert.equal(S.transactionSigOpCost(spendWith(new Uint8Array(0), [new Uint8Array(0), redeem]), wsh, allFlags), 3);
  assert.equal(S.transactionSigOpCost(spendWith(new Uint8Array(0), []), wsh, allFlags), 0, 'empty witness');
  assert.equal(S.transactionSigOpCost(spendWith(new Uint8Array(0), [redeem]), wsh, S.SCRIPT_VERIFY_P2SH), 0, 'no WITNESS flag');
  // P2SH-P2WPKH: the redeem script is the witness program; its 1 sigop costs 1, not 4.
  const nested = spendWith(pushData(p2wpkh(hash20)), [new Uint8Array(72), key]);
  assert.equal(S.transactionSigOpCost(nested, p2shCoin, allFlags), 1);
  const nestedWsh = spendWith(pushData(p2wsh(new Uint8Array(32))), [redeem]);
  assert.equal(S.transactionSigOpCost(nestedWsh, p2shCoin, allFlags), 3);
  // Witness v1 (taproot) counts nothing here; its budget is per input, checked by the interpreter.
  assert.equal(S.countWitnessSigOps(new Uint8Array(0), Uint8Array.of(0x51, 32, ...new Uint8Array(32)), [redeem], allFlags), 0);
  assert.equal(S.legacySigOpCount(tx([1], [1], { outputs: [{ value: 1, script: ms }] })), 20);
});

test('GetBlockScriptFlags: buried deployments by height, mainnet exception blocks', () => {
  const main = getChainParams('main');
  const any = new Uint8Array(32).fill(1);
  const base = S.SCRIPT_VERIFY_P2SH | S.SCRIPT_VERIFY_WITNESS | S.SCRIPT_VERIFY_TAPROOT;
  assert.equal(blockScriptFlags(1, any, main), base);
  assert.equal(blockScriptFlags(363_725, any, main), base | S.SCRIPT_VERIFY_DERSIG);
  assert.equal(blockScriptFlags(388_381, any, main), base | S.SCRIPT_VERIFY_DERSIG | S.SCRIPT_VERIFY_CHECKLOCKTIMEVERIFY);
  const all = base | S.SCRIPT_VERIFY_DERSIG | S.SCRIPT_VERIFY_CHECKLOCKTIMEVERIFY | S.SCRIPT_VERIFY_CHECKSEQUENCEVERIFY | S.SCRIPT_VERIFY_NULLDUMMY;
  assert.equal(blockScriptFlags(481_824, any, main), all);
  assert.equal(blockScriptFlags(170_060, hexToHash('00000000000002dc756eebf4f49723ed8d30cc28a5f108eb94b1ba88ac4f9c22'), main), 0);
  const taprootException = hexToHash('0000000000000000000f14c35b2d841e986ab5441de8c585d5ffe55ea1e395ad');
  assert.equal(blockScriptFlags(692_261, taprootException, main), all & ~S.SCRIPT_VERIFY_TAPROOT);
  assert.equal(blockScriptFlags(1, any, getChainParams('regtest')), all);
});
