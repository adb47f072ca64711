/**
 * The signature opcodes of Core's EvalScript: CHECKSIG before and in tapscript (EvalChecksigPreTapscript,
 * EvalChecksigTapscript) and CHECKMULTISIG with its quirks (the extra dummy argument, NULLDUMMY, NULLFAIL,
 * the order keys and signatures are checked in, FindAndDelete of the signatures from a legacy scriptCode).
 */
import { pushData } from '../primitives/script.js';
import { MAX_OPS_PER_SCRIPT, MAX_PUBKEYS_PER_MULTISIG, readOp } from './opcodes.js';
import { ScriptError } from './script-error.js';
import {
  SCRIPT_VERIFY_CONST_SCRIPTCODE,
  SCRIPT_VERIFY_DISCOURAGE_UPGRADABLE_PUBKEYTYPE,
  SCRIPT_VERIFY_MINIMALDATA,
  SCRIPT_VERIFY_NULLDUMMY,
  SCRIPT_VERIFY_NULLFAIL,
} from './script-flags.js';
import { decodeScriptNum } from './script-num.js';
import { checkPubKeyEncoding, checkSignatureEncoding, SigVersion } from './sig-encoding.js';
import type { ScriptExecutionData, SignatureChecker } from './tx-checker.js';

/** BIP342's VALIDATION_WEIGHT_PER_SIGOP_PASSED. */
const VALIDATION_WEIGHT_PER_SIGOP_PASSED = 50;

/** What the signature opcodes need from the running EvalScript. */
export interface EvalContext {
  script: Uint8Array;
  /** Where the scriptCode starts: just after the last executed OP_CODESEPARATOR. */
  codeHashBegin: number;
  flags: number;
  checker: SignatureChecker;
  sigversion: SigVersion;
  execdata: ScriptExecutionData;
  opCount: number;
}

/**
 * Core's FindAndDelete: every occurrence of `pattern` that starts at an op boundary is removed. Returns the
 * script (the same array when nothing matched) and the number of matches.
 */
export function findAndDelete(script: Uint8Array, pattern: Uint8Array): { script: Uint8Array; found: number } {
  let found = 0;
  if (pattern.length === 0) return { script, found };
  const out: number[] = [];
  let pc = 0;
  let pc2 = 0;
  const n = pattern.length;
  for (;;) {
    for (let i = pc2; i < pc; i++) out.push(script[i]);
    while (script.length - pc >= n && Buffer.compare(script.subarray(pc, pc + n), pattern) === 0) {
      pc += n;
      found++;
    }
    pc2 = pc;
    const op = readOp(script, pc);
    if (!op) break;
    pc = op.next;
  }
  if (found === 0) return { script, found };
  for (let i = pc2; i < script.length; i++) out.push(script[i]);
  return { script: Uint8Array.from(out), found };
}

/** Whether `needle` occurs anywhere in `haystack` (op boundaries aside). */
function containsBytes(haystack: Uint8Array, needle: Uint8Array): boolean {
  const n = needle.length;
  if (n === 0) return true;
  const first = needle[0];
  outer: for (let i = 0; i + n <= haystack.length; i++) {
    if (haystack[i] !== first) continue;
    for (let k = 1; k < n; k++) if (haystack[i + k] !== needle[k]) continue outer;
    return true;
  }
  return false;
}

/** The legacy/segwit-v0 scriptCode for a signature: from the last OP_CODESEPARATOR, minus the signature in legacy. */
function scriptCodeFor(ctx: EvalContext, sigs: Uint8Array[]): Uint8Array | ScriptError {
  let code = ctx.codeHashBegin === 0 ? ctx.script : ctx.script.subarray(ctx.codeHashBegin);
  if (ctx.sigversion !== SigVersion.BASE) return code;
  for (const sig of sigs) {
    // A signature whose bytes are not in the script cannot be deleted from it: skip building its push.
    if (!containsBytes(code, sig)) continue;
    const r = findAndDelete(code, pushData(sig));
    if (r.found > 0 && ctx.flags & SCRIPT_VERIFY_CONST_SCRIPTCODE) return ScriptError.SIG_FINDANDDELETE;
    code = r.script;
  }
  return code;
}

