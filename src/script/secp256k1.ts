/**
 * The secp256k1 operations script validation needs, on libsecp256k1 (the commit that chose it has the
 * figures; test/bench/secp256k1.ts measures them). ECDSA goes through the `secp256k1` package's N-API
 * bindings when they load (tiny-secp256k1's WebAssembly build otherwise). That package has no Schnorr API,
 * so BIP340 runs on its ECDSA key recovery (schnorr-by-recovery.ts), with tiny-secp256k1's schnorrsig_verify
 * for the few cases the recovery cannot express; the taproot tweak check is tiny-secp256k1's. Encodings are
 * settled before these are called (sig-encoding.ts), so these only do curve work.
 */
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import { schnorr } from '@noble/curves/secp256k1.js';
import * as tiny from 'tiny-secp256k1';
import { schnorrByRecovery } from './schnorr-by-recovery.js';

/** The package's N-API object itself (its JS wrapper only adds argument checks): 0 means success. */
interface NativeSecp {
  ecdsaVerify(sig64: Uint8Array, msg32: Uint8Array, pubkey: Uint8Array): number;
  ecdsaRecover(out: Uint8Array, sig64: Uint8Array, recid: number, msg32: Uint8Array): number;
  publicKeyTweakAdd(out: Uint8Array, pubkey: Uint8Array, tweak32: Uint8Array): number;
}

/** CHAINSNAP_SECP256K1=wasm forces the WebAssembly build (to compare, or where the N-API build cannot load). */
function loadNative(): NativeSecp | undefined {
  if (process.env.CHAINSNAP_SECP256K1 === 'wasm') return undefined;
  try {
    const pkg = createRequire(import.meta.url).resolve('secp256k1/package.json');
    // The same loader and object the package's bindings.js builds, without the wrapper.
    const addon = createRequire(pkg)('node-gyp-build')(dirname(pkg)) as { Secp256k1: new () => NativeSecp };
    return new addon.Secp256k1();
  } catch {
    return undefined;
  }
}

const native = loadNative();
const nativeSchnorr = native ? schnorrByRecovery((out, sig, recid, msg) => native.ecdsaRecover(out, sig, recid, msg)) : undefined;

/** Which library verifies ECDSA signatures in this process (for logs and benchmarks). */
export const ECDSA_BACKEND = native ? 'secp256k1 (N-API libsecp256k1)' : 'tiny-secp256k1 (WASM libsecp256k1)';

/** Which library verifies BIP340 signatures in this process (for logs and benchmarks). */
export const SCHNORR_BACKEND = native ? 'secp256k1 (N-API libsecp256k1, ECDSA key recovery)' : 'tiny-secp256k1 (WASM libsecp256k1)';

const ecdsaSig = Buffer.alloc(64);
const ecdsaMsg = Buffer.alloc(32);

/** A verification as the library saw it, for benchmarks that time the curve work alone. */
export type SignatureCall = { kind: 'ecdsa'; sig: Uint8Array; msg: Uint8Array; key: Uint8Array } | { kind: 'schnorr'; sig: Uint8Array; msg: Uint8Array; key: Uint8Array };

let recorder: ((call: SignatureCall) => void) | undefined;

/** Sees every ECDSA and Schnorr verification from now on (undefined stops it). For benchmarks only. */
export function recordSignatureCalls(fn: ((call: SignatureCall) => void) | undefined): void {
  recorder = fn;
}

/** The library's own verification of a recorded call, for timing it without the interpreter around it. */
export function replaySignatureCall(c: SignatureCall): boolean {
  return c.kind === 'ecdsa' ? ecdsaVerify(c.sig, c.msg, c.key) : schnorrVerify(c.sig, c.msg, c.key);
}

/**
 * secp256k1_ecdsa_verify on a 64-byte r ‖ s with low s and a 33/65-byte 02/03/04 key. False when the key is
 * not on the curve or r or s is zero, as libsecp256k1 answers.
 */
