/**
 * Signature and public key encodings exactly as Core checks and parses them: the strict-DER and low-S policy
 * checks of interpreter.cpp, the key-encoding rules behind STRICTENC and WITNESS_PUBKEYTYPE, and pubkey.cpp's
 * ecdsa_signature_parse_der_lax, which turns whatever consensus accepts into (r, s) before verifying.
 */
import { ScriptError } from './script-error.js';
import {
  SCRIPT_VERIFY_DERSIG,
  SCRIPT_VERIFY_LOW_S,
  SCRIPT_VERIFY_STRICTENC,
  SCRIPT_VERIFY_WITNESS_PUBKEYTYPE,
} from './script-flags.js';

/** Core's SigVersion. */
export const enum SigVersion {
  BASE = 0,
  WITNESS_V0 = 1,
  TAPROOT = 2,
  TAPSCRIPT = 3,
}

/** The curve order n, big-endian, and n/2 (the low-S bound). */
const ORDER = Uint8Array.from(Buffer.from('fffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141', 'hex'));
const HALF_ORDER = Uint8Array.from(Buffer.from('7fffffffffffffffffffffffffffffff5d576e7357a4501ddfe92f46681b20a0', 'hex'));

function compare32(a: Uint8Array, aOff: number, b: Uint8Array): number {
  for (let i = 0; i < 32; i++) if (a[aOff + i] !== b[i]) return a[aOff + i] < b[i] ? -1 : 1;
  return 0;
}

/** Core's IsValidSignatureEncoding (BIP66 strict DER), on a signature that still carries its hash type byte. */
export function isValidSignatureEncoding(sig: Uint8Array): boolean {
  const size = sig.length;
  if (size < 9 || size > 73) return false;
  if (sig[0] !== 0x30 || sig[1] !== size - 3) return false;
  const lenR = sig[3];
  if (5 + lenR >= size) return false;
  const lenS = sig[5 + lenR];
  if (lenR + lenS + 7 !== size) return false;
  if (sig[2] !== 0x02 || lenR === 0 || sig[4] & 0x80) return false;
  if (lenR > 1 && sig[4] === 0x00 && !(sig[5] & 0x80)) return false;
  if (sig[lenR + 4] !== 0x02 || lenS === 0 || sig[lenR + 6] & 0x80) return false;
  if (lenS > 1 && sig[lenR + 6] === 0x00 && !(sig[lenR + 7] & 0x80)) return false;
  return true;
}

/**
 * secp256k1's ecdsa_signature_parse_der_lax as Core carries it in pubkey.cpp: 64 bytes r ‖ s, with an
 * out-of-range r or s turned into zeros (which then never verify); undefined when the outer structure is
 * beyond even lax parsing. Written into `out` (64 bytes) when given, so that verification allocates nothing.
 */
export function parseDerLax(input: Uint8Array, out?: Uint8Array): Uint8Array | undefined {
  const len = input.length;
  let pos = 0;
  if (pos === len || input[pos] !== 0x30) return undefined;
  pos++;
  if (pos === len) return undefined;
  let lenbyte = input[pos++];
  if (lenbyte & 0x80) {
    lenbyte -= 0x80;
    if (lenbyte > len - pos) return undefined;
    pos += lenbyte;
  }
  // Where r and s start and how long they are (locals, not arrays: this runs for every ECDSA signature).
  let rAt = 0;
  let rLen = 0;
  let sAt = 0;
  let sLen = 0;
  for (let k = 0; k < 2; k++) {
    if (pos === len || input[pos] !== 0x02) return undefined;
    pos++;
    if (pos === len) return undefined;
    lenbyte = input[pos++];
    let ilen: number;
    if (lenbyte & 0x80) {
      lenbyte -= 0x80;
      if (lenbyte > len - pos) return undefined;
      while (lenbyte > 0 && input[pos] === 0) {
        pos++;
        lenbyte--;
      }
      if (lenbyte >= 4) return undefined;
      ilen = 0;
      while (lenbyte > 0) {
        ilen = ilen * 256 + input[pos];
        pos++;
        lenbyte--;
      }
    } else {
      ilen = lenbyte;
    }
    if (ilen > len - pos) return undefined;
    if (k === 0) {
      rAt = pos;
      rLen = ilen;
    } else {
      sAt = pos;
      sLen = ilen;
    }
    pos += ilen;
  }
  if (out) out.fill(0);
  else out = new Uint8Array(64);
  const overflow = !copyInteger(input, rAt, rLen, out, 0) || !copyInteger(input, sAt, sLen, out, 32);
  if (overflow || compare32(out, 0, ORDER) >= 0 || compare32(out, 32, ORDER) >= 0) out.fill(0);
  return out;
}

