/**
 * Core's EvalScript: runs one script on a stack under the given flags and signature version, with every
 * limit (201 ops, 1,000 stack items, 520-byte pushes, 10,000-byte scripts outside tapscript), disabled
 * opcodes, conditionals, and the lock-time opcodes. Signature opcodes live in eval-checksig.ts.
 */
import { equalBytes } from '../primitives/bytes.js';
import { hash160, ripemd160, sha1, sha256, sha256d } from './digest.js';
import { checkMinimalPush, MAX_OPS_PER_SCRIPT, MAX_SCRIPT_ELEMENT_SIZE, MAX_SCRIPT_SIZE, MAX_STACK_SIZE, Op, skipOp } from './opcodes.js';
import { ScriptError } from './script-error.js';
import {
  SCRIPT_VERIFY_CHECKLOCKTIMEVERIFY,
  SCRIPT_VERIFY_CHECKSEQUENCEVERIFY,
  SCRIPT_VERIFY_CONST_SCRIPTCODE,
  SCRIPT_VERIFY_DISCOURAGE_UPGRADABLE_NOPS,
  SCRIPT_VERIFY_MINIMALDATA,
  SCRIPT_VERIFY_MINIMALIF,
} from './script-flags.js';
import { castToBool, decodeScriptNum, encodeScriptNum, ScriptNumError } from './script-num.js';
import { SigVersion } from './sig-encoding.js';
import type { ScriptExecutionData, SignatureChecker } from './tx-checker.js';
import { evalChecksig, evalCheckMultisig, type EvalContext } from './eval-checksig.js';

const TRUE = Uint8Array.of(1);
const FALSE = new Uint8Array(0);
/**
 * What OP_1NEGATE and OP_1..OP_16 push, made once: stack items are never changed in place (every op that
 * computes pushes a new array), so they can be shared like the pushes that are views of the script.
 */
const SMALL_NUMS = Array.from({ length: 18 }, (_, i) => encodeScriptNum(i - 1));

/**
 * run()'s scratch: its condition and alt stacks and the signature opcodes' result. Scripts never run inside
 * scripts (P2SH and witness scripts run one after another), so one set serves every call.
 */
const vfExec: boolean[] = [];
const altstack: Uint8Array[] = [];
const sig = { success: true };
/** For scripts without a taproot context: only tapscript reads what run() writes into it. */
const NO_EXECDATA: ScriptExecutionData = { codeSeparatorPos: 0xffffffff, validationWeightLeft: 0 };
/** What the signature opcodes see of the running script, filled in per run (an object per run was garbage). */
const ctx: EvalContext = { script: new Uint8Array(0), codeHashBegin: 0, flags: 0, checker: undefined!, sigversion: SigVersion.BASE, execdata: NO_EXECDATA, opCount: 0 };

/** 1 for the opcodes Core disabled: one table load per op instead of fifteen comparisons. */
const DISABLED = new Uint8Array(256);
for (const op of [Op.OP_CAT, Op.OP_SUBSTR, Op.OP_LEFT, Op.OP_RIGHT, Op.OP_INVERT, Op.OP_AND, Op.OP_OR, Op.OP_XOR, Op.OP_2MUL,
  Op.OP_2DIV, Op.OP_MUL, Op.OP_DIV, Op.OP_MOD, Op.OP_LSHIFT, Op.OP_RSHIFT]) DISABLED[op] = 1;

/** A fresh ScriptExecutionData for scripts that have no taproot context. */
export function newExecData(): ScriptExecutionData {
  return { codeSeparatorPos: 0xffffffff, validationWeightLeft: 0 };
}

/** Core's EvalScript. `stack` is modified in place; returns OK or the error that failed the script. */
export function evalScript(
  stack: Uint8Array[],
  script: Uint8Array,
  flags: number,
  checker: SignatureChecker,
  sigversion: SigVersion,
  execdata: ScriptExecutionData = NO_EXECDATA,
): ScriptError {
  const legacyLimits = sigversion === SigVersion.BASE || sigversion === SigVersion.WITNESS_V0;
  if (legacyLimits && script.length > MAX_SCRIPT_SIZE) return ScriptError.SCRIPT_SIZE;
  if (script.length === 0) {
    execdata.codeSeparatorPos = 0xffffffff;
    return ScriptError.OK;
  }
  if (sigversion === SigVersion.BASE && isPushesOnly(script)) {
    execdata.codeSeparatorPos = 0xffffffff;
    return runPushes(stack, script, (flags & SCRIPT_VERIFY_MINIMALDATA) !== 0);
  }
  try {
    return run(stack, script, flags, checker, sigversion, execdata, legacyLimits);
  } catch (e) {
    if (e instanceof ScriptNumError) return ScriptError.SCRIPTNUM;
    return ScriptError.UNKNOWN_ERROR;
  }
}

