/**
 * MuHash3072, the rolling multiset hash behind `gettxoutsetinfo muhash` and coinstatsindex, byte-compatible
 * with Bitcoin Core's src/crypto/muhash.{h,cpp}. This module owns the BigInt arithmetic (numbers mod
 * p = 2^3072 − 1103717), used for single elements, finalize and the reference path, and the walk over
 * batches of serialized coin records that the worker pool runs. Where the runtime has WebAssembly SIMD the
 * walk stays inside the kernel (wasm-element.ts): elements (SHA-256, then a ChaCha20 keystream read as a
 * little-endian number) and the products (wasm-mul.ts), so no BigInt is made per coin. Elsewhere elements
 * come from muhash-element-js.ts and products from BigInt; both paths give the same numbers.
 *
 * Speed notes (Node 20, CPU time per coin on a loaded 2-core machine, so only ratios are meaningful):
 * product and fold ~3.3 µs in wasm against ~3.8 µs with BigInt (plus the GC the BigInts cause), element
 * ~0.7 µs in wasm against ~2 µs in JavaScript; the whole per-record walk ~4.2 µs against ~5.1 µs before.
 */
import { elementAtJs, sha256 } from './muhash-element-js.js';
import { createElementKernel, elementModule, INPUT_BYTES, MAX_RECORDS, type ElementKernel, type ElementModule } from './wasm-element.js';

/** Bytes in a serialized Num3072. */
export const NUM3072_BYTES = 384;
const C = 1103717n;
/** The MuHash modulus, 2^3072 − 1103717 (the largest 3072-bit safe prime). */
export const MUHASH_PRIME = (1n << 3072n) - C;

// ---------------------------------------------------------------------------------------------------------
// Modular arithmetic

/**
 * Folds x into a number ≡ x (mod p) below 2^3072 + 2^44, using 2^3072 ≡ 1103717. Not a full reduction:
 * keeping one spare bit lets the hot loop skip the compare-and-subtract.
 */
function fold(x: bigint): bigint {
  x = BigInt.asUintN(3072, x) + (x >> 3072n) * C;
  return BigInt.asUintN(3072, x) + (x >> 3072n) * C;
}

/** Fully reduces any non-negative x into [0, p). */
export function reduce(x: bigint): bigint {
  while (x >> 3072n) x = BigInt.asUintN(3072, x) + (x >> 3072n) * C;
  return x >= MUHASH_PRIME ? x - MUHASH_PRIME : x;
}

/** a·b mod p, fully reduced. */
export function mulMod(a: bigint, b: bigint): bigint {
  return reduce(a * b);
}

/**
 * a^-1 mod p by Fermat (a^(p−2)); 0 maps to 0 as in Core. Done once per finalize (~15 ms), so the simple
 * square-and-multiply is enough.
 */
export function inverse(a: bigint): bigint {
  let base = reduce(a);
  let e = MUHASH_PRIME - 2n;
  let r = 1n;
  while (e > 0n) {
    if (e & 1n) r = fold(r * base);
    base = fold(base * base);
    e >>= 1n;
  }
  return reduce(r);
}

/** Serializes as Core does: 384 bytes little-endian, of the value as stored (no reduction). */
export function numToBytes(x: bigint): Uint8Array {
  if (x < 0n || x >> 3072n) throw new RangeError('Num3072 out of range');
  const be = Buffer.from(x.toString(16).padStart(2 * NUM3072_BYTES, '0'), 'hex');
  return new Uint8Array(be.reverse());
}

/** Reads 384 bytes little-endian; values ≥ p are kept (Core reduces them lazily). */
export function bytesToNum(bytes: Uint8Array): bigint {
  if (bytes.length !== NUM3072_BYTES) throw new RangeError(`Num3072 needs ${NUM3072_BYTES} bytes`);
  return BigInt('0x' + Buffer.from(bytes).reverse().toString('hex'));
}

// ---------------------------------------------------------------------------------------------------------
// Elements

/** Which implementation generates elements: the wasm kernel unless this runtime cannot run it. */
export type ElementEngine = 'wasm' | 'js';

/** The kernel, made on first use (assembling its module takes ~60 ms of CPU); null if unusable. */
let kernel: ElementKernel | null | undefined;
/** A module compiled elsewhere (a MuHashPool worker gets its pool's), used instead of assembling one. */
let sharedModule: ElementModule | undefined;

/**
 * Makes this thread's kernel, when first needed, an instance of `module` (from wasm-element.ts's
 * elementModule() on another thread) rather than of a module assembled here. No effect once made.
 */
export function useElementModule(module: ElementModule | undefined): void {
  sharedModule = module;
}

