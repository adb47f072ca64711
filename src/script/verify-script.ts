/**
 * Core's VerifyScript and VerifyWitnessProgram: scriptSig then scriptPubKey on one stack, P2SH, segwit v0
 * (P2WPKH, P2WSH), taproot key and script paths (BIP341/342) with the annex, OP_SUCCESSx and the validation
 * weight budget, pay-to-anchor, and the unknown witness versions left to future soft forks.
 */
import { compactSizeLength, writeCompactSizeInto } from '../primitives/bytes.js';
import { pushData } from '../primitives/script.js';
import { evalScript, newExecData } from './eval-script.js';
import { isOpSuccess, isPayToScriptHash, isPushOnly, MAX_SCRIPT_ELEMENT_SIZE, MAX_STACK_SIZE, skipOp, witnessProgram } from './opcodes.js';
import { ScriptError } from './script-error.js';
import {
  SCRIPT_VERIFY_CLEANSTACK,
  SCRIPT_VERIFY_DISCOURAGE_OP_SUCCESS,
  SCRIPT_VERIFY_DISCOURAGE_UPGRADABLE_TAPROOT_VERSION,
  SCRIPT_VERIFY_DISCOURAGE_UPGRADABLE_WITNESS_PROGRAM,
  SCRIPT_VERIFY_P2SH,
  SCRIPT_VERIFY_SIGPUSHONLY,
  SCRIPT_VERIFY_TAPROOT,
  SCRIPT_VERIFY_WITNESS,
} from './script-flags.js';
import { castToBool } from './script-num.js';
import { SigVersion } from './sig-encoding.js';
import { sha256 } from './digest.js';
import { verifyP2wpkh } from './p2wpkh.js';
import { checkTapTweak } from './secp256k1.js';
import { tapBranchHash, taggedHash, tapleafHash } from './sighash.js';
import type { ScriptExecutionData, SignatureChecker } from './tx-checker.js';

const ANNEX_TAG = 0x50;
const TAPROOT_LEAF_MASK = 0xfe;
const TAPROOT_LEAF_TAPSCRIPT = 0xc0;
const TAPROOT_CONTROL_BASE_SIZE = 33;
const TAPROOT_CONTROL_NODE_SIZE = 32;
const TAPROOT_CONTROL_MAX_SIZE = TAPROOT_CONTROL_BASE_SIZE + TAPROOT_CONTROL_NODE_SIZE * 128;
/** BIP342's VALIDATION_WEIGHT_OFFSET: the budget every tapscript starts with beyond its witness size. */
const VALIDATION_WEIGHT_OFFSET = 50;

/** What segwit v0 scripts are run with: only taproot reads execution data, so one object serves them all. */
const V0_EXECDATA = newExecData();

/** Core's ExecuteWitnessScript: the witness stack under a witness script, with its implicit clean stack. */
function executeWitnessScript(
  stack: Uint8Array[],
  script: Uint8Array,
  flags: number,
  sigversion: SigVersion,
  checker: SignatureChecker,
  execdata: ScriptExecutionData,
): ScriptError {
  if (sigversion === SigVersion.TAPSCRIPT) {
    // OP_SUCCESSx anywhere makes the script succeed, before any other rule, even an oversized element.
    for (let pc = 0; pc < script.length; ) {
      const next = skipOp(script, pc);
      if (next < 0) return ScriptError.BAD_OPCODE;
      if (isOpSuccess(script[pc])) {
        return flags & SCRIPT_VERIFY_DISCOURAGE_OP_SUCCESS ? ScriptError.DISCOURAGE_OP_SUCCESS : ScriptError.OK;
      }
      pc = next;
    }
    if (stack.length > MAX_STACK_SIZE) return ScriptError.STACK_SIZE;
  }
  for (const elem of stack) if (elem.length > MAX_SCRIPT_ELEMENT_SIZE) return ScriptError.PUSH_SIZE;
  const e = evalScript(stack, script, flags, checker, sigversion, execdata);
  if (e !== ScriptError.OK) return e;
  if (stack.length !== 1) return ScriptError.CLEANSTACK;
  if (!castToBool(stack[0])) return ScriptError.EVAL_FALSE;
  return ScriptError.OK;
}