/**
 * Whether every op of a well-formed script is a data push or OP_1NEGATE/OP_1..OP_16 (not OP_RESERVED): what
 * almost every scriptSig is. Such a script needs none of run()'s machinery (no conditions, op count, alt
 * stack or signatures), and mainnet 367891 has 20,000 inputs whose whole check is one OP_1.
 */
function isPushesOnly(script: Uint8Array): boolean {
  for (let pc = 0; pc < script.length; ) {
    const opcode = script[pc];
    // OP_PUSHDATA4 is rare in practice: left to run(), as runPushes does not read it.
    if (opcode > Op.OP_16 || opcode === Op.OP_RESERVED || opcode === Op.OP_PUSHDATA4) return false;
    pc = skipOp(script, pc);
    if (pc < 0) return false;
  }
  return true;
}

/** run() on a script isPushesOnly() accepted: the same pushes, checks and errors, in the same order. */
function runPushes(stack: Uint8Array[], script: Uint8Array, requireMinimal: boolean): ScriptError {
  for (let pc = 0; pc < script.length; ) {
    const opcode = script[pc++];
    if (opcode > Op.OP_PUSHDATA4) {
      stack.push(SMALL_NUMS[opcode - Op.OP_1NEGATE]);
    } else {
      let size = opcode;
      if (opcode === Op.OP_PUSHDATA1) size = script[pc++];
      else if (opcode === Op.OP_PUSHDATA2) {
        size = script[pc] | (script[pc + 1] << 8);
        pc += 2;
      }
      if (size > MAX_SCRIPT_ELEMENT_SIZE) return ScriptError.PUSH_SIZE;
      const data = size === 0 ? FALSE : new Uint8Array(script.buffer, script.byteOffset + pc, size);
      pc += size;
      if (requireMinimal && !checkMinimalPush(data, opcode)) return ScriptError.MINIMALDATA;
      stack.push(data);
    }
    if (stack.length > MAX_STACK_SIZE) return ScriptError.STACK_SIZE;
  }
  return ScriptError.OK;
}

