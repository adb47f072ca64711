import assert from 'node:assert/strict';
import { test } from 'node:test';
import { fromHex, toHex } from '../../src/primitives/bytes.js';
import { compressAmount, compressScript, decompressAmount, decompressScript, MAX_MONEY } from '../../src/coins/compressor.js';
import { parseCoin, serializeCoin, type Coin } from '../../src/coins/coin.js';
import { secp256k1 } from '@noble/curves/secp256k1.js';

const COIN = 100_000_000;
const CENT = 1_000_000;

test("amount compression: Core's compress_tests vectors", () => {
  const vectors: [number, number][] = [
    [0, 0x0],
    [1, 0x1],
    [CENT, 0x7],
    [COIN, 0x9],
    [50 * COIN, 0x32],
    [21_000_000 * COIN, 0x1406f40],
  ];
  for (const [amount, code] of vectors) {
    assert.equal(compressAmount(amount), code);
    assert.equal(decompressAmount(code), amount);
  }
});

test('amount compression round-trips like Core\'s loops', () => {
  for (let i = 1; i <= 100_000; i++) assert.equal(decompressAmount(compressAmount(i)), i);
  for (let i = 1; i <= 10_000; i++) assert.equal(decompressAmount(compressAmount(i * CENT)), i * CENT);
  for (let i = 1; i <= 10_000; i++) assert.equal(decompressAmount(compressAmount(i * COIN)), i * COIN);
  for (let i = 1; i <= 1000; i++) assert.equal(decompressAmount(compressAmount(i * 50 * COIN)), i * 50 * COIN);
  for (let i = 0; i < 100_000; i++) assert.equal(compressAmount(decompressAmount(i)), i);
  assert.equal(decompressAmount(compressAmount(MAX_MONEY - 1)), MAX_MONEY - 1);
});

test('amount decompression wraps in 64 bits as Core does for hostile codes', () => {
  // 2^64 - 1 decompresses with uint64 wrap-around; the result is outside MoneyRange either way.
  const v = decompressAmount(0xffffffffffffffffn);
  assert.ok(v < 0 || v > MAX_MONEY);
  assert.equal(decompressAmount(2 ** 40 + 1), Number(BigInt.asIntN(64, slowDecompress(2n ** 40n + 1n))));
});

function slowDecompress(x: bigint): bigint {
  x -= 1n;
  let e = x % 10n;
  x /= 10n;
  let n = e < 9n ? (x / 9n) * 10n + (x % 9n) + 1n : x + 1n;
  while (e-- > 0n) n = BigInt.asUintN(64, n * 10n);
  return n;
}

const G = secp256k1.Point.BASE;
const keyEven = (() => {
  for (let k = 1n; ; k++) {
    const p = G.multiply(k).toBytes(false);
    if ((p[64] & 1) === 0) return p;
  }
})();
const keyOdd = (() => {
  for (let k = 1n; ; k++) {
    const p = G.multiply(k).toBytes(false);
    if ((p[64] & 1) === 1) return p;
  }
})();

test('script compression: the six special templates and raw scripts', () => {
  const h20 = fromHex('11'.repeat(20));
  const x32 = G.toBytes(true).subarray(1);
  const p2pkh = fromHex(`76a914${'11'.repeat(20)}88ac`);
  const p2sh = fromHex(`a914${'11'.repeat(20)}87`);
  const p2pkC = fromHex(`21${toHex(G.toBytes(true))}ac`);
  const cases: [Uint8Array, number | undefined][] = [
    [p2pkh, 0],
    [p2sh, 1],
    [p2pkC, G.toBytes(true)[0]],
    [fromHex(`41${toHex(keyEven)}ac`), 4],
    [fromHex(`41${toHex(keyOdd)}ac`), 5],
  ];
  for (const [script, code] of cases) {
    const c = compressScript(script);
    assert.ok(c, toHex(script));
    assert.equal(c[0], code);
    assert.deepEqual(decompressScript(c[0], c[1]), script);
  }
  assert.deepEqual(compressScript(p2pkh)?.[1], h20);
  assert.deepEqual(compressScript(p2pkC)?.[1], x32);
  // Hybrid (06/07) and off-curve uncompressed keys stay raw scripts.
  const hybrid = Uint8Array.from(keyEven);
  hybrid[0] = 6;
  assert.equal(compressScript(fromHex(`41${toHex(hybrid)}ac`)), undefined);
  const offCurve = Uint8Array.from(keyEven);
  offCurve[64] ^= 1;
  assert.equal(compressScript(fromHex(`41${toHex(offCurve)}ac`)), undefined);
  // Near misses of the templates are raw.
  assert.equal(compressScript(p2pkh.subarray(0, 24)), undefined);
  assert.equal(compressScript(fromHex('0014' + '11'.repeat(20))), undefined);
});

