/**
 * ChaCha20 for the MuHash element kernel (wasm-element.ts), as a wasm function built with wasm-emit.ts.
 * Each element needs six 64-byte blocks (nonce 0, counters 0–5); four elements at a time make 24 blocks,
 * which run as six passes of four blocks in i32x4 lanes (lane l of vector j = word j of one block) with no
 * lane wasted. Rotations by 16 and 8 are byte shuffles; by 12 and 7, two shifts and an or.
 */
import { FunctionBuilder, I32, V128 } from './wasm-emit.js';

/** "expand 32-byte k" */
const SIGMA = [0x61707865, 0x3320646e, 0x79622d32, 0x6b206574];
const ROTL16 = [2, 3, 0, 1, 6, 7, 4, 5, 10, 11, 8, 9, 14, 15, 12, 13];
const ROTL8 = [3, 0, 1, 2, 7, 4, 5, 6, 11, 8, 9, 10, 15, 12, 13, 14];
const BLOCKS_PER_ELEMENT = 6;
/** Four elements' blocks, four lanes at a time. */
const PASSES = (4 * BLOCKS_PER_ELEMENT) / 4;

export interface ChachaLayout {
  /** Address of the key table: 8 vectors, lane r of vector i = key word i of element r. */
  keys: number;
  /** Distance between the outputs of consecutive elements. */
  stride: number;
}

/**
 * chacha4(out): for elements r = 0..3, the 384-byte keystream of the key in lane r of the key table, at
 * out + r·stride (block b's word j at byte 4·(16·b + j): the 3072-bit number little-endian).
 */
export function chacha4Function(layout: ChachaLayout): FunctionBuilder {
  const { keys, stride } = layout;
  const f = new FunctionBuilder([I32]);
  const out = 0;
  const x = Array.from({ length: 16 }, () => f.local(V128));
  const round = f.local();

  /** Word j of the initial state of the four blocks of `pass`; lane l is block 4·pass + l of the 24. */
  const initial = (j: number, pass: number) => {
    const elements = [0, 1, 2, 3].map((l) => Math.floor((4 * pass + l) / BLOCKS_PER_ELEMENT));
    const counters = [0, 1, 2, 3].map((l) => (4 * pass + l) % BLOCKS_PER_ELEMENT);
    if (j < 4) f.i32x4Const(SIGMA[j]!);
    else if (j < 12) {
      const key = keys + 16 * (j - 4);
      if (elements.every((r) => r === elements[0])) f.i32(0).v128Load32Splat(key + 4 * elements[0]!);
      else {
        const lanes = elements.flatMap((r) => [4 * r, 4 * r + 1, 4 * r + 2, 4 * r + 3]);
        f.i32(0).v128Load(key).i32(0).v128Load(key).i8x16Shuffle(lanes);
      }
    } else if (j === 12) f.i32x4Const(counters[0]!, counters[1], counters[2], counters[3]);
    else f.i32x4Const(0);
  };
  const rotl = (v: number, n: number) => {
    if (n === 16 || n === 8) f.get(v).get(v).i8x16Shuffle(n === 16 ? ROTL16 : ROTL8).set(v);
    else f.get(v).i32(n).i32x4Shl().get(v).i32(32 - n).i32x4ShrU().v128Or().set(v);
  };
  const quarter = (ai: number, bi: number, ci: number, di: number) => {
    const [a, b, c, d] = [x[ai]!, x[bi]!, x[ci]!, x[di]!];
    f.get(a).get(b).i32x4Add().set(a).get(d).get(a).v128Xor().set(d);
    rotl(d, 16);
    f.get(c).get(d).i32x4Add().set(c).get(b).get(c).v128Xor().set(b);
    rotl(b, 12);
    f.get(a).get(b).i32x4Add().set(a).get(d).get(a).v128Xor().set(d);
    rotl(d, 8);
    f.get(c).get(d).i32x4Add().set(c).get(b).get(c).v128Xor().set(b);
    rotl(b, 7);
  };

  for (let pass = 0; pass < PASSES; pass++) {
    for (let j = 0; j < 16; j++) {
      initial(j, pass);
      f.set(x[j]!);
    }
    f.i32(10).set(round);
    f.loop(); // ten double rounds
    quarter(0, 4, 8, 12);
    quarter(1, 5, 9, 13);
    quarter(2, 6, 10, 14);
    quarter(3, 7, 11, 15);
    quarter(0, 5, 10, 15);
    quarter(1, 6, 11, 12);
    quarter(2, 7, 8, 13);
    quarter(3, 4, 9, 14);
    f.get(round).i32(1).i32Sub().tee(round).brIf(0);
    f.end();
    for (let j = 0; j < 16; j++) {
      f.get(x[j]!);
      initial(j, pass);
      f.i32x4Add().set(x[j]!);
      for (let lane = 0; lane < 4; lane++) {
        const block = 4 * pass + lane;
        const element = Math.floor(block / BLOCKS_PER_ELEMENT);
        const counter = block % BLOCKS_PER_ELEMENT;
        f.get(out).get(x[j]!).v128Store32Lane(lane, element * stride + 4 * (16 * counter + j));
      }
    }
  }
  return f;
}
