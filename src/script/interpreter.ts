/** The script interpreter's public face: Core's EvalScript/VerifyScript and the pieces callers combine with them. */
export { evalScript, newExecData } from './eval-script.js';
export { findAndDelete } from './eval-checksig.js';
export { verifyScript } from './verify-script.js';
export { verifyInput } from './verify-input.js';
export { ScriptError, scriptErrorString, scriptErrorName } from './script-error.js';
export { SigVersion } from './sig-encoding.js';
export {
  precomputeTxData,
  TransactionSignatureChecker,
  type PrecomputedTxData,
  type ScriptExecutionData,
  type SignatureChecker,
} from './tx-checker.js';
