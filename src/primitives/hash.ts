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
import { equalBytes, fromHex, toHex } from './bytes.js';

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

export function hash160(data: Uint8Array): Uint8Array {
  return ripemd160(toMiddle(digestString('sha256', data)));
}

/**
 * SHA256 as node:crypto's latin1 digest string, one character per byte: for digests that are only ever written
 * into other messages (signature-hash midstates), where a string costs less than a byte array.
 */
export function sha256Latin1(data: Uint8Array): string {
  return digestString('sha256', data);
}

/** SHA256 of a 32-byte digest held as a latin1 string: the second half of a SHA256d. */
export function sha256OfLatin1(digest: string): string {
  return digestString('sha256', toMiddle(digest));
}

/** A latin1 digest string's bytes. */
export { fromLatin1 as latin1Bytes };

/**
 * The last key hash160Equals hashed, and its digest: consecutive inputs often spend one address (a
 * consolidation's inputs, a wallet's chain of payments), and comparing 33 bytes costs far less than two hashes.
 */
const lastKey = new Uint8Array(65);
let lastKeyLength = -1;
let lastKeyDigest = '';

function isLastKey(data: Uint8Array): boolean {
  if (data.length !== lastKeyLength) return false;
  for (let i = 0; i < data.length; i++) if (data[i] !== lastKey[i]) return false;
  return true;
}

/** Whether HASH160(data) is `expected`: compared on the digest string, so no digest array is made. */
export function hash160Equals(data: Uint8Array, expected: Uint8Array): boolean {
  if (!nativeRipemd) return equalBytes(hash160(data), expected);
  let s: string;
  if (isLastKey(data)) {
    s = lastKeyDigest;
  } else {
    s = digestString('ripemd160', toMiddle(digestString('sha256', data)));
    if (data.length <= lastKey.length) {
      lastKey.set(data);
      lastKeyLength = data.length;
      lastKeyDigest = s;
    }
  }
  if (expected.length !== s.length) return false;
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) !== expected[i]) return false;
  return true;
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
