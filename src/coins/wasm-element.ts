/**
 * The MuHash kernel in WebAssembly: for a table of byte strings (coin records), SHA-256 of each, then six
 * ChaCha20 blocks keyed by the digest, which are the 384 little-endian bytes of the element's 3072-bit
 * number (Core's ToNum3072); then, for `multiply`, those numbers multiplied into a running product held in
 * the same memory (wasm-mul-fma.ts where relaxed SIMD's FMA works, else wasm-mul.ts), or, for `run`, handed
 * to JavaScript as BigInts (single elements).
 *
 * Why: in JavaScript that work plus turning the bytes into a BigInt costs ~2 µs per element against
 * ~2.7 µs for the BigInt product that follows; here it is ~0.7 µs. Records go four at a time: SHA-256 runs
 * the four messages in i32x4 lanes (wasm-sha256.ts), ChaCha20 their 24 blocks four per pass
 * (wasm-chacha.ts). The numbers reach JavaScript without any text: the kernel writes its output in V8's
 * structured-clone format (a dense array of BigInts, whose digits are stored raw and little-endian), so one
 * `v8.deserialize` call yields all the BigInts of a run at ~0.1 µs each, where `BigInt('0x…')` of 768 hex
 * digits costs ~0.6 µs. `createElementKernel()` returns undefined where WebAssembly or its SIMD is
 * unavailable, and muhash.ts checks one result against the JavaScript path (muhash-element-js.ts), which it
 * falls back to otherwise.
 *
 * The module is assembled by wasm-emit.ts at load time. Memory layout (an instance per thread):
 *   STATE, KEYS, LANES, PADS  SHA-256 state, ChaCha20 keys, per-lane bookkeeping, padded tails of a group
 *   TABLE  per record: u32 offset into INPUT, u32 length
 *   INPUT  the records' bytes, copied in by the caller
 *   OUT    the serialized array: header, per record 'Z' + length + the 384 bytes, trailer
 *   ACC, SCRATCH  the running product and the multiplier's working space (its size depends on the multiplier)
 *   OPERAND  a number to multiply by, put there by multiplyBytes
 */
import v8 from 'node:v8';
import { chacha4Function } from './wasm-chacha.js';
import { emitModule, FunctionBuilder, I32 } from './wasm-emit.js';
import { fmaLimbsToNum, fmaLoadElementFunction, fmaMulAccFunction, fmaNumToLimbs, FMA_ACC_BYTES, FMA_SCRATCH_BYTES } from './wasm-mul-fma.js';
import { limbsToNum, loadElementFunction, mulAccFunction, MUL_ACC_BYTES, MUL_SCRATCH_BYTES, numToLimbs } from './wasm-mul.js';
import { sha256x4BlockFunction, sha256x4KeysFunction, sha256x4LaneFunction } from './wasm-sha256.js';

/**
 * Records per `run` call: a multiple of 4 (the kernel works on groups of four) below 128 (so that the count
 * is a one-byte varint in the serialized array).
 */
export const MAX_RECORDS = 64;
/** Bytes of record data per `run` call; longer records must take the JavaScript path. */
export const INPUT_BYTES = 64 * 1024;

const STATE = 0;
const KEYS = 128;
const LANES = 256;
const PADS = 320;
const TABLE = PADS + 4 * 128;
const INPUT = TABLE + 8 * MAX_RECORDS;
const OUT = INPUT + INPUT_BYTES;

// V8 ValueSerializer format (version 15, the one Node 20 writes; readers accept older versions too):
// 0xff 0x0f, 'A' count — a dense array —, per element 'Z' then varint (byte length << 1 | sign) and the
// digits, then '$' 0 count (no extra properties, length).
const HEADER = [0xff, 0x0f, 0x41];
const BIGINT_PREFIX = [0x5a, 0x80, 0x06]; // 'Z', varint 768 = 384 bytes << 1, positive
const NUM_BYTES = 384;
const ITEM_BYTES = BIGINT_PREFIX.length + NUM_BYTES;
/** Record i's 384 bytes. */
const itemDigits = (i: number) => OUT + HEADER.length + 1 + i * ITEM_BYTES + BIGINT_PREFIX.length;
// The multiplier's regions, after the output (whose last element is read 4 bytes past its end).
const ACC = (itemDigits(MAX_RECORDS) + 15) & ~15;

