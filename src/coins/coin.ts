/**
 * A coin (an unspent output with its creation height and coinbase flag) and Core's compressed encoding of
 * it: VARINT(height·2 + coinbase) ‖ VARINT(CompressAmount(value)) ‖ compressed script. The same bytes are
 * a chainstate LevelDB value (before obfuscation) and a coin in a snapshot file.
 */
import { writeVarIntBigInto, writeVarIntInto } from '../primitives/bytes.js';
import { compressAmount, MAX_SCRIPT_SIZE, writeCompressedScript } from './compressor.js';
import { decodeCompressedCoin, decoded, readRecord, RECORD_CODE } from './coin-record.js';

export interface Coin {
  height: number;
  coinbase: boolean;
  /** Satoshis. */
  value: number;
  script: Uint8Array;
}

/** Largest compressed coin: VARINT code (5), amount (10), script size (5) and the script itself. */
export const MAX_COMPRESSED_COIN = 20 + MAX_SCRIPT_SIZE;

/**
 * Writes the compressed coin into `out` at `pos` (room for MAX_COMPRESSED_COIN needed) and returns the
 * new position. The script is given in place as `src[scriptOff, scriptOff + scriptLen)`.
 */
export function writeCompressedCoin(
  out: Uint8Array,
  pos: number,
  height: number,
  coinbase: boolean,
  value: number,
  src: Uint8Array,
  scriptOff: number,
  scriptLen: number,
): number {
  pos = writeVarIntInto(out, pos, height * 2 + (coinbase ? 1 : 0));
  pos = writeVarIntBigInto(out, pos, compressAmount(value));
  return writeCompressedScript(out, pos, src, scriptOff, scriptLen);
}

export function serializeCoin(coin: Coin): Uint8Array {
  const out = new Uint8Array(MAX_COMPRESSED_COIN + coin.script.length);
  return out.slice(0, writeCompressedCoin(out, 0, coin.height, coin.coinbase, coin.value, coin.script, 0, coin.script.length));
}

/**
 * Decodes one compressed coin from `bytes` at `offset`. Returns the coin and the offset after it; throws
 * DeserializeError with Core's message when the bytes are malformed or end early.
 */
export function parseCoin(bytes: Uint8Array, offset = 0, baseOffset = 0): { coin: Coin; end: number } {
  const scratch = Buffer.alloc(RECORD_CODE + 16 + 10_000);
  const end = decodeCompressedCoin(bytes, offset, bytes.length, scratch, RECORD_CODE, baseOffset);
  if (end > bytes.length) decoded.failEnd(bytes.length, baseOffset);
  const r = readRecord(scratch, 0);
  return { coin: { height: r.height, coinbase: r.coinbase, value: r.value, script: r.script }, end };
}
