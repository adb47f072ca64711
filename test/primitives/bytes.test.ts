import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ByteReader, ByteWriter, encodeVarInt, fromHex, toHex } from '../../src/primitives/bytes.js';
import { DeserializeError } from '../../src/primitives/errors.js';

// Core's VARINT examples (serialize.h and spec §1).
const VARINTS: [number | bigint, string][] = [
  [0, '00'],
  [127, '7f'],
  [128, '8000'],
  [255, '807f'],
  [256, '8100'],
  [16383, 'fe7f'],
  [16384, 'ff00'],
  [16511, 'ff7f'],
  [16512, '808000'],
  [65535, '82fe7f'],
  [2 ** 32, '8efefeff00'],
  [0xffffffff, '8efefefe7f'],
];

test('VARINT encodes and decodes Core examples', () => {
  for (const [n, hex] of VARINTS) {
    assert.equal(toHex(new ByteWriter().writeVarInt(n).toBytes()), hex, `encode ${n}`);
    if (typeof n === 'number' && n <= Number.MAX_SAFE_INTEGER) assert.equal(toHex(encodeVarInt(n)), hex);
    const r = new ByteReader(fromHex(hex));
    assert.equal(r.readVarIntBig(64), BigInt(n), `decode ${hex}`);
    assert.ok(r.eof);
  }
});

test('VARINT round-trips u64 extremes and refuses overflow', () => {
  const max = 0xffffffffffffffffn;
  const enc = new ByteWriter().writeVarInt(max).toBytes();
  assert.equal(new ByteReader(enc).readVarIntBig(64), max);
  // One more than u32 max does not fit a u32 target.
  assert.throws(() => new ByteReader(encodeVarInt(2 ** 32)).readVarInt(32), { message: 'ReadVarInt(): size too large' });
  assert.equal(new ByteReader(encodeVarInt(0xffffffff)).readVarInt(32), 0xffffffff);
  // Too many continuation digits for 64 bits.
  assert.throws(() => new ByteReader(fromHex('ffffffffffffffffffff00')).readVarIntBig(64), { message: 'ReadVarInt(): size too large' });
  assert.throws(() => new ByteReader(fromHex('80')).readVarInt(32), DeserializeError);
});

test('CompactSize: canonical forms, size limit and offsets', () => {
  const cases: [number, string][] = [
    [0, '00'],
    [252, 'fc'],
    [253, 'fdfd00'],
    [0xffff, 'fdffff'],
    [0x10000, 'fe00000100'],
    [0x02000000, 'fe00000002'],
  ];
  for (const [n, hex] of cases) {
    assert.equal(toHex(new ByteWriter().writeCompactSize(n).toBytes()), hex);
    assert.equal(new ByteReader(fromHex(hex)).readCompactSize(), n);
  }
  const bad: [string, string][] = [
    ['fdfc00', 'non-canonical ReadCompactSize()'],
    ['feffff0000', 'non-canonical ReadCompactSize()'],
    ['ffffffffff00000000', 'non-canonical ReadCompactSize()'],
    ['fe01000002', 'ReadCompactSize(): size too large'],
    ['ff0000000001000000', 'ReadCompactSize(): size too large'],
  ];
  for (const [hex, message] of bad) assert.throws(() => new ByteReader(fromHex(hex)).readCompactSize(), { message }, hex);
  assert.equal(new ByteReader(fromHex('fe01000002')).readCompactSize(false), 0x02000001);
  assert.equal(new ByteReader(fromHex('ff0000000001000000')).readCompactSize(false), 2 ** 32);
  const r = new ByteReader(fromHex('00fd'), 0, 100);
  r.readU8();
  assert.throws(() => r.readCompactSize(), (e: unknown) => e instanceof DeserializeError && e.offset === 102);
});

test('integers are little-endian and int64 keeps its sign', () => {
  const w = new ByteWriter().writeU16LE(0x0102).writeU32LE(0xdeadbeef).writeI64LE(-1).writeI64LE(2_100_000_000_000_000);
  const r = new ByteReader(w.toBytes());
  assert.equal(r.readU16LE(), 0x0102);
  assert.equal(r.readU32LE(), 0xdeadbeef);
  assert.equal(r.readI64LE(), -1);
  assert.equal(r.readI64LE(), 2_100_000_000_000_000);
  assert.throws(() => r.readU8(), { message: 'DataStream::read(): end of data' });
});

test('writeI64LE of a number writes the same bytes as of its bigint, negatives and the safe range alike', () => {
  const values = [0, 1, -1, 255, -256, 0xffffffff, -0xffffffff, 0x1_0000_0000, -0x1_0000_0000, 0x1_0000_0001, 2_100_000_000_000_000,
    Number.MAX_SAFE_INTEGER, Number.MIN_SAFE_INTEGER, 2 ** 62, -(2 ** 63)];
  for (let k = 0; k < 64; k++) values.push(Math.floor((Math.sin(k + 1) * 2 ** (k % 54)) | 0) * 2 ** (k % 22) + k);
  for (const v of values) {
    const a = new ByteWriter().writeI64LE(v).toBytes();
    const b = new ByteWriter().writeI64LE(BigInt(v)).toBytes();
    assert.deepEqual(a, b, `value ${v}`);
  }
});
