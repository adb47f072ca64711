/**
 * SHA-256 for the MuHash element kernel (wasm-element.ts), as wasm functions built with wasm-emit.ts: four
 * messages at once, one per i32x4 lane, as the kernel works on groups of four coin records. Almost all coin
 * records need two blocks (71–119 bytes), so lanes rarely sit idle; a lane whose message has ended keeps
 * its state through a mask while the longest one finishes. Measured ~0.2 µs per two-block message against
 * ~0.3 µs for scalar wasm and ~0.55 µs for the JavaScript implementation.
 */
import { SHA256_IV, SHA256_K } from '../primitives/sha256-constants.js';
import { FunctionBuilder, I32, V128 } from './wasm-emit.js';

/** Byte-reverses each 32-bit lane (big-endian words ⇄ little-endian). */
const BSWAP32 = [3, 2, 1, 0, 7, 6, 5, 4, 11, 10, 9, 8, 15, 14, 13, 12];

/** x ⋙ r1 ^ x ⋙ r2 ^ (x ⋙ r3, or x ≫ r3 when `shift3`), lane-wise. */
function sigma4(f: FunctionBuilder, x: number, r1: number, r2: number, r3: number, shift3 = false): void {
  const rotr = (r: number) => f.get(x).i32(r).i32x4ShrU().get(x).i32(32 - r).i32x4Shl().v128Or();
  rotr(r1);
  rotr(r2);
  f.v128Xor();
  if (shift3) f.get(x).i32(r3).i32x4ShrU();
  else rotr(r3);
  f.v128Xor();
}

/**
 * sha4_block(p0, p1, p2, p3, mask): compresses the 64-byte blocks at p0..p3 into lanes 0..3 of the state
 * (8 vectors at `state`); lanes whose mask is zero keep their state (their message has ended).
 */
export function sha256x4BlockFunction(state: number): FunctionBuilder {
  const f = new FunctionBuilder([I32, I32, I32, I32, V128]);
  const ptr = [0, 1, 2, 3];
  const mask = 4;
  const s = Array.from({ length: 8 }, () => f.local(V128));
  const w = Array.from({ length: 16 }, () => f.local(V128));
  const t = Array.from({ length: 4 }, () => f.local(V128));
  const t1 = f.local(V128);
  // Message word m of all four blocks in one vector: load 16 bytes of each block, then transpose 4×4 with
  // byte shuffles that also make the big-endian words little-endian.
  const pairLow = [3, 2, 1, 0, 19, 18, 17, 16, 7, 6, 5, 4, 23, 22, 21, 20]; // [x.w0, y.w0, x.w1, y.w1]
  const pairHigh = pairLow.map((b) => b + 8); // [x.w2, y.w2, x.w3, y.w3]
  const low64 = [0, 1, 2, 3, 4, 5, 6, 7, 16, 17, 18, 19, 20, 21, 22, 23];
  const high64 = low64.map((b) => b + 8);
  for (let q = 0; q < 4; q++) {
    for (const [dst, a, b, lanes] of [[0, 0, 1, pairLow], [1, 2, 3, pairLow], [2, 0, 1, pairHigh], [3, 2, 3, pairHigh]] as const) {
      f.get(ptr[a]!).v128Load(16 * q).get(ptr[b]!).v128Load(16 * q).i8x16Shuffle(lanes).set(t[dst]!);
    }
    f.get(t[0]!).get(t[1]!).i8x16Shuffle(low64).set(w[4 * q]!);
    f.get(t[0]!).get(t[1]!).i8x16Shuffle(high64).set(w[4 * q + 1]!);
    f.get(t[2]!).get(t[3]!).i8x16Shuffle(low64).set(w[4 * q + 2]!);
    f.get(t[2]!).get(t[3]!).i8x16Shuffle(high64).set(w[4 * q + 3]!);
  }
  for (let i = 0; i < 8; i++) f.i32(0).v128Load(state + 16 * i).set(s[i]!);
  let [a, b, c, d, e, ff, g, h] = s as [number, number, number, number, number, number, number, number];
  for (let i = 0; i < 64; i++) {
    const wi = w[i & 15]!;
    if (i >= 16) {
      f.get(wi);
      sigma4(f, w[(i + 1) & 15]!, 7, 18, 3, true);
      f.i32x4Add().get(w[(i + 9) & 15]!).i32x4Add();
      sigma4(f, w[(i + 14) & 15]!, 17, 19, 10, true);
      f.i32x4Add().set(wi);
    }
    f.get(h);
    sigma4(f, e, 6, 11, 25);
    f.i32x4Add();
    f.get(ff).get(g).get(e).v128Bitselect().i32x4Add(); // Ch = e ? f : g
    f.i32x4Const(SHA256_K[i]!).i32x4Add().get(wi).i32x4Add().tee(t1);
    f.get(d).i32x4Add().set(d);
    f.get(t1);
    sigma4(f, a, 2, 13, 22);
    f.i32x4Add();
    f.get(b).get(a).get(a).get(c).v128Xor().v128Bitselect().i32x4Add(); // Maj = a ^ c ? b : a
    f.set(h);
    [a, b, c, d, e, ff, g, h] = [h, a, b, c, d, e, ff, g];
  }
  for (let i = 0; i < 8; i++) {
    f.i32(0);
    f.i32(0).v128Load(state + 16 * i).get(s[i]!).i32x4Add(); // the new state
    f.i32(0).v128Load(state + 16 * i); // the old one
    f.get(mask).v128Bitselect().v128Store(state + 16 * i);
  }
  return f;
}

