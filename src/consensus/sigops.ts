/**
 * Signature-operation counting as Core's consensus does it (consensus/tx_verify.cpp, script/script.cpp
 * GetSigOpCount, script/interpreter.cpp CountWitnessSigOps), the block limits those counts are held to,
 * and the script verification flag bits they depend on (the interpreter, when it lands, shares them).
 * Nothing here executes a script: counting only walks opcodes.
 */
import type { Coin } from '../coins/coin.js';
import { isCoinbase, Transaction } from '../primitives/transaction.js';

export const WITNESS_SCALE_FACTOR = 4;
export const MAX_BLOCK_WEIGHT = 4_000_000;
export const MAX_BLOCK_SIGOPS_COST = 80_000;
/** A bare CHECKMULTISIG counts this many when the key count is not known (legacy counting). */
export const MAX_PUBKEYS_PER_MULTISIG = 20;

/** Core's SCRIPT_VERIFY_* bits (script/interpreter.h; enum order = bit position). */
export const SCRIPT_VERIFY_NONE = 0;
export const SCRIPT_VERIFY_P2SH = 1 << 0;
export const SCRIPT_VERIFY_STRICTENC = 1 << 1;
export const SCRIPT_VERIFY_DERSIG = 1 << 2;
export const SCRIPT_VERIFY_LOW_S = 1 << 3;
export const SCRIPT_VERIFY_NULLDUMMY = 1 << 4;
export const SCRIPT_VERIFY_CHECKLOCKTIMEVERIFY = 1 << 9;
export const SCRIPT_VERIFY_CHECKSEQUENCEVERIFY = 1 << 10;
export const SCRIPT_VERIFY_WITNESS = 1 << 11;
export const SCRIPT_VERIFY_TAPROOT = 1 << 17;

const OP_1 = 0x51;
const OP_16 = 0x60;
const OP_CHECKSIG = 0xac;
const OP_CHECKSIGVERIFY = 0xad;
const OP_CHECKMULTISIG = 0xae;
const OP_CHECKMULTISIGVERIFY = 0xaf;
const OP_INVALIDOPCODE = 0xff;

/**
 * Core's GetScriptOp: returns the position after the opcode at `pc` (and its push data), or -1 when the
 * script ends inside a push. `pushStart` receives where the pushed data begins.
 */
function nextOp(s: Uint8Array, pc: number, push?: { start: number; end: number }): number {
  const op = s[pc++];
  if (push) push.start = push.end = pc;
  if (op > 0x4e) return pc;
  let size = op;
  if (op === 0x4c) {
    if (s.length - pc < 1) return -1;
    size = s[pc++];
  } else if (op === 0x4d) {
    if (s.length - pc < 2) return -1;
    size = s[pc] | (s[pc + 1] << 8);
    pc += 2;
  } else if (op === 0x4e) {
    if (s.length - pc < 4) return -1;
    size = (s[pc] | (s[pc + 1] << 8) | (s[pc + 2] << 16)) + s[pc + 3] * 0x1000000;
    pc += 4;
  }
  if (s.length - pc < size) return -1;
  if (push) {
    push.start = pc;
    push.end = pc + size;
  }
  return pc + size;
}

/** Core's CScript::GetSigOpCount(fAccurate): stops silently at a malformed push. */
export function scriptSigOpCount(s: Uint8Array, accurate: boolean): number {
  let n = 0;
  let last = OP_INVALIDOPCODE;
  for (let pc = 0; pc < s.length; ) {
    const op = s[pc];
    pc = nextOp(s, pc);
    if (pc < 0) break;
    if (op === OP_CHECKSIG || op === OP_CHECKSIGVERIFY) n++;
    else if (op === OP_CHECKMULTISIG || op === OP_CHECKMULTISIGVERIFY) {
      n += accurate && last >= OP_1 && last <= OP_16 ? last - OP_1 + 1 : MAX_PUBKEYS_PER_MULTISIG;
    }
    last = op;
  }
  return n;
}

export function isPayToScriptHash(s: Uint8Array): boolean {
  return s.length === 23 && s[0] === 0xa9 && s[1] === 0x14 && s[22] === 0x87;
}

