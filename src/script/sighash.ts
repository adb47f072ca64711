/**
 * Signature hashes exactly as Core computes them (script/interpreter.cpp SignatureHash and
 * SignatureHashSchnorr): legacy (with its SIGHASH_SINGLE "one" quirk and OP_CODESEPARATOR removal), BIP143
 * segwit v0, and BIP341/342 taproot (key path and tapscript). Hashes are returned in internal byte order.
 */
import { concatBytes, writeCompactSizeInto } from '../primitives/bytes.js';
import type { Transaction, TxOut } from '../primitives/transaction.js';
import { sha256, sha256d, tagPrefix, taggedHash } from './digest.js';
import { HashWriter } from './hash-writer.js';
import { skipOp } from './opcodes.js';

export { taggedHash };

export const SIGHASH_DEFAULT = 0x00;
export const SIGHASH_ALL = 0x01;
export const SIGHASH_NONE = 0x02;
export const SIGHASH_SINGLE = 0x03;
export const SIGHASH_ANYONECANPAY = 0x80;

const OP_CODESEPARATOR = 0xab;

/** The output an input spends: what BIP143 and BIP341 commit to besides the transaction itself. */
export type SpentOutput = TxOut;

/** uint256::ONE in internal order: Core's answer for an out-of-range input or SIGHASH_SINGLE output. */
const ONE = (() => {
  const h = new Uint8Array(32);
  h[0] = 1;
  return h;
})();

/**
 * CTransactionSignatureSerializer::SerializeScriptCode: the script with every OP_CODESEPARATOR removed.
 * The length prefix counts all bytes minus separators even when a malformed push ends parsing early and
 * fewer bytes follow; Core hashes that inconsistent stream, so we do too.
 */
function writeScriptCode(w: HashWriter, script: Uint8Array): void {
  let separators = 0;
  let pc = 0;
  for (let next = skipOp(script, 0); next >= 0; next = skipOp(script, next)) {
    if (script[pc] === OP_CODESEPARATOR) separators++;
    pc = next;
  }
  w.compactSize(script.length - separators);
  let begin = 0;
  let next = skipOp(script, 0);
  for (pc = 0; next >= 0; next = skipOp(script, next)) {
    if (script[pc] === OP_CODESEPARATOR) {
      w.range(script, begin, next - 1);
      begin = next;
    }
    pc = next;
  }
  if (begin !== script.length) w.range(script, begin, -1 - next);
}

/** Where each signature's message is written and hashed; midstates have their own, as they interleave. */
const message = new HashWriter(4096);
const midstate = new HashWriter(4096);

/** Core's SignatureHash for SigVersion::BASE. `hashType` is the full 32-bit value from the signature. */
export function legacySighash(tx: Transaction, inputIndex: number, scriptCode: Uint8Array, hashType: number): Uint8Array {
  if (inputIndex >= tx.inputs.length) return Uint8Array.from(ONE);
  const base = hashType & 0x1f;
  const anyoneCanPay = (hashType & SIGHASH_ANYONECANPAY) !== 0;
  const none = base === SIGHASH_NONE;
  const single = base === SIGHASH_SINGLE;
  if (single && inputIndex >= tx.outputs.length) return Uint8Array.from(ONE);

  const w = message.reset();
  w.u32(tx.version >>> 0);
  w.compactSize(anyoneCanPay ? 1 : tx.inputs.length);
  for (let i = anyoneCanPay ? inputIndex : 0; i < (anyoneCanPay ? inputIndex + 1 : tx.inputs.length); i++) {
    const input = tx.inputs[i];
    w.bytes(input.prevout.txid).u32(input.prevout.vout);
    if (i === inputIndex) writeScriptCode(w, scriptCode);
    else w.compactSize(0);
    w.u32(i !== inputIndex && (none || single) ? 0 : input.sequence);
  }
  const outputCount = none ? 0 : single ? inputIndex + 1 : tx.outputs.length;
  w.compactSize(outputCount);
  for (let i = 0; i < outputCount; i++) {
    // SIGHASH_SINGLE blanks the earlier outputs to CTxOut(): value -1, empty script.
    if (single && i !== inputIndex) w.i64(-1).compactSize(0);
    else w.i64(tx.outputs[i].value).varBytes(tx.outputs[i].script);
  }
  w.u32(tx.lockTime);
  w.u32(hashType >>> 0);
  return sha256d(w.view());
}

function writeOutput(w: HashWriter, o: TxOut): void {
  w.i64(o.value).varBytes(o.script);
}

/** SHA256 of one output (SIGHASH_SINGLE's hashOutputs, single or double). */
function outputHash(o: TxOut, hash: (b: Uint8Array) => Uint8Array): Uint8Array {
  const w = midstate.reset();
  writeOutput(w, o);
  return hash(w.view());
}

