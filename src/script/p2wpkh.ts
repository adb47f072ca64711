/**
 * A P2WPKH spend without the interpreter: what Core's ExecuteWitnessScript and EvalScript do with the
 * witness [sig, pubkey] under OP_DUP OP_HASH160 <program> OP_EQUALVERIFY OP_CHECKSIG, check for check and
 * error for error. Most inputs of recent blocks are P2WPKH, and running their five ops through the general
 * loop cost more than the checks themselves. p2wpkh.test.ts holds it to the interpreter on a P2WSH spend of
 * the same script.
 */
import { evalChecksig, type EvalContext } from './eval-checksig.js';
import { hash160Equals } from './digest.js';
import { MAX_SCRIPT_ELEMENT_SIZE } from './opcodes.js';
import { ScriptError } from './script-error.js';
import { SigVersion } from './sig-encoding.js';
import type { ScriptExecutionData, SignatureChecker } from './tx-checker.js';

/**
 * The script the program stands for, the scriptCode its signature hash commits to, with the program written
 * in per input. On an ArrayBuffer of its own: a fresh 25-byte array would live on V8's heap, and the first
 * view of it costs a move off the heap. Nothing keeps it past the check.
 */
const P2WPKH_SCRIPT = new Uint8Array(new ArrayBuffer(25));
P2WPKH_SCRIPT.set([0x76, 0xa9, 20], 0);
P2WPKH_SCRIPT.set([0x88, 0xac], 23);

/** Segwit v0 reads no execution data; the checksig context is filled in per input. */
const EXECDATA: ScriptExecutionData = { codeSeparatorPos: 0xffffffff, validationWeightLeft: 0 };
const ctx: EvalContext = { script: P2WPKH_SCRIPT, codeHashBegin: 0, flags: 0, checker: undefined!, sigversion: SigVersion.WITNESS_V0, execdata: EXECDATA, opCount: 0 };
const result = { success: false };

/** Core's VerifyWitnessProgram for a 20-byte version 0 program: OK or its error. */
export function verifyP2wpkh(witness: readonly Uint8Array[], program: Uint8Array, flags: number, checker: SignatureChecker): ScriptError {
  if (witness.length !== 2) return ScriptError.WITNESS_PROGRAM_MISMATCH;
  const sig = witness[0];
  const pubkey = witness[1];
  if (sig.length > MAX_SCRIPT_ELEMENT_SIZE || pubkey.length > MAX_SCRIPT_ELEMENT_SIZE) return ScriptError.PUSH_SIZE;
  // OP_DUP OP_HASH160 <program> OP_EQUALVERIFY: the stack is deep enough and the push minimal by construction.
  if (!hash160Equals(pubkey, program)) return ScriptError.EQUALVERIFY;
  P2WPKH_SCRIPT.set(program, 3);
  ctx.flags = flags;
  ctx.checker = checker;
  const e = evalChecksig(sig, pubkey, ctx, result);
  if (e !== ScriptError.OK) return e;
  // OP_CHECKSIG leaves its result alone on the stack: clean, and true or false.
  return result.success ? ScriptError.OK : ScriptError.EVAL_FALSE;
}
