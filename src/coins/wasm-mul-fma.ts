/**
 * Multiplication mod p = 2^3072 − 1103717 in WebAssembly with fused multiply-add (relaxed SIMD's
 * f64x2.relaxed_madd), the MuHash kernel's multiplier where the CPU has FMA (wasm-element.ts picks it after
 * a self-test; wasm-mul.ts's extmul multiplier is the fallback). Same role and interface as wasm-mul.ts.
 *
 * Numbers are 64 limbs of 48 bits (exactly 3072 bits), held as f64. A limb product x·y (below 2^100) is
 * split exactly with two FMAs, after Emmart and Weems ("Faster modular exponentiation using double
 * precision floating point arithmetic on the GPU", 2018):
 *   hi  = fma(x, y, C1),        C1 = 2^100: hi = C1 + h, h = x·y rounded to a multiple of 2^48 (the ulp of
 *                               [2^100, 2^101)), so bits(hi) − bits(C1) = H = h / 2^48;
 *   lo' = fma(x, y, K3 − hi),   K3 = C1 + C2, C2 = 2^52 + 2^51: K3 − hi = C2 − h is exact (a multiple of
 *                               2^48 below 2^99), and lo' = C2 + (x·y − h) with |x·y − h| ≤ 2^47 lies in
 *                               [2^52, 2^53), where the ulp is 1: exact, and bits(lo') − bits(C2) = x·y − h.
 * So x·y = H·2^48 + lo with lo signed, and both are integers read straight off the doubles' bit patterns:
 * the column sums add the bit patterns as i64 (two products per i64x2.add) and subtract count·bits(C1) and
 * count·bits(C2) once per column at the end (wrapping arithmetic; the true sum is far inside i64). Without
 * fusion (a multiply and an add, as V8 emits where the CPU lacks FMA) lo' loses x·y's low bits: the
 * self-test in wasm-element.ts sees that.
 *
 * Bounds. Operands: element limbs below 2^48; running-product limbs below 2^48 except limb 0, below
 * 2^48 + 2^44 (see emitFold). One Karatsuba level adds halves: limbs below 2^49 + 2^44 and 2^49, products
 * below 2^98.1 < 2^100, so hi stays in C1's binade and H < 2^50.1. A column sums at most 64 products:
 * |column| < 64·(2^50.1 + 2^47) < 2^57. Karatsuba's z1 − z0 − z2 is taken column by column on exact sums.
 *
 * Half-products are scanned by operand in blocks of BLOCK columns held in registers, as in wasm-mul.ts:
 * for x[i], its splat times the window y[c0−i …] (an unaligned load from a zero-padded copy of y; cheaper
 * than sliding the window with shuffles) adds H to the block's hi sums and lo to its lo sums; column c of
 * the product is lo[c] + hi[c − 1]. The window's pad lanes compute 0·x = hi C1, lo' C2: they count in the
 * bias like real lanes. The blocks are a run-time loop too, so each half-product is one small loop nest.
 *
 * Measured (CPU time, A/B in the same minute, loaded machine): ~1.05 µs per product against extmul's 2.16.
 * Dropped: the blocks unrolled (each its own copy of the inner loop, ~20% slower: the code no longer stays
 * in the decoded-instruction cache); 8 columns per block (spills, ~25% slower than 6); two limbs of x per
 * pass (~30% slower); the edge passes emitted one by one without their all-pad lane pairs (15% fewer lane
 * products, yet ~20% slower, for the same reason). The loop does 2 FMAs, 1 subtraction and 2 integer adds
 * per two limb products, which keeps the FMA ports busy: ~0.8 µs of a product is the three half-products.
 */
import { FunctionBuilder, I32, I64, V128 } from './wasm-emit.js';

export const FMA_LIMBS = 64;
export const FMA_LIMB_BITS = 48;
const MASK = (1n << 48n) - 1n;
const K = 1103717n;
/** Limbs per Karatsuba half. */
const HALF = FMA_LIMBS / 2;
/**
 * Columns per register block (two sums, hi and lo, of two columns per i64x2 lane pair). 6 measured ~20%
 * faster than 4 and 8 (CPU time, same runs): at 8, the 8 sums and 5 other vectors spill.
 */