/** SHA256 of what `write` serializes (a midstate). */
function hashed(write: (w: HashWriter) => void): Uint8Array {
  const w = midstate.reset();
  write(w);
  return sha256(w.view());
}

/**
 * The per-transaction midstate hashes shared by every input (Core's PrecomputedTransactionData), each
 * computed on first use. BIP143 uses them double-SHA256'd, BIP341 single.
 */
export class PrecomputedTx {
  private hashPrevouts?: Uint8Array;
  private hashSequences?: Uint8Array;
  private hashOutputs?: Uint8Array;
  private hashAmounts?: Uint8Array;
  private hashScripts?: Uint8Array;
  private doubled: { prevouts?: Uint8Array; sequences?: Uint8Array; outputs?: Uint8Array } = {};

  constructor(
    readonly tx: Transaction,
    readonly spent?: readonly SpentOutput[],
  ) {}

  prevouts(): Uint8Array {
    return (this.hashPrevouts ??= hashed((w) => this.tx.inputs.forEach((i) => w.bytes(i.prevout.txid).u32(i.prevout.vout))));
  }

  sequences(): Uint8Array {
    return (this.hashSequences ??= hashed((w) => this.tx.inputs.forEach((i) => w.u32(i.sequence))));
  }

  outputs(): Uint8Array {
    return (this.hashOutputs ??= hashed((w) => this.tx.outputs.forEach((o) => writeOutput(w, o))));
  }

  amounts(): Uint8Array {
    return (this.hashAmounts ??= hashed((w) => this.spentOutputs().forEach((o) => w.i64(o.value))));
  }

  scriptPubKeys(): Uint8Array {
    return (this.hashScripts ??= hashed((w) => this.spentOutputs().forEach((o) => w.varBytes(o.script))));
  }

  /** BIP143's versions: SHA256d = SHA256 of the single hash. */
  double(name: 'prevouts' | 'sequences' | 'outputs'): Uint8Array {
    return (this.doubled[name] ??= sha256(this[name]()));
  }

  spentOutputs(): readonly SpentOutput[] {
    if (!this.spent || this.spent.length !== this.tx.inputs.length) {
      throw new Error('taproot signature hash needs the spent output of every input');
    }
    return this.spent;
  }
}

const ZERO_32: Uint8Array = new Uint8Array(32);

/** BIP143 signature hash for segwit v0; `amount` is the spent output's value, `scriptCode` as BIP143 defines. */
export function segwitV0Sighash(
  tx: Transaction,
  inputIndex: number,
  scriptCode: Uint8Array,
  amount: number,
  hashType: number,
  pre: PrecomputedTx = new PrecomputedTx(tx),
): Uint8Array {
  const base = hashType & 0x1f;
  const anyoneCanPay = (hashType & SIGHASH_ANYONECANPAY) !== 0;
  const hashPrevouts = anyoneCanPay ? ZERO_32 : pre.double('prevouts');
  const hashSequence = anyoneCanPay || base === SIGHASH_SINGLE || base === SIGHASH_NONE ? ZERO_32 : pre.double('sequences');
  let hashOutputs = ZERO_32;
  if (base !== SIGHASH_SINGLE && base !== SIGHASH_NONE) hashOutputs = pre.double('outputs');
  else if (base === SIGHASH_SINGLE && inputIndex < tx.outputs.length) hashOutputs = outputHash(tx.outputs[inputIndex], sha256d);

  const input = tx.inputs[inputIndex];
  const w = message.reset();
  w.u32(tx.version >>> 0).bytes(hashPrevouts).bytes(hashSequence);
  w.bytes(input.prevout.txid).u32(input.prevout.vout);
  w.varBytes(scriptCode).i64(amount).u32(input.sequence);
  w.bytes(hashOutputs).u32(tx.lockTime).u32(hashType >>> 0);
  return sha256d(w.view());
}

/** BIP341 tapleaf hash (leaf version 0xc0 for tapscript). */
export function tapleafHash(script: Uint8Array, leafVersion = 0xc0): Uint8Array {
  const len = new Uint8Array(9);
  const n = writeCompactSizeInto(len, 0, script.length);
  return taggedHash('TapLeaf', Uint8Array.of(leafVersion), len.subarray(0, n), script);
}

/** BIP341 branch hash: children in lexicographic order. */
export function tapBranchHash(a: Uint8Array, b: Uint8Array): Uint8Array {
  return Buffer.compare(a, b) <= 0 ? taggedHash('TapBranch', a, b) : taggedHash('TapBranch', b, a);
}

