/**
 * Core's undo data (undo.h): what a block spent, so it can be disconnected. BlockUndo = CompactSize(n) of
 * TxUndo, one per non-coinbase transaction; TxUndo = CompactSize(n) of TxInUndo, one per input; TxInUndo =
 * VARINT(height·2 + coinbase), a zero byte (the old tx-version slot) when height > 0, then the coin's
 * compressed txout. Also rev*.dat framing: magic ‖ u32 size ‖ undo ‖ SHA256d(prev block hash ‖ undo).
 */
import {
  compressAmount,
  decompressAmount,
  decompressScript,
  MAX_SCRIPT_SIZE,
  SPECIAL_SCRIPTS,
  specialScriptSize,
  writeCompressedScript,
} from '../coins/compressor.js';
import type { Coin } from '../coins/coin.js';
import { ByteReader, ByteWriter, concatBytes, equalBytes, writeVarIntBigInto, writeVarIntInto } from '../primitives/bytes.js';
import { DeserializeError } from '../primitives/errors.js';
import { sha256d } from '../primitives/hash.js';

/** The coins one transaction spent, in input order. */
export type TxUndo = Coin[];
/** Per non-coinbase transaction of the block, in block order. */
export type BlockUndo = TxUndo[];

const OP_RETURN_SCRIPT = Uint8Array.of(0x6a);
/** Code (5) + dummy (1) + amount (10) + script size (3) + script. */
const MAX_TXIN_UNDO = 19 + MAX_SCRIPT_SIZE;

function writeTxInUndo(w: ByteWriter, coin: Coin, scratch: Uint8Array): void {
  let p = writeVarIntInto(scratch, 0, coin.height * 2 + (coin.coinbase ? 1 : 0));
  // Core writes the dummy as an unsigned char; as a VARINT, 0 is the same byte.
  if (coin.height > 0) scratch[p++] = 0;
  p = writeVarIntBigInto(scratch, p, compressAmount(coin.value));
  p = writeCompressedScript(scratch, p, coin.script, 0, coin.script.length);
  w.writeBytes(scratch.subarray(0, p));
}

export function serializeBlockUndo(undo: BlockUndo): Uint8Array {
  const w = new ByteWriter(64);
  let scratch = new Uint8Array(MAX_TXIN_UNDO);
  w.writeCompactSize(undo.length);
  for (const txUndo of undo) {
    w.writeCompactSize(txUndo.length);
    for (const coin of txUndo) {
      // Scripts over MAX_SCRIPT_SIZE never enter the UTXO set, but size the scratch for any coin given.
      if (coin.script.length > MAX_SCRIPT_SIZE) scratch = new Uint8Array(MAX_TXIN_UNDO + coin.script.length);
      writeTxInUndo(w, coin, scratch);
    }
  }
  return w.toBytes();
}

function readTxInUndo(r: ByteReader): Coin {
  const code = r.readVarInt(32);
  const height = Math.floor(code / 2);
  // Old versions stored the spent transaction's version here; it is read and ignored.
  if (height > 0) r.readVarInt(32);
  const value = decompressAmount(r.readVarIntBig(64));
  let size = r.readVarInt(32);
  let script: Uint8Array;
  if (size < SPECIAL_SCRIPTS) {
    script = decompressScript(size, r.readBytes(specialScriptSize(size)));
  } else {
    size -= SPECIAL_SCRIPTS;
    if (size > MAX_SCRIPT_SIZE) {
      // Core keeps a short unspendable script in place of an oversized one and skips its bytes.
      r.skip(size);
      script = OP_RETURN_SCRIPT;
    } else {
      script = Uint8Array.from(r.readBytes(size));
    }
  }
  return { height, coinbase: (code & 1) === 1, value, script };
}

/**
 * Reads a BlockUndo with Core's rules and messages (DeserializeError: end of data, non-canonical or too
 * large CompactSize, VARINT too large). Given bytes, they must hold exactly one BlockUndo; given a
 * reader, it stops after it (as Core's stream does before the checksum).
 */
export function parseBlockUndo(input: Uint8Array | ByteReader): BlockUndo {
  const r = input instanceof ByteReader ? input : new ByteReader(input);
  const n = r.readCompactSize();
  const undo: BlockUndo = [];
  for (let i = 0; i < n; i++) {
    const m = r.readCompactSize();
    const txUndo: TxUndo = [];
    for (let j = 0; j < m; j++) txUndo.push(readTxInUndo(r));
    undo.push(txUndo);
  }
  if (!(input instanceof ByteReader) && !r.eof) throw new DeserializeError('unexpected data after block undo', r.pos);
  return undo;
}

/** The checksum Core stores after each undo record: SHA256d(prev block hash (internal) ‖ undo bytes). */
export function undoChecksum(prevHash: Uint8Array, undoBytes: Uint8Array): Uint8Array {
  return sha256d(concatBytes(prevHash, undoBytes));
}

/** A rev*.dat record as Core's WriteBlockUndo lays it out: magic ‖ u32 LE size ‖ undo ‖ checksum. */
export function frameUndoRecord(magic: Uint8Array, undoBytes: Uint8Array, prevHash: Uint8Array): Uint8Array {
  const w = new ByteWriter(undoBytes.length + 40);
  w.writeBytes(magic).writeU32LE(undoBytes.length).writeBytes(undoBytes).writeBytes(undoChecksum(prevHash, undoBytes));
  return w.toBytes();
}

/**
 * Core's ReadBlockUndo at `pos` (the undo's first byte, after magic and size): the BlockUndo, then the
 * checksum, which must match. Throws DeserializeError on bad bytes and Error('Checksum mismatch').
 */
export function readUndoRecord(file: Uint8Array, pos: number, prevHash: Uint8Array): BlockUndo {
  const r = new ByteReader(file, pos);
  const undo = parseBlockUndo(r);
  const bytes = file.subarray(pos, r.pos);
  const stored = r.readBytes(32);
  if (!equalBytes(stored, undoChecksum(prevHash, bytes))) throw new Error('Checksum mismatch');
  return undo;
}
