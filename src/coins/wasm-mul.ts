/**
 * Multiplication mod p = 2^3072 − 1103717 in WebAssembly, for the MuHash kernel (wasm-element.ts): the
 * running product stays in wasm memory and each element is multiplied in where the element kernel wrote it,
 * so no number becomes a BigInt per coin. This is the fallback multiplier, for runtimes without relaxed SIMD
 * or CPUs without FMA (wasm-mul-fma.ts is ~2x faster), which has limbs of its own.
 *
 * Numbers are 110 limbs of 28 bits (3080 bits). Wasm has no 64×64→128 multiply, so limb products are
 * u32×u32→u64 (i64x2.extmul, two per instruction); 28-bit limbs keep a whole column of 110 products below
 * 2^63, so columns are summed without carry handling. One Karatsuba level; each half-product is scanned by
 * operand in register-held blocks of columns (emitHalfProduct). Reduction uses 2^3080 ≡ 256·1103717 (mod p),
 * which is limb-aligned: the high 110 limbs times that constant are added to the low ones, then the small
 * carry out once more.
 *
 * The running product is kept lazily reduced, as muhash.ts does with BigInt: A ≡ the product (mod p), limbs
 * 0–108 below 2^28, limb 109 slightly above (it takes the last carry), so A < 2^3081. Reading it back
 * (limbsToNum) and reducing gives the exact value.
 *
 * Measured and dropped (CPU time, same runs): a second Karatsuba level on 28-limb quarters (~10% slower:
 * the extra sums and block edges cost more than the 22% fewer products); f64x2 limb products (22-bit limbs)
 * and i32x4.dot_i16x8_s (12-bit limbs) in the same loop, slower per bit² than extmul. V8 lowers each extmul
 * to two lane unpacks and one multiply, and the unpacks are what bounds the loop.
 */
import { FunctionBuilder, I32, I64, V128 } from './wasm-emit.js';

export const LIMBS = 110;
export const LIMB_BITS = 28;
const MASK = (1 << LIMB_BITS) - 1;
/** 2^3080 mod p. */
const K = 256 * 1103717;
/** Limbs per Karatsuba half. */
const HALF = LIMBS / 2;
/** A half-number region of the running product: 64 u32, limbs 0..54 then zeros. */
const HALF_BYTES = 4 * 64;
/**
 * Columns of a half-product computed together, their sums held in registers (see emitHalfProduct). 12
 * does less work at the blocks' edges than 16 and measured alike or up to 3% faster (loaded machine, same
 * runs); 20 is ~10% slower (registers spill).
 */
const BLOCK = 12;
/** Column blocks of one half-product (2·55 − 1 columns). */
const BLOCKS = Math.ceil((2 * HALF - 1) / BLOCK);
/**
 * An element half, in order, with Y_PAD zero limbs before it and zeros after: the sliding windows of
 * emitHalfProduct read from limb −BLOCK to limb HALF + BLOCK − 2 at most.
 */
const Y_PAD = BLOCK;
const Y_BYTES = 16 * Math.ceil((Y_PAD + HALF + BLOCK - 1) / 4);
/** One half-product's column sums, as i64, whole blocks. */
const COLUMNS_BYTES = 8 * BLOCK * BLOCKS;

/**
 * Where limb j of the running product lives in `acc`: the low half in u32 0..54, the high half in 64..118,
 * each followed by zeros, so each half can be read as a padded 55-limb number.
 */
export const accSlot = (j: number): number => (j < HALF ? j : j + 64 - HALF);

export interface MulLayout {
  /** The running product, 128 u32 (see accSlot), 16-byte aligned; the JavaScript side reads and sets it. */
  acc: number;
  /** Scratch, 16-byte aligned, MUL_SCRATCH_BYTES long. */
  scratch: number;
}

/** Bytes of scratch the multiplier needs. */
export const MUL_SCRATCH_BYTES = HALF_BYTES + 3 * Y_BYTES + 3 * COLUMNS_BYTES + 4 * 224;
/** Bytes of the running product region. */
export const MUL_ACC_BYTES = 2 * HALF_BYTES;

function regions(layout: MulLayout) {
  const s = layout.scratch;
  return {
    alo: layout.acc,
    ahi: layout.acc + HALF_BYTES,
    asum: s,
    blo: s + HALF_BYTES,
    bhi: s + HALF_BYTES + Y_BYTES,
    bsum: s + HALF_BYTES + 2 * Y_BYTES,
    z0: s + HALF_BYTES + 3 * Y_BYTES,
    z1: s + HALF_BYTES + 3 * Y_BYTES + COLUMNS_BYTES,
    z2: s + HALF_BYTES + 3 * Y_BYTES + 2 * COLUMNS_BYTES,
    wide: s + HALF_BYTES + 3 * Y_BYTES + 3 * COLUMNS_BYTES,
  };
}

