/**
 * A minimal WebAssembly binary emitter: just enough to assemble the MuHash kernel (wasm-element.ts,
 * wasm-mul.ts) from TypeScript at module load, since no wasm toolchain is available at build time and
 * nothing may be fetched at run time. It knows the handful of opcodes the kernel uses, one function type per
 * function, one own memory and exports; nothing more. The opcode numbers are those of the WebAssembly 2.0
 * binary format (core, bulk memory and fixed-width SIMD); the engine's validator checks every module built.
 */

export const I32 = 0x7f;
export const I64 = 0x7e;
export const V128 = 0x7b;
type ValType = typeof I32 | typeof I64 | typeof V128;

function uleb(out: number[], v: number): void {
  do {
    const b = v & 0x7f;
    v >>>= 7;
    out.push(v ? b | 0x80 : b);
  } while (v);
}

/** Signed LEB128 of an i64 immediate. */
function sleb64(out: number[], v: bigint): void {
  v = BigInt.asIntN(64, v);
  for (;;) {
    const b = Number(v & 0x7fn);
    v >>= 7n;
    if ((v === 0n && !(b & 0x40)) || (v === -1n && b & 0x40)) return void out.push(b);
    out.push(b | 0x80);
  }
}

function sleb(out: number[], v: number): void {
  v |= 0; // i32 immediates are signed; 0xffffffff and -1 are the same constant
  for (;;) {
    const b = v & 0x7f;
    v >>= 7;
    if ((v === 0 && !(b & 0x40)) || (v === -1 && b & 0x40)) return void out.push(b);
    out.push(b | 0x80);
  }
}

/**
 * The body of one function, built by chaining stack-machine instructions, e.g.
 * `f.get(a).get(b).i32x4Add().set(a)`. Locals are numbered after the parameters in allocation order.
 */
export class FunctionBuilder {
  readonly code: number[] = [];
  private readonly localTypes: ValType[] = [];

  constructor(
    readonly params: readonly ValType[],
    readonly results: readonly ValType[] = [],
  ) {}

  /** A new local of the given type; returns its index. */
  local(type: ValType = I32): number {
    this.localTypes.push(type);
    return this.params.length + this.localTypes.length - 1;
  }

  /** Local declarations, run-length encoded as the format wants. */
  encodeLocals(out: number[]): void {
    const groups: Array<[number, ValType]> = [];
    for (const t of this.localTypes) {
      const last = groups[groups.length - 1];
      if (last && last[1] === t) last[0]++;
      else groups.push([1, t]);
    }
    uleb(out, groups.length);
    for (const [n, t] of groups) {
      uleb(out, n);
      out.push(t);
    }
  }

  private op(...bytes: number[]): this {
    for (const b of bytes) this.code.push(b);
    return this;
  }

  private imm(v: number): this {
    uleb(this.code, v);
    return this;
  }

  /** A SIMD instruction: 0xfd prefix and the opcode as a LEB128 u32. */
  private simd(opcode: number): this {
    this.code.push(0xfd);
    return this.imm(opcode);
  }

  /** memarg: alignment exponent, then a constant address offset. */
  private mem(align: number, offset: number): this {
    return this.imm(align).imm(offset);
  }

  // Control. Blocks and loops take no parameters and yield nothing (block type 0x40).
  block(): this { return this.op(0x02, 0x40); }
  loop(): this { return this.op(0x03, 0x40); }
  end(): this { return this.op(0x0b); }
  /** Branch to the enclosing label `depth` levels out (0 = innermost); a loop label jumps to its start. */
  br(depth: number): this { return this.op(0x0c).imm(depth); }
  brIf(depth: number): this { return this.op(0x0d).imm(depth); }
  call(func: number): this { return this.op(0x10).imm(func); }

  get(i: number): this { return this.op(0x20).imm(i); }
  set(i: number): this { return this.op(0x21).imm(i); }
  tee(i: number): this { return this.op(0x22).imm(i); }

