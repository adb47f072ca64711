/**
 * A batch of input checks as the bytes that travel to a script-check worker, and the worker's answer.
 * Raw bytes, no object graphs: the batch is one buffer handed over (transferred, not copied).
 *
 *   batch  := u32 session ‖ u32 flags ‖ compactSize nTx ‖ nTx × tx
 *   tx     := u32 position (in the session) ‖ u8 full
 *             ‖ [full: varBytes serialized tx (with witness) ‖ compactSize nSpent ‖ nSpent × (i64 value ‖ varBytes script)]
 *             ‖ compactSize nInputs ‖ nInputs × u32 input index
 *   answer := [ok = 0] or [failed = 1, position, input index, ScriptError]
 *
 * A transaction split over several batches travels to each worker once: later batches name it by position,
 * and the worker keeps it, with its precomputed data, until the session ends. A 20,000-input transaction is
 * thus sent, parsed and hashed once per worker, not once per batch.
 */
import { ByteReader, ByteWriter } from '../primitives/bytes.js';
import { parseTransaction, serializeTransaction, type Transaction, type TxOut } from '../primitives/transaction.js';
import { precomputeTxData, type PrecomputedTxData } from '../script/tx-checker.js';
import { checkInputs } from './input-checks.js';

export interface BatchTx {
  /** Where the session keeps this transaction (so the answer can name it). */
  position: number;
  tx: Transaction;
  spent: readonly TxOut[];
  inputs: number[];
}

export type BatchAnswer = Uint32Array;

/** Transactions split over batches are serialized once. */
const serialized = new WeakMap<Transaction, Uint8Array>();

/** Encodes a batch for a worker that already holds the positions in `held` (updated). */
export function encodeBatch(session: number, flags: number, txs: readonly BatchTx[], held: Set<number>): Uint8Array {
  const w = new ByteWriter(1024);
  w.writeU32LE(session).writeU32LE(flags >>> 0).writeCompactSize(txs.length);
  for (const t of txs) {
    const full = !held.has(t.position);
    w.writeU32LE(t.position).writeU8(full ? 1 : 0);
    if (full) {
      let txBytes = serialized.get(t.tx);
      if (!txBytes) serialized.set(t.tx, (txBytes = serializeTransaction(t.tx)));
      w.writeVarBytes(txBytes).writeCompactSize(t.spent.length);
      for (const o of t.spent) w.writeI64LE(o.value).writeVarBytes(o.script);
      held.add(t.position);
    }
    w.writeCompactSize(t.inputs.length);
    for (const i of t.inputs) w.writeU32LE(i);
  }
  return w.toBytes();
}

interface HeldTx {
  tx: Transaction;
  spent: TxOut[];
  data: PrecomputedTxData;
}

/** The worker's side: the transactions of the sessions in progress, and running batches against them. */
export class WorkerTxCache {
  private readonly sessions = new Map<number, Map<number, HeldTx>>();

  run(bytes: Uint8Array): BatchAnswer {
    const r = new ByteReader(bytes);
    const session = r.readU32LE();
    const flags = r.readU32LE();
    let held = this.sessions.get(session);
    if (!held) this.sessions.set(session, (held = new Map()));
    for (let n = r.readCompactSize(); n > 0; n--) {
      const position = r.readU32LE();
      let h: HeldTx | undefined;
      if (r.readU8() === 1) {
        const tx = parseTransaction(new ByteReader(r.readBytes(r.readCompactSize())));
        const spent: TxOut[] = [];
        for (let k = r.readCompactSize(); k > 0; k--) spent.push({ value: r.readI64LE(), script: r.readBytes(r.readCompactSize()) });
        h = { tx, spent, data: precomputeTxData(tx, spent) };
        held.set(position, h);
      } else {
        h = held.get(position);
        if (!h) throw new Error(`script-check batch names transaction ${position} of session ${session}, which this worker never received`);
      }
      const inputs: number[] = [];
      for (let k = r.readCompactSize(); k > 0; k--) inputs.push(r.readU32LE());
      const failure = checkInputs(h.tx, h.spent, flags, inputs, h.data);
      if (failure) return Uint32Array.of(1, position, failure.inputIndex, failure.error);
    }
    return Uint32Array.of(0);
  }

  end(session: number): void {
    this.sessions.delete(session);
  }
}

/** Runs a batch's checks on this thread, without encoding it; `data` caches precomputed data per transaction. */
export function runBatch(flags: number, txs: readonly BatchTx[], data: Map<number, PrecomputedTxData>): BatchAnswer {
  for (const t of txs) {
    let d = data.get(t.position);
    if (!d) data.set(t.position, (d = precomputeTxData(t.tx, t.spent)));
    const failure = checkInputs(t.tx, t.spent, flags, t.inputs, d);
    if (failure) return Uint32Array.of(1, t.position, failure.inputIndex, failure.error);
  }
  return Uint32Array.of(0);
}