export interface TaprootSighashOptions {
  /** Annex (including its 0x50 prefix) when the witness carries one. */
  annex?: Uint8Array;
  /** Or its hash, SHA256(compact size ‖ annex), when the caller already has it (Core's m_annex_hash). */
  annexHash?: Uint8Array;
  /** Tapscript spends (BIP342): the leaf hash and the last executed OP_CODESEPARATOR position. */
  tapscript?: { leafHash: Uint8Array; codeSeparatorPos?: number };
}

/**
 * Writes BIP341's SigMsg including the leading epoch byte 0x00 (what TapSighash hashes). False where Core's
 * SignatureHashSchnorr fails: an invalid hash type, or SIGHASH_SINGLE without a matching output.
 */
function writeTaprootSigMsg(w: HashWriter, pre: PrecomputedTx, inputIndex: number, hashType: number, opts: TaprootSighashOptions): boolean {
  const tx = pre.tx;
  const outputType = hashType === SIGHASH_DEFAULT ? SIGHASH_ALL : hashType & 3;
  const anyoneCanPay = (hashType & SIGHASH_ANYONECANPAY) !== 0;
  if (!(hashType <= 0x03 || (hashType >= 0x81 && hashType <= 0x83))) return false;
  if (outputType === SIGHASH_SINGLE && inputIndex >= tx.outputs.length) return false;
  const spent = pre.spentOutputs();
  // Midstates and the annex hash first: they use the midstate writer, and `w` may be the message one.
  const shared = anyoneCanPay ? undefined : [pre.prevouts(), pre.amounts(), pre.scriptPubKeys(), pre.sequences()];
  const outputs = outputType === SIGHASH_ALL ? pre.outputs() : undefined;
  const annexHash = opts.annexHash ?? (opts.annex ? sha256(concatBytes(compactSize(opts.annex.length), opts.annex)) : undefined);
  const singleOutput = outputType === SIGHASH_SINGLE ? outputHash(tx.outputs[inputIndex], sha256) : undefined;

  w.u8(0).u8(hashType).u32(tx.version >>> 0).u32(tx.lockTime);
  if (shared) for (const h of shared) w.bytes(h);
  if (outputs) w.bytes(outputs);
  w.u8((opts.tapscript ? 2 : 0) + (annexHash ? 1 : 0));
  if (anyoneCanPay) {
    const input = tx.inputs[inputIndex];
    w.bytes(input.prevout.txid).u32(input.prevout.vout);
    writeOutput(w, spent[inputIndex]);
    w.u32(input.sequence);
  } else {
    w.u32(inputIndex);
  }
  if (annexHash) w.bytes(annexHash);
  if (singleOutput) w.bytes(singleOutput);
  if (opts.tapscript) w.bytes(opts.tapscript.leafHash).u8(0).u32(opts.tapscript.codeSeparatorPos ?? 0xffffffff);
  return true;
}

function compactSize(n: number): Uint8Array {
  const b = new Uint8Array(9);
  return b.subarray(0, writeCompactSizeInto(b, 0, n));
}

/**
 * BIP341 SigMsg including the leading epoch byte 0x00 (what TapSighash hashes). Returns undefined where
 * Core's SignatureHashSchnorr fails: an invalid hash type, or SIGHASH_SINGLE without a matching output.
 */
export function taprootSigMsg(pre: PrecomputedTx, inputIndex: number, hashType: number, opts: TaprootSighashOptions = {}): Uint8Array | undefined {
  const w = new HashWriter(256);
  return writeTaprootSigMsg(w, pre, inputIndex, hashType, opts) ? w.view() : undefined;
}

/**
 * BIP341 signature hash, TaggedHash("TapSighash", SigMsg), hashed where it is written; undefined where
 * Core's SignatureHashSchnorr fails.
 */
export function taprootSighashOrUndefined(pre: PrecomputedTx, inputIndex: number, hashType: number, opts: TaprootSighashOptions = {}): Uint8Array | undefined {
  const w = message.reset().bytes(tagPrefix('TapSighash'));
  return writeTaprootSigMsg(w, pre, inputIndex, hashType, opts) ? sha256(w.view()) : undefined;
}

/** BIP341 signature hash: TaggedHash("TapSighash", SigMsg). Throws where Core's computation fails. */
export function taprootSighash(pre: PrecomputedTx, inputIndex: number, hashType: number, opts: TaprootSighashOptions = {}): Uint8Array {
  const hash = taprootSighashOrUndefined(pre, inputIndex, hashType, opts);
  if (!hash) throw new Error(`taproot signature hash undefined for input ${inputIndex} with hash type ${hashType}`);
  return hash;
}

/** BIP143's scriptCode for P2WPKH: the P2PKH script of the key hash. */
export function p2wpkhScriptCode(pubkeyHash: Uint8Array): Uint8Array {
  return concatBytes(Uint8Array.of(0x76, 0xa9, 20), pubkeyHash, Uint8Array.of(0x88, 0xac));
}