const BLOCK = 6;
const PAD = BLOCK;
const COLS = 2 * HALF - 1;
const BLOCKS = Math.ceil(COLS / BLOCK);
const COLS_BYTES = 8 * BLOCK * BLOCKS;
/** A half-product's region: lo sums, 16 zero bytes (so that hi[−1] reads 0), hi sums. */
const HI_OFF = COLS_BYTES + 16;
const Z_BYTES = HI_OFF + COLS_BYTES;
// emitColumns reads each half-product's sums up to column 65 (all pad lanes from column 63 on: zero).
if (BLOCK * BLOCKS < 2 * HALF + 2) throw new Error('column blocks too short');
/** A half of y, zero-padded on both sides for the windows. */
const Y_BYTES = 8 * (PAD + HALF + PAD);

const f64Bits = (x: number): bigint => {
  const dv = new DataView(new ArrayBuffer(8));
  dv.setFloat64(0, x, true);
  return dv.getBigUint64(0, true);
};
const C1 = 2 ** 100;
const C2 = 2 ** 52 + 2 ** 51;
const K3 = C1 + C2;
const C1_BITS = f64Bits(C1);
const C2_BITS = f64Bits(C2);

/** Bytes of the running product region: 64 f64, and two spare ones (the length tells the kernels apart). */
export const FMA_ACC_BYTES = 8 * (FMA_LIMBS + 2);
/** Bytes of scratch the multiplier needs. */
export const FMA_SCRATCH_BYTES = 8 * HALF + 3 * Y_BYTES + 3 * Z_BYTES + 8 * 2 * FMA_LIMBS;

export interface MulLayout {
  acc: number;
  scratch: number;
}

function regions(layout: MulLayout) {
  let s = layout.scratch;
  const take = (n: number) => ((s += n), s - n);
  return {
    alo: layout.acc,
    ahi: layout.acc + 8 * HALF,
    asum: take(8 * HALF),
    blo: take(Y_BYTES),
    bhi: take(Y_BYTES),
    bsum: take(Y_BYTES),
    z0: take(Z_BYTES),
    z1: take(Z_BYTES),
    z2: take(Z_BYTES),
    wide: take(8 * 2 * FMA_LIMBS),
  };
}

/** loadElement(src): the 384 bytes at src as 48-bit f64 limbs in blo/bhi, and their sum. Reads 2 bytes past. */
export function fmaLoadElementFunction(layout: MulLayout): FunctionBuilder {
  const r = regions(layout);
  const f = new FunctionBuilder([I32]);
  for (let j = 0; j < FMA_LIMBS; j++) {
    f.i32(0);
    f.get(0).i64Load(6 * j).i64(MASK).i64And().f64ConvertI64S();
    f.f64Store((j < HALF ? r.blo : r.bhi) + 8 * (PAD + (j % HALF)));
  }
  for (let v = 0; v < Y_BYTES; v += 16) f.i32(0).i32(0).v128Load(r.blo + v).i32(0).v128Load(r.bhi + v).f64x2Add().v128Store(r.bsum + v);
  return f;
}

interface HalfLocals {
  hi: number[];
  lo: number[];
  splat: number;
  w: number;
  h: number;
  c1: number;
  k3: number;
  xp: number;
  yp: number;
  c0: number;
  iLo: number;
  iHi: number;
  xEnd: number;
  col: number;
}

function halfLocals(f: FunctionBuilder): HalfLocals {
  const l = {
    hi: Array.from({ length: BLOCK / 2 }, () => f.local(V128)),
    lo: Array.from({ length: BLOCK / 2 }, () => f.local(V128)),
    splat: f.local(V128),
    w: f.local(V128),
    h: f.local(V128),
    c1: f.local(V128),
    k3: f.local(V128),
    xp: f.local(I32),
    yp: f.local(I32),
    c0: f.local(I32),
    iLo: f.local(I32),
    iHi: f.local(I32),
    xEnd: f.local(I32),
    col: f.local(I32),
  };
  f.v128Const(f64x2Bytes(C1)).set(l.c1);
  f.v128Const(f64x2Bytes(K3)).set(l.k3);
  return l;
}

function f64x2Bytes(x: number): number[] {
  const b = new Uint8Array(new Float64Array([x, x]).buffer);
  return [...b];
}

