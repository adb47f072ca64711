import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fromHex, toHex } from '../../src/primitives/bytes.js';
import { hash160, sha256 } from '../../src/primitives/hash.js';
import {
  isUnspendable,
  multisig,
  opReturn,
  p2pk,
  p2pkh,
  p2sh,
  p2tr,
  p2wpkh,
  p2wsh,
  pushData,
  pushNumber,
  scriptNumBytes,
} from '../../src/primitives/script.js';

test('pushNumber: OP_0, OP_1NEGATE, OP_1..OP_16, then minimal CScriptNum pushes', () => {
  const cases: Array<[number, string]> = [
    [0, '00'],
    [-1, '4f'],
    [1, '51'],
    [16, '60'],
    [17, '0111'],
    [127, '017f'],
    [128, '028000'],
    [200, '02c800'],
    [255, '02ff00'],
    [256, '020001'],
    [-2, '0182'],
    [-128, '028080'],
    [-255, '02ff80'],
    [32767, '02ff7f'],
    [32768, '03008000'],
    [486604799, '04ffff001d'], // the genesis coinbase's first push
    [2 ** 31, '050000008000'],
  ];
  for (const [n, hex] of cases) assert.equal(toHex(pushNumber(n)), hex, `push(${n})`);
  assert.equal(toHex(scriptNumBytes(0)), '');
});

test('pushData: length prefixes as CScript << vector writes them (no OP_N for one byte)', () => {
  assert.equal(toHex(pushData(new Uint8Array(0))), '00');
  assert.equal(toHex(pushData(Uint8Array.of(4))), '0104');
  assert.equal(toHex(pushData(new Uint8Array(75))).slice(0, 2), '4b');
  assert.equal(toHex(pushData(new Uint8Array(76))).slice(0, 4), '4c4c');
  assert.equal(toHex(pushData(new Uint8Array(255))).slice(0, 4), '4cff');
  assert.equal(toHex(pushData(new Uint8Array(256))).slice(0, 6), '4d0001');
  assert.equal(toHex(pushData(new Uint8Array(65536))).slice(0, 10), '4e00000100');
});

test('standard output scripts', () => {
  // Private key 1's compressed public key (used by Core's TestChain100Setup).
  const pub = fromHex('0279be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798');
  const h160 = hash160(pub);
  assert.equal(toHex(h160), '751e76e8199196d454941c45d1b3a323f1433bd6');
  assert.equal(toHex(p2pkh(h160)), '76a914751e76e8199196d454941c45d1b3a323f1433bd688ac');
  assert.equal(toHex(p2sh(h160)), 'a914751e76e8199196d454941c45d1b3a323f1433bd687');
  assert.equal(toHex(p2wpkh(h160)), '0014751e76e8199196d454941c45d1b3a323f1433bd6');
  // P2WSH(OP_TRUE), the output of regtest-chains.md's height-200 chain.
  assert.equal(toHex(p2wsh(sha256(Uint8Array.of(0x51)))), '00204ae81572f06e1b88fd5ced7a1a000945432e83e1551e6f721ee9c00b8cc33260');
  assert.equal(toHex(p2tr(pub.subarray(1))), '5120' + toHex(pub.subarray(1)));
  assert.equal(toHex(p2pk(pub)), '21' + toHex(pub) + 'ac');
  assert.equal(toHex(multisig(1, [pub, pub])), '5121' + toHex(pub) + '21' + toHex(pub) + '52ae');
  assert.equal(toHex(opReturn()), '6a');
  assert.equal(toHex(opReturn(Uint8Array.of(0xaa, 0xbb))), '6a02aabb');
  assert.throws(() => p2pkh(new Uint8Array(19)), /20 bytes/);
  assert.throws(() => multisig(3, [pub, pub]), /invalid multisig/);
});

test('isUnspendable: OP_RETURN first, or longer than 10,000 bytes', () => {
  assert.equal(isUnspendable(Uint8Array.of(0x6a)), true);
  assert.equal(isUnspendable(opReturn(new Uint8Array(80))), true);
  assert.equal(isUnspendable(new Uint8Array(0)), false);
  assert.equal(isUnspendable(Uint8Array.of(0x51, 0x6a)), false);
  assert.equal(isUnspendable(new Uint8Array(10_000).fill(0x51)), false);
  assert.equal(isUnspendable(new Uint8Array(10_001).fill(0x51)), true);
});
