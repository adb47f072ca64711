/**
 * MuHash element generation in plain JavaScript: Core's ToNum3072 (SHA-256 of the element keys a ChaCha20
 * stream, read as a 3072-bit little-endian number). This is the fallback for runtimes without WebAssembly
 * SIMD (see wasm-element.ts, which muhash.ts prefers) and for records too long for the wasm kernel's input
 * area, and it is the reference the tests hold the kernel to; it also provides the one-shot SHA-256 that
 * MuHash3072.finalize uses.
 *
 * Speed notes (Node 20): SHA-256 and ChaCha20 are hand-written because a node:crypto call costs 1–3 µs of
 * binding overhead per element, while these run in ~0.5 µs each on preallocated typed arrays. The keystream
 * is written straight into a hex image so a single latin1 decode plus `BigInt('0x…')` builds the number.
 */
import { sha256CompressWords } from '../primitives/sha256-compress.js';
import { SHA256_IV } from '../primitives/sha256-constants.js';

/** Bytes in the element's number. */
const NUM3072_BYTES = 384;

if (new Uint8Array(new Uint32Array([1]).buffer)[0] !== 1) {
  // The keystream is byte-swapped through a Uint32Array view; a big-endian host would need another path.
  throw new Error('muhash: little-endian host required');
}

// ---------------------------------------------------------------------------------------------------------
// SHA-256 (one-shot, allocation-free; result left in SHA_H as big-endian words)

const SHA_IV = Int32Array.from(SHA256_IV);
const SHA_H = new Int32Array(8);
const SHA_W = new Int32Array(64);
/** Tail block(s): the message's last partial block plus padding never exceed two blocks. */
const SHA_PAD = new Uint8Array(128);

function sha256Compress(block: Uint8Array, pos: number): void {
  const w = SHA_W;
  for (let i = 0; i < 16; i++, pos += 4) {
    w[i] = (block[pos]! << 24) | (block[pos + 1]! << 16) | (block[pos + 2]! << 8) | block[pos + 3]!;
  }
  sha256CompressWords(SHA_H, w);
}

function sha256Into(data: Uint8Array, off: number, len: number): void {
  const h = SHA_H;
  h.set(SHA_IV);
  const full = len & ~63;
  for (let p = 0; p < full; p += 64) sha256Compress(data, off + p);
  const rest = len - full;
  const tailLen = rest < 56 ? 64 : 128;
  const pad = SHA_PAD;
  for (let i = 0; i < rest; i++) pad[i] = data[off + full + i]!;
  pad[rest] = 0x80;
  for (let i = rest + 1; i < tailLen - 8; i++) pad[i] = 0;
  const bits = len * 8;
  const hi = Math.floor(bits / 0x1_0000_0000);
  pad[tailLen - 8] = hi >>> 24;
  pad[tailLen - 7] = hi >>> 16;
  pad[tailLen - 6] = hi >>> 8;
  pad[tailLen - 5] = hi;
  pad[tailLen - 4] = bits >>> 24;
  pad[tailLen - 3] = bits >>> 16;
  pad[tailLen - 2] = bits >>> 8;
  pad[tailLen - 1] = bits;
  sha256Compress(pad, 0);
  if (tailLen === 128) sha256Compress(pad, 64);
}

// ---------------------------------------------------------------------------------------------------------
// ChaCha20 keystream → hex image of the 3072-bit number

/**
 * The number as the string `0x` + 768 hex digits, written in place so that `BigInt()` can parse it: one
 * native latin1 decode and no concatenation, which measured faster than a native hex encode of a byte image.
 * Bytes 0–1 are padding so the digits start on a 4-byte boundary; digits for keystream word j (the number's
 * little-endian word j) sit at 32-bit slots 1 + 2·(95 − j) and the next one.
 */