/** Core's EvalChecksig: OK with the result in `out.success`, or the error that fails the script. */
export function evalChecksig(sig: Uint8Array, pubkey: Uint8Array, ctx: EvalContext, out: { success: boolean }): ScriptError {
  if (ctx.sigversion === SigVersion.BASE || ctx.sigversion === SigVersion.WITNESS_V0) {
    const code = scriptCodeFor(ctx, [sig]);
    if (typeof code === 'number') return code;
    let e = checkSignatureEncoding(sig, ctx.flags);
    if (e === ScriptError.OK) e = checkPubKeyEncoding(pubkey, ctx.flags, ctx.sigversion);
    if (e !== ScriptError.OK) return e;
    out.success = ctx.checker.checkECDSASignature(sig, pubkey, code, ctx.sigversion);
    if (!out.success && ctx.flags & SCRIPT_VERIFY_NULLFAIL && sig.length) return ScriptError.SIG_NULLFAIL;
    return ScriptError.OK;
  }
  // Tapscript (BIP342).
  out.success = sig.length > 0;
  if (out.success) {
    // The budget: each executed signature check spends what the witness paid for in weight.
    ctx.execdata.validationWeightLeft -= VALIDATION_WEIGHT_PER_SIGOP_PASSED;
    if (ctx.execdata.validationWeightLeft < 0) return ScriptError.TAPSCRIPT_VALIDATION_WEIGHT;
  }
  if (pubkey.length === 0) return ScriptError.TAPSCRIPT_EMPTY_PUBKEY;
  if (pubkey.length === 32) {
    if (out.success) {
      const e = ctx.checker.checkSchnorrSignature(sig, pubkey, ctx.sigversion, ctx.execdata);
      if (e !== ScriptError.OK) return e;
    }
  } else if (ctx.flags & SCRIPT_VERIFY_DISCOURAGE_UPGRADABLE_PUBKEYTYPE) {
    // Unknown key types succeed as if signed: room for future soft forks.
    return ScriptError.DISCOURAGE_UPGRADABLE_PUBKEYTYPE;
  }
  return ScriptError.OK;
}

/** OP_CHECKMULTISIG(VERIFY) before tapscript: OK with its result in `out.success`, or the error. */
export function evalCheckMultisig(stack: Uint8Array[], ctx: EvalContext, out: { success: boolean }): ScriptError {
  const requireMinimal = (ctx.flags & SCRIPT_VERIFY_MINIMALDATA) !== 0;
  const top = (i: number) => stack[stack.length + i];
  let i = 1;
  if (stack.length < i) return ScriptError.INVALID_STACK_OPERATION;
  let keys = decodeScriptNum(top(-i), requireMinimal);
  if (keys < 0 || keys > MAX_PUBKEYS_PER_MULTISIG) return ScriptError.PUBKEY_COUNT;
  ctx.opCount += keys;
  if (ctx.opCount > MAX_OPS_PER_SCRIPT) return ScriptError.OP_COUNT;
  let ikey = ++i;
  // ikey2 is the position of the last non-signature item on the stack (top = 1), for NULLFAIL.
  let ikey2 = keys + 2;
  i += keys;
  if (stack.length < i) return ScriptError.INVALID_STACK_OPERATION;
  let sigs = decodeScriptNum(top(-i), requireMinimal);
  if (sigs < 0 || sigs > keys) return ScriptError.SIG_COUNT;
  let isig = ++i;
  i += sigs;
  if (stack.length < i) return ScriptError.INVALID_STACK_OPERATION;

  const sigList: Uint8Array[] = [];
  for (let k = 0; k < sigs; k++) sigList.push(top(-isig - k));
  const code = scriptCodeFor(ctx, sigList);
  if (typeof code === 'number') return code;

  let success = true;
  while (success && sigs > 0) {
    const sig = top(-isig);
    const pubkey = top(-ikey);
    // The order makes which key and signature get checked observable through CHECKMULTISIG NOT under STRICTENC.
    let e = checkSignatureEncoding(sig, ctx.flags);
    if (e === ScriptError.OK) e = checkPubKeyEncoding(pubkey, ctx.flags, ctx.sigversion);
    if (e !== ScriptError.OK) return e;
    if (ctx.checker.checkECDSASignature(sig, pubkey, code, ctx.sigversion)) {
      isig++;
      sigs--;
    }
    ikey++;
    keys--;
    // More signatures left than keys: it can no longer succeed.
    if (sigs > keys) success = false;
  }
  while (i-- > 1) {
    if (!success && ctx.flags & SCRIPT_VERIFY_NULLFAIL && !ikey2 && top(-1).length) return ScriptError.SIG_NULLFAIL;
    if (ikey2 > 0) ikey2--;
    stack.pop();
  }
  // Satoshi's off-by-one: one more item is consumed, unchecked unless NULLDUMMY.
  if (stack.length < 1) return ScriptError.INVALID_STACK_OPERATION;
  if (ctx.flags & SCRIPT_VERIFY_NULLDUMMY && top(-1).length) return ScriptError.SIG_NULLDUMMY;
  stack.pop();
  out.success = success;
  return ScriptError.OK;
}
