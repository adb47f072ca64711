import assert from 'node:assert/strict';
import { test } from 'node:test';
import { compareBytes, encodeVarInt } from '../../src/primitives/bytes.js';
import { forEachRecord, mergeRecordRunsByVout, recordVout, sortRecordsByVout, writeRecord, MAX_RECORD_SIZE } from '../../src/coins/coin-record.js';
import { compareVoutKeys, orderByKeys, orderByVoutKeys, voutKey, voutOrderStats } from '../../src/coins/vout-order.js';

const byBytes = (a: number, b: number) => compareBytes(encodeVarInt(a), encodeVarInt(b));
const sign = (x: number) => Math.sign(x);

test('voutKey orders vouts as the bytes of VARINT(vout) do, up to 2^32 - 1', () => {
  const edges = [0, 1, 127, 128, 255, 256, 16511, 16512, 16513, 24_000, 32_895, 32_896, 2_113_663, 2_113_664, 270_549_119, 270_549_120, 0xffff_fffe, 0xffff_ffff];
  const sample = [...edges];
  for (let i = 0; i < 70_000; i += 7) sample.push(i);
  for (let x = 12345; sample.length < 30_000; x = (x * 1103515245 + 12345) >>> 0) sample.push(x);
  for (let i = 0; i < sample.length; i++) {
    const a = sample[i]!;
    const b = sample[(i * 7919) % sample.length]!;
    assert.equal(sign(voutKey(a) - voutKey(b)), sign(byBytes(a, b)), `${a} vs ${b}`);
    assert.equal(sign(compareVoutKeys(a, b)), sign(byBytes(a, b)), `${a} vs ${b}`);
  }
});

test('orderByKeys sorts any input, merging the runs it has', () => {
  for (const n of [0, 1, 2, 3, 17, 1000, 5000]) {
    const keys = new Float64Array(n);
    for (let i = 0; i < n; i++) keys[i] = (i * 2654435761) % 1_000_003;
    const order = [...orderByKeys(keys, n).subarray(0, n)];
    const expected = [...Array(n).keys()].sort((a, b) => keys[a]! - keys[b]!);
    assert.deepEqual(order, expected, `n=${n}`);
  }
});

/** One transaction's outputs 0..n-1 as records, in the order `vouts` gives. */
function group(vouts: number[]): { buf: Uint8Array; len: number } {
  const buf = new Uint8Array(vouts.length * 80 + MAX_RECORD_SIZE);
  const txid = new Uint8Array(32).fill(7);
  let len = 0;
  for (const vout of vouts) len = writeRecord(buf, len, { txid, vout, height: 1, coinbase: false, value: vout, script: Uint8Array.of(0x51, vout & 0xff) });
  return { buf, len };
}

test('a 24,000-output transaction goes from key order to hash order by one merge of two ascending runs, not a sort', () => {
  const numeric = [...Array(24_000).keys()];
  const keyOrder = [...numeric].sort(byBytes);
  // The shape of issue 13: 0–255, then 16512–23999, then 256–16511.
  assert.deepEqual([keyOrder[255], keyOrder[256], keyOrder[256 + 24_000 - 16_512]], [255, 16_512, 256]);
  const { buf, len } = group(keyOrder);
  const before = { ...voutOrderStats };
  sortRecordsByVout(buf, 0, len);
  const out: number[] = [];
  forEachRecord(buf, len, (off) => void out.push(recordVout(buf, off)));
  assert.deepEqual(out, numeric);
  assert.equal(voutOrderStats.groupsReordered - before.groupsReordered, 1);
  assert.equal(voutOrderStats.mergePasses - before.mergePasses, 1, '0–255 and 16512–23999 are one ascending run, 256–16511 the other');
});

test('outputs already in hash order are left as they are, with no merge pass', () => {
  const { buf, len } = group([...Array(16_000).keys()]);
  const copy = buf.slice(0, len);
  const before = { ...voutOrderStats };
  sortRecordsByVout(buf, 0, len);
  assert.deepEqual(buf.subarray(0, len), copy);
  assert.deepEqual({ ...voutOrderStats }, before);
});

test('orderByVoutKeys gives the key order of numerically ordered vouts', () => {
  const numeric = [...Array(40_000).keys()];
  const order = orderByVoutKeys(numeric, numeric.length);
  assert.deepEqual([...order.subarray(0, numeric.length)].map((i) => numeric[i]), [...numeric].sort(byBytes));
});

test('mergeRecordRunsByVout puts records in key order into numeric order, given where their ascending runs start', () => {
  // Sparse and dense sets of vouts up to 2^21 (four-byte VARINTs), so the key order has many runs.
  const sets = [
    [...Array(24_000).keys()],
    [...Array(3000).keys()].map((i) => i * 701),
    [...Array(2000).keys()].map((i) => (i * 2_654_435_761) % 2_200_000).filter((v, i, a) => a.indexOf(v) === i),
    [0, 16_512],
  ];
  for (const numeric of sets) {
    const keyOrder = [...numeric].sort(byBytes);
    const { buf, len } = group(keyOrder);
    const starts: number[] = [];
    let prev = -1;
    let off = 0;
    forEachRecord(buf, len, (o) => {
      const v = recordVout(buf, o);
      if (v < prev || o === 0) starts.push(o);
      prev = v;
      off = o;
    });
    assert.ok(off > 0);
    mergeRecordRunsByVout(buf, 0, len, Int32Array.from(starts), starts.length);
    const out: number[] = [];
    forEachRecord(buf, len, (o) => void out.push(recordVout(buf, o)));
    assert.deepEqual(out, [...numeric].sort((a, b) => a - b), `${numeric.length} vouts, ${starts.length} runs`);
  }
});