const HEX_IMAGE = Buffer.from(new ArrayBuffer(4 + 2 * NUM3072_BYTES));
HEX_IMAGE[2] = 0x30; // '0'
HEX_IMAGE[3] = 0x78; // 'x'
const HEX_IMAGE_U32 = new Uint32Array(HEX_IMAGE.buffer, 0, HEX_IMAGE.length / 4);
/** 16-bit value → its 4 hex digits as ASCII bytes, packed little-endian into a u32. */
const HEX4 = new Uint32Array(65536);
{
  const digit = (d: number) => (d < 10 ? 48 + d : 87 + d);
  for (let x = 0; x < 65536; x++) {
    HEX4[x] = (digit(x >>> 12) | (digit((x >>> 8) & 15) << 8) | (digit((x >>> 4) & 15) << 16) | (digit(x & 15) << 24)) >>> 0;
  }
}

function bswap(w: number): number {
  return ((w >>> 24) | ((w >>> 8) & 0xff00) | ((w << 8) & 0xff0000) | (w << 24)) >>> 0;
}

function putWord(out: Uint32Array, slot: number, w: number): void {
  out[slot] = HEX4[w >>> 16]!;
  out[slot + 1] = HEX4[w & 0xffff]!;
}

/**
 * Six ChaCha20 blocks (key = SHA_H as bytes, nonce 0, counter 0..5) written as hex digits into HEX_IMAGE.
 */
