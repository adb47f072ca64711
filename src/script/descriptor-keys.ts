/**
 * Key expressions of output descriptors, as Core's script/descriptor.cpp parses them (ParsePubkey,
 * ParsePubkeyInner, ParseKeyPath): hex public keys (x-only inside tr()), WIF private keys, BIP32 extended
 * keys (xpub/xprv, tpub/tprv) with derivation paths, `*` ranges and `<a;b>` multipath, and `[fingerprint/path]`
 * origins. Errors carry Core's messages. Also BIP32 derivation (public and, with the private key, hardened).
 */
import { secp256k1 } from '@noble/curves/secp256k1.js';
import { hmac } from '@noble/hashes/hmac.js';
import { sha512 } from '@noble/hashes/sha2.js';
import { base58check as makeBase58check } from '@scure/base';
import { sha256 } from '@noble/hashes/sha2.js';
import type { ChainParams } from '../consensus/params.js';
import { concatBytes, fromHex, toHex } from '../primitives/bytes.js';
import { isFullyValidPubKey } from '../primitives/pubkey.js';

const base58check = makeBase58check(sha256);
const N = secp256k1.Point.CURVE().n;
const HARDENED = 0x80000000;

/** A descriptor that Core would refuse, with Core's message. */
export class DescriptorError extends Error {
  override name = 'DescriptorError';
}

/** Where a key appears (Core's ParseScriptContext); it decides uncompressed and x-only keys. */
export type KeyContext = 'top' | 'p2sh' | 'p2wpkh' | 'p2wsh' | 'p2tr';

export type DeriveType = 'no' | 'unhardened' | 'hardened';

interface ExtKey {
  depth: number;
  chainCode: Uint8Array;
  /** Compressed public key. */
  pubkey: Uint8Array;
  privkey?: Uint8Array;
}

export type KeyExpression =
  | { kind: 'const'; pubkey: Uint8Array; xonly: boolean }
  | { kind: 'bip32'; ext: ExtKey; path: number[]; derive: DeriveType };

/** Core's Base58Prefix for the key types, by network. */
function prefixes(params: Pick<ChainParams, 'name'>): { secret: number; extPub: string; extSecret: string } {
  return params.name === 'main'
    ? { secret: 0x80, extPub: '0488b21e', extSecret: '0488ade4' }
    : { secret: 0xef, extPub: '043587cf', extSecret: '04358394' };
}

const isHex = (s: string) => s.length > 0 && s.length % 2 === 0 && /^[0-9a-fA-F]+$/.test(s);
const isSpace = (c: string) => c === ' ' || c === '\f' || c === '\n' || c === '\r' || c === '\t' || c === '\v';

function validPrivateKey(k: Uint8Array): boolean {
  const n = BigInt('0x' + toHex(k));
  return n > 0n && n < N;
}

/** Core's CPubKey size rule: the first byte decides the length (2/3 → 33, 4/6/7 → 65). */
function pubkeyLengthOk(data: Uint8Array): boolean {
  const first = data[0];
  const len = first === 2 || first === 3 ? 33 : first === 4 || first === 6 || first === 7 ? 65 : 0;
  return len > 0 && data.length === len;
}

function decodeSecret(str: string, params: Pick<ChainParams, 'name'>): { key: Uint8Array; compressed: boolean } | undefined {
  let data: Uint8Array;
  try {
    data = base58check.decode(str);
  } catch {
    return undefined;
  }
  if (data[0] !== prefixes(params).secret) return undefined;
  if (data.length !== 33 && !(data.length === 34 && data[33] === 1)) return undefined;
  const key = data.slice(1, 33);
  return validPrivateKey(key) ? { key, compressed: data.length === 34 } : undefined;
}

/** Core's DecodeExtKey / DecodeExtPubKey (CExtKey::Decode's checks included). */
function decodeExtKey(str: string, params: Pick<ChainParams, 'name'>): ExtKey | undefined {
  let data: Uint8Array;
  try {
    data = base58check.decode(str);
  } catch {
    return undefined;
  }
  if (data.length !== 78) return undefined;
  const version = toHex(data.subarray(0, 4));
  const depth = data[4];
  const rootOk = depth !== 0 || data.subarray(5, 13).every((b) => b === 0);
  const chainCode = data.slice(13, 45);
  const { extPub, extSecret } = prefixes(params);
  if (version === extSecret) {
    const privkey = data.slice(46, 78);
    if (!rootOk || data[45] !== 0 || !validPrivateKey(privkey)) return undefined;
    return { depth, chainCode, privkey, pubkey: secp256k1.getPublicKey(privkey, true) };
  }
  if (version === extPub) {
    const pubkey = data.slice(45, 78);
    if (!rootOk || !isFullyValidPubKey(pubkey)) return undefined;
    return { depth, chainCode, pubkey };
  }
  return undefined;
}

