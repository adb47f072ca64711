/**
 * Hash functions and 256-bit hash values. Hashes are kept in internal byte order (as on disk and in
 * messages); RPCs and users see them byte-reversed ("display order").
 */
import { createHash } from 'node:crypto';
import { ripemd160 } from '@noble/hashes/legacy.js';
import { fromHex, toHex } from './bytes.js';

export function sha256(data: Uint8Array): Uint8Array {
  return new Uint8Array(createHash('sha256').update(data).digest());
}

export function sha256d(data: Uint8Array): Uint8Array {
  const first = createHash('sha256').update(data).digest();
  return new Uint8Array(createHash('sha256').update(first).digest());
}

export function hash160(data: Uint8Array): Uint8Array {
  return ripemd160(sha256(data));
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
