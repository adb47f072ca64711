/**
 * BIP340 Schnorr verification on libsecp256k1's ECDSA public key recovery, for the native N-API bindings that
 * have recovery but no Schnorr API. Recovery computes Q = r⁻¹·(s·R₀ − z·G), R₀ the point with x = r and
 * the parity of recid. With r' = px (R₀ = P, the x-only key's even-y point), s' = −e·px and z = −s·px
 * (mod n) it yields Q = s·G − e·P, BIP340's R: the signature is valid iff Q is finite, has an even y and
 * x(Q) = r. Only what the trick cannot express (px ≥ n, e·px ≡ 0, a recovery that fails: px off the curve
 * or Q at infinity) is left to the caller, which asks libsecp256k1's own schnorrsig_verify.
 */
import { hash } from 'node:crypto';
import { sha256 } from '../primitives/hash.js';

/** The raw binding: writes the recovered key (33 bytes: compressed) into `out`; 0 on success. */
export type RecoverFn = (out: Uint8Array, sig64: Uint8Array, recid: number, msg32: Uint8Array) => number;

/** The field size p and the group order n, as 64 lowercase hex digits: such strings compare as the numbers. */
const P_HEX = 'fffffffffffffffffffffffffffffffffffffffffffffffffffffffefffffc2f';
const N_HEX = 'fffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141';
const N = BigInt('0x' + N_HEX);

/**
 * A verifier on `recover`: true or false as BIP340 answers, or undefined where the caller must decide (the
 * cases above). Not reentrant (shared buffers), which JavaScript's single thread per isolate guarantees.
 */
export function schnorrByRecovery(recover: RecoverFn): (sig64: Uint8Array, msg32: Uint8Array, xonly: Uint8Array) => boolean | undefined {
  // tagged_hash("BIP0340/challenge", r ‖ px ‖ m): the tag's digest twice, then the 96 bytes of the call.
  const challenge = Buffer.alloc(160);
  const tag = sha256(new TextEncoder().encode('BIP0340/challenge'));
  challenge.set(tag, 0);
  challenge.set(tag, 32);
  const recSig = Buffer.alloc(64);
  const recMsg = Buffer.alloc(32);
  const recovered = Buffer.alloc(33);

  const sig = Buffer.alloc(64);
  const key = Buffer.alloc(32);

  return (sig64, msg32, xonly) => {
    // Copies, so that no small heap array has to be given a backing store to be read.
    sig.set(sig64);
    key.set(xonly);
    const rHex = sig.toString('hex', 0, 32);
    const sHex = sig.toString('hex', 32, 64);
    const pxHex = key.toString('hex');
    // libsecp256k1 rejects these encodings before any curve work (schnorrsig_verify, xonly_pubkey_parse).
    if (rHex >= P_HEX || sHex >= N_HEX || pxHex >= P_HEX) return false;
    // r' = px must be a scalar below n, and non-zero (recovery rejects r' = 0 or s' = 0).
    if (pxHex >= N_HEX || msg32.length !== 32) return undefined;
    const px = BigInt('0x' + pxHex);
    if (px === 0n) return undefined;
    sig.copy(challenge, 64, 0, 32);
    challenge.set(key, 96);
    challenge.set(msg32, 128);
    const e = BigInt('0x' + hash('sha256', challenge, 'hex')) % N;
    const sPrime = (N - ((e * px) % N)) % N;
    if (sPrime === 0n) return undefined;
    const z = (N - ((BigInt('0x' + sHex) * px) % N)) % N;
    recSig.write(pxHex, 0, 'hex');
    recSig.write(sPrime.toString(16).padStart(64, '0'), 32, 'hex');
    recMsg.write(z.toString(16).padStart(64, '0'), 0, 'hex');
    if (recover(recovered, recSig, 0, recMsg) !== 0) return undefined;
    // Q = R: even y (0x02 prefix) and x(Q) = r, byte for byte (r < p, so no reduction hides a mismatch).
    return recovered[0] === 0x02 && recovered.compare(sig, 0, 32, 1, 33) === 0;
  };
}
