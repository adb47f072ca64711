/**
 * Transactions: the data model, Core's wire serialization (legacy and BIP144 segwit, with Core's exact
 * decoding rules and error messages) and the two identifiers, txid (no witness) and wtxid (with witness).
 * Hashes are in internal byte order. Treat a Transaction as immutable once parsed or hashed: ids are cached.
 */
import { ByteReader, ByteWriter, fromHex } from './bytes.js';
import { DeserializeError } from './errors.js';
import { sha256d } from './hash.js';

/** Core's ios_base::failure messages from UnserializeTransaction. */
export const SUPERFLUOUS_WITNESS = 'Superfluous witness record';
export const UNKNOWN_OPTIONAL_DATA = 'Unknown transaction optional data';

export interface OutPoint {
  /** 32 bytes, internal order. */
  txid: Uint8Array;
  vout: number;
}

export interface TxIn {
  prevout: OutPoint;
  scriptSig: Uint8Array;
  sequence: number;
  /** Witness stack; empty when the input has none. */
  witness: Uint8Array[];
}

export interface TxOut {
  /** Satoshis (int64 on the wire). */
  value: number;
  script: Uint8Array;
}

export interface Transaction {
  /** int32 here; Core v28+ types it uint32, the 4 bytes on the wire are the same. */
  version: number;
  inputs: TxIn[];
  outputs: TxOut[];
  lockTime: number;
}

export const NULL_VOUT = 0xffffffff;

/** Bytes of the serialization without witness, when parsing saw them contiguously (no copy). */
const legacyBytes = new WeakMap<Transaction, Uint8Array>();
const txidCache = new WeakMap<Transaction, Uint8Array>();
const wtxidCache = new WeakMap<Transaction, Uint8Array>();

function readInputs(r: ByteReader): TxIn[] {
  const n = r.readCompactSize();
  const inputs: TxIn[] = [];
  for (let i = 0; i < n; i++) {
    const txid = r.readBytes(32);
    const vout = r.readU32LE();
    const scriptSig = r.readBytes(r.readCompactSize());
    const sequence = r.readU32LE();
    inputs.push({ prevout: { txid, vout }, scriptSig, sequence, witness: [] });
  }
  return inputs;
}

function readOutputs(r: ByteReader): TxOut[] {
  const n = r.readCompactSize();
  const outputs: TxOut[] = [];
  for (let i = 0; i < n; i++) {
    const value = r.readI64LE();
    const script = r.readBytes(r.readCompactSize());
    outputs.push({ value, script });
  }
  return outputs;
}

/**
 * Core's UnserializeTransaction with witness allowed (or not). Byte arrays in the result are views into the
 * reader's buffer, so keep the buffer unchanged while the transaction is in use.
 */
export function parseTransaction(r: ByteReader, allowWitness = true): Transaction {
  const start = r.pos;
  const version = r.readI32LE();
  let flags = 0;
  let inputs = readInputs(r);
  let outputs: TxOut[] = [];
  let extended = false;
  // An empty input vector is the segwit marker; the byte after it is the flag. With flag 0, Core reads
  // neither inputs nor outputs again: the transaction simply has none.
  if (inputs.length === 0 && allowWitness) {
    flags = r.readU8();
    if (flags !== 0) {
      extended = true;
      inputs = readInputs(r);
      outputs = readOutputs(r);
    }
  } else {
    outputs = readOutputs(r);
  }
  if (flags & 1 && allowWitness) {
    flags ^= 1;
    for (const input of inputs) {
      const items = r.readCompactSize();
      for (let i = 0; i < items; i++) input.witness.push(r.readBytes(r.readCompactSize()));
    }
    if (!inputs.some((i) => i.witness.length > 0)) r.fail(SUPERFLUOUS_WITNESS);
  }
  if (flags) r.fail(UNKNOWN_OPTIONAL_DATA);
  const lockTime = r.readU32LE();
  const tx: Transaction = { version, inputs, outputs, lockTime };
  // Without the extended format, the bytes just read are exactly the txid preimage.
  if (!extended) legacyBytes.set(tx, r.buf.subarray(start, r.pos));
  return tx;
}

/** Parses one transaction from hex; the whole string must be consumed. */
export function transactionFromHex(hex: string, allowWitness = true): Transaction {
  const r = new ByteReader(fromHex(hex));
  const tx = parseTransaction(r, allowWitness);
  if (!r.eof) throw new DeserializeError('unexpected data after transaction', r.pos);
  return tx;
}

export function hasWitness(tx: Transaction): boolean {
  return tx.inputs.some((i) => i.witness.length > 0);
}

export function isCoinbase(tx: Transaction): boolean {
  if (tx.inputs.length !== 1) return false;
  const p = tx.inputs[0].prevout;
  return p.vout === NULL_VOUT && p.txid.every((b) => b === 0);
}

/** Core's SerializeTransaction: the segwit form only when asked for and some input has a witness. */
export function writeTransaction(w: ByteWriter, tx: Transaction, withWitness = true): void {
  const segwit = withWitness && hasWitness(tx);
  w.writeI32LE(tx.version);
  if (segwit) w.writeU8(0).writeU8(1);
  w.writeCompactSize(tx.inputs.length);
  for (const i of tx.inputs) {
    w.writeBytes(i.prevout.txid).writeU32LE(i.prevout.vout).writeVarBytes(i.scriptSig).writeU32LE(i.sequence);
  }
  w.writeCompactSize(tx.outputs.length);
  for (const o of tx.outputs) w.writeI64LE(o.value).writeVarBytes(o.script);
  if (segwit) {
    for (const i of tx.inputs) {
      w.writeCompactSize(i.witness.length);
      for (const item of i.witness) w.writeVarBytes(item);
    }
  }
  w.writeU32LE(tx.lockTime);
}

export function serializeTransaction(tx: Transaction, withWitness = true): Uint8Array {
  const w = new ByteWriter(256);
  writeTransaction(w, tx, withWitness);
  return w.toBytes();
}

/** SHA256d of the serialization without witness, internal order. */
export function txid(tx: Transaction): Uint8Array {
  let id = txidCache.get(tx);
  if (!id) {
    id = sha256d(legacyBytes.get(tx) ?? serializeTransaction(tx, false));
    txidCache.set(tx, id);
  }
  return id;
}

/** SHA256d of the full serialization; equals the txid when there is no witness. */
export function wtxid(tx: Transaction): Uint8Array {
  if (!hasWitness(tx)) return txid(tx);
  let id = wtxidCache.get(tx);
  if (!id) {
    id = sha256d(serializeTransaction(tx, true));
    wtxidCache.set(tx, id);
  }
  return id;
}

/** Size in bytes of the serialization, with or without witness. */
export function transactionSize(tx: Transaction, withWitness = true): number {
  return serializeTransaction(tx, withWitness).length;
}
