/**
 * The one piece of code that checks input scripts, whichever thread runs it (Core's CScriptCheck): a
 * transaction's precomputed data once, then the interpreter on each input asked for. Also Core's words for a
 * failure in ConnectBlock.
 */
import { invalid, type ValidationError } from '../consensus/validation-error.js';
import { hashToHex } from '../primitives/hash.js';
import { txid, wtxid, type Transaction, type TxOut } from '../primitives/transaction.js';
import { ScriptError, scriptErrorString } from '../script/script-error.js';
import { precomputeTxData, type PrecomputedTxData } from '../script/tx-checker.js';
import { verifyInput } from '../script/verify-input.js';

export interface InputFailure {
  inputIndex: number;
  error: ScriptError;
}

/**
 * Verifies `count` inputs of `tx` spending `spent` from `first` on (all of them by default), in order, with
 * `txData` (the transaction's precomputed data, computed here when not given); returns the first failure.
 * Never throws for a bad script: an exception out of the interpreter is reported as Core's
 * SCRIPT_ERR_UNKNOWN_ERROR for that input.
 */
export function checkInputs(tx: Transaction, spent: readonly TxOut[], flags: number, first = 0, count = tx.inputs.length - first, txData: PrecomputedTxData = precomputeTxData(tx, spent)): InputFailure | undefined {
  for (let inputIndex = first; inputIndex < first + count; inputIndex++) {
    let error: ScriptError;
    try {
      error = verifyInput(tx, inputIndex, txData, flags);
    } catch {
      error = ScriptError.UNKNOWN_ERROR;
    }
    if (error !== ScriptError.OK) return { inputIndex, error };
  }
  return undefined;
}

/** ConnectBlock's rejection for a failed input script: Core's reason and CScriptCheck's debug text. */
export function scriptCheckFailure(tx: Transaction, f: InputFailure): ValidationError {
  const prevout = tx.inputs[f.inputIndex].prevout;
  return invalid(
    `block-script-verify-flag-failed (${scriptErrorString(f.error)})`,
    `input ${f.inputIndex} of ${hashToHex(txid(tx))} (wtxid ${hashToHex(wtxid(tx))}), spending ${hashToHex(prevout.txid)}:${prevout.vout}`,
  );
}

/**
 * Checks a transaction's inputs at once, throwing Core's rejection for the first bad one: Core's ConnectBlock
 * without a check queue (-par=1, and TestBlockValidity's, which never assumes a template valid). Usable as
 * connectBlock's `scriptChecks`.
 */
export function checkScriptsInline(tx: Transaction, spent: readonly TxOut[], flags: number): void {
  const failure = checkInputs(tx, spent, flags);
  if (failure) throw scriptCheckFailure(tx, failure);
}