/**
 * The lo sums of a HALF×HALF product into out[c], its hi sums (column c + 1's) into out[BLOCKS·BLOCK + c];
 * minus those of `minus` (Karatsuba's middle term). The sums start at −lanes·bits(C), so that they end
 * unbiased; a half-product's column 63 (pad lanes only) comes out 0.
 */
function emitHalfProduct(f: FunctionBuilder, l: HalfLocals, x: number, y: number, out: number, minus: number[] = []): void {
  // Per block c0 (a loop, its bounds computed at run time): x[iLo..iHi] against windows from y[c0 − i].
  f.i32(0).set(l.c0);
  f.loop();
  f.get(l.c0).i32(HALF - 1).i32Sub().i32(0).get(l.c0).i32(HALF - 1).i32GtU().select().set(l.iLo);
  f.get(l.c0).i32(BLOCK - 1).i32Add().i32(HALF - 1).get(l.c0).i32(BLOCK - 1).i32Add().i32(HALF - 1).i32LtU().select().set(l.iHi);
  const bias = (bits: bigint) => f.get(l.iHi).get(l.iLo).i32Sub().i32(1).i32Add().i64ExtendI32U().i64(BigInt.asIntN(64, -bits)).i64Mul().i64x2Splat();
  for (const sum of l.hi) bias(C1_BITS).set(sum);
  for (const sum of l.lo) bias(C2_BITS).set(sum);
  f.get(l.iLo).i32(3).i32Shl().i32(x).i32Add().set(l.xp);
  f.get(l.iHi).i32(3).i32Shl().i32(x + 8).i32Add().set(l.xEnd);
  f.get(l.c0).get(l.iLo).i32Sub().i32(3).i32Shl().i32(y + 8 * PAD).i32Add().set(l.yp);
  f.loop();
  f.get(l.xp).v128Load64Splat().set(l.splat);
  for (let q = 0; q < BLOCK / 2; q++) {
    f.get(l.yp).v128Load(16 * q).set(l.w);
    f.get(l.splat).get(l.w).get(l.c1).f64x2RelaxedMadd().tee(l.h);
    f.get(l.hi[q]!).i64x2Add().set(l.hi[q]!);
    f.get(l.splat).get(l.w).get(l.k3).get(l.h).f64x2Sub().f64x2RelaxedMadd();
    f.get(l.lo[q]!).i64x2Add().set(l.lo[q]!);
  }
  f.get(l.yp).i32(8).i32Sub().set(l.yp);
  f.get(l.xp).i32(8).i32Add().tee(l.xp).get(l.xEnd).i32LtU().brIf(0);
  f.end();
  f.get(l.c0).i32(3).i32Shl().set(l.col);
  for (let q = 0; q < BLOCK / 2; q++) {
    for (const [sum, at] of [[l.lo[q]!, 16 * q], [l.hi[q]!, HI_OFF + 16 * q]] as const) {
      f.get(l.col).get(sum);
      for (const m of minus) f.get(l.col).v128Load(m + at).i64x2Sub();
      f.v128Store(out + at);
    }
  }
  f.get(l.c0).i32(BLOCK).i32Add().tee(l.c0).i32(COLS).i32LtU().brIf(0);
  f.end();
}

/**
 * The product's 128 columns, carried into 48-bit limbs in `wide` (the last limb takes the final carry).
 * Karatsuba, one level: column k is z0[k] + z1'[k − 32] + z2[k − 64], z1' = z1 − z0 − z2 (already
 * subtracted), each z[m] being lo[m] + hi[m − 1]: first summed two columns at a time (unaligned loads for
 * the hi sums), then carried one column at a time. Column sums may be negative: the carry shift is signed.
 */
