/**
 * CheckTransaction and IsFinalTx: Core's tx_valid.json / tx_invalid.json (BADTX entries must fail, all
 * others pass), one named case per reject reason, and the size arithmetic checked against serialization.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { checkTransaction, isFinalTx, MAX_MONEY, txBaseSize, txTotalSize, txWeight } from '../../src/consensus/tx-checks.js';
import { ValidationError } from '../../src/consensus/validation-error.js';
import { transactionFromHex, transactionSize, type Transaction } from '../../src/primitives/transaction.js';
import { NO_VECTORS, vector } from '../helpers.js';

function entries(file: string): { hex: string; flags: string }[] {
  const all = JSON.parse(readFileSync(vector('core-tests', file), 'utf8')) as unknown[][];
  return all.filter((e) => e.length === 3).map((e) => ({ hex: e[1] as string, flags: e[2] as string }));
}

function reasonOf(tx: Transaction): string | undefined {
  try {
    checkTransaction(tx);
    return undefined;
  } catch (e) {
    assert.ok(e instanceof ValidationError);
    assert.equal(e.result, 'consensus');
    return e.reason;
  }
}

test("tx_invalid.json: every BADTX entry fails CheckTransaction with Core's reason, the rest pass", { skip: NO_VECTORS }, () => {
  const bad: string[] = [];
  for (const { hex, flags } of entries('tx_invalid.json')) {
    const reason = reasonOf(transactionFromHex(hex));
    if (flags.split(',').includes('BADTX')) bad.push(reason ?? 'passed');
    else assert.equal(reason, undefined, hex);
  }
  // In file order, as the comments above the entries name them.
  assert.deepEqual(bad, [
    'bad-txns-vout-empty',
    'bad-txns-vout-negative',
    'bad-txns-vout-toolarge',
    'bad-txns-txouttotal-toolarge',
    'bad-txns-inputs-duplicate',
    'bad-cb-length',
    'bad-cb-length',
    'bad-txns-prevout-null',
    'bad-txns-prevout-null',
  ]);
});

test('tx_valid.json: every entry passes CheckTransaction; sizes match the serialization', { skip: NO_VECTORS }, () => {
  const all = entries('tx_valid.json');
  assert.ok(all.length > 100);
  for (const { hex } of all) {
    const tx = transactionFromHex(hex);
    assert.equal(reasonOf(tx), undefined, hex);
    assert.equal(txBaseSize(tx), transactionSize(tx, false));
    assert.equal(txTotalSize(tx), transactionSize(tx, true));
    assert.equal(txWeight(tx), 3 * transactionSize(tx, false) + transactionSize(tx, true));
  }
});

const NULL_TXID = new Uint8Array(32);
const someTxid = (b: number) => new Uint8Array(32).fill(b);
const input = (txid: Uint8Array, vout: number, scriptSig = new Uint8Array(0), sequence = 0xffffffff) => ({
  prevout: { txid, vout },
  scriptSig,
  sequence,
  witness: [] as Uint8Array[],
});
const spend = (over: Partial<Transaction> = {}): Transaction => ({
  version: 2,
  inputs: [input(someTxid(1), 0)],
  outputs: [{ value: 1000, script: Uint8Array.of(0x51) }],
  lockTime: 0,
  ...over,
});

test('CheckTransaction: one named case per reason, in Core order', () => {
  const cases: [string, Transaction, string | undefined][] = [
    ['valid spend', spend(), undefined],
    ['no inputs', spend({ inputs: [] }), 'bad-txns-vin-empty'],
    ['no inputs and no outputs: inputs first', spend({ inputs: [], outputs: [] }), 'bad-txns-vin-empty'],
    ['no outputs', spend({ outputs: [] }), 'bad-txns-vout-empty'],
    // 64 bytes around the script: version, counts, one input, value, 5-byte CompactSize, lock time.
    ['base size 1,000,001: × 4 over the weight limit', spend({ outputs: [{ value: 1, script: new Uint8Array(1_000_000 - 63) }] }), 'bad-txns-oversize'],
    ['base size exactly 1,000,000', spend({ outputs: [{ value: 1, script: new Uint8Array(1_000_000 - 64) }] }), undefined],
    ['negative output', spend({ outputs: [{ value: -1, script: new Uint8Array(0) }] }), 'bad-txns-vout-negative'],
    ['output MAX_MONEY + 1', spend({ outputs: [{ value: MAX_MONEY + 1, script: new Uint8Array(0) }] }), 'bad-txns-vout-toolarge'],
    ['output exactly MAX_MONEY', spend({ outputs: [{ value: MAX_MONEY, script: new Uint8Array(0) }] }), undefined],
    [
      'outputs summing past MAX_MONEY',
      spend({ outputs: [{ value: MAX_MONEY, script: new Uint8Array(0) }, { value: 1, script: new Uint8Array(0) }] }),
      'bad-txns-txouttotal-toolarge',
    ],
    ['same outpoint twice', spend({ inputs: [input(someTxid(1), 3), input(someTxid(1), 3)] }), 'bad-txns-inputs-duplicate'],
    ['same txid, other vout', spend({ inputs: [input(someTxid(1), 3), input(someTxid(1), 4)] }), undefined],
    ['coinbase scriptSig of 1 byte', spend({ inputs: [input(NULL_TXID, 0xffffffff, Uint8Array.of(1))] }), 'bad-cb-length'],
    ['coinbase scriptSig of 2 bytes', spend({ inputs: [input(NULL_TXID, 0xffffffff, Uint8Array.of(1, 1))] }), undefined],
    ['coinbase scriptSig of 100 bytes', spend({ inputs: [input(NULL_TXID, 0xffffffff, new Uint8Array(100))] }), undefined],
    ['coinbase scriptSig of 101 bytes', spend({ inputs: [input(NULL_TXID, 0xffffffff, new Uint8Array(101))] }), 'bad-cb-length'],
    ['null prevout among two inputs', spend({ inputs: [input(someTxid(1), 0), input(NULL_TXID, 0xffffffff)] }), 'bad-txns-prevout-null'],
    ['zero txid but vout 0 is not null', spend({ inputs: [input(someTxid(1), 0), input(NULL_TXID, 0)] }), undefined],
  ];
  for (const [name, tx, want] of cases) assert.equal(reasonOf(tx), want, name);
});

test('IsFinalTx: height and time lock times, and SEQUENCE_FINAL opting out', () => {
  const nonFinalSeq = [input(someTxid(1), 0, undefined, 0xfffffffe)];
  const at = (lockTime: number, inputs = nonFinalSeq) => spend({ lockTime, inputs });
  assert.equal(isFinalTx(at(0), 1, 0), true, 'lock time 0');
  assert.equal(isFinalTx(at(99), 100, 0), true, 'height below the block height');
  assert.equal(isFinalTx(at(100), 100, 0), false, 'height equal to the block height');
  assert.equal(isFinalTx(at(100, [input(someTxid(1), 0)]), 100, 0), true, 'all inputs SEQUENCE_FINAL');
  assert.equal(isFinalTx(at(499_999_999), 499_999_999, 2e9), false, 'largest height lock');
  assert.equal(isFinalTx(at(500_000_000), 1, 500_000_001), true, 'time below the block time');
  assert.equal(isFinalTx(at(1_700_000_000), 1e6, 1_700_000_000), false, 'time equal to the block time');
  assert.equal(isFinalTx(at(0xffffffff), 1e6, 2 ** 32), true, 'u32 maximum lock time');
});