  // Memory (offsets are constant byte offsets added to the address on the stack).
  i32Load(offset = 0): this { return this.op(0x28).mem(2, offset); }
  i32Store(offset = 0): this { return this.op(0x36).mem(2, offset); }
  i32Store8(offset = 0): this { return this.op(0x3a).mem(0, offset); }
  /** memory.copy(dest, src, n) */
  memoryCopy(): this { return this.op(0xfc).imm(10).op(0, 0); }
  /** memory.fill(dest, byte, n) */
  memoryFill(): this { return this.op(0xfc).imm(11).op(0); }

  // i32 arithmetic.
  i32(v: number): this {
    this.code.push(0x41);
    sleb(this.code, v);
    return this;
  }
  i32LtU(): this { return this.op(0x49); }
  i32GeU(): this { return this.op(0x4f); }
  i32Add(): this { return this.op(0x6a); }
  i32Sub(): this { return this.op(0x6b); }
  i32Mul(): this { return this.op(0x6c); }
  i32And(): this { return this.op(0x71); }
  i32Shl(): this { return this.op(0x74); }
  i32ShrU(): this { return this.op(0x76); }
  select(): this { return this.op(0x1b); }
  i32WrapI64(): this { return this.op(0xa7); }

  // i64 (memory accesses take 8-byte alignment hints; the address need not be aligned).
  i64(v: bigint | number): this {
    this.code.push(0x42);
    sleb64(this.code, BigInt(v));
    return this;
  }
  i64Load(offset = 0): this { return this.op(0x29).mem(3, offset); }
  /** Loads a u32 zero-extended to i64. */
  i64Load32U(offset = 0): this { return this.op(0x35).mem(2, offset); }
  i64Store(offset = 0): this { return this.op(0x37).mem(3, offset); }
  /** Stores the low 32 bits. */
  i64Store32(offset = 0): this { return this.op(0x3e).mem(2, offset); }
  i64Add(): this { return this.op(0x7c); }
  i64Sub(): this { return this.op(0x7d); }
  i64Mul(): this { return this.op(0x7e); }
  i64And(): this { return this.op(0x83); }
  i64Shl(): this { return this.op(0x86); }
  i64ShrU(): this { return this.op(0x88); }
  i64ExtendI32U(): this { return this.op(0xad); }

  // v128.
  v128Load(offset = 0): this { return this.simd(0x00).mem(4, offset); }
  v128Load32Splat(offset = 0): this { return this.simd(0x09).mem(2, offset); }
  v128Store(offset = 0): this { return this.simd(0x0b).mem(4, offset); }
  /** Stores 4 bytes: 32-bit lane `lane` of the vector. */
  v128Store32Lane(lane: number, offset = 0): this { return this.simd(0x5a).mem(2, offset).op(lane); }
  v128Const(bytes: readonly number[]): this {
    if (bytes.length !== 16) throw new Error('v128.const needs 16 bytes');
    return this.simd(0x0c).op(...bytes);
  }
  /** A v128 of four copies of the u32 `v` (a constant, so no splat at run time). */
  i32x4Const(a: number, b = a, c = a, d = a): this {
    const bytes: number[] = [];
    for (const v of [a, b, c, d]) bytes.push(v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, (v >>> 24) & 0xff);
    return this.v128Const(bytes);
  }
  /** Lanes 0–15 pick bytes of the first operand, 16–31 of the second. */
  i8x16Shuffle(lanes: readonly number[]): this {
    if (lanes.length !== 16) throw new Error('i8x16.shuffle needs 16 lane indices');
    return this.simd(0x0d).op(...lanes);
  }
  i32x4Splat(): this { return this.simd(0x11); }
  /** Lanes where a > b (signed) become all ones, the others zero. */
  i32x4GtS(): this { return this.simd(0x3b); }
  v128Or(): this { return this.simd(0x50); }
  v128Xor(): this { return this.simd(0x51); }
  /** bitselect(a, b, mask) = (a & mask) | (b & ~mask) */
  v128Bitselect(): this { return this.simd(0x52); }
  i32x4Shl(): this { return this.simd(0xab); }
  i32x4ShrU(): this { return this.simd(0xad); }
  i32x4Add(): this { return this.simd(0xae); }
  i64x2ExtractLane(lane: number): this { return this.simd(0x1d).op(lane); }
  i64x2Add(): this { return this.simd(0xce); }
  i64x2Sub(): this { return this.simd(0xd1); }
  /** Lanes 0 and 1 of two i32x4, multiplied as u32 into two u64 lanes. */
  i64x2ExtmulLowI32x4U(): this { return this.simd(0xde); }
  /** The same for lanes 2 and 3. */
  i64x2ExtmulHighI32x4U(): this { return this.simd(0xdf); }