function emitColumns(f: FunctionBuilder, r: ReturnType<typeof regions>): void {
  const z = (base: number, m: number) => {
    f.i32(0).v128Load(base + 8 * m).i64x2Add();
    f.i32(0).v128Load(base + HI_OFF + 8 * (m - 1)).i64x2Add();
  };
  for (let k = 0; k < 2 * FMA_LIMBS; k += 2) {
    f.i32(0).i32x4Const(0);
    if (k < 2 * HALF) z(r.z0, k);
    else z(r.z2, k - 2 * HALF);
    if (k >= HALF && k - HALF <= 2 * HALF) z(r.z1, k - HALF);
    f.v128Store(r.wide + 8 * k);
  }
  const carry = f.local(I64);
  const t = f.local(I64);
  f.i64(0).set(carry);
  for (let k = 0; k < 2 * FMA_LIMBS; k++) {
    f.i32(0).i64Load(r.wide + 8 * k).get(carry).i64Add().set(t);
    if (k < 2 * FMA_LIMBS - 1) {
      f.i32(0).get(t).i64(MASK).i64And().i64Store(r.wide + 8 * k);
      f.get(t).i64(FMA_LIMB_BITS).i64ShrS().set(carry);
    } else f.i32(0).get(t).i64Store(r.wide + 8 * k);
  }
}

/**
 * acc ← wide mod p, lazily: the high 64 limbs times K = 2^3072 mod p added to the low ones (K·u is split,
 * u's two 24-bit halves, to stay inside i64), the carry out of limb 63 (c < 2^23) times K added to limb 0
 * without rippling. So limb 0 stays below 2^48 + 2^44 and the others below 2^48.
 */
function emitFold(f: FunctionBuilder, layout: MulLayout, r: ReturnType<typeof regions>): void {
  const carry = f.local(I64);
  const t = f.local(I64);
  const u = f.local(I64);
  const v = f.local(I64);
  const limb0 = f.local(I64);
  f.i64(0).set(carry);
  for (let j = 0; j < FMA_LIMBS; j++) {
    f.i32(0).i64Load(r.wide + 8 * (FMA_LIMBS + j)).tee(u).i64(24).i64ShrU().i64(K).i64Mul().set(v);
    f.i32(0).i64Load(r.wide + 8 * j);
    f.get(u).i64(0xffffff).i64And().i64(K).i64Mul().i64Add();
    f.get(v).i64(0xffffff).i64And().i64(24).i64Shl().i64Add();
    f.get(carry).i64Add().set(t);
    f.get(t).i64(FMA_LIMB_BITS).i64ShrU().get(v).i64(24).i64ShrU().i64Add().set(carry);
    if (j === 0) f.get(t).i64(MASK).i64And().set(limb0);
    else f.i32(0).get(t).i64(MASK).i64And().f64ConvertI64S().f64Store(layout.acc + 8 * j);
  }
  f.i32(0).get(limb0).get(carry).i64(K).i64Mul().i64Add().f64ConvertI64S().f64Store(layout.acc);
}

/** mulAcc(): acc ← acc · element (mod p, lazily reduced). */
export function fmaMulAccFunction(layout: MulLayout): FunctionBuilder {
  const r = regions(layout);
  const f = new FunctionBuilder([]);
  for (let v = 0; v < 8 * HALF; v += 16) f.i32(0).i32(0).v128Load(r.alo + v).i32(0).v128Load(r.ahi + v).f64x2Add().v128Store(r.asum + v);
  const l = halfLocals(f);
  emitHalfProduct(f, l, r.alo, r.blo, r.z0);
  emitHalfProduct(f, l, r.ahi, r.bhi, r.z2);
  emitHalfProduct(f, l, r.asum, r.bsum, r.z1, [r.z0, r.z2]);
  emitColumns(f, r);
  emitFold(f, layout, r);
  return f;
}

/** A number as 64 limbs of 48 bits in f64 (`acc` is the u32 view of the region); reduced mod p first if ≥ 2^3072. */
export function fmaNumToLimbs(x: bigint, acc: Uint32Array): void {
  if (x < 0n) throw new RangeError('negative number');
  if (x >> 3072n) x %= (1n << 3072n) - K;
  const limbs = new Float64Array(acc.buffer, acc.byteOffset, FMA_ACC_BYTES / 8);
  limbs.fill(0);
  for (let j = 0; j < FMA_LIMBS; j++) limbs[j] = Number((x >> BigInt(48 * j)) & MASK);
}

/** The number the f64 limbs stand for. */
export function fmaLimbsToNum(acc: Uint32Array): bigint {
  const limbs = new Float64Array(acc.buffer, acc.byteOffset, FMA_ACC_BYTES / 8);
  let x = 0n;
  for (let j = FMA_LIMBS - 1; j >= 0; j--) x = (x << 48n) + BigInt(limbs[j]!);
  return x;
}