/**
 * The two multipliers: 'fma' (wasm-mul-fma.ts, f64 FMA of relaxed SIMD, ~2x faster) where the runtime has
 * relaxed SIMD and the CPU fuses the multiply-add, else 'extmul' (wasm-mul.ts, i64x2.extmul). Each has its own
 * limb format, which a kernel's toLimbs/fromLimbs use.
 */
export type MultiplierName = 'fma' | 'extmul';
const MULTIPLIERS = {
  extmul: { code: 0, accBytes: MUL_ACC_BYTES, scratchBytes: MUL_SCRATCH_BYTES, load: loadElementFunction, mulAcc: mulAccFunction, toLimbs: numToLimbs, fromLimbs: limbsToNum },
  fma: { code: 1, accBytes: FMA_ACC_BYTES, scratchBytes: FMA_SCRATCH_BYTES, load: fmaLoadElementFunction, mulAcc: fmaMulAccFunction, toLimbs: fmaNumToLimbs, fromLimbs: fmaLimbsToNum },
} as const;

function layoutOf(name: MultiplierName) {
  const m = MULTIPLIERS[name];
  const scratch = ACC + m.accBytes;
  /** 384 bytes (and 4 spare) where tests put a number to multiply by. */
  const operand = scratch + m.scratchBytes;
  return { acc: ACC, scratch, operand, pages: Math.ceil((operand + NUM_BYTES + 4) / 65536) };
}

// Function indices.
const SHA4_BLOCK = 0;
const SHA4_LANE = 1;
const SHA4_KEYS = 2;
const CHACHA4 = 3;
const LOAD_ELEMENT = 5;
const MUL_ACC = 6;

/**
 * run(n): the elements of table entries 0..n−1 into array items 0..n−1, four at a time (n is a multiple
 * of 4): SHA-256 of the four into the key table, then their 24 ChaCha20 blocks.
 */
function run(): FunctionBuilder {
  const f = new FunctionBuilder([I32]);
  const n = 0;
  const i = f.local();
  const item = f.local();
  f.block().loop();
  f.get(i).get(n).i32GeU().brIf(1);
  for (let r = 0; r < 4; r++) {
    f.get(i).i32(3).i32Shl().i32Load(TABLE + 8 * r).i32(INPUT).i32Add();
    f.get(i).i32(3).i32Shl().i32Load(TABLE + 8 * r + 4);
    f.i32(r).call(SHA4_LANE);
  }
  f.call(SHA4_KEYS);
  f.get(i).i32(ITEM_BYTES).i32Mul().i32(itemDigits(0) - BIGINT_PREFIX.length).i32Add().set(item);
  f.get(item).i32(BIGINT_PREFIX.length).i32Add().call(CHACHA4);
  // The items' BigInt prefixes (a previous, shorter run may have put its trailer on one).
  for (let r = 0; r < 4; r++) BIGINT_PREFIX.forEach((byte, k) => f.get(item).i32(byte).i32Store8(r * ITEM_BYTES + k));
  f.get(i).i32(4).i32Add().set(i);
  f.br(0).end().end();
  return f;
}

/** mulItems(n): acc ← acc · (elements 0..n−1 of the last run). */
function mulItems(): FunctionBuilder {
  const f = new FunctionBuilder([I32]);
  const n = 0;
  const i = f.local();
  f.block().loop();
  f.get(i).get(n).i32GeU().brIf(1);
  f.get(i).i32(ITEM_BYTES).i32Mul().i32(itemDigits(0)).i32Add().call(LOAD_ELEMENT).call(MUL_ACC);
  f.get(i).i32(1).i32Add().set(i);
  f.br(0).end().end();
  return f;
}

/** multiplier(): which multiplier the module holds (MULTIPLIERS[…].code), so a posted module can be told apart. */
function multiplierCode(code: number): FunctionBuilder {
  return new FunctionBuilder([], [I32]).i32(code);
}

