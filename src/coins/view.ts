/**
 * The seam between validation and coin storage. An outpoint is keyed by the chainstate database key
 * without its 'C' prefix — txid (32 bytes, internal order) ‖ VARINT(vout) — held as a latin1 string, so
 * JavaScript string order equals LevelDB's key order and a cache needs no second encoding.
 * Views are synchronous (classic-level's getSync), as Core's are: a block is connected without awaiting.
 */
import { ByteReader, encodeVarInt } from '../primitives/bytes.js';
import type { Coin } from './coin.js';

export type OutpointKey = string;

export function outpointKey(txid: Uint8Array, vout: number): OutpointKey {
  return Buffer.concat([txid, encodeVarInt(vout)]).toString('latin1');
}

export function parseOutpointKey(key: OutpointKey): { txid: Uint8Array; vout: number } {
  const bytes = Buffer.from(key, 'latin1');
  return { txid: new Uint8Array(bytes.subarray(0, 32)), vout: new ByteReader(bytes, 32).readVarInt(32) };
}

/** Read access to a UTXO set as of `bestBlock()`. */
export interface CoinsView {
  /** The unspent coin at `key`, or undefined. */
  getCoin(key: OutpointKey): Coin | undefined;
  haveCoin(key: OutpointKey): boolean;
  /** Hash (internal order) of the block the view is consistent with; undefined for an empty set. */
  bestBlock(): Uint8Array | undefined;
}

/** A view that validation can change (Core's CCoinsViewCache interface, reduced to what connecting needs). */
export interface CoinsViewCache extends CoinsView {
  /**
   * Adds an unspent coin. `possibleOverwrite` is false when the outpoint cannot already be unspent
   * (Core asserts it), true for the BIP30 exception blocks and when re-adding coins during a disconnect.
   */
  addCoin(key: OutpointKey, coin: Coin, possibleOverwrite: boolean): void;
  /** Spends the coin at `key`, returning it (for undo data), or undefined when it was not unspent. */
  spendCoin(key: OutpointKey): Coin | undefined;
  setBestBlock(hash: Uint8Array): void;
}