/** A DER integer's value right-aligned in out[at..at+32]; false when it needs more than 32 bytes. */
function copyInteger(input: Uint8Array, p: number, l: number, out: Uint8Array, at: number): boolean {
  while (l > 0 && input[p] === 0) {
    l--;
    p++;
  }
  if (l > 32) return false;
  for (let i = 0; i < l; i++) out[at + 32 - l + i] = input[p + i];
  return true;
}

/** True when s (bytes 32..63 of a compact signature) is above n/2. */
export function isHighS(compact: Uint8Array): boolean {
  return compare32(compact, 32, HALF_ORDER) > 0;
}

/** secp256k1_ecdsa_signature_normalize: replaces s by n - s when s is high (in place). */
export function normalizeS(compact: Uint8Array): void {
  if (!isHighS(compact)) return;
  let borrow = 0;
  for (let i = 31; i >= 0; i--) {
    let d = ORDER[i] - compact[32 + i] - borrow;
    borrow = d < 0 ? 1 : 0;
    if (d < 0) d += 256;
    compact[32 + i] = d;
  }
}

/** Core's IsLowDERSignature: the error it reports, or OK. */
function lowDerError(sig: Uint8Array): ScriptError {
  if (!isValidSignatureEncoding(sig)) return ScriptError.SIG_DER;
  const compact = parseDerLax(sig.subarray(0, sig.length - 1));
  // CPubKey::CheckLowS fails when lax parsing fails, and Core reports that as a high S.
  if (!compact || isHighS(compact)) return ScriptError.SIG_HIGH_S;
  return ScriptError.OK;
}

/** Core's IsDefinedHashtypeSignature. */
function isDefinedHashtype(sig: Uint8Array): boolean {
  if (sig.length === 0) return false;
  const t = sig[sig.length - 1] & ~0x80;
  return t >= 1 && t <= 3;
}

/** Core's CheckSignatureEncoding: OK or the error to fail the script with. */
export function checkSignatureEncoding(sig: Uint8Array, flags: number): ScriptError {
  if (sig.length === 0) return ScriptError.OK;
  if (flags & (SCRIPT_VERIFY_DERSIG | SCRIPT_VERIFY_LOW_S | SCRIPT_VERIFY_STRICTENC) && !isValidSignatureEncoding(sig)) {
    return ScriptError.SIG_DER;
  }
  if (flags & SCRIPT_VERIFY_LOW_S) {
    const e = lowDerError(sig);
    if (e !== ScriptError.OK) return e;
  }
  if (flags & SCRIPT_VERIFY_STRICTENC && !isDefinedHashtype(sig)) return ScriptError.SIG_HASHTYPE;
  return ScriptError.OK;
}

function isCompressedOrUncompressed(key: Uint8Array): boolean {
  if (key.length < 33) return false;
  if (key[0] === 0x04) return key.length === 65;
  if (key[0] === 0x02 || key[0] === 0x03) return key.length === 33;
  return false;
}

/** Core's CheckPubKeyEncoding: OK or the error to fail the script with. */
export function checkPubKeyEncoding(key: Uint8Array, flags: number, sigversion: SigVersion): ScriptError {
  if (flags & SCRIPT_VERIFY_STRICTENC && !isCompressedOrUncompressed(key)) return ScriptError.PUBKEYTYPE;
  if (flags & SCRIPT_VERIFY_WITNESS_PUBKEYTYPE && sigversion === SigVersion.WITNESS_V0 && !(key.length === 33 && (key[0] === 2 || key[0] === 3))) {
    return ScriptError.WITNESS_PUBKEYTYPE;
  }
  return ScriptError.OK;
}

/**
 * CPubKey's length-by-header rule plus secp256k1_ec_pubkey_parse's handling of hybrid keys: the key in a form
 * every library parses (hybrid 06/07 → 04 when the y parity matches), or undefined when Core would reject it
 * before asking the curve. Whether the point is on the curve is left to the library.
 */
export function normalizePubKey(key: Uint8Array): Uint8Array | undefined {
  const h = key[0];
  if (h === 2 || h === 3) return key.length === 33 ? key : undefined;
  if (h === 4) return key.length === 65 ? key : undefined;
  if (h === 6 || h === 7) {
    if (key.length !== 65 || (key[64] & 1) !== (h & 1)) return undefined;
    const k = Uint8Array.from(key);
    k[0] = 4;
    return k;
  }
  return undefined;
}
