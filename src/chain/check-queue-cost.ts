/**
 * What an input check is likely to cost, so the check queue can size batches by work rather than by input
 * count, and keep on the calling thread the transactions that would cost a worker more to receive than to
 * check. Estimates only: a wrong guess costs speed, never correctness.
 */
import type { Transaction, TxOut } from '../primitives/transaction.js';

/** Cost units of one signature verification (about its microseconds on this class of machine). */
export const SIGNATURE_COST = 64;
/** An input whose scripts hold no signature operation: a few stack operations. */
const CHEAP_INPUT_COST = 1;
/** Serializing, copying and parsing a byte for a worker, in the same units. */
const SHIPPING_COST_PER_BYTE = 0.03;

/** At most this many signature checks counted for one input. */
const MAX_COUNTED_SIGNATURES = 20;

const OP_CHECKSIG = 0xac;
const OP_CHECKSIGVERIFY = 0xad;
const OP_CHECKMULTISIG = 0xae;
const OP_CHECKMULTISIGVERIFY = 0xaf;
const OP_CHECKSIGADD = 0xba;

/** Spent-output templates that always verify a signature (P2PKH, P2WPKH, P2TR, P2SH, P2WSH, P2PK). */
function signatureTemplate(s: Uint8Array): boolean {
  const n = s.length;
  if (n === 25) return s[0] === 0x76 && s[1] === 0xa9;
  if (n === 22) return s[0] === 0x00 && s[1] === 0x14;
  if (n === 34) return (s[0] === 0x51 || s[0] === 0x00) && s[1] === 0x20;
  if (n === 23) return s[0] === 0xa9 && s[1] === 0x14;
  return (n === 35 || n === 67) && s[n - 1] === OP_CHECKSIG;
}

function countSigOpBytes(bytes: Uint8Array, count: number): number {
  for (let i = 0; i < bytes.length && count < MAX_COUNTED_SIGNATURES; i++) {
    const b = bytes[i];
    if (b === OP_CHECKSIG || b === OP_CHECKSIGVERIFY || b === OP_CHECKMULTISIG || b === OP_CHECKMULTISIGVERIFY || b === OP_CHECKSIGADD) count++;
  }
  return count;
}

/** Estimated cost of checking an input spending `spent` (its scriptSig is not read: that would cost as much as a cheap check). */
export function inputCost(spent: TxOut): number {
  if (signatureTemplate(spent.script)) return SIGNATURE_COST;
  // Anything else: a byte scan for signature opcodes (push data may match too: an over-estimate is harmless).
  const sigs = countSigOpBytes(spent.script, 0);
  return sigs === 0 ? CHEAP_INPUT_COST : sigs * SIGNATURE_COST;
}

/** The part of shippedBytes known without reading a script or a witness. */
const fixedBytes = (tx: Transaction) => 10 + tx.inputs.length * 41 + tx.outputs.length * 9;

/** Serialized size of a transaction (with witness) and its spent outputs, without serializing them. */
export function shippedBytes(tx: Transaction, spent: readonly TxOut[]): number {
  let n = fixedBytes(tx);
  for (const input of tx.inputs) {
    n += input.scriptSig.length + 1;
    for (const item of input.witness) n += item.length + 1;
  }
  for (const o of tx.outputs) n += o.script.length;
  for (const o of spent) n += o.script.length + 12;
  return n;
}

/** Whether a worker should receive a transaction at all: its checks (`checkCost`) must outweigh what shipping it costs. */
export function worthShipping(checkCost: number, tx: Transaction, spent: readonly TxOut[]): boolean {
  // The fixed part of the size often settles it (many inputs without signatures), without reading every script.
  if (checkCost < fixedBytes(tx) * SHIPPING_COST_PER_BYTE) return false;
  return checkCost >= shippedBytes(tx, spent) * SHIPPING_COST_PER_BYTE;
}
