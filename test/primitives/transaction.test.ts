import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { ByteReader, fromHex, toHex } from '../../src/primitives/bytes.js';
import { DeserializeError } from '../../src/primitives/errors.js';
import { hashToHex, sha256d } from '../../src/primitives/hash.js';
import {
  hasWitness,
  isCoinbase,
  parseTransaction,
  serializeTransaction,
  SUPERFLUOUS_WITNESS,
  Transaction,
  transactionFromHex,
  txid,
  UNKNOWN_OPTIONAL_DATA,
  wtxid,
} from '../../src/primitives/transaction.js';
import { VECTORS } from '../helpers.js';


/** A structural copy, so ids are computed from a fresh serialization rather than the parse cache. */
function clone(tx: Transaction): Transaction {
  return {
    version: tx.version,
    lockTime: tx.lockTime,
    inputs: tx.inputs.map((i) => ({
      prevout: { txid: i.prevout.txid.slice(), vout: i.prevout.vout },
      scriptSig: i.scriptSig.slice(),
      sequence: i.sequence,
      witness: i.witness.map((w) => w.slice()),
    })),
    outputs: tx.outputs.map((o) => ({ value: o.value, script: o.script.slice() })),
  };
}

// The genesis coinbase: legacy serialization, txid = the mainnet genesis merkle root.
const GENESIS_COINBASE =
  '01000000010000000000000000000000000000000000000000000000000000000000000000ffffffff4d04ffff001d0104455468652054696d65732030332f4a616e2f32303039204368616e63656c6c6f72206f6e206272696e6b206f66207365636f6e64206261696c6f757420666f722062616e6b73ffffffff0100f2052a01000000434104678afdb0fe5548271967f1a67130b7105cd6a828e03909a67962e0ea1f61deb649f6bc3f4cef38c4f35504e51ec112de5c384df7ba0b8d578a4c702b6bf11d5fac00000000';

// Shaped like BIP143's native P2WPKH example: one legacy and one witness input. The signature bytes are
// arbitrary; parsing does not check them.
const SEGWIT_TX =
  '01000000000102fff7f7881a8099afa6940d42d1e7f6362bec38171ea3edf433541db4e4ad969f00000000494830450221008b9d1dc26ba6a9cb62127b02742fa9d754cd3bebf337f7a55d114c8e5cdd30be022040529b194ba3f9281a99f2b1c0a19c0489bc22ede944ccf4ecbab4cc618ef3ed01eeffffffef51e1b804cc89d182d279655c3aa89e815b1b309fe287d9b2b55d57b90ec68a0100000000ffffffff02202cb206000000001976a9148280b37df378db99f66f85c95a783a76ac7a6d5988ac9093510d000000001976a9143bde42dbee7e4dbe6a21b2d50ce2f0167faa815988ac000247304402203609e17b84f6a7d30c80bfa9eb4e0a4e10a6a4c9f63e43e1b8d7b4d4e1f1a0a4022060c5ce0f0d8c6d4b7b5c4f5d1bf6c0b0e2f5b6b1ab0b4d8f1c7c7e0b8f1a1c9d01210279be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f8179811000000';

test('genesis coinbase: parse, txid, coinbase detection, legacy round trip', () => {
  const tx = transactionFromHex(GENESIS_COINBASE);
  assert.equal(hashToHex(txid(tx)), '4a5e1e4baab89f3a32518a88c31bc87f618f76673e2cc77ab2127b7afdeda33b');
  assert.deepEqual(wtxid(tx), txid(tx));
  assert.equal(isCoinbase(tx), true);
  assert.equal(hasWitness(tx), false);
  assert.equal(tx.outputs[0].value, 5_000_000_000);
  assert.equal(toHex(serializeTransaction(tx)), GENESIS_COINBASE);
  assert.deepEqual(txid(clone(tx)), txid(tx));
});

