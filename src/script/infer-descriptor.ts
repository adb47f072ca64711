/**
 * Core's InferDescriptor for an output script with no signing data (DUMMY_SIGNING_PROVIDER), as RPCs
 * show it in `desc`: pk(KEY) and multi(k,KEY,...) for non-hybrid keys, rawtr(XONLY) for a valid taproot
 * output key, addr(ADDRESS) when the script has an address, raw(HEX) otherwise; all with the checksum.
 */
import type { ChainParams } from '../consensus/params.js';
import { toHex } from '../primitives/bytes.js';
import { isFullyValidPubKey } from '../primitives/pubkey.js';
import { encodeAddress } from './address.js';
import { addChecksum } from './descriptor-checksum.js';
import { hasAddress, solve } from './solver.js';

/** Core's CPubKey::IsValidNonHybrid (the size already matches the prefix). */
function nonHybrid(key: Uint8Array): boolean {
  return key[0] === 2 || key[0] === 3 || key[0] === 4;
}

/** The descriptor without its checksum. */
export function inferDescriptorBody(script: Uint8Array, params: Pick<ChainParams, 'name' | 'bech32Hrp'>): string {
  const s = solve(script);
  if (s.type === 'pubkey' && nonHybrid(s.data!)) return `pk(${toHex(s.data!)})`;
  if (s.type === 'multisig' && s.keys!.every(nonHybrid)) return `multi(${s.required},${s.keys!.map(toHex).join(',')})`;
  // XOnlyPubKey::IsFullyValid: the x coordinate is on the curve.
  if (s.type === 'witness_v1_taproot' && isFullyValidPubKey(Uint8Array.of(2, ...s.data!))) return `rawtr(${toHex(s.data!)})`;
  if (hasAddress(s.type)) {
    const address = encodeAddress(script, params);
    if (address !== undefined) return `addr(${address})`;
  }
  return `raw(${toHex(script)})`;
}

export function inferDescriptor(script: Uint8Array, params: Pick<ChainParams, 'name' | 'bech32Hrp'>): string {
  return addChecksum(inferDescriptorBody(script, params));
}
