/**
 * A batch of input checks as the bytes that travel to a script-check worker, and the worker's answer.
 * Raw bytes, no object graphs: the batch is one buffer handed over (transferred, not copied).
 *
 *   batch  := u32 flags ‖ compactSize nTx ‖ nTx × tx
 *   tx     := u32 position (in the sender's list) ‖ varBytes serialized tx (with witness)
 *             ‖ compactSize nSpent ‖ nSpent × (i64 value ‖ varBytes script)
 *             ‖ compactSize nInputs ‖ nInputs × u32 input index
 *   answer := [ok = 0] or [failed = 1, position, input index, ScriptError]
 */
import { ByteReader, ByteWriter } from '../primitives/bytes.js';
import { parseTransaction, serializeTransaction, type Transaction, type TxOut } from '../primitives/transaction.js';
import { checkInputs } from './input-checks.js';

export interface BatchTx {
  /** Where the sender keeps this transaction (so the answer can name it). */
  position: number;
  tx: Transaction;
  spent: readonly TxOut[];
  inputs: number[];
}

export type BatchAnswer = Uint32Array;

/** Transactions split over batches are serialized once. */
const serialized = new WeakMap<Transaction, Uint8Array>();

export function encodeBatch(flags: number, txs: readonly BatchTx[]): Uint8Array {
  const w = new ByteWriter(1024);
  w.writeU32LE(flags >>> 0).writeCompactSize(txs.length);
  for (const t of txs) {
    let txBytes = serialized.get(t.tx);
    if (!txBytes) serialized.set(t.tx, (txBytes = serializeTransaction(t.tx)));
    w.writeU32LE(t.position).writeVarBytes(txBytes).writeCompactSize(t.spent.length);
    for (const o of t.spent) w.writeI64LE(o.value).writeVarBytes(o.script);
    w.writeCompactSize(t.inputs.length);
    for (const i of t.inputs) w.writeU32LE(i);
  }
  return w.toBytes();
}

/** Runs a batch's checks (in the worker): the same checkInputs the main thread runs. */
export function runEncodedBatch(bytes: Uint8Array): BatchAnswer {
  const r = new ByteReader(bytes);
  const flags = r.readU32LE();
  const nTx = r.readCompactSize();
  for (let t = 0; t < nTx; t++) {
    const position = r.readU32LE();
    const tx = parseTransaction(new ByteReader(r.readBytes(r.readCompactSize())));
    const spent: TxOut[] = [];
    for (let n = r.readCompactSize(); n > 0; n--) spent.push({ value: r.readI64LE(), script: r.readBytes(r.readCompactSize()) });
    const inputs: number[] = [];
    for (let n = r.readCompactSize(); n > 0; n--) inputs.push(r.readU32LE());
    const failure = checkInputs(tx, spent, flags, inputs);
    if (failure) return Uint32Array.of(1, position, failure.inputIndex, failure.error);
  }
  return Uint32Array.of(0);
}

/** Runs a batch's checks on this thread, without encoding it. */
export function runBatch(flags: number, txs: readonly BatchTx[]): BatchAnswer {
  for (const t of txs) {
    const failure = checkInputs(t.tx, t.spent, flags, t.inputs);
    if (failure) return Uint32Array.of(1, t.position, failure.inputIndex, failure.error);
  }
  return Uint32Array.of(0);
}