function getKernel(): ElementKernel | null {
  if (kernel === undefined) {
    kernel = createElementKernel(sharedModule ?? elementModule()) ?? null;
    if (kernel && !kernelAgrees(kernel)) kernel = null;
  }
  return kernel;
}

/** One element through both paths: guards against a runtime that runs the kernel but differs somewhere. */
function kernelAgrees(k: ElementKernel): boolean {
  const probe = new TextEncoder().encode('chainsnap muhash kernel self-check: a string longer than one SHA-256 block');
  try {
    k.input.set(probe);
    k.table[0] = 0;
    k.table[1] = probe.length;
    return k.run(1)[0] === elementAtJs(probe, 0, probe.length);
  } catch {
    return false;
  }
}

/** The engine productOfRecords and elementToNum use by default. */
export function elementEngine(): ElementEngine {
  return getKernel() ? 'wasm' : 'js';
}

/** Core's ToNum3072: SHA-256 of the element keys a ChaCha20 stream read as a 3072-bit LE number. */
export function elementToNum(data: Uint8Array, engine: ElementEngine = elementEngine()): bigint {
  const k = engine === 'wasm' ? getKernel() : null;
  if (!k || data.length > INPUT_BYTES) return elementAtJs(data, 0, data.length);
  k.input.set(data);
  k.table[0] = 0;
  k.table[1] = data.length;
  return k.run(1)[0]!;
}

// ---------------------------------------------------------------------------------------------------------
// Coin records

/**
 * Length of the coin record at `off`: 48 fixed bytes (txid, vout, height/coinbase code, value), then a
 * CompactSize script length and the script.
 */
export function coinRecordLength(batch: Uint8Array, off: number): number {
  const p = off + 48;
  if (p >= batch.length) throw new RangeError(`truncated coin record at offset ${off}`);
  const tag = batch[p]!;
  let n: number, sz: number;
  if (tag < 253) {
    n = tag;
    sz = 1;
  } else if (tag === 253) {
    n = batch[p + 1]! | (batch[p + 2]! << 8);
    sz = 3;
  } else if (tag === 254) {
    n = (batch[p + 1]! | (batch[p + 2]! << 8) | (batch[p + 3]! << 16) | (batch[p + 4]! << 24)) >>> 0;
    sz = 5;
  } else {
    throw new RangeError(`coin record at offset ${off}: script length does not fit a record`);
  }
  const len = 48 + sz + n;
  if (off + len > batch.length) throw new RangeError(`truncated coin record at offset ${off}`);
  return len;
}

/**
 * Multiplies the element of every coin record in `batch` into the kernel's running product (k.acc), up to
 * MAX_RECORDS records (at most INPUT_BYTES of them) per kernel call; a record longer than the input area
 * has its element made in JavaScript and multiplied in as bytes.
 */
function multiplyRecordsWasm(k: ElementKernel, batch: Uint8Array): void {
  const table = k.table;
  const end = batch.length;
  let off = 0;
  while (off < end) {
    let count = 0;
    let next = off;
    while (next < end && count < MAX_RECORDS) {
      const len = coinRecordLength(batch, next);
      if (next + len - off > INPUT_BYTES) break;
      table[2 * count] = next - off;
      table[2 * count + 1] = len;
      count++;
      next += len;
    }
    if (count > 0) {
      k.input.set(batch.subarray(off, next));
      k.multiply(count);
    } else {
      const len = coinRecordLength(batch, off);
      k.multiplyBytes(numToBytes(elementAtJs(batch, off, len)));
      next = off + len;
    }
    off = next;
  }
}

/** The BigInt path: elements in JavaScript, products with V8 BigInt. */
function productOfRecordsJs(batch: Uint8Array, start: bigint): bigint {
  let acc = start;
  let n = 0;
  for (let off = 0; off < batch.length; ) {
    const len = coinRecordLength(batch, off);
    const x = acc * elementAtJs(batch, off, len);
    acc = BigInt.asUintN(3072, x) + (x >> 3072n) * C;
    // One fold per element lets acc creep up ~21 bits; a second fold every other element keeps it within
    // 49 limbs, which measured cheaper than folding twice every time.
    if (++n & 1) acc = BigInt.asUintN(3072, acc) + (acc >> 3072n) * C;
    off += len;
  }
  return reduce(acc);
}

/**
 * `start` times the product of the elements of every coin record in `batch` (whole records back to back),
 * mod p and fully reduced. Throws RangeError on a truncated record. `engine` is for tests: 'js' forces the
 * JavaScript elements and BigInt products; 'wasm' (elements and products in the kernel) is the default
 * where available (and falls back to 'js' where not).
 */