/** Core's IsWitnessProgram: OP_0..OP_16 then one direct push making up the rest (4..42 bytes in all). */
export function witnessProgram(s: Uint8Array): { version: number; program: Uint8Array } | undefined {
  if (s.length < 4 || s.length > 42) return undefined;
  if (s[0] !== 0 && (s[0] < OP_1 || s[0] > OP_16)) return undefined;
  if (s[1] + 2 !== s.length) return undefined;
  return { version: s[0] === 0 ? 0 : s[0] - OP_1 + 1, program: s.subarray(2) };
}

/**
 * The data of the last push of a push-only scriptSig (empty if the last op is OP_0..OP_16 or there is
 * none), or undefined when the script is not push-only or malformed — the P2SH redeem script as Core
 * finds it for counting.
 */
function lastPush(scriptSig: Uint8Array): Uint8Array | undefined {
  const push = { start: 0, end: 0 };
  for (let pc = 0; pc < scriptSig.length; ) {
    const op = scriptSig[pc];
    pc = nextOp(scriptSig, pc, push);
    if (pc < 0 || op > OP_16) return undefined;
  }
  return scriptSig.subarray(push.start, push.end);
}

/** CheckBlock and ConnectBlock both need the legacy count; transactions are immutable once parsed. */
const legacyCache = new WeakMap<Transaction, number>();

/** Core's GetLegacySigOpCount: inaccurate counting over every scriptSig and output script. */
export function legacySigOpCount(tx: Transaction): number {
  let n = legacyCache.get(tx);
  if (n !== undefined) return n;
  n = 0;
  for (const i of tx.inputs) n += scriptSigOpCount(i.scriptSig, false);
  for (const o of tx.outputs) n += scriptSigOpCount(o.script, false);
  legacyCache.set(tx, n);
  return n;
}

/** Core's GetP2SHSigOpCount: accurate count of each P2SH input's redeem script. `spent[i]` is input i's coin. */
export function p2shSigOpCount(tx: Transaction, spent: readonly Coin[]): number {
  if (isCoinbase(tx)) return 0;
  let n = 0;
  for (let i = 0; i < tx.inputs.length; i++) {
    if (!isPayToScriptHash(spent[i].script)) continue;
    const redeem = lastPush(tx.inputs[i].scriptSig);
    if (redeem) n += scriptSigOpCount(redeem, true);
  }
  return n;
}

function witnessSigOps(version: number, program: Uint8Array, witness: Uint8Array[]): number {
  if (version !== 0) return 0;
  if (program.length === 20) return 1;
  if (program.length === 32 && witness.length > 0) return scriptSigOpCount(witness[witness.length - 1], true);
  return 0;
}

/** Core's CountWitnessSigOps for one input: native v0 programs and v0 programs nested in P2SH. */
export function countWitnessSigOps(scriptSig: Uint8Array, scriptPubKey: Uint8Array, witness: Uint8Array[], flags: number): number {
  if ((flags & SCRIPT_VERIFY_WITNESS) === 0) return 0;
  let wp = witnessProgram(scriptPubKey);
  if (wp) return witnessSigOps(wp.version, wp.program, witness);
  if (isPayToScriptHash(scriptPubKey)) {
    const redeem = lastPush(scriptSig);
    wp = redeem && witnessProgram(redeem);
    if (wp) return witnessSigOps(wp.version, wp.program, witness);
  }
  return 0;
}

/** Core's GetTransactionSigOpCost: legacy ×4, P2SH ×4 (with the P2SH flag), witness ×1. */
export function transactionSigOpCost(tx: Transaction, spent: readonly Coin[], flags: number): number {
  let cost = legacySigOpCount(tx) * WITNESS_SCALE_FACTOR;
  if (isCoinbase(tx)) return cost;
  if (flags & SCRIPT_VERIFY_P2SH) cost += p2shSigOpCount(tx, spent) * WITNESS_SCALE_FACTOR;
  for (let i = 0; i < tx.inputs.length; i++) {
    const input = tx.inputs[i];
    cost += countWitnessSigOps(input.scriptSig, spent[i].script, input.witness, flags);
  }
  return cost;
}