function chachaFromShaState(): void {
  const h = SHA_H;
  const k0 = bswap(h[0]!) | 0, k1 = bswap(h[1]!) | 0, k2 = bswap(h[2]!) | 0, k3 = bswap(h[3]!) | 0;
  const k4 = bswap(h[4]!) | 0, k5 = bswap(h[5]!) | 0, k6 = bswap(h[6]!) | 0, k7 = bswap(h[7]!) | 0;
  const out = HEX_IMAGE_U32;
  for (let blk = 0; blk < 6; blk++) {
    let x0 = 0x61707865, x1 = 0x3320646e, x2 = 0x79622d32, x3 = 0x6b206574;
    let x4 = k0, x5 = k1, x6 = k2, x7 = k3, x8 = k4, x9 = k5, x10 = k6, x11 = k7;
    let x12 = blk, x13 = 0, x14 = 0, x15 = 0;
    for (let r = 0; r < 10; r++) {
      x0 = (x0 + x4) | 0; x12 ^= x0; x12 = (x12 << 16) | (x12 >>> 16);
      x8 = (x8 + x12) | 0; x4 ^= x8; x4 = (x4 << 12) | (x4 >>> 20);
      x0 = (x0 + x4) | 0; x12 ^= x0; x12 = (x12 << 8) | (x12 >>> 24);
      x8 = (x8 + x12) | 0; x4 ^= x8; x4 = (x4 << 7) | (x4 >>> 25);
      x1 = (x1 + x5) | 0; x13 ^= x1; x13 = (x13 << 16) | (x13 >>> 16);
      x9 = (x9 + x13) | 0; x5 ^= x9; x5 = (x5 << 12) | (x5 >>> 20);
      x1 = (x1 + x5) | 0; x13 ^= x1; x13 = (x13 << 8) | (x13 >>> 24);
      x9 = (x9 + x13) | 0; x5 ^= x9; x5 = (x5 << 7) | (x5 >>> 25);
      x2 = (x2 + x6) | 0; x14 ^= x2; x14 = (x14 << 16) | (x14 >>> 16);
      x10 = (x10 + x14) | 0; x6 ^= x10; x6 = (x6 << 12) | (x6 >>> 20);
      x2 = (x2 + x6) | 0; x14 ^= x2; x14 = (x14 << 8) | (x14 >>> 24);
      x10 = (x10 + x14) | 0; x6 ^= x10; x6 = (x6 << 7) | (x6 >>> 25);
      x3 = (x3 + x7) | 0; x15 ^= x3; x15 = (x15 << 16) | (x15 >>> 16);
      x11 = (x11 + x15) | 0; x7 ^= x11; x7 = (x7 << 12) | (x7 >>> 20);
      x3 = (x3 + x7) | 0; x15 ^= x3; x15 = (x15 << 8) | (x15 >>> 24);
      x11 = (x11 + x15) | 0; x7 ^= x11; x7 = (x7 << 7) | (x7 >>> 25);
      x0 = (x0 + x5) | 0; x15 ^= x0; x15 = (x15 << 16) | (x15 >>> 16);
      x10 = (x10 + x15) | 0; x5 ^= x10; x5 = (x5 << 12) | (x5 >>> 20);
      x0 = (x0 + x5) | 0; x15 ^= x0; x15 = (x15 << 8) | (x15 >>> 24);
      x10 = (x10 + x15) | 0; x5 ^= x10; x5 = (x5 << 7) | (x5 >>> 25);
      x1 = (x1 + x6) | 0; x12 ^= x1; x12 = (x12 << 16) | (x12 >>> 16);
      x11 = (x11 + x12) | 0; x6 ^= x11; x6 = (x6 << 12) | (x6 >>> 20);
      x1 = (x1 + x6) | 0; x12 ^= x1; x12 = (x12 << 8) | (x12 >>> 24);
      x11 = (x11 + x12) | 0; x6 ^= x11; x6 = (x6 << 7) | (x6 >>> 25);
      x2 = (x2 + x7) | 0; x13 ^= x2; x13 = (x13 << 16) | (x13 >>> 16);
      x8 = (x8 + x13) | 0; x7 ^= x8; x7 = (x7 << 12) | (x7 >>> 20);
      x2 = (x2 + x7) | 0; x13 ^= x2; x13 = (x13 << 8) | (x13 >>> 24);
      x8 = (x8 + x13) | 0; x7 ^= x8; x7 = (x7 << 7) | (x7 >>> 25);
      x3 = (x3 + x4) | 0; x14 ^= x3; x14 = (x14 << 16) | (x14 >>> 16);
      x9 = (x9 + x14) | 0; x4 ^= x9; x4 = (x4 << 12) | (x4 >>> 20);
      x3 = (x3 + x4) | 0; x14 ^= x3; x14 = (x14 << 8) | (x14 >>> 24);
      x9 = (x9 + x14) | 0; x4 ^= x9; x4 = (x4 << 7) | (x4 >>> 25);
    }
    const o = 1 + 2 * (95 - 16 * blk);
    putWord(out, o, (x0 + 0x61707865) >>> 0);
    putWord(out, o - 2, (x1 + 0x3320646e) >>> 0);
    putWord(out, o - 4, (x2 + 0x79622d32) >>> 0);
    putWord(out, o - 6, (x3 + 0x6b206574) >>> 0);
    putWord(out, o - 8, (x4 + k0) >>> 0);
    putWord(out, o - 10, (x5 + k1) >>> 0);
    putWord(out, o - 12, (x6 + k2) >>> 0);
    putWord(out, o - 14, (x7 + k3) >>> 0);
    putWord(out, o - 16, (x8 + k4) >>> 0);
    putWord(out, o - 18, (x9 + k5) >>> 0);
    putWord(out, o - 20, (x10 + k6) >>> 0);
    putWord(out, o - 22, (x11 + k7) >>> 0);
    putWord(out, o - 24, (x12 + blk) >>> 0);
    putWord(out, o - 26, (x13) >>> 0);
    putWord(out, o - 28, (x14) >>> 0);
    putWord(out, o - 30, (x15) >>> 0);
  }
}

/** The element of `data[off, off + len)`: Core's ToNum3072, as a number below 2^3072. */
export function elementAtJs(data: Uint8Array, off: number, len: number): bigint {
  sha256Into(data, off, len);
  chachaFromShaState();
  return BigInt(HEX_IMAGE.toString('latin1', 2));
}

/** One-shot SHA-256. */
export function sha256(data: Uint8Array): Uint8Array {
  sha256Into(data, 0, data.length);
  const out = new Uint8Array(32);
  for (let i = 0; i < 8; i++) {
    const w = SHA_H[i]!;
    out[4 * i] = w >>> 24;
    out[4 * i + 1] = w >>> 16;
    out[4 * i + 2] = w >>> 8;
    out[4 * i + 3] = w;
  }
  return out;
}
