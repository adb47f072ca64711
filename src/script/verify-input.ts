/** One input's script check as ConnectBlock's CScriptCheck runs it: the spent output from the precomputed data. */
import type { Transaction } from '../primitives/transaction.js';
import { ScriptError } from './script-error.js';
import { TransactionSignatureChecker, type PrecomputedTxData } from './tx-checker.js';
import { verifyScript } from './verify-script.js';

/** Core's CScriptCheck::operator(): OK or the script error of input `inputIndex`. */
export function verifyInput(tx: Transaction, inputIndex: number, txData: PrecomputedTxData, flags: number): ScriptError {
  const input = tx.inputs[inputIndex];
  const spent = txData.spent[inputIndex];
  return verifyScript(input.scriptSig, spent.script, input.witness, flags, new TransactionSignatureChecker(txData, inputIndex));
}
