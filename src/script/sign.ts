/**
 * Deterministic signing for generators and tests: ECDSA (RFC6979, low-S, DER + hash type byte, as Core's
 * wallet produces) and BIP340 Schnorr with zero auxiliary randomness, including the BIP341 key-path tweak.
 * Same key and message always give the same signature, so generated chains are reproducible.
 */
import { schnorr, secp256k1 } from '@noble/curves/secp256k1.js';
import { concatBytes } from '../primitives/bytes.js';
import { SIGHASH_ALL, SIGHASH_DEFAULT, taggedHash } from './sighash.js';

const N = secp256k1.Point.CURVE().n;
const ZERO_AUX = new Uint8Array(32);

function toBigInt(b: Uint8Array): bigint {
  return BigInt('0x' + Buffer.from(b).toString('hex'));
}

function toBytes32(n: bigint): Uint8Array {
  return Uint8Array.from(Buffer.from(n.toString(16).padStart(64, '0'), 'hex'));
}

export function publicKey(privateKey: Uint8Array, compressed = true): Uint8Array {
  return secp256k1.getPublicKey(privateKey, compressed);
}

/** ECDSA over a 32-byte sighash: DER signature followed by the hash type byte (a script's signature push). */
export function signEcdsa(sighash: Uint8Array, privateKey: Uint8Array, hashType = SIGHASH_ALL): Uint8Array {
  const der = secp256k1.sign(sighash, privateKey, { prehash: false, lowS: true, format: 'der' });
  return concatBytes(der, Uint8Array.of(hashType));
}

/** Verifies a DER signature (without its hash type byte) against a sighash, requiring low S like Core's policy. */
export function verifyEcdsa(derSig: Uint8Array, sighash: Uint8Array, pubkey: Uint8Array): boolean {
  try {
    return secp256k1.verify(derSig, sighash, pubkey, { prehash: false, lowS: true, format: 'der' });
  } catch {
    return false;
  }
}

/** x-only key of a private key (BIP340). */
export function xOnlyPublicKey(privateKey: Uint8Array): Uint8Array {
  return schnorr.getPublicKey(privateKey);
}

/** BIP341 TapTweak of an x-only internal key; no script tree means no merkle root in the hash. */
export function tapTweak(internalKey: Uint8Array, merkleRoot?: Uint8Array): Uint8Array {
  return merkleRoot ? taggedHash('TapTweak', internalKey, merkleRoot) : taggedHash('TapTweak', internalKey);
}

/** The taproot output key Q = P + tG (x-only) for an x-only internal key P. */
export function tweakPublicKey(internalKey: Uint8Array, merkleRoot?: Uint8Array): Uint8Array {
  const P = schnorr.utils.lift_x(toBigInt(internalKey));
  const t = toBigInt(tapTweak(internalKey, merkleRoot));
  if (t >= N) throw new Error('taproot tweak out of range');
  return schnorr.utils.pointToBytes(P.add(secp256k1.Point.BASE.multiply(t)));
}

/** The private key that signs for the tweaked output key: d' = (±d + t) mod n, d negated when P has odd y. */
export function tweakPrivateKey(privateKey: Uint8Array, merkleRoot?: Uint8Array): Uint8Array {
  const d0 = toBigInt(privateKey);
  const P = secp256k1.Point.BASE.multiply(d0);
  const d = P.y % 2n === 0n ? d0 : N - d0;
  const t = toBigInt(tapTweak(schnorr.utils.pointToBytes(P), merkleRoot));
  return toBytes32((d + t) % N);
}

/** BIP340 signature with zero aux randomness; SIGHASH_DEFAULT gives the bare 64 bytes, others append the type. */
export function signSchnorr(sighash: Uint8Array, privateKey: Uint8Array, hashType = SIGHASH_DEFAULT): Uint8Array {
  const sig = schnorr.sign(sighash, privateKey, ZERO_AUX);
  return hashType === SIGHASH_DEFAULT ? sig : concatBytes(sig, Uint8Array.of(hashType));
}

/** Key-path signature for a taproot output whose internal key is `privateKey`'s (no script tree). */
export function signTaprootKeyPath(sighash: Uint8Array, privateKey: Uint8Array, hashType = SIGHASH_DEFAULT, merkleRoot?: Uint8Array): Uint8Array {
  return signSchnorr(sighash, tweakPrivateKey(privateKey, merkleRoot), hashType);
}

export function verifySchnorr(sig64: Uint8Array, sighash: Uint8Array, xOnlyKey: Uint8Array): boolean {
  try {
    return schnorr.verify(sig64, sighash, xOnlyKey);
  } catch {
    return false;
  }
}
