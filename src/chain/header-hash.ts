/**
 * The block hash (double SHA-256) of an 80-byte header, hand-written for loading the block index: a
 * node:crypto call costs 1–3 µs of binding overhead and two Buffers, and a mainnet index hashes ~925,000
 * headers at every start (Core's LoadBlockIndexGuts hashes them too). Three compressions
 * (primitives/sha256-compress.ts) on preallocated words, no allocation; checked against node:crypto in the tests.
 */
import { sha256CompressWords } from '../primitives/sha256-compress.js';
import { SHA256_IV } from '../primitives/sha256-constants.js';

const IV = Int32Array.from(SHA256_IV);
const H = new Int32Array(8);
/** The three blocks' words; compressions write only words 16..63, so each block's padding is set once. */
const W1 = new Int32Array(64);
const W2 = new Int32Array(64);
const W3 = new Int32Array(64);
W2[4] = 0x80000000 | 0;
W2[15] = 80 * 8;
W3[8] = 0x80000000 | 0;
W3[15] = 32 * 8;

const word = (b: Uint8Array, p: number) => (b[p] << 24) | (b[p + 1] << 16) | (b[p + 2] << 8) | b[p + 3];

/** Writes SHA-256d(header[at, at + 80)) to out[outAt, outAt + 32) (internal byte order, as Core's uint256). */
export function headerHashInto(header: Uint8Array, at: number, out: Uint8Array, outAt: number): void {
  for (let i = 0; i < 8; i++) H[i] = IV[i];
  for (let i = 0; i < 16; i++) W1[i] = word(header, at + 4 * i);
  sha256CompressWords(H, W1);
  for (let i = 0; i < 4; i++) W2[i] = word(header, at + 64 + 4 * i);
  sha256CompressWords(H, W2);
  for (let i = 0; i < 8; i++) {
    W3[i] = H[i];
    H[i] = IV[i];
  }
  sha256CompressWords(H, W3);
  for (let i = 0; i < 8; i++) {
    const v = H[i];
    const p = outAt + 4 * i;
    out[p] = v >>> 24;
    out[p + 1] = v >>> 16;
    out[p + 2] = v >>> 8;
    out[p + 3] = v;
  }
}