function run(
  stack: Uint8Array[],
  script: Uint8Array,
  flags: number,
  checker: SignatureChecker,
  sigversion: SigVersion,
  execdata: ScriptExecutionData,
  legacyLimits: boolean,
): ScriptError {
  const requireMinimal = (flags & SCRIPT_VERIFY_MINIMALDATA) !== 0;
  ctx.script = script;
  ctx.codeHashBegin = 0;
  ctx.flags = flags;
  ctx.checker = checker;
  ctx.sigversion = sigversion;
  ctx.execdata = execdata;
  ctx.opCount = 0;
  // Core's ConditionStack: only the count of entries and the first false one matter.
  if (vfExec.length) vfExec.length = 0;
  let falseCount = 0;
  if (altstack.length) altstack.length = 0;
  execdata.codeSeparatorPos = 0xffffffff;

  for (let pc = 0, opcodePos = 0; pc < script.length; opcodePos++) {
    const fExec = falseCount === 0;
    // Core's GetScriptOp, inline: this loop runs for every op of every input, so it allocates nothing.
    const opcode = script[pc++];
    // A push's data, as a position and size: the view is made only if the push executes.
    let dataAt = -1;
    let size = 0;
    if (opcode <= Op.OP_PUSHDATA4) {
      size = opcode;
      if (opcode === Op.OP_PUSHDATA1) {
        if (script.length - pc < 1) return ScriptError.BAD_OPCODE;
        size = script[pc++];
      } else if (opcode === Op.OP_PUSHDATA2) {
        if (script.length - pc < 2) return ScriptError.BAD_OPCODE;
        size = script[pc] | (script[pc + 1] << 8);
        pc += 2;
      } else if (opcode === Op.OP_PUSHDATA4) {
        if (script.length - pc < 4) return ScriptError.BAD_OPCODE;
        size = (script[pc] | (script[pc + 1] << 8) | (script[pc + 2] << 16)) + script[pc + 3] * 0x1000000;
        pc += 4;
      }
      if (script.length - pc < size) return ScriptError.BAD_OPCODE;
      dataAt = pc;
      pc += size;
    }
    if (size > MAX_SCRIPT_ELEMENT_SIZE) return ScriptError.PUSH_SIZE;
    if (legacyLimits && opcode > Op.OP_16 && ++ctx.opCount > MAX_OPS_PER_SCRIPT) return ScriptError.OP_COUNT;
    // Disabled opcodes fail even in an unexecuted branch, as does a legacy OP_CODESEPARATOR under CONST_SCRIPTCODE.
    if (DISABLED[opcode]) return ScriptError.DISABLED_OPCODE;
    if (opcode === Op.OP_CODESEPARATOR && sigversion === SigVersion.BASE && flags & SCRIPT_VERIFY_CONST_SCRIPTCODE) {
      return ScriptError.OP_CODESEPARATOR;
    }

    if (fExec && opcode <= Op.OP_PUSHDATA4) {
      // The typed-array constructor, not subarray(): subarray looks up the species constructor, and goes
      // through Buffer's when the script is a Buffer view.
      const data = size === 0 ? FALSE : new Uint8Array(script.buffer, script.byteOffset + dataAt, size);
      if (requireMinimal && !checkMinimalPush(data, opcode)) return ScriptError.MINIMALDATA;
      stack.push(data);
    } else if (fExec || (opcode >= Op.OP_IF && opcode <= Op.OP_ENDIF)) {
      switch (opcode) {
        case Op.OP_1NEGATE:
        case 0x51: case 0x52: case 0x53: case 0x54: case 0x55: case 0x56: case 0x57: case 0x58:
        case 0x59: case 0x5a: case 0x5b: case 0x5c: case 0x5d: case 0x5e: case 0x5f: case 0x60:
          stack.push(SMALL_NUMS[opcode - Op.OP_1NEGATE]);
          break;
        case Op.OP_NOP:
          break;
        case Op.OP_CHECKLOCKTIMEVERIFY: {
          // Not enabled: a plain NOP2/NOP3, never discouraged (Core breaks before the NOP checks).
          if (!(flags & SCRIPT_VERIFY_CHECKLOCKTIMEVERIFY)) break;
          if (stack.length < 1) return ScriptError.INVALID_STACK_OPERATION;
          // Five bytes: lock times reach 2^32 - 1, past what four-byte arithmetic holds.
          const lockTime = num(stack, -1, requireMinimal, 5);
          if (lockTime < 0) return ScriptError.NEGATIVE_LOCKTIME;
          if (!checker.checkLockTime(lockTime)) return ScriptError.UNSATISFIED_LOCKTIME;
          break;
        }
        case Op.OP_CHECKSEQUENCEVERIFY: {
          // Not enabled: a plain NOP2/NOP3, never discouraged (Core breaks before the NOP checks).
          if (!(flags & SCRIPT_VERIFY_CHECKSEQUENCEVERIFY)) break;
          if (stack.length < 1) return ScriptError.INVALID_STACK_OPERATION;
          const sequence = num(stack, -1, requireMinimal, 5);
          if (sequence < 0) return ScriptError.NEGATIVE_LOCKTIME;
          // The disable flag makes it a NOP, so later soft forks can give such values a meaning.
          if (Math.floor(sequence / 0x80000000) % 2 === 1) break;
          if (!checker.checkSequence(sequence)) return ScriptError.UNSATISFIED_LOCKTIME;
          break;
        }
        case Op.OP_NOP1: case Op.OP_NOP4: case 0xb4: case 0xb5: case 0xb6: case 0xb7: case 0xb8: case Op.OP_NOP10:
          if (flags & SCRIPT_VERIFY_DISCOURAGE_UPGRADABLE_NOPS) return ScriptError.DISCOURAGE_UPGRADABLE_NOPS;
          break;
        case Op.OP_IF:
        case Op.OP_NOTIF: {
          let value = false;
          if (fExec) {
            if (stack.length < 1) return ScriptError.INVALID_STACK_OPERATION;
            const vch = top(stack, -1);
            if (sigversion === SigVersion.TAPSCRIPT && (vch.length > 1 || (vch.length === 1 && vch[0] !== 1))) {
              return ScriptError.TAPSCRIPT_MINIMALIF;
            }
            if (sigversion === SigVersion.WITNESS_V0 && flags & SCRIPT_VERIFY_MINIMALIF && (vch.length > 1 || (vch.length === 1 && vch[0] !== 1))) {
              return ScriptError.MINIMALIF;
            }
            value = castToBool(vch);
            if (opcode === Op.OP_NOTIF) value = !value;
            stack.pop();
          }
          vfExec.push(value);
          if (!value) falseCount++;
          break;
        }
        case Op.OP_ELSE:
          if (vfExec.length === 0) return ScriptError.UNBALANCED_CONDITIONAL;
          falseCount += vfExec[vfExec.length - 1] ? 1 : -1;
          vfExec[vfExec.length - 1] = !vfExec[vfExec.length - 1];
          break;
        case Op.OP_ENDIF:
          if (vfExec.length === 0) return ScriptError.UNBALANCED_CONDITIONAL;
          if (!vfExec.pop()) falseCount--;
          break;
        case Op.OP_VERIFY:
          if (stack.length < 1) return ScriptError.INVALID_STACK_OPERATION;
          if (!castToBool(top(stack, -1))) return ScriptError.VERIFY;
          stack.pop();
          break;
        case Op.OP_RETURN:
          return ScriptError.OP_RETURN;
        case Op.OP_TOALTSTACK:
          if (stack.length < 1) return ScriptError.INVALID_STACK_OPERATION;
          altstack.push(stack.pop()!);
          break;
        case Op.OP_FROMALTSTACK:
          if (altstack.length < 1) return ScriptError.INVALID_ALTSTACK_OPERATION;
          stack.push(altstack.pop()!);
          break;
        case Op.OP_2DROP:
          if (stack.length < 2) return ScriptError.INVALID_STACK_OPERATION;
          // pop(), here and below, not `stack.length -= n`: the length setter is a call into the runtime.
          stack.pop();
          stack.pop();
          break;
        case Op.OP_2DUP:
          if (stack.length < 2) return ScriptError.INVALID_STACK_OPERATION;
          stack.push(top(stack, -2), top(stack, -1));
          break;
        case Op.OP_3DUP:
          if (stack.length < 3) return ScriptError.INVALID_STACK_OPERATION;
          stack.push(top(stack, -3), top(stack, -2), top(stack, -1));
          break;
        case Op.OP_2OVER:
          if (stack.length < 4) return ScriptError.INVALID_STACK_OPERATION;
          stack.push(top(stack, -4), top(stack, -3));
          break;
        case Op.OP_2ROT: {
          if (stack.length < 6) return ScriptError.INVALID_STACK_OPERATION;
          const moved = stack.splice(stack.length - 6, 2);
          stack.push(...moved);
          break;
        }
        case Op.OP_2SWAP: {
          if (stack.length < 4) return ScriptError.INVALID_STACK_OPERATION;
          const moved = stack.splice(stack.length - 4, 2);
          stack.push(...moved);
          break;
        }
        case Op.OP_IFDUP:
          if (stack.length < 1) return ScriptError.INVALID_STACK_OPERATION;
          if (castToBool(top(stack, -1))) stack.push(top(stack, -1));
          break;
        case Op.OP_DEPTH:
          stack.push(encodeScriptNum(stack.length));
          break;
        case Op.OP_DROP:
          if (stack.length < 1) return ScriptError.INVALID_STACK_OPERATION;
          stack.pop();
          break;
        case Op.OP_DUP:
          if (stack.length < 1) return ScriptError.INVALID_STACK_OPERATION;
          stack.push(top(stack, -1));
          break;
        case Op.OP_NIP:
          if (stack.length < 2) return ScriptError.INVALID_STACK_OPERATION;
          stack.splice(stack.length - 2, 1);
          break;
        case Op.OP_OVER:
          if (stack.length < 2) return ScriptError.INVALID_STACK_OPERATION;
          stack.push(top(stack, -2));
          break;
        case Op.OP_PICK:
        case Op.OP_ROLL: {
          if (stack.length < 2) return ScriptError.INVALID_STACK_OPERATION;
          const n = num(stack, -1, requireMinimal);
          stack.pop();
          if (n < 0 || n >= stack.length) return ScriptError.INVALID_STACK_OPERATION;
          const vch = top(stack, -n - 1);
          if (opcode === Op.OP_ROLL) stack.splice(stack.length - n - 1, 1);
          stack.push(vch);
          break;
        }
        case Op.OP_ROT: {
          if (stack.length < 3) return ScriptError.INVALID_STACK_OPERATION;
          stack.push(stack.splice(stack.length - 3, 1)[0]);
          break;
        }
        case Op.OP_SWAP: {
          if (stack.length < 2) return ScriptError.INVALID_STACK_OPERATION;
          const a = top(stack, -2);
          stack[stack.length - 2] = top(stack, -1);
          stack[stack.length - 1] = a;
          break;
        }
        case Op.OP_TUCK:
          if (stack.length < 2) return ScriptError.INVALID_STACK_OPERATION;
          stack.splice(stack.length - 2, 0, top(stack, -1));
          break;
        case Op.OP_SIZE:
          if (stack.length < 1) return ScriptError.INVALID_STACK_OPERATION;
          stack.push(encodeScriptNum(top(stack, -1).length));
          break;
        case Op.OP_EQUAL:
        case Op.OP_EQUALVERIFY: {
          if (stack.length < 2) return ScriptError.INVALID_STACK_OPERATION;
          const equal = equalBytes(top(stack, -2), top(stack, -1));
          stack.pop();
          stack.pop();
          stack.push(equal ? TRUE : FALSE);
          if (opcode === Op.OP_EQUALVERIFY) {
            if (!equal) return ScriptError.EQUALVERIFY;
            stack.pop();
          }
          break;
        }
        case Op.OP_1ADD: case Op.OP_1SUB: case Op.OP_NEGATE: case Op.OP_ABS: case Op.OP_NOT: case Op.OP_0NOTEQUAL: {
          if (stack.length < 1) return ScriptError.INVALID_STACK_OPERATION;
          let bn = num(stack, -1, requireMinimal);
          if (opcode === Op.OP_1ADD) bn += 1;
          else if (opcode === Op.OP_1SUB) bn -= 1;
          else if (opcode === Op.OP_NEGATE) bn = -bn;
          else if (opcode === Op.OP_ABS) bn = Math.abs(bn);
          else if (opcode === Op.OP_NOT) bn = bn === 0 ? 1 : 0;
          else bn = bn !== 0 ? 1 : 0;
          stack.pop();
          stack.push(encodeScriptNum(bn));
          break;
        }
        case Op.OP_ADD: case Op.OP_SUB: case Op.OP_BOOLAND: case Op.OP_BOOLOR: case Op.OP_NUMEQUAL: case Op.OP_NUMEQUALVERIFY:
        case Op.OP_NUMNOTEQUAL: case Op.OP_LESSTHAN: case Op.OP_GREATERTHAN: case Op.OP_LESSTHANOREQUAL:
        case Op.OP_GREATERTHANOREQUAL: case Op.OP_MIN: case Op.OP_MAX: {
          if (stack.length < 2) return ScriptError.INVALID_STACK_OPERATION;
          const a = num(stack, -2, requireMinimal);
          const b = num(stack, -1, requireMinimal);
          const bn = binary(opcode, a, b);
          stack.pop();
          stack.pop();
          stack.push(encodeScriptNum(bn));
          if (opcode === Op.OP_NUMEQUALVERIFY) {
            if (!castToBool(top(stack, -1))) return ScriptError.NUMEQUALVERIFY;
            stack.pop();
          }
          break;
        }
        case Op.OP_WITHIN: {
          if (stack.length < 3) return ScriptError.INVALID_STACK_OPERATION;
          const x = num(stack, -3, requireMinimal);
          const lo = num(stack, -2, requireMinimal);
          const hi = num(stack, -1, requireMinimal);
          stack.pop();
          stack.pop();
          stack.pop();
          stack.push(lo <= x && x < hi ? TRUE : FALSE);
          break;
        }
        case Op.OP_RIPEMD160: case Op.OP_SHA1: case Op.OP_SHA256: case Op.OP_HASH160: case Op.OP_HASH256: {
          if (stack.length < 1) return ScriptError.INVALID_STACK_OPERATION;
          const v = stack.pop()!;
          if (opcode === Op.OP_RIPEMD160) stack.push(ripemd160(v));
          else if (opcode === Op.OP_SHA1) stack.push(sha1(v));
          else if (opcode === Op.OP_SHA256) stack.push(sha256(v));
          else if (opcode === Op.OP_HASH160) stack.push(hash160(v));
          else stack.push(sha256d(v));
          break;
        }
        case Op.OP_CODESEPARATOR:
          // The scriptCode for later signatures starts after this op; tapscript hashes its position instead.
          ctx.codeHashBegin = pc;
          execdata.codeSeparatorPos = opcodePos;
          break;
        case Op.OP_CHECKSIG:
        case Op.OP_CHECKSIGVERIFY: {
          if (stack.length < 2) return ScriptError.INVALID_STACK_OPERATION;
          const e = evalChecksig(top(stack, -2), top(stack, -1), ctx, sig);
          if (e !== ScriptError.OK) return e;
          stack.pop();
          stack.pop();
          stack.push(sig.success ? TRUE : FALSE);
          if (opcode === Op.OP_CHECKSIGVERIFY) {
            if (!sig.success) return ScriptError.CHECKSIGVERIFY;
            stack.pop();
          }
          break;
        }
        case Op.OP_CHECKSIGADD: {
          if (legacyLimits) return ScriptError.BAD_OPCODE;
          if (stack.length < 3) return ScriptError.INVALID_STACK_OPERATION;
          const n = num(stack, -2, requireMinimal);
          const e = evalChecksig(top(stack, -3), top(stack, -1), ctx, sig);
          if (e !== ScriptError.OK) return e;
          stack.pop();
          stack.pop();
          stack.pop();
          stack.push(encodeScriptNum(n + (sig.success ? 1 : 0)));
          break;
        }
        case Op.OP_CHECKMULTISIG:
        case Op.OP_CHECKMULTISIGVERIFY: {
          if (sigversion === SigVersion.TAPSCRIPT) return ScriptError.TAPSCRIPT_CHECKMULTISIG;
          const e = evalCheckMultisig(stack, ctx, sig);
          if (e !== ScriptError.OK) return e;
          stack.push(sig.success ? TRUE : FALSE);
          if (opcode === Op.OP_CHECKMULTISIGVERIFY) {
            if (!sig.success) return ScriptError.CHECKMULTISIGVERIFY;
            stack.pop();
          }
          break;
        }
        default:
          return ScriptError.BAD_OPCODE;
      }
    }
    if (stack.length + altstack.length > MAX_STACK_SIZE) return ScriptError.STACK_SIZE;
  }
  if (vfExec.length !== 0) return ScriptError.UNBALANCED_CONDITIONAL;
  return ScriptError.OK;
}

