/** One input's script check as ConnectBlock's CScriptCheck runs it: the spent output from the precomputed data. */
import type { Transaction } from '../primitives/transaction.js';
import { ScriptError } from './script-error.js';
import { TransactionSignatureChecker, type PrecomputedTxData } from './tx-checker.js';
import { verifyScript } from './verify-script.js';

/**
 * The checker every call uses, pointed at its input: checks never run inside checks, and most inputs of
 * some blocks (mainnet 367891's 20,000 spends of an empty script) never ask it anything, so making one per
 * input was most of their cost.
 */
const checker = new TransactionSignatureChecker(undefined!, 0);

/** Core's CScriptCheck::operator(): OK or the script error of input `inputIndex`. */
export function verifyInput(tx: Transaction, inputIndex: number, txData: PrecomputedTxData, flags: number): ScriptError {
  const input = tx.inputs[inputIndex];
  checker.txData = txData;
  checker.inputIndex = inputIndex;
  return verifyScript(input.scriptSig, txData.spent[inputIndex].script, input.witness, flags, checker);
}