/** The module's bytes, with the given multiplier; built once, instantiated per thread. */
export function elementModuleBytes(multiplier: MultiplierName = 'extmul'): Uint8Array {
  const sha = { state: STATE, pads: PADS, lanes: LANES, keys: KEYS, block: SHA4_BLOCK };
  const layout = layoutOf(multiplier);
  const mul = { acc: layout.acc, scratch: layout.scratch };
  const m = MULTIPLIERS[multiplier];
  return emitModule({
    memoryPages: layout.pages,
    functions: [
      { fn: sha256x4BlockFunction(STATE) },
      { fn: sha256x4LaneFunction(sha) },
      { fn: sha256x4KeysFunction(sha) },
      { fn: chacha4Function({ keys: KEYS, stride: ITEM_BYTES }) },
      { fn: run(), export: 'run' },
      { fn: m.load(mul), export: 'loadElement' },
      { fn: m.mulAcc(mul), export: 'mulAcc' },
      { fn: mulItems(), export: 'mulItems' },
      { fn: multiplierCode(m.code), export: 'multiplier' },
    ],
  });
}

export interface ElementKernel {
  /** Where the caller copies the records' bytes (INPUT_BYTES long). */
  readonly input: Uint8Array;
  /** Entry i: [2i] = offset of record i in `input`, [2i + 1] = its length. */
  readonly table: Uint32Array;
  /** The elements of table entries 0..n−1 (n ≤ MAX_RECORDS), as numbers below 2^3072. */
  run(n: number): bigint[];
  /**
   * The running product kept in wasm memory in the multiplier's limbs (set and read with toLimbs and
   * fromLimbs); set it to 1 (or any start) before multiplying.
   */
  readonly acc: Uint32Array;
  /** `x` (below 2^3080; the fma limbs take it mod p) as this kernel's limbs, into `acc` or an array of its length. */
  toLimbs(x: bigint, into?: Uint32Array): void;
  /** The number this kernel's limbs (`acc` or a copy) stand for, not fully reduced. */
  fromLimbs(limbs?: Uint32Array): bigint;
  /** acc ← acc · the elements of table entries 0..n−1 (n ≤ MAX_RECORDS), with no BigInt in between. */
  multiply(n: number): void;
  /** acc ← acc · x, for x given as 384 little-endian bytes (tests, and numbers from elsewhere). */
  multiplyBytes(x: Uint8Array): void;
}

/** The part of the WebAssembly JS API used here (the project's lib settings carry no wasm typings). */
interface WasmApi {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object) => { exports: Record<string, unknown> };
  validate(bytes: Uint8Array): boolean;
}

/** A compiled kernel module (a WebAssembly.Module), which can be posted to worker threads. */
export type ElementModule = object;

const compiled = new Map<MultiplierName, ElementModule | null>();
let chosen: ElementModule | null | undefined;

/** p = 2^3072 − 1103717, for the self-test. */
const P = (1n << 3072n) - 1103717n;

/**
 * Whether a kernel of `module` multiplies correctly: a few products against BigInt, among them ones whose
 * limb products need every bit of an exact FMA (a multiply then an add, V8's code where the CPU has no FMA,
 * loses their low bits).
 */
function multipliesCorrectly(module: ElementModule): boolean {
  const k = createElementKernel(module);
  if (!k) return false;
  let want = P - 1n;
  k.toLimbs(want);
  let seed = 0x9e3779b9;
  for (let i = 0; i < 4; i++) {
    // Three fixed pseudo-random numbers below 2^3072, then the all-ones one.
    const bytes = new Uint8Array(NUM_BYTES).map(() => (i < 3 ? (seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0) >>> 24 : 0xff));
    k.multiplyBytes(bytes);
    want = (want * BigInt('0x' + Buffer.from(bytes).reverse().toString('hex'))) % P;
  }
  return k.fromLimbs() % P === want;
}

/**
 * The kernel's module with the given multiplier, assembled and compiled once per thread; undefined if this
 * runtime lacks WebAssembly or the instructions it needs, or (fma) its products come out wrong. For 'fma'
 * this switches on V8's relaxed SIMD (--experimental-wasm-relaxed-simd, Node 20) if the module does not
 * validate without it; the flag is process-wide and affects nothing else here.
 */
export function elementModuleFor(multiplier: MultiplierName): ElementModule | undefined {
  if (!compiled.has(multiplier)) {
    const wasm = (globalThis as { WebAssembly?: WasmApi }).WebAssembly;
    let module: ElementModule | null = null;
    try {
      if (wasm) {
        const bytes = elementModuleBytes(multiplier);
        if (multiplier === 'fma' && !wasm.validate(bytes)) v8.setFlagsFromString('--experimental-wasm-relaxed-simd');
        module = new wasm.Module(bytes);
        if (multiplier === 'fma' && !multipliesCorrectly(module)) module = null;
      }
    } catch {
      module = null; // e.g. SIMD disabled: the module fails validation
    }
    compiled.set(multiplier, module);
  }
  return compiled.get(multiplier) ?? undefined;
}

