/**
 * Reading output scripts as Core does: GetScriptOp (one opcode and its push data), and Solver
 * (script/solver.cpp), which names a script's standard template and extracts its parts. Also Core's
 * ExtractDestination decision: which templates have an address.
 */
import { OP_1, OP_16, OP_CHECKMULTISIG, OP_CHECKSIG, OP_PUSHDATA1, OP_PUSHDATA2, OP_PUSHDATA4, OP_RETURN } from '../primitives/script.js';
import { witnessProgram } from './address.js';

export type TxoutType =
  | 'nonstandard'
  | 'pubkey'
  | 'pubkeyhash'
  | 'scripthash'
  | 'multisig'
  | 'nulldata'
  | 'anchor'
  | 'witness_v0_keyhash'
  | 'witness_v0_scripthash'
  | 'witness_v1_taproot'
  | 'witness_unknown';

const MAX_PUBKEYS_PER_MULTISIG = 20;

export interface ScriptOp {
  opcode: number;
  /** Push data (empty for non-push opcodes). */
  data: Uint8Array;
  /** Offset of the opcode and offset after the op. */
  start: number;
  end: number;
}

/** Core's GetScriptOp at `pc`: undefined when the script ends, or when a push runs past its end. */
export function getScriptOp(script: Uint8Array, pc: number): ScriptOp | undefined {
  if (pc >= script.length) return undefined;
  const start = pc;
  const opcode = script[pc++];
  if (opcode > OP_PUSHDATA4) return { opcode, data: script.subarray(pc, pc), start, end: pc };
  let size: number;
  if (opcode < OP_PUSHDATA1) size = opcode;
  else if (opcode === OP_PUSHDATA1) {
    if (script.length - pc < 1) return undefined;
    size = script[pc++];
  } else if (opcode === OP_PUSHDATA2) {
    if (script.length - pc < 2) return undefined;
    size = script[pc] | (script[pc + 1] << 8);
    pc += 2;
  } else {
    if (script.length - pc < 4) return undefined;
    size = (script[pc] | (script[pc + 1] << 8) | (script[pc + 2] << 16) | (script[pc + 3] << 24)) >>> 0;
    pc += 4;
  }
  if (script.length - pc < size) return undefined;
  return { opcode, data: script.subarray(pc, pc + size), start, end: pc + size };
}

/** Core's CScript::IsPushOnly from `pc`: every op parses and is at most OP_16. */
export function isPushOnly(script: Uint8Array, pc = 0): boolean {
  while (pc < script.length) {
    const op = getScriptOp(script, pc);
    if (!op || op.opcode > OP_16) return false;
    pc = op.end;
  }
  return true;
}

/** CPubKey::GetLen of a key's first byte: 33, 65, or 0 for an unknown prefix. */
function pubkeyLength(prefix: number): number {
  if (prefix === 2 || prefix === 3) return 33;
  if (prefix === 4 || prefix === 6 || prefix === 7) return 65;
  return 0;
}

/** Core's CPubKey::ValidSize. */
export function validPubkeySize(key: Uint8Array): boolean {
  return key.length > 0 && pubkeyLength(key[0]) === key.length;
}

/** Core's CheckMinimalPush. */
function checkMinimalPush(data: Uint8Array, opcode: number): boolean {
  const n = data.length;
  if (n === 0) return opcode === 0;
  if (n === 1 && data[0] >= 1 && data[0] <= 16) return false;
  if (n === 1 && data[0] === 0x81) return false;
  if (n <= 75) return opcode === n;
  if (n <= 255) return opcode === OP_PUSHDATA1;
  if (n <= 65535) return opcode === OP_PUSHDATA2;
  return true;
}

/** CScriptNum of up to 4 bytes without the minimality rule (sign-magnitude, little-endian). */
export function scriptNumValue(data: Uint8Array): number {
  if (data.length === 0) return 0;
  let v = 0;
  for (let i = 0; i < data.length; i++) v += data[i] * 2 ** (8 * i);
  const last = data[data.length - 1];
  if (last & 0x80) return -(v - 0x80 * 2 ** (8 * (data.length - 1)));
  return v;
}