function top(stack: Uint8Array[], i: number): Uint8Array {
  return stack[stack.length + i];
}

function num(stack: Uint8Array[], i: number, requireMinimal: boolean, maxSize = 4): number {
  return decodeScriptNum(stack[stack.length + i], requireMinimal, maxSize);
}

function binary(opcode: number, a: number, b: number): number {
  switch (opcode) {
    case Op.OP_ADD: return a + b;
    case Op.OP_SUB: return a - b;
    case Op.OP_BOOLAND: return a !== 0 && b !== 0 ? 1 : 0;
    case Op.OP_BOOLOR: return a !== 0 || b !== 0 ? 1 : 0;
    case Op.OP_NUMEQUAL: case Op.OP_NUMEQUALVERIFY: return a === b ? 1 : 0;
    case Op.OP_NUMNOTEQUAL: return a !== b ? 1 : 0;
    case Op.OP_LESSTHAN: return a < b ? 1 : 0;
    case Op.OP_GREATERTHAN: return a > b ? 1 : 0;
    case Op.OP_LESSTHANOREQUAL: return a <= b ? 1 : 0;
    case Op.OP_GREATERTHANOREQUAL: return a >= b ? 1 : 0;
    case Op.OP_MIN: return Math.min(a, b);
    default: return Math.max(a, b);
  }
}