/** Core's VerifyTaprootCommitment: the control block's path from the leaf reaches the output key. */
function verifyTaprootCommitment(control: Uint8Array, program: Uint8Array, leafHash: Uint8Array): boolean {
  const pathLen = (control.length - TAPROOT_CONTROL_BASE_SIZE) / TAPROOT_CONTROL_NODE_SIZE;
  const internal = control.subarray(1, TAPROOT_CONTROL_BASE_SIZE);
  let k = leafHash;
  for (let i = 0; i < pathLen; i++) {
    const at = TAPROOT_CONTROL_BASE_SIZE + TAPROOT_CONTROL_NODE_SIZE * i;
    k = tapBranchHash(k, control.subarray(at, at + TAPROOT_CONTROL_NODE_SIZE));
  }
  return checkTapTweak(program, internal, taggedHash('TapTweak', internal, k), control[0] & 1);
}

/** GetSerializeSize of a witness stack: what the tapscript budget is measured in. */
function witnessSize(witness: readonly Uint8Array[]): number {
  let n = compactSizeLength(witness.length);
  for (const item of witness) n += compactSizeLength(item.length) + item.length;
  return n;
}

/** Core's VerifyWitnessProgram. */
function verifyWitnessProgram(
  witness: readonly Uint8Array[],
  version: number,
  program: Uint8Array,
  flags: number,
  checker: SignatureChecker,
  isP2sh: boolean,
): ScriptError {
  if (version === 0 && program.length === 20) return verifyP2wpkh(witness, program, flags, checker);
  const stack = witness.slice();
  if (version === 0) {
    if (program.length === 32) {
      if (stack.length === 0) return ScriptError.WITNESS_PROGRAM_WITNESS_EMPTY;
      const script = stack.pop()!;
      if (Buffer.compare(sha256(script), program) !== 0) return ScriptError.WITNESS_PROGRAM_MISMATCH;
      return executeWitnessScript(stack, script, flags, SigVersion.WITNESS_V0, checker, V0_EXECDATA);
    }
    return ScriptError.WITNESS_PROGRAM_WRONG_LENGTH;
  }
  if (version === 1 && program.length === 32 && !isP2sh) {
    if (!(flags & SCRIPT_VERIFY_TAPROOT)) return ScriptError.OK;
    if (stack.length === 0) return ScriptError.WITNESS_PROGRAM_WITNESS_EMPTY;
    const execdata = newExecData();
    const last = stack[stack.length - 1];
    if (stack.length >= 2 && last.length > 0 && last[0] === ANNEX_TAG) {
      const annex = stack.pop()!;
      const prefixed = new Uint8Array(compactSizeLength(annex.length) + annex.length);
      prefixed.set(annex, writeCompactSizeInto(prefixed, 0, annex.length));
      execdata.annex = sha256(prefixed);
    }
    if (stack.length === 1) {
      return checker.checkSchnorrSignature(stack[0], program, SigVersion.TAPROOT, execdata);
    }
    const control = stack.pop()!;
    const script = stack.pop()!;
    if (control.length < TAPROOT_CONTROL_BASE_SIZE || control.length > TAPROOT_CONTROL_MAX_SIZE || (control.length - TAPROOT_CONTROL_BASE_SIZE) % TAPROOT_CONTROL_NODE_SIZE !== 0) {
      return ScriptError.TAPROOT_WRONG_CONTROL_SIZE;
    }
    execdata.tapleafHash = tapleafHash(script, control[0] & TAPROOT_LEAF_MASK);
    if (!verifyTaprootCommitment(control, program, execdata.tapleafHash)) return ScriptError.WITNESS_PROGRAM_MISMATCH;
    if ((control[0] & TAPROOT_LEAF_MASK) === TAPROOT_LEAF_TAPSCRIPT) {
      execdata.validationWeightLeft = witnessSize(witness) + VALIDATION_WEIGHT_OFFSET;
      return executeWitnessScript(stack, script, flags, SigVersion.TAPSCRIPT, checker, execdata);
    }
    return flags & SCRIPT_VERIFY_DISCOURAGE_UPGRADABLE_TAPROOT_VERSION ? ScriptError.DISCOURAGE_UPGRADABLE_TAPROOT_VERSION : ScriptError.OK;
  }
  // Pay-to-anchor (witness v1, program 4e73) is spendable by anyone and never discouraged.
  if (!isP2sh && version === 1 && program.length === 2 && program[0] === 0x4e && program[1] === 0x73) return ScriptError.OK;
  // Other versions and sizes are left for future soft forks.
  return flags & SCRIPT_VERIFY_DISCOURAGE_UPGRADABLE_WITNESS_PROGRAM ? ScriptError.DISCOURAGE_UPGRADABLE_WITNESS_PROGRAM : ScriptError.OK;
}