/**
 * loadElement(src): the 384 little-endian bytes at src (a number below 2^3072) as the element's halves
 * (padded, see Y_PAD) and their sum. Reads up to 4 bytes past the end (masked off).
 */
export function loadElementFunction(layout: MulLayout): FunctionBuilder {
  const r = regions(layout);
  const f = new FunctionBuilder([I32]);
  const src = 0;
  for (let j = 0; j < LIMBS; j++) {
    const bit = LIMB_BITS * j;
    const bits = j === LIMBS - 1 ? 3072 - bit : LIMB_BITS;
    f.i32(0);
    f.get(src).i64Load(bit >> 3).i64(bit & 7).i64ShrU().i32WrapI64().i32(2 ** bits - 1).i32And();
    f.i32Store((j < HALF ? r.blo : r.bhi) + 4 * (Y_PAD + (j % HALF)));
  }
  // The pads are zero in both halves, so the whole regions add.
  for (let v = 0; v < Y_BYTES; v += 16) f.i32(0).i32(0).v128Load(r.blo + v).i32(0).v128Load(r.bhi + v).i32x4Add().v128Store(r.bsum + v);
  return f;
}

/** The locals of emitHalfProduct, shared by its three uses in one function. */
interface HalfLocals {
  sums: number[];
  windows: number[];
  splat: number;
  xp: number;
  yp: number;
}

function halfLocals(f: FunctionBuilder): HalfLocals {
  return {
    sums: Array.from({ length: BLOCK / 2 }, () => f.local(V128)),
    windows: Array.from({ length: BLOCK / 4 }, () => f.local(V128)),
    splat: f.local(V128),
    xp: f.local(I32),
    yp: f.local(I32),
  };
}

/** i8x16.shuffle lanes taking lane 3 of the first operand, then lanes 0–2 of the second. */
const SLIDE = Array.from({ length: 16 }, (_, k) => 12 + k);

/**
 * The column sums of a 55×55-limb product (x in order, y padded) as i64 into `out`. The product is
 * scanned by operand in blocks of BLOCK columns held in i64x2 registers: for each limb x[i], its splat
 * times the window y[c0−i .. c0−i+BLOCK−1] adds to columns c0.. of the block. Moving to x[i+1] slides the
 * window down one limb: lane shuffles and one load. The loop over i is a real loop, not unrolled: fully
 * unrolled, the multiplier was ~100 KB of machine code and ran at the speed of instruction fetch.
 * Column k sums x[i]·y[k−i], 55 products below 2^58 (below 2^64 also for the sums' halves).
 */
function emitHalfProduct(f: FunctionBuilder, l: HalfLocals, x: number, y: number, out: number, minus: number[] = []): void {
  const yAt = (j: number) => y + 4 * (Y_PAD + j);
  const { sums, windows, splat, xp, yp } = l;
  for (let c0 = 0; c0 < 2 * HALF - 1; c0 += BLOCK) {
    const iLo = Math.max(0, c0 - (HALF - 1));
    const iHi = Math.min(HALF - 1, c0 + BLOCK - 1);
    for (const sum of sums) f.i32x4Const(0).set(sum);
    windows.forEach((w, q) => f.i32(0).v128Load(yAt(c0 - iLo + 4 * q)).set(w));
    f.i32(x + 4 * iLo).set(xp);
    f.i32(yAt(c0 - iLo - 1)).set(yp);
    f.loop();
    f.get(xp).v128Load32Splat().set(splat);
    windows.forEach((w, q) => {
      f.get(splat).get(w).i64x2ExtmulLowI32x4U().get(sums[2 * q]!).i64x2Add().set(sums[2 * q]!);
      f.get(splat).get(w).i64x2ExtmulHighI32x4U().get(sums[2 * q + 1]!).i64x2Add().set(sums[2 * q + 1]!);
    });
    // The window for x[i+1] (on the last pass, one limb of the zero pad is read in vain).
    for (let q = windows.length - 1; q >= 1; q--) f.get(windows[q - 1]!).get(windows[q]!).i8x16Shuffle(SLIDE).set(windows[q]!);
    f.get(yp).v128Load().set(windows[0]!);
    f.get(yp).i32(4).i32Sub().set(yp);
    f.get(xp).i32(4).i32Add().tee(xp).i32(x + 4 * (iHi + 1)).i32LtU().brIf(0);
    f.end();
    sums.forEach((sum, t) => {
      f.i32(0).get(sum);
      for (const m of minus) f.i32(0).v128Load(m + 8 * (c0 + 2 * t)).i64x2Sub();
      f.v128Store(out + 8 * (c0 + 2 * t));
    });
  }
}

