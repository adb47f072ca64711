/**
 * Script and transaction JSON against Core's own answers: rpc_decodescript.json (regtest scripts: asm,
 * address, desc, type) and bitcoin-tx's -json outputs (mainnet transactions) from Core's functional-test data.
 */
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { getChainParams } from '../../src/consensus/params.js';
import { fromHex } from '../../src/primitives/bytes.js';
import { transactionFromHex, type Transaction } from '../../src/primitives/transaction.js';
import { scriptToAsmStr, scriptToUniv, txToUniv } from '../../src/rpc/core-write.js';
import { writeJson } from '../../src/rpc/request.js';
import { coreReal, valueFromAmount } from '../../src/rpc/util.js';
import { addChecksum, checkChecksum, descriptorChecksum } from '../../src/script/descriptor-checksum.js';

const DATA = path.resolve(process.cwd(), '../shared/core-functional/test/functional/data');
const NO_DATA = existsSync(DATA) ? false : `Core's functional-test data not found at ${DATA}`;
const regtest = getChainParams('regtest');
const main = getChainParams('main');

test('rpc_decodescript.json: asm, desc, address and type of every script as Core shows them', { skip: NO_DATA }, () => {
  const cases = JSON.parse(readFileSync(path.join(DATA, 'rpc_decodescript.json'), 'utf8')) as [string, Record<string, string>][];
  for (const [hex, want] of cases) {
    const got = scriptToUniv(fromHex(hex), regtest);
    assert.equal(got.asm, want.asm, hex);
    assert.equal(got.desc, want.desc, hex);
    assert.equal(got.type, want.type, hex);
    assert.equal(got.address, want.address, hex);
  }
});

/** Core's DecodeHexTx: the extended (witness) form when it parses, else the legacy one (e.g. no inputs). */
function decodeTx(hex: string): Transaction {
  try {
    return transactionFromHex(hex, true);
  } catch {
    return transactionFromHex(hex, false);
  }
}

test("bitcoin-tx -json outputs: TxToUniv field for field, amounts with 8 decimals", { skip: NO_DATA }, () => {
  const dir = path.join(DATA, 'util');
  let checked = 0;
  for (const name of readdirSync(dir).filter((f) => f.endsWith('.json') && f !== 'bitcoin-util-test.json')) {
    const text = readFileSync(path.join(dir, name), 'utf8');
    const want = JSON.parse(text) as { hex?: string };
    if (typeof want.hex !== 'string') continue;
    const got = txToUniv(decodeTx(want.hex), main, { includeHex: true });
    assert.deepEqual(JSON.parse(writeJson(got)), want, name);
    // Core's JSON text, amounts included, apart from indentation.
    assert.equal(writeJson(got), JSON.stringify(want).replace(/"value":([0-9.e-]+)/g, (_m, v: string) => `"value":${Number(v).toFixed(8)}`), name);
    checked++;
  }
  assert.ok(checked >= 20, `checked ${checked} transactions`);
});

test('asm: sighash decoding only in scriptSigs, not in unspendable scripts; [error] for a truncated push', () => {
  // A DER signature of 70 bytes; with its sighash byte a 71-byte push.
  const der = '30440220131432090a6af42da3e8335ff110831b41a44f4e9d18d88f5d50278380696c7202200fc2e48938f323ad13625890c0ea926c8a189c08b8efc38376b20c8a2188e96e';
  assert.equal(der.length / 2, 70);
  assert.equal(scriptToAsmStr(fromHex(`47${der}81`), true), `${der}[ALL|ANYONECANPAY]`);
  assert.equal(scriptToAsmStr(fromHex(`47${der}81`), false), `${der}81`);
  assert.equal(scriptToAsmStr(fromHex(`47${der}04`), true), `${der}04`);
  assert.equal(scriptToAsmStr(fromHex(`6a47${der}01`), true), `OP_RETURN ${der}01`);
  assert.equal(scriptToAsmStr(fromHex('00514f60b0bbff'), false), '0 1 -1 16 OP_NOP1 OP_UNKNOWN OP_INVALIDOPCODE');
  assert.equal(scriptToAsmStr(fromHex('0281'), false), '[error]');
  assert.equal(scriptToAsmStr(fromHex('51020181'), false), '1 -257');
  assert.equal(scriptToAsmStr(fromHex('4c'), false), '[error]');
});

test('descriptor checksum: as test_framework/descriptors.py; CheckChecksum errors in Core words', () => {
  // Values from Core's functional tests (rpc_decodescript.json above, wallet tests).
  assert.equal(descriptorChecksum('raw(deadbeef)'), '89f8spxm');
  assert.equal(addChecksum('addr(2NF2b3KS8xXb9XHvbRMXdZh8s5g92rUZHtp)'), 'addr(2NF2b3KS8xXb9XHvbRMXdZh8s5g92rUZHtp)#ywfcpmh9');
  assert.equal(descriptorChecksum('raw(é)'), '');
  assert.deepEqual(checkChecksum('raw(deadbeef)#89f8spxm', true), { payload: 'raw(deadbeef)', checksum: '89f8spxm' });
  assert.deepEqual(checkChecksum('raw(deadbeef)', true), { error: 'Missing checksum' });
  assert.deepEqual(checkChecksum('raw(deadbeef)', false), { payload: 'raw(deadbeef)', checksum: '89f8spxm' });
  assert.deepEqual(checkChecksum('a#b#c', false), { error: "Multiple '#' symbols" });
  assert.deepEqual(checkChecksum('raw(deadbeef)#89f8', false), { error: 'Expected 8 character checksum, not 4 characters' });
  assert.deepEqual(checkChecksum('raw(deadbeef)#89f8spxq', false), { error: "Provided checksum '89f8spxq' does not match computed checksum '89f8spxm'" });
});

test("JSON numbers as Core writes them: amounts with 8 decimals, doubles as %.16g", () => {
  assert.equal(writeJson({ a: valueFromAmount(5_000_000_000), b: valueFromAmount(-1), c: [valueFromAmount(0)] }), '{"a":50.00000000,"b":-0.00000001,"c":[0.00000000]}');
  assert.equal(JSON.stringify({ a: valueFromAmount(5_000_000_000) }), '{"a":50}');
  const real = (v: number) => writeJson(coreReal(v));
  assert.equal(real(4.6565423739069247e-10), '4.656542373906925e-10');
  assert.equal(real(1), '1');
  assert.equal(real(0.004975124378109453), '0.004975124378109453');
  assert.equal(real(0.00001), '1e-05');
  assert.equal(real(1e16), '1e+16');
  assert.equal(real(123456.5), '123456.5');
  assert.equal(real(0), '0');
  assert.equal(real(0.1), '0.1', '16 digits, not the 17 that would show 0.10000000000000001');
  assert.equal(real(2 / 3), '0.6666666666666666');
  assert.equal(real(Infinity), 'null');
  assert.equal(writeJson(valueFromAmount(1)), '0.00000001', 'a number at the root');
});