test('an x that is not on the curve decompresses to an empty script, as in Core', () => {
  // x = 5 has no point on secp256k1 (5^3 + 7 = 132 is a non-residue mod p).
  const x = new Uint8Array(32);
  x[31] = 5;
  assert.equal(decompressScript(4, x).length, 0);
});

test('coins serialize as Core does and oversized scripts read back as OP_RETURN', () => {
  // Core's coins_tests: "ccoins_serialization" vectors.
  const c1 = parseCoin(fromHex('97f23c835800816115944e077fe7c803cfa57f29b36bf87c1d35')).coin;
  assert.deepEqual([c1.coinbase, c1.height, c1.value], [false, 203998, 60000000000]);
  assert.equal(toHex(c1.script), '76a914816115944e077fe7c803cfa57f29b36bf87c1d3588ac');
  const c2 = parseCoin(fromHex('8ddf77bbd123008c988f1a4a4de2161e0f50aac7f17e7f9555caa4')).coin;
  assert.deepEqual([c2.coinbase, c2.height, c2.value], [true, 120891, 110397]);
  assert.equal(toHex(c2.script), '76a9148c988f1a4a4de2161e0f50aac7f17e7f9555caa488ac');
  const c3 = parseCoin(fromHex('000006')).coin;
  assert.deepEqual([c3.coinbase, c3.height, c3.value, c3.script.length], [false, 0, 0, 0]);
  assert.throws(() => parseCoin(fromHex('000007')), { message: 'DataStream::read(): end of data' });
  assert.throws(() => parseCoin(fromHex('0000fd')), /end of data/);
  // Core's coins_tests: a 3,000,000,000-byte script is skipped, so the input ends first.
  assert.throws(() => parseCoin(fromHex('00008a95c0bb00')), { message: 'DataStream::read(): end of data' });
  // A script size that does not fit a u32.
  assert.throws(() => parseCoin(fromHex('00008efefeff00')), { message: 'ReadVarInt(): size too large' });
  for (const coin of [c1, c2, c3]) assert.deepEqual(parseCoin(serializeCoin(coin)).coin, coin);

  const big: Coin = { height: 5, coinbase: false, value: 1, script: new Uint8Array(10_001).fill(0x51) };
  const back = parseCoin(serializeCoin(big)).coin;
  assert.equal(toHex(back.script), '6a');
  const limit: Coin = { height: 5, coinbase: true, value: 1, script: new Uint8Array(10_000).fill(0x51) };
  assert.deepEqual(parseCoin(serializeCoin(limit)).coin, limit);
});

test('the fast amount path equals 64-bit decompression for codes below 2^40', () => {
  let x = 0x9e3779b9;
  const next = () => ((x = (x * 1103515245 + 12345) >>> 0), x);
  const codes = [1, 9, 10, 11, 2 ** 31 - 1, 2 ** 31, 2 ** 32 + 7, 2 ** 40 - 1];
  for (let i = 0; i < 50_000; i++) codes.push((next() * 256 + (next() & 0xff)) % 2 ** 40 || 1);
  for (const code of codes) assert.equal(decompressAmount(code), Number(BigInt.asIntN(64, slowDecompress(BigInt(code)))), `code ${code}`);
});
