/**
 * Two orders of outputs within a transaction: a snapshot file (like Core's chainstate keys) orders them by
 * the bytes of VARINT(vout), the UTXO hashes by number. They agree below 16512, where VARINT grows to
 * three bytes beginning 0x80 and so sorts 16512 between 255 and 256.
 */
import { compareBytes, encodeVarInt } from '../primitives/bytes.js';

export const FIRST_VOUT_OUT_OF_ORDER = 16512;

export function compareVoutKeys(a: number, b: number): number {
  if (a < FIRST_VOUT_OUT_OF_ORDER && b < FIRST_VOUT_OUT_OF_ORDER) return a - b;
  return compareBytes(encodeVarInt(a), encodeVarInt(b));
}