/**
 * The kernel's module: the fma multiplier where it works, else extmul (CHAINSNAP_MUHASH_KERNEL=extmul forces
 * extmul); undefined if this runtime lacks WebAssembly or its SIMD instructions. Posting it to a worker (e.g.
 * in workerData) and passing it to createElementKernel there saves the worker assembling it again, and V8
 * then shares the optimised code.
 */
export function elementModule(): ElementModule | undefined {
  if (chosen === undefined) {
    const forced = process.env.CHAINSNAP_MUHASH_KERNEL === 'extmul';
    chosen = (forced ? undefined : elementModuleFor('fma')) ?? elementModuleFor('extmul') ?? null;
  }
  return chosen ?? undefined;
}

/** Which multiplier a kernel module holds. */
export function multiplierOf(module: ElementModule): MultiplierName {
  const wasm = (globalThis as { WebAssembly?: WasmApi }).WebAssembly!;
  const code = (new wasm.Instance(module).exports.multiplier as () => number)();
  return code === MULTIPLIERS.fma.code ? 'fma' : 'extmul';
}

/**
 * A fresh kernel instance (of `module`, else of this thread's elementModule()), or undefined if this
 * runtime lacks WebAssembly or its SIMD instructions. The caller should still compare one result with the
 * JavaScript path before relying on it (a V8 that read the serialized BigInts differently would show there).
 */
export function createElementKernel(module: ElementModule | undefined = elementModule()): ElementKernel | undefined {
  const wasm = (globalThis as { WebAssembly?: WasmApi }).WebAssembly;
  if (!wasm || !module) return undefined;
  let exports: Record<string, unknown>;
  try {
    exports = new wasm.Instance(module).exports;
  } catch {
    return undefined;
  }
  const multiplier = MULTIPLIERS[(exports.multiplier as () => number)() === MULTIPLIERS.fma.code ? 'fma' : 'extmul'];
  const layout = layoutOf(multiplier === MULTIPLIERS.fma ? 'fma' : 'extmul');
  const OPERAND = layout.operand;
  const buffer = (exports.memory as { buffer: ArrayBuffer }).buffer;
  const memory = new Uint8Array(buffer);
  memory.set(HEADER, OUT);
  const runWasm = exports.run as (n: number) => void;
  const mulItemsWasm = exports.mulItems as (n: number) => void;
  const loadElement = exports.loadElement as (src: number) => void;
  const mulAcc = exports.mulAcc as () => void;
  const table = new Uint32Array(buffer, TABLE, 2 * MAX_RECORDS);
  const pad = (n: number) => {
    if (n < 0 || n > MAX_RECORDS) throw new RangeError(`run: ${n} records`);
    // Whole groups of four: pad with empty strings, whose items are never read.
    const padded = (n + 3) & ~3;
    for (let i = n; i < padded; i++) table[2 * i] = table[2 * i + 1] = 0;
    return padded;
  };
  const acc = new Uint32Array(buffer, layout.acc, (layout.scratch - layout.acc) / 4);
  return {
    input: new Uint8Array(buffer, INPUT, INPUT_BYTES),
    table,
    acc,
    toLimbs: (x, into = acc) => multiplier.toLimbs(x, into),
    fromLimbs: (limbs = acc) => multiplier.fromLimbs(limbs),
    multiply(n: number): void {
      runWasm(pad(n));
      mulItemsWasm(n);
    },
    multiplyBytes(x: Uint8Array): void {
      if (x.length !== NUM_BYTES) throw new RangeError(`multiplyBytes needs ${NUM_BYTES} bytes`);
      memory.set(x, OPERAND);
      loadElement(OPERAND);
      mulAcc();
    },
    run(n: number): bigint[] {
      // The trailer below cuts off the padding's items.
      runWasm(pad(n));
      memory[OUT + HEADER.length] = n;
      const end = itemDigits(n) - BIGINT_PREFIX.length;
      memory[end] = 0x24; // '$'
      memory[end + 1] = 0;
      memory[end + 2] = n;
      return v8.deserialize(memory.subarray(OUT, end + 3)) as bigint[];
    },
  };
}
