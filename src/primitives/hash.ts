/**
 * Hash functions and 256-bit hash values. Hashes are kept in internal byte order (as on disk and in
 * messages); RPCs and users see them byte-reversed ("display order").
 *
 * Digests are one-shot through crypto.hash (Node 20.12+) with a latin1 digest (Node's 'binary'): a
 * createHash object per call, or a Buffer per digest, costs more than the hash itself on short inputs
 * (headers, scripts, signature messages), mostly in the garbage collector; a latin1 string copied into a
 * heap Uint8Array costs neither. Older Nodes get createHash.
 */
import * as nodeCrypto from 'node:crypto';
import { ripemd160 as nobleRipemd160 } from '@noble/hashes/legacy.js';
import { fromHex, toHex } from './bytes.js';

type OneShot = (algorithm: string, data: Uint8Array | string, encoding: 'binary' | 'hex') => string;
const oneShot: OneShot | undefined = typeof (nodeCrypto as { hash?: unknown }).hash === 'function' ? (nodeCrypto as unknown as { hash: OneShot }).hash : undefined;

/** Bytes from a digest's latin1 string: one byte per character. */
function fromLatin1(s: string): Uint8Array {
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i);
  return out;
}

function digestString(algorithm: string, data: Uint8Array): string {
  return oneShot ? oneShot(algorithm, data, 'binary') : nodeCrypto.createHash(algorithm).update(data).digest('binary');
}

/** Where two-step hashes keep their middle digest (JavaScript never re-enters these). */
const middle = new Uint8Array(32);

function toMiddle(s: string): Uint8Array {
  for (let i = 0; i < 32; i++) middle[i] = s.charCodeAt(i);
  return middle;
}

export function sha256(data: Uint8Array): Uint8Array {
  return fromLatin1(digestString('sha256', data));
}

export function sha1(data: Uint8Array): Uint8Array {
  return fromLatin1(digestString('sha1', data));
}

/** OpenSSL 3 keeps RIPEMD-160 in its default provider; builds without it get the JavaScript one. */
const nativeRipemd = (() => {
  try {
    return toHex(fromLatin1(digestString('ripemd160', new Uint8Array(0)))) === '9c1185a5c5e9fc54612808977ee8f548b2258d31';
  } catch {
    return false;
  }
})();

export function ripemd160(data: Uint8Array): Uint8Array {
  return nativeRipemd ? fromLatin1(digestString('ripemd160', data)) : nobleRipemd160(data);
}

export function sha256d(data: Uint8Array): Uint8Array {
  return fromLatin1(digestString('sha256', toMiddle(digestString('sha256', data))));
}

/**
 * HASH160 = RIPEMD-160(SHA-256(data)). The RIPEMD-160 half is always one 32-byte message, one padded block:
 * compressed here in JavaScript straight from the SHA-256 digest string, which costs about two thirds of
 * node:crypto's ripemd160 call (OpenSSL has no fast RIPEMD-160, so its call is mostly binding overhead).
 */
export function hash160(data: Uint8Array): Uint8Array {
  return ripemd160OfDigest(digestString('sha256', data));
}

/** RIPEMD-160's per-step message word and rotation (left and right lines) and per-group constants. */
const RMD_RHO = [7, 4, 13, 1, 10, 6, 15, 3, 12, 0, 9, 5, 2, 14, 11, 8];
const RMD_SHIFTS = [
  [11, 14, 15, 12, 5, 8, 7, 9, 11, 13, 14, 15, 6, 7, 9, 8],
  [12, 13, 11, 15, 6, 9, 9, 7, 12, 15, 11, 13, 7, 8, 7, 7],
  [13, 15, 14, 11, 7, 7, 6, 8, 13, 14, 13, 12, 5, 5, 6, 9],
  [14, 11, 12, 14, 8, 6, 5, 5, 15, 12, 15, 14, 9, 9, 8, 6],
  [15, 12, 13, 13, 9, 5, 8, 6, 14, 11, 12, 11, 8, 6, 5, 5],
];
const RMD_WORD_L = new Uint8Array(80);
const RMD_WORD_R = new Uint8Array(80);
const RMD_ROT_L = new Uint8Array(80);
const RMD_ROT_R = new Uint8Array(80);
for (let j = 0; j < 80; j++) {
  let l = j % 16;
  let r = (9 * l + 5) % 16;
  for (let g = 0; g < j >> 4; g++) {
    l = RMD_RHO[l];
    r = RMD_RHO[r];
  }
  RMD_WORD_L[j] = l;
  RMD_WORD_R[j] = r;
  RMD_ROT_L[j] = RMD_SHIFTS[j >> 4][l];
  RMD_ROT_R[j] = RMD_SHIFTS[j >> 4][r];
}
const RMD_X = new Int32Array(16);