/** BIP32 CKD: private when the parent has its private key, else public (which refuses hardened steps). */
function deriveChild(parent: ExtKey, index: number): ExtKey | undefined {
  const hardened = index >= HARDENED;
  if (hardened && !parent.privkey) return undefined;
  const ser = Uint8Array.of(index >>> 24, (index >>> 16) & 0xff, (index >>> 8) & 0xff, index & 0xff);
  const data = hardened ? concatBytes(Uint8Array.of(0), parent.privkey!, ser) : concatBytes(parent.pubkey, ser);
  const I = hmac(sha512, parent.chainCode, data);
  const il = BigInt('0x' + toHex(I.subarray(0, 32)));
  const chainCode = I.slice(32);
  if (il >= N) return undefined;
  if (parent.privkey) {
    const k = (il + BigInt('0x' + toHex(parent.privkey))) % N;
    if (k === 0n) return undefined;
    const privkey = fromHex(k.toString(16).padStart(64, '0'));
    return { depth: parent.depth + 1, chainCode, privkey, pubkey: secp256k1.getPublicKey(privkey, true) };
  }
  const point = secp256k1.Point.fromBytes(parent.pubkey).add(secp256k1.Point.BASE.multiply(il));
  if (point.equals(secp256k1.Point.ZERO)) return undefined;
  return { depth: parent.depth + 1, chainCode, pubkey: point.toBytes(true) };
}

/**
 * The public key of a key expression at range position `pos` (33 or 65 bytes; 32 for x-only), or undefined
 * when it cannot be derived without a private key that the descriptor does not carry.
 */
export function keyAt(k: KeyExpression, pos: number): Uint8Array | undefined {
  if (k.kind === 'const') return k.pubkey;
  let ext: ExtKey | undefined = k.ext;
  const path = [...k.path];
  if (k.derive === 'unhardened') path.push(pos);
  else if (k.derive === 'hardened') path.push((pos | HARDENED) >>> 0);
  for (const index of path) {
    ext = ext && deriveChild(ext, index);
    if (!ext) return undefined;
  }
  return ext.pubkey;
}

/** The x-only form (BIP340) of a key expression's key at `pos`. */
export function xOnlyKeyAt(k: KeyExpression, pos: number): Uint8Array | undefined {
  const key = keyAt(k, pos);
  if (!key) return undefined;
  return key.length === 32 ? key : key.subarray(1, 33);
}

/** Core's ParseKeyPathNum. */
function parseKeyPathNum(elem: string): number {
  let hardened = false;
  if (elem.endsWith("'") || elem.endsWith('h')) {
    elem = elem.slice(0, -1);
    hardened = true;
  }
  // ToIntegral<uint32_t> (std::from_chars): digits only, no sign, no overflow.
  const m = /^([0-9]+)$/.exec(elem);
  const value = m ? Number(m[1]) : NaN;
  if (!m || value > 0xffffffff) throw new DescriptorError(`Key path value '${elem}' is not a valid uint32`);
  if (value > 0x7fffffff) throw new DescriptorError(`Key path value ${value} is out of range`);
  return hardened ? (value | HARDENED) >>> 0 : value;
}

/** Core's ParseKeyPath over the elements after the key; several paths when one element is `<a;b;…>`. */
function parseKeyPath(elems: string[], allowMultipath: boolean): number[][] {
  const path: number[] = [];
  let multipath: { at: number; values: number[] } | undefined;
  for (const elem of elems) {
    if (elem.startsWith('<') && elem.endsWith('>') && elem.length >= 2) {
      if (!allowMultipath) throw new DescriptorError(`Key path value '${elem}' specifies multipath in a section where multipath is not allowed`);
      if (multipath) throw new DescriptorError('Multiple multipath key path specifiers found');
      const nums = elem.slice(1, -1).split(';');
      if (nums.length < 2) throw new DescriptorError('Multipath key path specifiers must have at least two items');
      const values: number[] = [];
      for (const n of nums) {
        const v = parseKeyPathNum(n);
        if (values.includes(v)) throw new DescriptorError(`Duplicated key path value ${v} in multipath specifier`);
        values.push(v);
      }
      multipath = { at: path.length, values };
      path.push(0);
    } else {
      path.push(parseKeyPathNum(elem));
    }
  }
  if (!multipath) return [path];
  return multipath.values.map((v) => path.map((p, i) => (i === multipath!.at ? v : p)));
}