/**
 * Karatsuba, one level: with z0 = lo·lo, z2 = hi·hi and z1 = (lo+lo')(hi+hi') column by column, column k of
 * the product is z0[k] + (z1 − z0 − z2)[k − 55] + z2[k − 110]. Each term is a sum of products of limbs, so
 * the differences are exact and the total stays below 2^64 (limbs below 2^28, sums below 2^29); z0 and z2
 * are subtracted as z1's column blocks are stored, two columns per instruction. The columns become 28-bit
 * limbs in `wide` as they complete.
 */
function emitProduct(f: FunctionBuilder, layout: MulLayout): void {
  const r = regions(layout);
  for (let v = 0; v < HALF_BYTES; v += 16) f.i32(0).i32(0).v128Load(r.alo + v).i32(0).v128Load(r.ahi + v).i32x4Add().v128Store(r.asum + v);
  const l = halfLocals(f);
  emitHalfProduct(f, l, r.alo, r.blo, r.z0);
  emitHalfProduct(f, l, r.ahi, r.bhi, r.z2);
  emitHalfProduct(f, l, r.asum, r.bsum, r.z1, [r.z0, r.z2]);
  const carry = f.local(I64);
  const t = f.local(I64);
  const z = (base: number, k: number) => f.i32(0).i64Load(base + 8 * k);
  f.i64(0).set(carry);
  for (let k = 0; k < 2 * LIMBS - 1; k++) {
    f.get(carry);
    if (k < 2 * HALF - 1) z(r.z0, k).i64Add();
    const m = k - HALF;
    if (m >= 0 && m < 2 * HALF - 1) z(r.z1, m).i64Add();
    if (k >= 2 * HALF && k - 2 * HALF < 2 * HALF - 1) z(r.z2, k - 2 * HALF).i64Add();
    f.set(t);
    f.i32(0).get(t).i32WrapI64().i32(MASK).i32And().i32Store(r.wide + 4 * k);
    f.get(t).i64(LIMB_BITS).i64ShrU().set(carry);
  }
  // The product is below 2^6162, so the carry out of the last column fits the last limb.
  f.i32(0).get(carry).i32WrapI64().i32Store(r.wide + 4 * (2 * LIMBS - 1));
}

/** acc ← wide folded by 2^3080 ≡ K, twice, limb 109 taking the last carry unmasked. */
function emitFold(f: FunctionBuilder, layout: MulLayout): void {
  const r = regions(layout);
  const acc = (j: number) => layout.acc + 4 * accSlot(j);
  const carry = f.local(I64);
  const t = f.local(I64);
  const wide = (j: number) => f.i32(0).i64Load32U(r.wide + 4 * j);
  f.i64(0).set(carry);
  for (let j = 0; j < LIMBS; j++) {
    wide(j);
    wide(LIMBS + j).i64(K).i64Mul().i64Add().get(carry).i64Add().set(t);
    f.i32(0).get(t).i32WrapI64().i32(MASK).i32And().i32Store(acc(j));
    f.get(t).i64(LIMB_BITS).i64ShrU().set(carry);
  }
  // carry < 2^30: once more, 2^3080·carry ≡ K·carry, added at limb 0 and rippled up.
  f.i32(0).i64Load32U(acc(0)).get(carry).i64(K).i64Mul().i64Add().set(t);
  for (let j = 0; j < LIMBS - 1; j++) {
    f.i32(0).get(t).i32WrapI64().i32(MASK).i32And().i32Store(acc(j));
    f.i32(0).i64Load32U(acc(j + 1)).get(t).i64(LIMB_BITS).i64ShrU().i64Add().set(t);
  }
  f.i32(0).get(t).i32WrapI64().i32Store(acc(LIMBS - 1));
}

/** mulAcc(): acc ← acc · element (mod p, lazily reduced). */
export function mulAccFunction(layout: MulLayout): FunctionBuilder {
  const f = new FunctionBuilder([]);
  emitProduct(f, layout);
  emitFold(f, layout);
  return f;
}

/** A number below 2^3080 as 110 limbs in the layout of `acc` (accSlot). */
export function numToLimbs(x: bigint, acc: Uint32Array): void {
  if (x < 0n || x >> BigInt(LIMBS * LIMB_BITS)) throw new RangeError('number does not fit 110 limbs');
  acc.fill(0);
  for (let j = 0; j < LIMBS; j++) acc[accSlot(j)] = Number(BigInt.asUintN(LIMB_BITS, x >> BigInt(LIMB_BITS * j)));
}

/** The number the limbs in `acc` stand for (limb 109 may exceed 28 bits). */
export function limbsToNum(acc: Uint32Array): bigint {
  let x = 0n;
  for (let j = LIMBS - 1; j >= 0; j--) x = (x << BigInt(LIMB_BITS)) + BigInt(acc[accSlot(j)]!);
  return x;
}
