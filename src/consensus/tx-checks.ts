/**
 * Context-free transaction rules: Core's CheckTransaction (consensus/tx_check.cpp) with its reject reasons,
 * IsFinalTx (lock time against a height and a time), and the serialized sizes the block rules weigh
 * (computed from the fields, so checking a block never re-serializes it).
 */
import { MAX_MONEY, moneyRange } from '../coins/compressor.js';
import { compactSizeLength } from '../primitives/bytes.js';
import { isCoinbase, Transaction } from '../primitives/transaction.js';
import { MAX_BLOCK_WEIGHT, WITNESS_SCALE_FACTOR } from './sigops.js';
import { invalid } from './validation-error.js';

export { MAX_MONEY, moneyRange };
/** nLockTime below this is a height, at or above it a unix time. */
export const LOCKTIME_THRESHOLD = 500_000_000;
export const SEQUENCE_FINAL = 0xffffffff;

/** Size of the serialization without witness (Core's TX_NO_WITNESS). */
export function txBaseSize(tx: Transaction): number {
  let n = 8 + compactSizeLength(tx.inputs.length) + compactSizeLength(tx.outputs.length);
  for (const i of tx.inputs) n += 40 + compactSizeLength(i.scriptSig.length) + i.scriptSig.length;
  for (const o of tx.outputs) n += 8 + compactSizeLength(o.script.length) + o.script.length;
  return n;
}

/** Size of the full serialization: the base plus marker, flag and every witness stack, if any input has one. */
export function txTotalSize(tx: Transaction, base = txBaseSize(tx)): number {
  if (!tx.inputs.some((i) => i.witness.length > 0)) return base;
  let n = base + 2;
  for (const i of tx.inputs) {
    n += compactSizeLength(i.witness.length);
    for (const item of i.witness) n += compactSizeLength(item.length) + item.length;
  }
  return n;
}

/** BIP141 weight: base size × 3 + total size. */
export function txWeight(tx: Transaction): number {
  const base = txBaseSize(tx);
  return base * (WITNESS_SCALE_FACTOR - 1) + txTotalSize(tx, base);
}

function isNullPrevout(txid: Uint8Array, vout: number): boolean {
  if (vout !== 0xffffffff) return false;
  for (let i = 0; i < 32; i++) if (txid[i] !== 0) return false;
  return true;
}

/**
 * Core's CheckTransaction. Throws ValidationError('consensus', reason) on the first rule broken, in
 * Core's order (so a transaction breaking two rules reports the same reason as Core).
 */
export function checkTransaction(tx: Transaction): void {
  if (tx.inputs.length === 0) throw invalid('bad-txns-vin-empty');
  if (tx.outputs.length === 0) throw invalid('bad-txns-vout-empty');
  // Without witness: the witness has not been checked against its commitment yet.
  if (txBaseSize(tx) * WITNESS_SCALE_FACTOR > MAX_BLOCK_WEIGHT) throw invalid('bad-txns-oversize');

  // Negative or overflowing output values (CVE-2010-5139).
  let valueOut = 0;
  for (const o of tx.outputs) {
    if (o.value < 0) throw invalid('bad-txns-vout-negative');
    if (o.value > MAX_MONEY) throw invalid('bad-txns-vout-toolarge');
    // Each value ≤ MAX_MONEY, so the running sum stays far below 2^53 before it fails the range.
    valueOut += o.value;
    if (!moneyRange(valueOut)) throw invalid('bad-txns-txouttotal-toolarge');
  }

  // Duplicate inputs (CVE-2018-17144): later code spends each input once and would not notice.
  if (tx.inputs.length > 1) {
    const seen = new Set<string>();
    for (const i of tx.inputs) {
      const key = Buffer.from(i.prevout.txid.buffer, i.prevout.txid.byteOffset, 32).toString('latin1') + i.prevout.vout;
      if (seen.has(key)) throw invalid('bad-txns-inputs-duplicate');
      seen.add(key);
    }
  }

  if (isCoinbase(tx)) {
    const n = tx.inputs[0].scriptSig.length;
    if (n < 2 || n > 100) throw invalid('bad-cb-length');
  } else {
    for (const i of tx.inputs) if (isNullPrevout(i.prevout.txid, i.prevout.vout)) throw invalid('bad-txns-prevout-null');
  }
}

/**
 * Core's IsFinalTx: the lock time is 0, or already passed (a height below `height`, a time below
 * `time`), or every input opts out with SEQUENCE_FINAL.
 */
export function isFinalTx(tx: Transaction, height: number, time: number): boolean {
  const lt = tx.lockTime >>> 0;
  if (lt === 0) return true;
  if (lt < (lt < LOCKTIME_THRESHOLD ? height : time)) return true;
  for (const i of tx.inputs) if (i.sequence >>> 0 !== SEQUENCE_FINAL) return false;
  return true;
}