export function ecdsaVerify(compact: Uint8Array, msg32: Uint8Array, pubkey: Uint8Array): boolean {
  // Copies of the signature and message: callers may pass buffers they reuse.
  if (recorder) recorder({ kind: 'ecdsa', sig: Uint8Array.from(compact), msg: Uint8Array.from(msg32), key: pubkey });
  try {
    if (native) {
      if (compact.length !== 64 || msg32.length !== 32) return false;
      // Copies into long-lived buffers: handing N-API a small heap array makes V8 give it a backing store first.
      ecdsaSig.set(compact);
      ecdsaMsg.set(msg32);
      return native.ecdsaVerify(ecdsaSig, ecdsaMsg, pubkey) === 0;
    }
    return tiny.verify(msg32, pubkey, compact);
  } catch {
    // Both libraries throw where libsecp256k1's parsers return 0: an off-curve key or a zero r or s.
    return false;
  }
}

/** secp256k1_xonly_pubkey_parse then secp256k1_schnorrsig_verify. */
export function schnorrVerify(sig64: Uint8Array, msg32: Uint8Array, xonly: Uint8Array): boolean {
  if (recorder) recorder({ kind: 'schnorr', sig: Uint8Array.from(sig64), msg: Uint8Array.from(msg32), key: xonly });
  return schnorrVerifyByRecovery(sig64, msg32, xonly) ?? schnorrVerifyWasm(sig64, msg32, xonly);
}

/**
 * The recovery path alone: its verdict, or undefined where it defers to schnorrVerifyWasm (and always when
 * the N-API build did not load). For tests and benchmarks.
 */
export function schnorrVerifyByRecovery(sig64: Uint8Array, msg32: Uint8Array, xonly: Uint8Array): boolean | undefined {
  return nativeSchnorr && sig64.length === 64 && xonly.length === 32 ? nativeSchnorr(sig64, msg32, xonly) : undefined;
}

/** schnorrVerify on tiny-secp256k1 alone (the fallback, and the reference the tests compare with). */
export function schnorrVerifyWasm(sig64: Uint8Array, msg32: Uint8Array, xonly: Uint8Array): boolean {
  try {
    return tiny.verifySchnorr(msg32, xonly, sig64);
  } catch {
    // tiny-secp256k1 refuses r ≥ n up front, but BIP340's r is a field element (r < p): let noble, which
    // follows BIP340 to the letter, decide those (and answer false for an invalid key).
    try {
      return schnorr.verify(sig64, msg32, xonly);
    } catch {
      return false;
    }
  }
}

/** The internal key as a compressed key with an even y (BIP340's lift_x), and the tweaked key, for checkTapTweak. */
const tweakIn = Buffer.alloc(33, 0x02);
const tweakOut = Buffer.alloc(33);

/**
 * XOnlyPubKey::CheckTapTweak: whether `output` is `internal` + tweak·G with the y parity `parity`
 * (secp256k1_xonly_pubkey_tweak_add_check). False for an invalid internal key, a tweak ≥ n or an infinite
 * sum. Natively that is secp256k1_ec_pubkey_tweak_add on 02 ‖ internal, whose parse and failures are the
 * x-only functions' own.
 */
export function checkTapTweak(output: Uint8Array, internal: Uint8Array, tweak: Uint8Array, parity: number): boolean {
  if (native) {
    if (output.length !== 32 || internal.length !== 32 || tweak.length !== 32) return false;
    tweakIn.set(internal, 1);
    if (native.publicKeyTweakAdd(tweakOut, tweakIn, tweak) !== 0) return false;
    return (tweakOut[0] & 1) === parity && tweakOut.compare(output, 0, 32, 1, 33) === 0;
  }
  try {
    const r = tiny.xOnlyPointAddTweak(internal, tweak);
    if (!r || r.parity !== parity) return false;
    return Buffer.compare(r.xOnlyPubkey, output) === 0;
  } catch {
    return false;
  }
}

/** The tweaked output key and its parity (for building taproot outputs in tests and wallets). */
export function tapTweakPubKey(internal: Uint8Array, tweak: Uint8Array): { outputKey: Uint8Array; parity: number } | undefined {
  try {
    const r = tiny.xOnlyPointAddTweak(internal, tweak);
    return r ? { outputKey: r.xOnlyPubkey, parity: r.parity } : undefined;
  } catch {
    return undefined;
  }
}