/** Core's GetScriptNumber: OP_1..OP_16, or a minimal push of a minimally encoded number, within [min, max]. */
function scriptNumber(op: ScriptOp, min: number, max: number): number | undefined {
  let n: number;
  if (op.opcode >= OP_1 && op.opcode <= OP_16) n = op.opcode - OP_1 + 1;
  else if (op.opcode <= OP_PUSHDATA4) {
    if (!checkMinimalPush(op.data, op.opcode) || op.data.length > 4) return undefined;
    const d = op.data;
    // fRequireMinimal: no superfluous trailing zero byte.
    if (d.length > 0 && (d[d.length - 1] & 0x7f) === 0 && (d.length <= 1 || (d[d.length - 2] & 0x80) === 0)) return undefined;
    n = scriptNumValue(d);
  } else return undefined;
  return n < min || n > max ? undefined : n;
}

function matchMultisig(script: Uint8Array): { required: number; keys: Uint8Array[] } | undefined {
  if (script.length < 1 || script[script.length - 1] !== OP_CHECKMULTISIG) return undefined;
  let op = getScriptOp(script, 0);
  if (!op) return undefined;
  const required = scriptNumber(op, 1, MAX_PUBKEYS_PER_MULTISIG);
  if (required === undefined) return undefined;
  const keys: Uint8Array[] = [];
  let pc = op.end;
  for (;;) {
    op = getScriptOp(script, pc);
    if (!op) break;
    pc = op.end;
    if (!validPubkeySize(op.data)) break;
    keys.push(op.data);
  }
  // Core tests the last op read, which is an empty non-push when the script ended.
  const last = op ?? { opcode: 0xff, data: new Uint8Array(0), start: pc, end: pc };
  const n = scriptNumber(last, required, MAX_PUBKEYS_PER_MULTISIG);
  if (n === undefined || keys.length !== n) return undefined;
  return pc + 1 === script.length ? { required, keys } : undefined;
}

export interface Solution {
  type: TxoutType;
  /** pubkey / hash / witness program; multisig: the keys. */
  data?: Uint8Array;
  keys?: Uint8Array[];
  required?: number;
  witnessVersion?: number;
}

/** Core's Solver. */
export function solve(script: Uint8Array): Solution {
  const n = script.length;
  if (n === 23 && script[0] === 0xa9 && script[1] === 20 && script[22] === 0x87) return { type: 'scripthash', data: script.subarray(2, 22) };
  const wp = witnessProgram(script);
  if (wp) {
    const { version, program } = wp;
    if (version === 0 && program.length === 20) return { type: 'witness_v0_keyhash', data: program };
    if (version === 0 && program.length === 32) return { type: 'witness_v0_scripthash', data: program };
    if (version === 1 && program.length === 32) return { type: 'witness_v1_taproot', data: program };
    if (version === 1 && program.length === 2 && program[0] === 0x4e && program[1] === 0x73) return { type: 'anchor' };
    if (version !== 0) return { type: 'witness_unknown', data: program, witnessVersion: version };
    return { type: 'nonstandard' };
  }
  if (n >= 1 && script[0] === OP_RETURN && isPushOnly(script, 1)) return { type: 'nulldata' };
  for (const size of [65, 33]) {
    if (n === size + 2 && script[0] === size && script[n - 1] === OP_CHECKSIG) {
      const key = script.subarray(1, size + 1);
      if (validPubkeySize(key)) return { type: 'pubkey', data: key };
    }
  }
  if (n === 25 && script[0] === 0x76 && script[1] === 0xa9 && script[2] === 20 && script[23] === 0x88 && script[24] === OP_CHECKSIG) {
    return { type: 'pubkeyhash', data: script.subarray(3, 23) };
  }
  const ms = matchMultisig(script);
  if (ms) return { type: 'multisig', keys: ms.keys, required: ms.required };
  return { type: 'nonstandard' };
}

/** Core's ExtractDestination returns true (the script has an address) for these templates only. */
export function hasAddress(type: TxoutType): boolean {
  return (
    type === 'pubkeyhash' ||
    type === 'scripthash' ||
    type === 'witness_v0_keyhash' ||
    type === 'witness_v0_scripthash' ||
    type === 'witness_v1_taproot' ||
    type === 'anchor' ||
    type === 'witness_unknown'
  );
}
