/**
 * The secp256k1 public-key facts that coin compression needs: whether a 65-byte key is a valid point
 * (Core's CPubKey::IsFullyValid) and recovering y from x for compressed keys.
 */
import { secp256k1 } from '@noble/curves/secp256k1.js';

/** True when `key` is a 33- or 65-byte encoding of a point on the curve (hybrid 06/07 keys are not). */
export function isFullyValidPubKey(key: Uint8Array): boolean {
  if (!(key.length === 33 && (key[0] === 2 || key[0] === 3)) && !(key.length === 65 && key[0] === 4)) return false;
  try {
    secp256k1.Point.fromBytes(key);
    return true;
  } catch {
    return false;
  }
}

/** 33-byte compressed key → 65-byte uncompressed key, or undefined when x is not on the curve. */
export function decompressPubKey(compressed: Uint8Array): Uint8Array | undefined {
  try {
    return secp256k1.Point.fromBytes(compressed).toBytes(false);
  } catch {
    return undefined;
  }
}
