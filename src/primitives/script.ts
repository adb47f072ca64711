/**
 * Script building blocks for generators and tests: the opcodes we emit, data and number pushes encoded as
 * Core's `CScript << ...` does, the standard output script templates, and the "provably unspendable" rule
 * that keeps outputs out of the UTXO set. Script execution lives elsewhere.
 */
import { concatBytes } from './bytes.js';

export const OP_0 = 0x00;
export const OP_PUSHDATA1 = 0x4c;
export const OP_PUSHDATA2 = 0x4d;
export const OP_PUSHDATA4 = 0x4e;
export const OP_1NEGATE = 0x4f;
export const OP_1 = 0x51;
export const OP_16 = 0x60;
export const OP_RETURN = 0x6a;
export const OP_DUP = 0x76;
export const OP_EQUAL = 0x87;
export const OP_EQUALVERIFY = 0x88;
export const OP_HASH160 = 0xa9;
export const OP_CHECKSIG = 0xac;
export const OP_CHECKMULTISIG = 0xae;
export const OP_TRUE = OP_1;

/** Core's MAX_SCRIPT_SIZE: longer output scripts can never be spent. */
export const MAX_SCRIPT_SIZE = 10_000;

/**
 * A data push as `CScript << std::vector` writes it: the shortest length prefix for the size. Like Core it
 * never turns a one-byte 1..16 into OP_N (the genesis coinbase relies on `01 04` staying a push).
 */
export function pushData(data: Uint8Array): Uint8Array {
  const n = data.length;
  let prefix: number[];
  if (n < OP_PUSHDATA1) prefix = [n];
  else if (n <= 0xff) prefix = [OP_PUSHDATA1, n];
  else if (n <= 0xffff) prefix = [OP_PUSHDATA2, n & 0xff, n >>> 8];
  else prefix = [OP_PUSHDATA4, n & 0xff, (n >>> 8) & 0xff, (n >>> 16) & 0xff, n >>> 24];
  return concatBytes(Uint8Array.from(prefix), data);
}

/** CScriptNum serialization: minimal little-endian sign-magnitude (0 → empty). */
export function scriptNumBytes(n: number | bigint): Uint8Array {
  let v = BigInt(n);
  if (v === 0n) return new Uint8Array(0);
  const negative = v < 0n;
  if (negative) v = -v;
  const out: number[] = [];
  while (v > 0n) {
    out.push(Number(v & 0xffn));
    v >>= 8n;
  }
  // The top bit carries the sign, so a magnitude that uses it needs one more byte.
  if (out[out.length - 1] & 0x80) out.push(negative ? 0x80 : 0x00);
  else if (negative) out[out.length - 1] |= 0x80;
  return Uint8Array.from(out);
}

/** A number push as `CScript << int64` writes it: OP_0, OP_1NEGATE, OP_1..OP_16, else a CScriptNum push. */
export function pushNumber(n: number | bigint): Uint8Array {
  const v = BigInt(n);
  if (v === 0n) return Uint8Array.of(OP_0);
  if (v === -1n) return Uint8Array.of(OP_1NEGATE);
  if (v >= 1n && v <= 16n) return Uint8Array.of(OP_1 + Number(v) - 1);
  return pushData(scriptNumBytes(v));
}

function expectLength(what: string, bytes: Uint8Array, len: number): void {
  if (bytes.length !== len) throw new Error(`${what} must be ${len} bytes, got ${bytes.length}`);
}

export function p2pkh(pubkeyHash: Uint8Array): Uint8Array {
  expectLength('P2PKH hash', pubkeyHash, 20);
  return concatBytes(Uint8Array.of(OP_DUP, OP_HASH160, 20), pubkeyHash, Uint8Array.of(OP_EQUALVERIFY, OP_CHECKSIG));
}

export function p2sh(scriptHash: Uint8Array): Uint8Array {
  expectLength('P2SH hash', scriptHash, 20);
  return concatBytes(Uint8Array.of(OP_HASH160, 20), scriptHash, Uint8Array.of(OP_EQUAL));
}

export function p2wpkh(pubkeyHash: Uint8Array): Uint8Array {
  expectLength('P2WPKH hash', pubkeyHash, 20);
  return concatBytes(Uint8Array.of(OP_0, 20), pubkeyHash);
}

export function p2wsh(scriptSha256: Uint8Array): Uint8Array {
  expectLength('P2WSH hash', scriptSha256, 32);
  return concatBytes(Uint8Array.of(OP_0, 32), scriptSha256);
}

export function p2tr(xonlyKey: Uint8Array): Uint8Array {
  expectLength('P2TR output key', xonlyKey, 32);
  return concatBytes(Uint8Array.of(OP_1, 32), xonlyKey);
}

/** Pay-to-pubkey; any key bytes are accepted because tests need hybrid and off-curve keys too. */
export function p2pk(pubkey: Uint8Array): Uint8Array {
  return concatBytes(pushData(pubkey), Uint8Array.of(OP_CHECKSIG));
}

/** Bare `m <keys> n OP_CHECKMULTISIG` (Core's GetScriptForMultisig). */
export function multisig(m: number, pubkeys: Uint8Array[]): Uint8Array {
  if (!Number.isInteger(m) || m < 1 || m > pubkeys.length || pubkeys.length > 16) {
    throw new Error(`invalid multisig: ${m} of ${pubkeys.length}`);
  }
  return concatBytes(pushNumber(m), ...pubkeys.map(pushData), pushNumber(pubkeys.length), Uint8Array.of(OP_CHECKMULTISIG));
}

/** OP_RETURN, followed by one push of `data` when given. */
export function opReturn(data?: Uint8Array): Uint8Array {
  return data === undefined ? Uint8Array.of(OP_RETURN) : concatBytes(Uint8Array.of(OP_RETURN), pushData(data));
}

/** Core's CScript::IsUnspendable: such outputs are never added to the UTXO set. */
export function isUnspendable(script: Uint8Array): boolean {
  return (script.length > 0 && script[0] === OP_RETURN) || script.length > MAX_SCRIPT_SIZE;
}