test('segwit transaction: witness parsed, both serializations, txid ≠ wtxid', () => {
  const tx = transactionFromHex(SEGWIT_TX);
  assert.equal(hasWitness(tx), true);
  assert.equal(isCoinbase(tx), false);
  assert.equal(tx.inputs[0].witness.length, 0);
  assert.equal(tx.inputs[1].witness.length, 2);
  assert.equal(toHex(serializeTransaction(tx)), SEGWIT_TX);
  const legacy = serializeTransaction(tx, false);
  assert.deepEqual(txid(tx), sha256d(legacy));
  assert.deepEqual(wtxid(tx), sha256d(fromHex(SEGWIT_TX)));
  assert.notDeepEqual(txid(tx), wtxid(tx));
  // Without witness support the same bytes mean something else (empty vin, then the flag as a vout count).
  const noWit = transactionFromHex(toHex(legacy), false);
  assert.deepEqual(txid(noWit), txid(tx));
});

test('empty vin with flag 0: no inputs and no outputs, as Core reads it', () => {
  const tx = transactionFromHex('02000000' + '00' + '00' + '11223344');
  assert.equal(tx.inputs.length, 0);
  assert.equal(tx.outputs.length, 0);
  assert.equal(tx.lockTime, 0x44332211);
  assert.equal(toHex(serializeTransaction(tx)), '02000000000011223344');
});

test("Core's errors: superfluous witness record, unknown optional data, truncation", () => {
  const input = '00'.repeat(32) + '00000000' + '00' + 'ffffffff';
  const output = '0000000000000000' + '0151';
  // Marker+flag 1 but every witness stack empty.
  const superfluous = '01000000' + '0001' + '01' + input + '01' + output + '00' + '00000000';
  assert.throws(() => transactionFromHex(superfluous), (e: unknown) => e instanceof DeserializeError && e.message === SUPERFLUOUS_WITNESS);
  // Flag 2 is not defined.
  const unknown = '01000000' + '0002' + '01' + input + '01' + output + '00000000';
  assert.throws(() => transactionFromHex(unknown), { message: UNKNOWN_OPTIONAL_DATA });
  // Flag 3: witness read, then bit 2 remains.
  const flag3 = '01000000' + '0003' + '01' + input + '01' + output + '0101' + '51' + '00000000';
  assert.throws(() => transactionFromHex(flag3), { message: UNKNOWN_OPTIONAL_DATA });
  assert.throws(() => transactionFromHex(GENESIS_COINBASE.slice(0, -2)), { message: 'DataStream::read(): end of data' });
  assert.throws(() => transactionFromHex(GENESIS_COINBASE + '00'), DeserializeError);
});

test('parseTransaction leaves the reader after the transaction', () => {
  const bytes = fromHex(GENESIS_COINBASE + GENESIS_COINBASE);
  const r = new ByteReader(bytes);
  const a = parseTransaction(r);
  assert.equal(r.pos, bytes.length / 2);
  const b = parseTransaction(r);
  assert.ok(r.eof);
  assert.deepEqual(txid(a), txid(b));
});

test("Core's tx_valid.json: every transaction round-trips and its txid is stable", (t) => {
  const file = path.join(VECTORS, 'core-tests/tx_valid.json');
  if (!existsSync(file)) return t.skip(`vectors not found at ${file}`);
  const entries = (JSON.parse(readFileSync(file, 'utf8')) as unknown[][]).filter((e) => e.length > 1);
  assert.ok(entries.length > 100);
  let segwit = 0;
  for (const entry of entries) {
    const hex = entry[1] as string;
    const tx = transactionFromHex(hex);
    assert.equal(toHex(serializeTransaction(tx)), hex);
    const copy = clone(tx);
    assert.deepEqual(txid(copy), txid(tx), hex);
    assert.deepEqual(txid(tx), sha256d(serializeTransaction(tx, false)));
    assert.deepEqual(wtxid(copy), sha256d(fromHex(hex)));
    const again = transactionFromHex(toHex(serializeTransaction(tx)));
    assert.deepEqual(txid(again), txid(tx));
    if (hasWitness(tx)) segwit++;
  }
  assert.ok(segwit > 10, `expected segwit cases, saw ${segwit}`);
});
