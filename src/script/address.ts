/**
 * Addresses (Core's key_io): base58check P2PKH/P2SH, bech32 segwit v0 and bech32m v1+ (BIP173/BIP350),
 * to and from output scripts. Codecs come from @scure/base.
 */
import { base58check as makeBase58check, bech32, bech32m } from '@scure/base';
import { sha256 } from '@noble/hashes/sha2.js';
import type { ChainParams } from '../consensus/params.js';
import { concatBytes } from '../primitives/bytes.js';

const base58check = makeBase58check(sha256);

/** Core's base58 prefixes: mainnet, and every test network (testnet3, testnet4, signet, regtest). */
function base58Prefixes(params: Pick<ChainParams, 'name'>): { pubkey: number; script: number } {
  return params.name === 'main' ? { pubkey: 0, script: 5 } : { pubkey: 111, script: 196 };
}

/** Bech32 strings may be up to 90 characters (BIP173); Core allows the same. */
const BECH32_LIMIT = 90;

/** The address of an output script, or undefined for scripts without one (P2PK, multisig, OP_RETURN, …). */
export function encodeAddress(script: Uint8Array, params: Pick<ChainParams, 'name' | 'bech32Hrp'>): string | undefined {
  const n = script.length;
  const prefixes = base58Prefixes(params);
  if (n === 25 && script[0] === 0x76 && script[1] === 0xa9 && script[2] === 20 && script[23] === 0x88 && script[24] === 0xac) {
    return base58check.encode(concatBytes(Uint8Array.of(prefixes.pubkey), script.subarray(3, 23)));
  }
  if (n === 23 && script[0] === 0xa9 && script[1] === 20 && script[22] === 0x87) {
    return base58check.encode(concatBytes(Uint8Array.of(prefixes.script), script.subarray(2, 22)));
  }
  const witness = witnessProgram(script);
  if (!witness) return undefined;
  const { version, program } = witness;
  if (version === 0 && program.length !== 20 && program.length !== 32) return undefined;
  const words = [version, ...bech32.toWords(program)];
  return (version === 0 ? bech32 : bech32m).encode(params.bech32Hrp, words, BECH32_LIMIT);
}

/** Core's CScript::IsWitnessProgram: OP_n followed by one push of 2 to 40 bytes. */
export function witnessProgram(script: Uint8Array): { version: number; program: Uint8Array } | undefined {
  if (script.length < 4 || script.length > 42) return undefined;
  const op = script[0];
  if (op !== 0 && (op < 0x51 || op > 0x60)) return undefined;
  if (script[1] + 2 !== script.length) return undefined;
  return { version: op === 0 ? 0 : op - 0x50, program: script.subarray(2) };
}

/** The output script an address pays to, or undefined when the string is not a valid address of this network. */
export function decodeAddress(address: string, params: Pick<ChainParams, 'name' | 'bech32Hrp'>): Uint8Array | undefined {
  const hrp = params.bech32Hrp;
  if (address.toLowerCase().startsWith(`${hrp}1`)) return decodeSegwit(address, hrp);
  let payload: Uint8Array;
  try {
    payload = base58check.decode(address);
  } catch {
    return undefined;
  }
  if (payload.length !== 21) return undefined;
  const prefixes = base58Prefixes(params);
  const hash = payload.subarray(1);
  if (payload[0] === prefixes.pubkey) return concatBytes(Uint8Array.of(0x76, 0xa9, 20), hash, Uint8Array.of(0x88, 0xac));
  if (payload[0] === prefixes.script) return concatBytes(Uint8Array.of(0xa9, 20), hash, Uint8Array.of(0x87));
  return undefined;
}

function decodeSegwit(address: string, hrp: string): Uint8Array | undefined {
  // Mixed case is invalid (BIP173); the codecs lower-case for us only when the string is all one case.
  if (address !== address.toLowerCase() && address !== address.toUpperCase()) return undefined;
  const lower = address.toLowerCase() as `${string}1${string}`;
  for (const codec of [bech32, bech32m]) {
    let decoded: { prefix: string; words: number[] };
    try {
      decoded = codec.decode(lower, BECH32_LIMIT);
    } catch {
      continue;
    }
    if (decoded.prefix !== hrp || decoded.words.length === 0) return undefined;
    const version = decoded.words[0];
    // BIP350: version 0 uses bech32, every other version bech32m.
    if ((version === 0) !== (codec === bech32)) return undefined;
    if (version > 16) return undefined;
    let program: Uint8Array;
    try {
      program = Uint8Array.from(codec.fromWords(decoded.words.slice(1)));
    } catch {
      return undefined;
    }
    if (program.length < 2 || program.length > 40) return undefined;
    if (version === 0 && program.length !== 20 && program.length !== 32) return undefined;
    return concatBytes(Uint8Array.of(version === 0 ? 0 : 0x50 + version, program.length), program);
  }
  return undefined;
}