export function productOfRecords(batch: Uint8Array, start = 1n, engine: ElementEngine = elementEngine()): bigint {
  const k = engine === 'wasm' ? getKernel() : null;
  if (!k) return productOfRecordsJs(batch, start);
  k.toLimbs(reduce(start));
  multiplyRecordsWasm(k, batch);
  return reduce(k.fromLimbs());
}

/**
 * A running product of coin records' elements, what a MuHashPool worker keeps. With the kernel the number
 * stays as limbs (no BigInt between batches), swapped into the thread's kernel for each batch, so several
 * RecordProducts on one thread do not disturb each other.
 */
export class RecordProduct {
  private readonly kernel = elementEngine() === 'wasm' ? getKernel() : null;
  private readonly limbs = this.kernel ? new Uint32Array(this.kernel.acc.length) : null;
  private acc = 1n;

  constructor() {
    if (this.limbs) this.kernel!.toLimbs(1n, this.limbs);
  }

  /** Multiplies in every record of `batch`; RangeError on a truncated record (the product is then undefined). */
  add(batch: Uint8Array): void {
    const k = this.kernel;
    if (!k || !this.limbs) {
      this.acc = productOfRecordsJs(batch, this.acc);
      return;
    }
    k.acc.set(this.limbs);
    multiplyRecordsWasm(k, batch);
    this.limbs.set(k.acc);
  }

  /** The product so far, fully reduced; starts again from 1. */
  take(): bigint {
    if (!this.limbs) {
      const x = this.acc;
      this.acc = 1n;
      return x;
    }
    const x = reduce(this.kernel!.fromLimbs(this.limbs));
    this.kernel!.toLimbs(1n, this.limbs);
    return x;
  }
}

/** Number of coin records in `batch` (walks the CompactSize lengths). */
export function countRecords(batch: Uint8Array): number {
  let n = 0;
  for (let off = 0; off < batch.length; off += coinRecordLength(batch, off)) n++;
  return n;
}

// ---------------------------------------------------------------------------------------------------------

/**
 * Core's MuHash3072: a numerator (inserted elements) and a denominator (removed ones), combined only at
 * finalize so that removals cost one multiplication each instead of an inversion.
 */
export class MuHash3072 {
  /** Both kept below 2^3072 but not necessarily below p, like Core's Num3072. */
  numerator = 1n;
  denominator = 1n;

  /** With `data`, the set holding just that element (Core's MuHash3072(Span) constructor). */
  constructor(data?: Uint8Array) {
    if (data) this.numerator = elementToNum(data);
  }

  insert(data: Uint8Array): this {
    this.numerator = mulMod(this.numerator, elementToNum(data));
    return this;
  }

  remove(data: Uint8Array): this {
    this.denominator = mulMod(this.denominator, elementToNum(data));
    return this;
  }

  /** Multiplies in a product of inserted elements computed elsewhere (e.g. by productOfRecords). */
  insertProduct(product: bigint): this {
    this.numerator = mulMod(this.numerator, product);
    return this;
  }

  /** Multiset union: `*=` in Core. */
  combine(other: MuHash3072): this {
    this.numerator = mulMod(this.numerator, other.numerator);
    this.denominator = mulMod(this.denominator, other.denominator);
    return this;
  }

  /** Multiset difference: `/=` in Core. */
  divide(other: MuHash3072): this {
    this.numerator = mulMod(this.numerator, other.denominator);
    this.denominator = mulMod(this.denominator, other.numerator);
    return this;
  }

  /** The 32-byte hash in internal byte order; does not change the state. */
  finalize(): Uint8Array {
    const value = mulMod(this.numerator, inverse(this.denominator));
    return sha256(numToBytes(value));
  }

  /** Core's serialization: numerator ‖ denominator, 384 bytes little-endian each. */
  serialize(): Uint8Array {
    const out = new Uint8Array(2 * NUM3072_BYTES);
    out.set(numToBytes(this.numerator), 0);
    out.set(numToBytes(this.denominator), NUM3072_BYTES);
    return out;
  }

  static deserialize(bytes: Uint8Array): MuHash3072 {
    if (bytes.length !== 2 * NUM3072_BYTES) throw new RangeError(`MuHash3072 needs ${2 * NUM3072_BYTES} bytes`);
    const m = new MuHash3072();
    m.numerator = bytesToNum(bytes.subarray(0, NUM3072_BYTES));
    m.denominator = bytesToNum(bytes.subarray(NUM3072_BYTES));
    return m;
  }

  clone(): MuHash3072 {
    const m = new MuHash3072();
    m.numerator = this.numerator;
    m.denominator = this.denominator;
    return m;
  }
}