/** Core's ParsePubkeyInner: one key, or one per multipath branch. */
function parsePubkeyInner(str: string, ctx: KeyContext, params: Pick<ChainParams, 'name'>): KeyExpression[] {
  const permitUncompressed = ctx === 'top' || ctx === 'p2sh';
  const split = str.split('/');
  const key = split[0];
  if (key.length === 0) throw new DescriptorError('No key provided');
  if (isSpace(key[0]) || isSpace(key[key.length - 1])) throw new DescriptorError(`Key '${key}' is invalid due to whitespace`);
  if (split.length === 1) {
    if (isHex(key)) {
      const data = fromHex(key);
      if (pubkeyLengthOk(data) && (data[0] === 6 || data[0] === 7)) throw new DescriptorError('Hybrid public keys are not allowed');
      if (pubkeyLengthOk(data) && isFullyValidPubKey(data)) {
        if (permitUncompressed || data.length === 33) return [{ kind: 'const', pubkey: data, xonly: false }];
        throw new DescriptorError('Uncompressed keys are not allowed');
      }
      if (data.length === 32 && ctx === 'p2tr' && isFullyValidPubKey(concatBytes(Uint8Array.of(2), data))) {
        return [{ kind: 'const', pubkey: data, xonly: true }];
      }
      throw new DescriptorError(`Pubkey '${key}' is invalid`);
    }
    const secret = decodeSecret(key, params);
    if (secret) {
      if (!permitUncompressed && !secret.compressed) throw new DescriptorError('Uncompressed keys are not allowed');
      const pubkey = secp256k1.getPublicKey(secret.key, secret.compressed);
      return [{ kind: 'const', pubkey: ctx === 'p2tr' ? pubkey.subarray(1, 33) : pubkey, xonly: ctx === 'p2tr' }];
    }
  }
  const ext = decodeExtKey(key, params);
  if (!ext) throw new DescriptorError(`key '${key}' is not valid`);
  const elems = split.slice(1);
  let derive: DeriveType = 'no';
  const last = elems[elems.length - 1];
  if (last === '*') derive = 'unhardened';
  else if (last === "*'" || last === '*h') derive = 'hardened';
  if (derive !== 'no') elems.pop();
  return parseKeyPath(elems, true).map((path) => ({ kind: 'bip32' as const, ext, path, derive }));
}

/** Core's ParsePubkey: an optional `[fingerprint/path]` origin, then the key. musig() is not supported. */
export function parsePubkey(str: string, ctx: KeyContext, params: Pick<ChainParams, 'name'>): KeyExpression[] {
  const originSplit = str.split(']');
  if (originSplit.length > 2) throw new DescriptorError("Multiple ']' characters found for a single pubkey");
  if (originSplit.length === 1) return parsePubkeyInner(str, ctx, params);
  const origin = originSplit[0];
  if (origin.length === 0 || origin[0] !== '[') {
    throw new DescriptorError(`Key origin start '[ character expected but not found, got '${origin.length === 0 ? ']' : origin[0]}' instead`);
  }
  const slashSplit = origin.slice(1).split('/');
  if (slashSplit[0].length !== 8) {
    throw new DescriptorError(`Fingerprint is not 4 bytes (${slashSplit[0].length} characters instead of 8 characters)`);
  }
  if (!isHex(slashSplit[0])) throw new DescriptorError(`Fingerprint '${slashSplit[0]}' is not hex`);
  parseKeyPath(slashSplit.slice(1), false);
  return parsePubkeyInner(originSplit[1], ctx, params);
}

/** True for a 33-byte (compressed) key; x-only keys count as compressed, as Core's do. */
export function isCompressed(pubkey: Uint8Array): boolean {
  return pubkey.length !== 65;
}