  // f64 and relaxed SIMD, for the FMA multiplier (wasm-mul-fma.ts).
  f64Load(offset = 0): this { return this.op(0x2b).mem(3, offset); }
  f64Store(offset = 0): this { return this.op(0x39).mem(3, offset); }
  f64ConvertI64S(): this { return this.op(0xb9); }
  i64ShrS(): this { return this.op(0x87); }
  /** Loads an f64 (or i64) into both 64-bit lanes. */
  v128Load64Splat(offset = 0): this { return this.simd(0x0a).mem(3, offset); }
  i32GtU(): this { return this.op(0x4b); }
  i64x2Splat(): this { return this.simd(0x12); }
  f64x2Add(): this { return this.simd(0xf0); }
  f64x2Sub(): this { return this.simd(0xf1); }
  /**
   * a·b + c in f64 lanes (relaxed SIMD): fused, one rounding, where the CPU has FMA; else V8 emits a multiply
   * and an add, which is why wasm-mul-fma.ts's users test the result before relying on it.
   */
  f64x2RelaxedMadd(): this { return this.simd(0x107); }
}

export interface ModuleSpec {
  /** Functions in index order (the index is what `call` takes). */
  functions: Array<{ fn: FunctionBuilder; export?: string }>;
  /** Initial (and maximum) size of the module's own memory, exported as "memory". */
  memoryPages: number;
}

/** Byte strings back to back (the kernel's code is ~200 KB: pushing it byte by byte took ~1 s). */
function concat(parts: ReadonlyArray<ArrayLike<number>>): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let off = 0;
  for (const p of parts) {
    out.set(p, off);
    off += p.length;
  }
  return out;
}

function section(out: Array<ArrayLike<number>>, id: number, body: ArrayLike<number>): void {
  const head = [id];
  uleb(head, body.length);
  out.push(head, body);
}

function name(out: number[], s: string): void {
  const bytes = Buffer.from(s, 'utf8');
  uleb(out, bytes.length);
  for (const b of bytes) out.push(b);
}

/** The binary module: type, function, memory, export and code sections. */
export function emitModule(spec: ModuleSpec): Uint8Array {
  const out: Array<ArrayLike<number>> = [[0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00]];
  const fns = spec.functions;

  const types: number[] = [];
  uleb(types, fns.length);
  for (const { fn } of fns) {
    types.push(0x60);
    uleb(types, fn.params.length);
    types.push(...fn.params);
    uleb(types, fn.results.length);
    types.push(...fn.results);
  }
  section(out, 1, types);

  const funcs: number[] = [];
  uleb(funcs, fns.length);
  fns.forEach((_, i) => uleb(funcs, i));
  section(out, 3, funcs);

  const memory: number[] = [1, 0x01]; // one memory, with a maximum
  uleb(memory, spec.memoryPages);
  uleb(memory, spec.memoryPages);
  section(out, 5, memory);

  const exported = fns.map((f, i) => [f.export, i] as const).filter((e): e is readonly [string, number] => !!e[0]);
  const exports: number[] = [];
  uleb(exports, exported.length + 1);
  name(exports, 'memory');
  exports.push(0x02, 0);
  for (const [n, i] of exported) {
    name(exports, n);
    exports.push(0x00);
    uleb(exports, i);
  }
  section(out, 7, exports);

  const bodies: Array<ArrayLike<number>> = [];
  const count: number[] = [];
  uleb(count, fns.length);
  for (const { fn } of fns) {
    const locals: number[] = [];
    fn.encodeLocals(locals);
    const size: number[] = [];
    uleb(size, locals.length + fn.code.length + 1);
    bodies.push(size, locals, fn.code, [0x0b]); // 0x0b: end of function
  }
  section(out, 10, concat([count, ...bodies]));

  return concat(out);
}
