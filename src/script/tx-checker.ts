/**
 * Core's GenericTransactionSignatureChecker over a transaction and its precomputed data: ECDSA with Core's
 * key and signature parsing, BIP340 Schnorr with BIP341/342 signature hashes, and the lock-time checks of
 * CHECKLOCKTIMEVERIFY and CHECKSEQUENCEVERIFY.
 */
import type { Transaction, TxOut } from '../primitives/transaction.js';
import { ScriptError } from './script-error.js';
import { ecdsaVerify, schnorrVerify } from './secp256k1.js';
import { normalizePubKey, normalizeS, parseDerLax, SigVersion } from './sig-encoding.js';
import { legacySighash, PrecomputedTx, segwitV0Sighash, taprootSighashOrUndefined } from './sighash.js';

/** Core's PrecomputedTransactionData: the transaction, the outputs it spends, and its shared midstates. */
export interface PrecomputedTxData {
  readonly tx: Transaction;
  /** The output each input spends, in input order. */
  readonly spent: readonly TxOut[];
  /** BIP143/BIP341 midstates, each computed on first use and then shared by every input. */
  readonly pre: PrecomputedTx;
}

/** Builds a transaction's precomputed data once; pass it to every input's check. */
export function precomputeTxData(tx: Transaction, spent: readonly TxOut[]): PrecomputedTxData {
  if (spent.length !== tx.inputs.length) throw new Error(`spent outputs: ${spent.length} for ${tx.inputs.length} inputs`);
  return { tx, spent, pre: new PrecomputedTx(tx, spent) };
}

/** Core's ScriptExecutionData: what BIP341/342 signature hashes need beyond the transaction. */
export interface ScriptExecutionData {
  /** The annex hash (SHA256 of the compact-size-prefixed annex) when the witness has one. */
  annex?: Uint8Array;
  tapleafHash?: Uint8Array;
  /** Opcode position of the last executed OP_CODESEPARATOR, 0xffffffff for none. */
  codeSeparatorPos: number;
  /** Tapscript's signature-validation budget. */
  validationWeightLeft: number;
}

/** Core's BaseSignatureChecker: what the interpreter asks of the transaction it validates. */
export interface SignatureChecker {
  checkECDSASignature(sig: Uint8Array, pubkey: Uint8Array, scriptCode: Uint8Array, sigversion: SigVersion): boolean;
  /** OK, or the error Core's checker sets (size, hash type or signature). */
  checkSchnorrSignature(sig: Uint8Array, pubkey: Uint8Array, sigversion: SigVersion, execdata: ScriptExecutionData): ScriptError;
  checkLockTime(lockTime: number): boolean;
  checkSequence(sequence: number): boolean;
}

const LOCKTIME_THRESHOLD = 500_000_000;
const SEQUENCE_FINAL = 0xffffffff;
const SEQUENCE_LOCKTIME_DISABLE_FLAG = 0x80000000;
const SEQUENCE_LOCKTIME_TYPE_FLAG = 1 << 22;
const SEQUENCE_LOCKTIME_MASK = 0x0000ffff;

/** Where verifyEcdsaCore parses signatures: verification is synchronous (and its recorder copies), so one buffer serves all. */
const compactSig = new Uint8Array(64);

/** Core's CPubKey::Verify: lax DER, low-S normalisation, then the curve. */
export function verifyEcdsaCore(derSig: Uint8Array, pubkey: Uint8Array, hash: Uint8Array): boolean {
  const key = normalizePubKey(pubkey);
  if (!key || derSig.length === 0) return false;
  const compact = parseDerLax(derSig, compactSig);
  if (!compact) return false;
  normalizeS(compact);
  return ecdsaVerify(compact, hash, key);
}

/** Core's GenericTransactionSignatureChecker<CTransaction>. */
export class TransactionSignatureChecker implements SignatureChecker {
  /** Mutable so that verifyInput can point one checker at each input in turn instead of making one per input. */
  constructor(
    public txData: PrecomputedTxData,
    public inputIndex: number,
  ) {}

  private get amount(): number {
    return this.txData.spent[this.inputIndex].value;
  }

  checkECDSASignature(sig: Uint8Array, pubkey: Uint8Array, scriptCode: Uint8Array, sigversion: SigVersion): boolean {
    if (!normalizePubKey(pubkey) || sig.length === 0) return false;
    const hashType = sig[sig.length - 1];
    const der = sig.subarray(0, sig.length - 1);
    const { tx, pre } = this.txData;
    const hash =
      sigversion === SigVersion.WITNESS_V0
        ? segwitV0Sighash(tx, this.inputIndex, scriptCode, this.amount, hashType, pre)
        : legacySighash(tx, this.inputIndex, scriptCode, hashType, pre);
    return verifyEcdsaCore(der, pubkey, hash);
  }

  checkSchnorrSignature(sig: Uint8Array, pubkey: Uint8Array, sigversion: SigVersion, execdata: ScriptExecutionData): ScriptError {
    if (sig.length !== 64 && sig.length !== 65) return ScriptError.SCHNORR_SIG_SIZE;
    let hashType = 0;
    if (sig.length === 65) {
      hashType = sig[64];
      if (hashType === 0) return ScriptError.SCHNORR_SIG_HASHTYPE;
      sig = sig.subarray(0, 64);
    }
    const hash = taprootSighashOrUndefined(this.txData.pre, this.inputIndex, hashType, {
      annexHash: execdata.annex,
      tapscript: sigversion === SigVersion.TAPSCRIPT ? { leafHash: execdata.tapleafHash!, codeSeparatorPos: execdata.codeSeparatorPos } : undefined,
    });
    if (!hash) return ScriptError.SCHNORR_SIG_HASHTYPE;
    return schnorrVerify(sig, hash, pubkey) ? ScriptError.OK : ScriptError.SCHNORR_SIG;
  }

  checkLockTime(lockTime: number): boolean {
    const tx = this.txData.tx;
    // Both must be heights or both times: comparing one with the other means nothing.
    if (!((tx.lockTime < LOCKTIME_THRESHOLD && lockTime < LOCKTIME_THRESHOLD) || (tx.lockTime >= LOCKTIME_THRESHOLD && lockTime >= LOCKTIME_THRESHOLD))) {
      return false;
    }
    if (lockTime > tx.lockTime) return false;
    // A final input would let the transaction skip its lock time entirely.
    return tx.inputs[this.inputIndex].sequence !== SEQUENCE_FINAL;
  }

  checkSequence(sequence: number): boolean {
    const tx = this.txData.tx;
    const txSequence = tx.inputs[this.inputIndex].sequence;
    // Core reads the version as uint32: BIP68 applies from version 2 up.
    if (tx.version >>> 0 < 2) return false;
    if (txSequence & SEQUENCE_LOCKTIME_DISABLE_FLAG) return false;
    const mask = SEQUENCE_LOCKTIME_TYPE_FLAG | SEQUENCE_LOCKTIME_MASK;
    const txMasked = txSequence & mask;
    const masked = sequence & mask;
    if (!((txMasked < SEQUENCE_LOCKTIME_TYPE_FLAG && masked < SEQUENCE_LOCKTIME_TYPE_FLAG) || (txMasked >= SEQUENCE_LOCKTIME_TYPE_FLAG && masked >= SEQUENCE_LOCKTIME_TYPE_FLAG))) {
      return false;
    }
    return masked <= txMasked;
  }
}