const RMD_K_L = Int32Array.of(0, 0x5a827999, 0x6ed9eba1, 0x8f1bbcdc | 0, 0xa953fd4e | 0);
const RMD_K_R = Int32Array.of(0x50a28be6, 0x5c4dd124, 0x6d703ef3, 0x7a6d76e9, 0);

/** RIPEMD-160's nonlinear function of step group g (0-4; the right line runs them in reverse). */
function rmdF(g: number, x: number, y: number, z: number): number {
  return g === 0 ? x ^ y ^ z : g === 1 ? (x & y) | (~x & z) : g === 2 ? (x | ~y) ^ z : g === 3 ? (x & z) | (y & ~z) : x ^ (y | ~z);
}

function rotl(v: number, s: number): number {
  return (v << s) | (v >>> (32 - s));
}

/** RIPEMD-160 of a 32-byte digest given as a latin1 string (one block: the digest, 0x80, its bit length). */
function ripemd160OfDigest(digest: string): Uint8Array {
  const x = RMD_X;
  for (let i = 0; i < 8; i++) {
    x[i] = digest.charCodeAt(4 * i) | (digest.charCodeAt(4 * i + 1) << 8) | (digest.charCodeAt(4 * i + 2) << 16) | (digest.charCodeAt(4 * i + 3) << 24);
  }
  x[8] = 0x80;
  x[9] = x[10] = x[11] = x[12] = x[13] = x[15] = 0;
  x[14] = 256;
  const h0 = 0x67452301, h1 = 0xefcdab89 | 0, h2 = 0x98badcfe | 0, h3 = 0x10325476, h4 = 0xc3d2e1f0 | 0;
  let al = h0, bl = h1, cl = h2, dl = h3, el = h4;
  let ar = h0, br = h1, cr = h2, dr = h3, er = h4;
  for (let j = 0; j < 80; j++) {
    const g = j >> 4;
    const t = rotl((al + rmdF(g, bl, cl, dl) + x[RMD_WORD_L[j]] + RMD_K_L[g]) | 0, RMD_ROT_L[j]) + el;
    al = el;
    el = dl;
    dl = rotl(cl, 10);
    cl = bl;
    bl = t | 0;
    const u = rotl((ar + rmdF(4 - g, br, cr, dr) + x[RMD_WORD_R[j]] + RMD_K_R[g]) | 0, RMD_ROT_R[j]) + er;
    ar = er;
    er = dr;
    dr = rotl(cr, 10);
    cr = br;
    br = u | 0;
  }
  const out = new Uint8Array(20);
  putWordLE(out, 0, h1 + cl + dr);
  putWordLE(out, 4, h2 + dl + er);
  putWordLE(out, 8, h3 + el + ar);
  putWordLE(out, 12, h4 + al + br);
  putWordLE(out, 16, h0 + bl + cr);
  return out;
}

function putWordLE(out: Uint8Array, at: number, w: number): void {
  out[at] = w;
  out[at + 1] = w >>> 8;
  out[at + 2] = w >>> 16;
  out[at + 3] = w >>> 24;
}

/** Internal-order hash → display hex (reversed). */
export function hashToHex(hash: Uint8Array): string {
  return toHex(Uint8Array.from(hash).reverse());
}

/** Display hex (reversed) → internal-order hash. Throws on anything but 64 hex digits. */
export function hexToHash(hex: string): Uint8Array {
  if (!/^[0-9a-fA-F]{64}$/.test(hex)) throw new Error(`not a 256-bit hash: ${hex}`);
  return fromHex(hex).reverse();
}

export const ZERO_HASH = new Uint8Array(32);