export interface Sha256x4Layout {
  /** Address of the 8-vector state. */
  state: number;
  /** Address of 4 × 128 bytes of scratch for the padded tails. */
  pads: number;
  /** Address of 48 bytes of per-lane bookkeeping. */
  lanes: number;
  /** Address of the key table: 8 vectors, lane r of vector i = ChaCha20 key word i of message r. */
  keys: number;
  /** Function index of sha4_block. */
  block: number;
}

/**
 * sha4_lane(src, len, r): prepares lane r for sha4_keys: records src, the number of whole blocks in the
 * input and the total number of blocks, and writes the padded tail (the rest, 0x80, zeros, the 64-bit
 * big-endian bit length: one or two blocks) to the lane's pad.
 */
export function sha256x4LaneFunction(layout: Sha256x4Layout): FunctionBuilder {
  const { pads, lanes } = layout;
  const f = new FunctionBuilder([I32, I32, I32]);
  const [src, len, r] = [0, 1, 2];
  const pad = f.local();
  const rest = f.local();
  const tailLen = f.local();
  const lenAt = f.local();
  f.get(r).i32(7).i32Shl().i32(pads).i32Add().set(pad);
  f.get(len).i32(63).i32And().set(rest);
  f.get(pad).i32(0).i32(128).memoryFill();
  f.get(pad).get(src).get(len).i32(~63).i32And().i32Add().get(rest).memoryCopy();
  f.get(pad).get(rest).i32Add().i32(0x80).i32Store8();
  f.i32(128).i32(64).get(rest).i32(56).i32GeU().select().set(tailLen);
  f.get(pad).get(tailLen).i32Add().i32(8).i32Sub().set(lenAt);
  for (let k = 0; k < 8; k++) {
    f.get(lenAt);
    // bits = len·8: the high word is len ≫ 29, the low word len ≪ 3.
    if (k < 4) f.get(len).i32(29).i32ShrU().i32(24 - 8 * k).i32ShrU();
    else f.get(len).i32(3).i32Shl().i32(24 - 8 * (k - 4)).i32ShrU();
    f.i32Store8(k);
  }
  // Bookkeeping, u32 per lane: src at lanes, whole input blocks at lanes + 16, all blocks at lanes + 32.
  f.get(r).i32(2).i32Shl().set(r);
  f.get(r).get(src).i32Store(lanes);
  f.get(r).get(len).i32(6).i32ShrU().i32Store(lanes + 16);
  f.get(r).get(len).i32(6).i32ShrU().get(tailLen).i32(6).i32ShrU().i32Add().i32Store(lanes + 32);
  return f;
}

/**
 * sha4_keys(): SHA-256 of the four messages prepared by sha4_lane, as ChaCha20 key words (the digests read
 * little-endian) in the key table. Runs as many blocks as the longest message needs; the others sit out.
 */
export function sha256x4KeysFunction(layout: Sha256x4Layout): FunctionBuilder {
  const { state, pads, lanes, keys, block } = layout;
  const f = new FunctionBuilder([]);
  const k = f.local();
  const blocks = f.local();
  const p = [0, 1, 2, 3].map(() => f.local());
  const tv = f.local(V128);
  for (let i = 0; i < 8; i++) f.i32(0).i32x4Const(SHA256_IV[i]!).v128Store(state + 16 * i);
  // blocks = the largest block count
  f.i32(0).i32Load(lanes + 32).set(blocks);
  for (let r = 1; r < 4; r++) {
    f.i32(0).i32Load(lanes + 32 + 4 * r).get(blocks);
    f.i32(0).i32Load(lanes + 32 + 4 * r).get(blocks).i32GeU().select().set(blocks);
  }
  f.block().loop();
  f.get(k).get(blocks).i32GeU().brIf(1);
  for (let r = 0; r < 4; r++) {
    // Block k of lane r: from the input while k < whole blocks, then from the pad (its start once done).
    const pad = pads + 128 * r;
    f.i32(0).i32Load(lanes + 4 * r).get(k).i32(6).i32Shl().i32Add();
    f.i32(pad).get(k).i32(0).i32Load(lanes + 16 + 4 * r).i32Sub().i32(6).i32Shl().i32Add();
    f.i32(pad).get(k).i32(0).i32Load(lanes + 32 + 4 * r).i32LtU().select();
    f.get(k).i32(0).i32Load(lanes + 16 + 4 * r).i32LtU().select().set(p[r]!);
  }
  f.get(p[0]!).get(p[1]!).get(p[2]!).get(p[3]!);
  f.i32(0).v128Load(lanes + 32).get(k).i32x4Splat().i32x4GtS(); // lanes still running
  f.call(block);
  f.get(k).i32(1).i32Add().set(k);
  f.br(0).end().end();
  // Key word i is digest word i byte-swapped.
  for (let i = 0; i < 8; i++) {
    f.i32(0).v128Load(state + 16 * i).set(tv);
    f.i32(0).get(tv).get(tv).i8x16Shuffle(BSWAP32).v128Store(keys + 16 * i);
  }
  return f;
}
