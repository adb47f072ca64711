/**
 * The block hash (double SHA-256) of an 80-byte header, hand-written for loading the block index: a
 * node:crypto call costs 1–3 µs of binding overhead and two Buffers, and a mainnet index hashes ~925,000
 * headers at every start (Core's LoadBlockIndexGuts hashes them too). Three compressions on preallocated
 * words, no allocation; checked against node:crypto in the tests.
 */
import { SHA256_IV, SHA256_K } from '../primitives/sha256-constants.js';

const K = Int32Array.from(SHA256_K);
const IV = Int32Array.from(SHA256_IV);
const H = new Int32Array(8);
const W = new Int32Array(64);

/** One SHA-256 compression of W[0..15] into H. */
function compress(): void {
  const w = W;
  for (let i = 16; i < 64; i++) {
    const a = w[i - 15];
    const b = w[i - 2];
    const s0 = ((a >>> 7) | (a << 25)) ^ ((a >>> 18) | (a << 14)) ^ (a >>> 3);
    const s1 = ((b >>> 17) | (b << 15)) ^ ((b >>> 19) | (b << 13)) ^ (b >>> 10);
    w[i] = (w[i - 16] + s0 + w[i - 7] + s1) | 0;
  }
  const h = H;
  let a = h[0], b = h[1], c = h[2], d = h[3], e = h[4], f = h[5], g = h[6], hh = h[7];
  for (let i = 0; i < 64; i++) {
    const S1 = ((e >>> 6) | (e << 26)) ^ ((e >>> 11) | (e << 21)) ^ ((e >>> 25) | (e << 7));
    const t1 = (hh + S1 + ((e & f) ^ (~e & g)) + K[i] + w[i]) | 0;
    const S0 = ((a >>> 2) | (a << 30)) ^ ((a >>> 13) | (a << 19)) ^ ((a >>> 22) | (a << 10));
    const t2 = (S0 + ((a & b) ^ (a & c) ^ (b & c))) | 0;
    hh = g;
    g = f;
    f = e;
    e = (d + t1) | 0;
    d = c;
    c = b;
    b = a;
    a = (t1 + t2) | 0;
  }
  h[0] = (h[0] + a) | 0;
  h[1] = (h[1] + b) | 0;
  h[2] = (h[2] + c) | 0;
  h[3] = (h[3] + d) | 0;
  h[4] = (h[4] + e) | 0;
  h[5] = (h[5] + f) | 0;
  h[6] = (h[6] + g) | 0;
  h[7] = (h[7] + hh) | 0;
}

const word = (b: Uint8Array, p: number) => (b[p] << 24) | (b[p + 1] << 16) | (b[p + 2] << 8) | b[p + 3];

/** Writes SHA-256d(header[at, at + 80)) to out[outAt, outAt + 32) (internal byte order, as Core's uint256). */
export function headerHashInto(header: Uint8Array, at: number, out: Uint8Array, outAt: number): void {
  H.set(IV);
  for (let i = 0; i < 16; i++) W[i] = word(header, at + 4 * i);
  compress();
  for (let i = 0; i < 4; i++) W[i] = word(header, at + 64 + 4 * i);
  W[4] = 0x80000000 | 0;
  W.fill(0, 5, 15);
  W[15] = 80 * 8;
  compress();
  for (let i = 0; i < 8; i++) W[i] = H[i];
  W[8] = 0x80000000 | 0;
  W.fill(0, 9, 15);
  W[15] = 32 * 8;
  H.set(IV);
  compress();
  for (let i = 0; i < 8; i++) {
    const v = H[i];
    const p = outAt + 4 * i;
    out[p] = v >>> 24;
    out[p + 1] = v >>> 16;
    out[p + 2] = v >>> 8;
    out[p + 3] = v;
  }
}
