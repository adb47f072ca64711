import assert from 'node:assert/strict';
import { test } from 'node:test';
import { copyBytes, decodeCompressedCoin, decoded, readRecord, RECORD_CODE } from '../../src/coins/coin-record.js';
import { parseCoin, serializeCoin } from '../../src/coins/coin.js';
import { DeserializeError } from '../../src/primitives/errors.js';

// Heights on both sides of every VARINT length (1, 2, 3 and 4 bytes for the code height·2 + coinbase).
const HEIGHTS = [0, 1, 63, 64, 8255, 8256, 1_056_831, 1_056_832, 2 ** 29, 2 ** 31 - 1];

test('decodeCompressedCoin reads every VARINT length of code and amount', () => {
  const script = Uint8Array.from([0x00, 0x14, ...new Array(20).fill(7)]);
  for (const height of HEIGHTS) {
    for (const coinbase of [false, true]) {
      for (const value of [0, 1, 127, 128, 16_511, 16_512, 123_456_789, 21_000_000 * 100_000_000]) {
        const bytes = serializeCoin({ height, coinbase, value, script });
        const { coin, end } = parseCoin(bytes);
        assert.equal(end, bytes.length);
        assert.deepEqual(coin, { height, coinbase, value, script }, `height ${height} value ${value}`);
      }
    }
  }
});

test('decodeCompressedCoin fails at the end of its input inside any field, with the offset', () => {
  const bytes = serializeCoin({ height: 1_056_832, coinbase: true, value: 123_456_789, script: new Uint8Array(40).fill(3) });
  const out = new Uint8Array(200);
  for (let cut = 0; cut < bytes.length; cut++) {
    assert.throws(() => {
      const end = decodeCompressedCoin(bytes, 0, cut, out, RECORD_CODE, 1000);
      if (end > cut) decoded.failEnd(cut, 1000);
    }, (e: unknown) => e instanceof DeserializeError && e.offset >= 1000 && e.offset <= 1000 + cut, `cut ${cut}`);
  }
  const end = decodeCompressedCoin(bytes, 0, bytes.length, out, RECORD_CODE);
  assert.equal(end, bytes.length);
  assert.equal(readRecord(out, 0).height, 1_056_832);
});

test('copyBytes copies any length at any alignment, between buffers that change', () => {
  const src = Uint8Array.from({ length: 100 }, (_, i) => i + 1);
  for (const from of [0, 1, 3]) {
    for (const n of [0, 1, 3, 4, 5, 20, 22, 32, 34, 64]) {
      const out = new Uint8Array(80);
      copyBytes(src, from, out, 5, n);
      assert.deepEqual(out.subarray(5, 5 + n), src.subarray(from, from + n));
      assert.equal(out[4], 0);
      assert.equal(out[5 + n], 0);
    }
  }
});
