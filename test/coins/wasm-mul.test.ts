import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { MUHASH_PRIME, numToBytes, productOfRecords, RecordProduct, reduce } from '../../src/coins/muhash.js';
import { createElementKernel, elementModule, elementModuleFor, multiplierOf, type ElementKernel, type MultiplierName } from '../../src/coins/wasm-element.js';

const P = MUHASH_PRIME;
const TOP = (1n << 3072n) - 1n;
const random3072 = () => BigInt('0x' + randomBytes(384).toString('hex'));

/** Numbers where carries and the fold's edges show: 0, 1, around p, all ones, single high or low limbs. */
const EDGES = [
  0n,
  1n,
  2n,
  P - 1n,
  P,
  P + 1n,
  TOP,
  TOP - 1n,
  1n << 3071n,
  (1n << 3052n) - 1n, // every limb but the top one full
  ((1n << 3072n) - 1n) ^ ((1n << 3052n) - 1n), // just the top limb's bits
  (1n << 1540n) - 1n, // the Karatsuba low half full
  TOP ^ ((1n << 1540n) - 1n), // the high half full
  1103717n,
  P - 1103717n,
];

/** The kernel with the given multiplier; the fma one is skipped where relaxed SIMD or FMA is missing. */
function kernel(multiplier: MultiplierName): ElementKernel | undefined {
  const module = elementModuleFor(multiplier);
  if (multiplier === 'extmul') assert.ok(module, 'this runtime runs the wasm kernel');
  return module && createElementKernel(module);
}

/** a·b mod p through the kernel, a as the running product and b as an element's bytes. */
function wasmMul(k: ElementKernel, a: bigint, b: bigint): bigint {
  k.toLimbs(a);
  k.multiplyBytes(numToBytes(b));
  return reduce(k.fromLimbs());
}

it('the default multiplier is fma where it works, and CHAINSNAP_MUHASH_KERNEL=extmul is not set here', () => {
  assert.equal(multiplierOf(elementModule()!), elementModuleFor('fma') ? 'fma' : 'extmul');
});

for (const multiplier of ['fma', 'extmul'] as const) {
  describe(`wasm multiplier (${multiplier}) against BigInt`, () => {
    const skip = elementModuleFor(multiplier) ? false : 'relaxed SIMD or a fused multiply-add is missing here';

    it('every pair of edge values, in both roles', { skip }, () => {
      const k = kernel(multiplier)!;
      for (const a of EDGES) for (const b of EDGES) assert.equal(wasmMul(k, a, b), reduce(a * b), `${a.toString(16)} · ${b.toString(16)}`);
    });

    it('random values, including running products not below p (up to 2^3080)', { skip }, () => {
      const k = kernel(multiplier)!;
      for (let i = 0; i < 300; i++) {
        const a = i % 3 === 0 ? random3072() + (BigInt(i % 256) << 3072n) : random3072();
        const b = random3072();
        assert.equal(wasmMul(k, a, b), reduce(a * b));
      }
    });

    it('a long chain stays exact with the lazily reduced running product', { skip }, () => {
      const k = kernel(multiplier)!;
      k.toLimbs(1n);
      let want = 1n;
      for (let i = 0; i < 3000; i++) {
        // All-ones elements push the unreduced product to its largest; random ones mix the limbs.
        const b = i % 5 === 0 ? TOP : i % 7 === 0 ? P - 1n : i % 11 === 0 ? 1n : random3072();
        k.multiplyBytes(numToBytes(b));
        want = (want * b) % P;
        if (i % 250 === 0) assert.equal(reduce(k.fromLimbs()), want, `after ${i + 1} products`);
      }
      assert.equal(reduce(k.fromLimbs()), want);
    });

    it('limb conversion round-trips (mod p for fma above 2^3072) and rejects what does not fit', { skip }, () => {
      const k = kernel(multiplier)!;
      for (const x of [0n, P, TOP, (1n << 3080n) - 1n, random3072()]) {
        k.toLimbs(x);
        if (multiplier === 'extmul' || x <= TOP) assert.equal(k.fromLimbs(), x);
        else assert.equal(reduce(k.fromLimbs()), reduce(x));
      }
      if (multiplier === 'extmul') assert.throws(() => k.toLimbs(1n << 3080n), RangeError);
      assert.throws(() => k.toLimbs(-1n), RangeError);
    });
  });
}

describe('fma multiplier at its bounds', () => {
  const skip = elementModuleFor('fma') ? false : 'relaxed SIMD or a fused multiply-add is missing here';

  it('the largest lazily reduced running product (limb 0 at 2^48 + 2^44 − 1, the others all ones) times edge values', { skip }, () => {
    const k = kernel('fma')!;
    const limbs = new Float64Array(k.acc.buffer, k.acc.byteOffset, 64);
    const set = () => {
      limbs.fill(2 ** 48 - 1);
      limbs[0] = 2 ** 48 + 2 ** 44 - 1;
    };
    set();
    const a = k.fromLimbs();
    assert.equal(a, (1n << 3072n) - 1n + (1n << 44n));
    for (const b of [...EDGES, random3072()]) {
      set();
      k.multiplyBytes(numToBytes(b));
      assert.equal(reduce(k.fromLimbs()), reduce(a * b), b.toString(16));
      // The result keeps the bound the next product relies on.
      assert.ok(limbs[0]! < 2 ** 48 + 2 ** 44 && limbs.subarray(1).every((l) => l < 2 ** 48 && Number.isInteger(l)));
    }
  });
});

describe('RecordProduct', () => {
  it('over several batches equals productOfRecords of their concatenation, and restarts after take()', () => {
    const recs = Array.from({ length: 300 }, (_, i) => {
      const script = 20 + (i % 50);
      const rec = randomBytes(49 + script);
      rec[48] = script;
      return rec;
    });
    const all = new Uint8Array(Buffer.concat(recs));
    const rp = new RecordProduct();
    const other = new RecordProduct();
    for (let i = 0; i < recs.length; i += 37) {
      rp.add(new Uint8Array(Buffer.concat(recs.slice(i, i + 37))));
      // Another product on the same thread (and productOfRecords) in between must not disturb this one.
      other.add(recs[i]!);
      assert.equal(productOfRecords(recs[i]!, 1n, 'wasm'), productOfRecords(recs[i]!, 1n, 'js'));
    }
    assert.equal(other.take(), productOfRecords(new Uint8Array(Buffer.concat(recs.filter((_, i) => i % 37 === 0))), 1n, 'js'));
    const whole = rp.take();
    assert.equal(whole, productOfRecords(all, 1n, 'js'));
    assert.equal(rp.take(), 1n);
    rp.add(all);
    assert.equal(rp.take(), whole);
  });
});