/**
 * verifyScript for a witness program spent with an empty scriptSig, what most inputs are. The scriptPubKey
 * would push its version and program, and nothing in that can fail (pushes of 2 to 40 bytes are minimal);
 * only a false program (all zeros, or a negative zero) leaves a false stack. After the witness program the
 * stack holds one item, so CLEANSTACK holds, and the witness was expected.
 */
function verifyNativeWitness(version: number, program: Uint8Array, witness: readonly Uint8Array[], flags: number, checker: SignatureChecker): ScriptError {
  if (!castToBool(program)) return ScriptError.EVAL_FALSE;
  return verifyWitnessProgram(witness, version, program, flags, checker, false);
}

/**
 * The stack scriptSig and scriptPubKey run on, emptied per call (scripts never verify inside scripts): a
 * fresh array and the backing store of its first push were most of the garbage of inputs that spend an
 * empty script (mainnet 367891 has 20,000).
 */
const mainStack: Uint8Array[] = [];

/** Core's VerifyScript: OK when the input's scripts and witness satisfy the output under `flags`. */
export function verifyScript(
  scriptSig: Uint8Array,
  scriptPubKey: Uint8Array,
  witness: readonly Uint8Array[],
  flags: number,
  checker: SignatureChecker,
): ScriptError {
  if (flags & SCRIPT_VERIFY_SIGPUSHONLY && !isPushOnly(scriptSig)) return ScriptError.SIG_PUSHONLY;
  if (scriptSig.length === 0 && flags & SCRIPT_VERIFY_WITNESS) {
    const wp = witnessProgram(scriptPubKey);
    if (wp) return verifyNativeWitness(wp.version, wp.program, witness, flags, checker);
  }
  let stack = mainStack;
  // pop(), not `length = 0`: the length setter is a runtime call, and drops the backing store.
  while (stack.length > 0) stack.pop();
  let e = evalScript(stack, scriptSig, flags, checker, SigVersion.BASE);
  if (e !== ScriptError.OK) return e;
  // Only a P2SH spend needs the scriptSig's stack again: copy it for those alone.
  const isP2sh = (flags & SCRIPT_VERIFY_P2SH) !== 0 && isPayToScriptHash(scriptPubKey);
  const stackCopy = isP2sh ? stack.slice() : undefined;
  e = evalScript(stack, scriptPubKey, flags, checker, SigVersion.BASE);
  if (e !== ScriptError.OK) return e;
  if (stack.length === 0 || !castToBool(stack[stack.length - 1])) return ScriptError.EVAL_FALSE;

  let hadWitness = false;
  if (flags & SCRIPT_VERIFY_WITNESS) {
    const wp = witnessProgram(scriptPubKey);
    if (wp) {
      hadWitness = true;
      if (scriptSig.length !== 0) return ScriptError.WITNESS_MALLEATED;
      e = verifyWitnessProgram(witness, wp.version, wp.program, flags, checker, false);
      if (e !== ScriptError.OK) return e;
      // The stack of a witness program is not clean; CLEANSTACK below must not see it.
      stack.length = 1;
    }
  }

  if (isP2sh) {
    if (!isPushOnly(scriptSig)) return ScriptError.SIG_PUSHONLY;
    stack = stackCopy!;
    // Never empty: HASH160 <h> EQUAL would have failed on an empty stack.
    const redeemScript = stack.pop()!;
    e = evalScript(stack, redeemScript, flags, checker, SigVersion.BASE);
    if (e !== ScriptError.OK) return e;
    if (stack.length === 0 || !castToBool(stack[stack.length - 1])) return ScriptError.EVAL_FALSE;
    if (flags & SCRIPT_VERIFY_WITNESS) {
      const wp = witnessProgram(redeemScript);
      if (wp) {
        hadWitness = true;
        // The scriptSig must be exactly one push of the redeem script, as CScript() << redeemScript writes it.
        if (Buffer.compare(scriptSig, pushData(redeemScript)) !== 0) return ScriptError.WITNESS_MALLEATED_P2SH;
        e = verifyWitnessProgram(witness, wp.version, wp.program, flags, checker, true);
        if (e !== ScriptError.OK) return e;
        stack.length = 1;
      }
    }
  }

  // Only after P2SH: the redeem script is on the stack until then. Core requires P2SH and WITNESS with it.
  if (flags & SCRIPT_VERIFY_CLEANSTACK && stack.length !== 1) return ScriptError.CLEANSTACK;
  if (flags & SCRIPT_VERIFY_WITNESS && !hadWitness && witness.length > 0) return ScriptError.WITNESS_UNEXPECTED;
  return ScriptError.OK;
}
