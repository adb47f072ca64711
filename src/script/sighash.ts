/**
 * Signature hashes exactly as Core computes them (script/interpreter.cpp SignatureHash and
 * SignatureHashSchnorr): legacy (with its SIGHASH_SINGLE "one" quirk and OP_CODESEPARATOR removal), BIP143
 * segwit v0, and BIP341/342 taproot (key path and tapscript). Hashes are returned in internal byte order.
 */
import { ByteWriter, concatBytes, writeCompactSizeInto } from '../primitives/bytes.js';
import type { Transaction, TxOut } from '../primitives/transaction.js';
import { latin1Bytes, sha256, sha256d, sha256Latin1, sha256OfLatin1, tagPrefix, taggedHash } from './digest.js';
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
function writeScriptCode(w: ByteWriter, script: Uint8Array): void {
  let separators = 0;
  let pc = 0;
  for (let next = skipOp(script, 0); next >= 0; next = skipOp(script, next)) {
    if (script[pc] === OP_CODESEPARATOR) separators++;
    pc = next;
  }
  w.writeCompactSize(script.length - separators);
  let begin = 0;
  let next = skipOp(script, 0);
  for (pc = 0; next >= 0; next = skipOp(script, next)) {
    if (script[pc] === OP_CODESEPARATOR) {
      w.writeRange(script, begin, next - 1);
      begin = next;
    }
    pc = next;
  }
  if (begin !== script.length) w.writeRange(script, begin, -1 - next);
}

/** Where each signature's message is written and hashed; midstates have their own, as they interleave. */
const message = new ByteWriter(4096);
const midstate = new ByteWriter(4096);

/**
 * Core's SignatureHash for SigVersion::BASE. `hashType` is the full 32-bit value from the signature. With the
 * transaction's precomputed data, SIGHASH_ALL messages are patched from one serialisation of the transaction
 * instead of being serialised per signature (the bytes are the same).
 */
export function legacySighash(tx: Transaction, inputIndex: number, scriptCode: Uint8Array, hashType: number, pre?: PrecomputedTx): Uint8Array {
  if (inputIndex >= tx.inputs.length) return Uint8Array.from(ONE);
  const base = hashType & 0x1f;
  const anyoneCanPay = (hashType & SIGHASH_ANYONECANPAY) !== 0;
  const none = base === SIGHASH_NONE;
  const single = base === SIGHASH_SINGLE;
  if (single && inputIndex >= tx.outputs.length) return Uint8Array.from(ONE);

  const w = message.reset();
  if (pre && pre.tx === tx && !anyoneCanPay && !none && !single && pre.legacyCopyPays()) {
    // SIGHASH_ALL: the transaction with every scriptSig empty, serialised once per transaction, with this
    // input's scriptCode put in place of its empty script.
    const { bytes, scriptAt } = pre.legacyCopy();
    const at = scriptAt[inputIndex];
    w.writeRange(bytes, 0, at);
    writeScriptCode(w, scriptCode);
    w.writeRange(bytes, at + 1, bytes.length).writeU32LE(hashType >>> 0);
    return sha256d(w.view());
  }
  w.writeU32LE(tx.version >>> 0);
  w.writeCompactSize(anyoneCanPay ? 1 : tx.inputs.length);
  for (let i = anyoneCanPay ? inputIndex : 0; i < (anyoneCanPay ? inputIndex + 1 : tx.inputs.length); i++) {
    const input = tx.inputs[i];
    w.writeBytes(input.prevout.txid).writeU32LE(input.prevout.vout);
    if (i === inputIndex) writeScriptCode(w, scriptCode);
    else w.writeCompactSize(0);
    w.writeU32LE(i !== inputIndex && (none || single) ? 0 : input.sequence);
  }
  const outputCount = none ? 0 : single ? inputIndex + 1 : tx.outputs.length;
  w.writeCompactSize(outputCount);
  for (let i = 0; i < outputCount; i++) {
    // SIGHASH_SINGLE blanks the earlier outputs to CTxOut(): value -1, empty script.
    if (single && i !== inputIndex) w.writeI64LE(-1).writeCompactSize(0);
    else w.writeI64LE(tx.outputs[i].value).writeVarBytes(tx.outputs[i].script);
  }
  w.writeU32LE(tx.lockTime);
  w.writeU32LE(hashType >>> 0);
  return sha256d(w.view());
}

function writeOutput(w: ByteWriter, o: TxOut): void {
  w.writeI64LE(o.value).writeVarBytes(o.script);
}

/** SHA256 of one output (SIGHASH_SINGLE's hashOutputs, single or double). */
function outputHash(o: TxOut, hash: (b: Uint8Array) => Uint8Array): Uint8Array {
  const w = midstate.reset();
  writeOutput(w, o);
  return hash(w.view());
}


/**
 * hashSequence digests of transactions whose inputs all carry one sequence, by input count and sequence:
 * nearly every transaction, with a handful of values between them (one input with 0xfffffffd, 0xfffffffe or
 * 0xffffffff), so a block's segwit transactions hash their sequences a few times rather than once each.
 */
const uniformSequences = new Map<number, { single: string; double?: string }>();
const UNIFORM_SEQUENCES_KEPT = 64;

/**
 * The per-transaction midstate hashes shared by every input (Core's PrecomputedTransactionData), each
 * computed on first use. BIP143 uses them double-SHA256'd, BIP341 single. Kept as node:crypto's latin1
 * digest strings: they are only written into signature messages, and a byte array per digest cost more.
 */
export class PrecomputedTx {
  private hashPrevouts?: string;
  private hashSequences?: { single: string; double?: string };
  private hashOutputs?: string;
  private hashAmounts?: string;
  private hashScripts?: string;
  private doubledPrevouts?: string;
  private doubledOutputs?: string;
  private legacy?: { bytes: Uint8Array; scriptAt: Int32Array };
  private legacySignatures = 0;

  constructor(
    readonly tx: Transaction,
    readonly spent?: readonly SpentOutput[],
  ) {}

  /** BIP341's sha_prevouts, sha_sequences, sha_outputs, sha_amounts and sha_scriptpubkeys, as bytes (for tests). */
  prevouts(): Uint8Array {
    return latin1Bytes(this.prevoutsDigest());
  }

  sequences(): Uint8Array {
    return latin1Bytes(this.sequencesDigest());
  }

  outputs(): Uint8Array {
    return latin1Bytes(this.outputsDigest());
  }

  amounts(): Uint8Array {
    return latin1Bytes(this.amountsDigest());
  }

  scriptPubKeys(): Uint8Array {
    return latin1Bytes(this.scriptPubKeysDigest());
  }

  prevoutsDigest(): string {
    if (this.hashPrevouts !== undefined) return this.hashPrevouts;
    const w = midstate.reset();
    for (const i of this.tx.inputs) w.writeBytes(i.prevout.txid).writeU32LE(i.prevout.vout);
    return (this.hashPrevouts = sha256Latin1(w.view()));
  }

  sequencesDigest(): string {
    return this.sequenceHashes().single;
  }

  private sequenceHashes(): { single: string; double?: string } {
    if (this.hashSequences) return this.hashSequences;
    const inputs = this.tx.inputs;
    // The sequence as the uint32 it is serialised as: a negative one built by hand must not reach another count's key.
    let key = inputs.length > 0 && inputs.length < 1 << 20 ? inputs.length * 0x1_0000_0000 + (inputs[0].sequence >>> 0) : -1;
    for (let i = 1; i < inputs.length && key >= 0; i++) if (inputs[i].sequence !== inputs[0].sequence) key = -1;
    let hashes = key >= 0 ? uniformSequences.get(key) : undefined;
    if (!hashes) {
      const w = midstate.reset();
      for (const i of inputs) w.writeU32LE(i.sequence);
      hashes = { single: sha256Latin1(w.view()) };
      if (key >= 0) {
        if (uniformSequences.size >= UNIFORM_SEQUENCES_KEPT) uniformSequences.clear();
        uniformSequences.set(key, hashes);
      }
    }
    return (this.hashSequences = hashes);
  }

  outputsDigest(): string {
    if (this.hashOutputs !== undefined) return this.hashOutputs;
    const w = midstate.reset();
    for (const o of this.tx.outputs) writeOutput(w, o);
    return (this.hashOutputs = sha256Latin1(w.view()));
  }

  amountsDigest(): string {
    if (this.hashAmounts !== undefined) return this.hashAmounts;
    const w = midstate.reset();
    for (const o of this.spentOutputs()) w.writeI64LE(o.value);
    return (this.hashAmounts = sha256Latin1(w.view()));
  }

  scriptPubKeysDigest(): string {
    if (this.hashScripts !== undefined) return this.hashScripts;
    const w = midstate.reset();
    for (const o of this.spentOutputs()) w.writeVarBytes(o.script);
    return (this.hashScripts = sha256Latin1(w.view()));
  }

  /**
   * Whether legacyCopy() is worth building: from a transaction's second SIGHASH_ALL signature on, and only for
   * transactions with enough inputs that serialising them per signature costs more than copying the copy.
   */
  legacyCopyPays(): boolean {
    return this.legacy !== undefined || (this.tx.inputs.length >= LEGACY_COPY_MIN_INPUTS && ++this.legacySignatures > 1);
  }

  /**
   * The transaction as legacy SIGHASH_ALL serialises it, every scriptSig empty, and where each input's empty
   * script (one 0x00 byte) is: built on the first legacy signature, as a transaction's signatures all share it.
   */
  legacyCopy(): { bytes: Uint8Array; scriptAt: Int32Array } {
    if (this.legacy) return this.legacy;
    const tx = this.tx;
    const w = new ByteWriter(64 + 41 * tx.inputs.length + 40 * tx.outputs.length);
    const scriptAt = new Int32Array(tx.inputs.length);
    w.writeU32LE(tx.version >>> 0).writeCompactSize(tx.inputs.length);
    for (let i = 0; i < tx.inputs.length; i++) {
      const input = tx.inputs[i];
      w.writeBytes(input.prevout.txid).writeU32LE(input.prevout.vout);
      scriptAt[i] = w.length;
      w.writeU8(0).writeU32LE(input.sequence);
    }
    w.writeCompactSize(tx.outputs.length);
    for (const o of tx.outputs) writeOutput(w, o);
    w.writeU32LE(tx.lockTime);
    return (this.legacy = { bytes: w.toBytes(), scriptAt });
  }

  // BIP143's versions, SHA256 of the single hash; one method per midstate, as a lookup by name is polymorphic.
  doublePrevouts(): string {
    return (this.doubledPrevouts ??= sha256OfLatin1(this.prevoutsDigest()));
  }

  doubleSequences(): string {
    const hashes = this.sequenceHashes();
    return (hashes.double ??= sha256OfLatin1(hashes.single));
  }

  doubleOutputs(): string {
    return (this.doubledOutputs ??= sha256OfLatin1(this.outputsDigest()));
  }

  spentOutputs(): readonly SpentOutput[] {
    if (!this.spent || this.spent.length !== this.tx.inputs.length) {
      throw new Error('taproot signature hash needs the spent output of every input');
    }
    return this.spent;
  }
}

const ZERO_32: Uint8Array = new Uint8Array(32);

/** Below this many inputs a legacy message is serialised directly (measured on mainnet 367891 and 866342). */
const LEGACY_COPY_MIN_INPUTS = 8;

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
  const single = base === SIGHASH_SINGLE;
  const allOutputs = !single && base !== SIGHASH_NONE;
  // Midstates first: they use the midstate writer, and SIGHASH_SINGLE's output hash is a byte array.
  const hashPrevouts = anyoneCanPay ? undefined : pre.doublePrevouts();
  const hashSequence = anyoneCanPay || !allOutputs ? undefined : pre.doubleSequences();
  const hashOutputs = allOutputs ? pre.doubleOutputs() : undefined;
  const singleOutput = single && inputIndex < tx.outputs.length ? outputHash(tx.outputs[inputIndex], sha256d) : ZERO_32;

  const input = tx.inputs[inputIndex];
  const w = message.reset();
  w.writeU32LE(tx.version >>> 0);
  writeDigest(w, hashPrevouts);
  writeDigest(w, hashSequence);
  w.writeBytes(input.prevout.txid).writeU32LE(input.prevout.vout);
  w.writeVarBytes(scriptCode).writeI64LE(amount).writeU32LE(input.sequence);
  if (hashOutputs !== undefined) w.writeLatin1(hashOutputs);
  else w.writeBytes(singleOutput);
  w.writeU32LE(tx.lockTime).writeU32LE(hashType >>> 0);
  return sha256d(w.view());
}

/** A midstate digest, or BIP143's 32 zero bytes where the hash type leaves it out. */
function writeDigest(w: ByteWriter, digest: string | undefined): void {
  if (digest === undefined) w.writeBytes(ZERO_32);
  else w.writeLatin1(digest);
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
function writeTaprootSigMsg(w: ByteWriter, pre: PrecomputedTx, inputIndex: number, hashType: number, opts: TaprootSighashOptions): boolean {
  const tx = pre.tx;
  const outputType = hashType === SIGHASH_DEFAULT ? SIGHASH_ALL : hashType & 3;
  const anyoneCanPay = (hashType & SIGHASH_ANYONECANPAY) !== 0;
  if (!(hashType <= 0x03 || (hashType >= 0x81 && hashType <= 0x83))) return false;
  if (outputType === SIGHASH_SINGLE && inputIndex >= tx.outputs.length) return false;
  const spent = pre.spentOutputs();
  // Midstates and the annex hash first: they use the midstate writer, and `w` may be the message one.
  const prevouts = anyoneCanPay ? undefined : pre.prevoutsDigest();
  const amounts = anyoneCanPay ? undefined : pre.amountsDigest();
  const scriptPubKeys = anyoneCanPay ? undefined : pre.scriptPubKeysDigest();
  const sequences = anyoneCanPay ? undefined : pre.sequencesDigest();
  const outputs = outputType === SIGHASH_ALL ? pre.outputsDigest() : undefined;
  const annexHash = opts.annexHash ?? (opts.annex ? sha256(concatBytes(compactSize(opts.annex.length), opts.annex)) : undefined);
  const singleOutput = outputType === SIGHASH_SINGLE ? outputHash(tx.outputs[inputIndex], sha256) : undefined;

  w.writeU8(0).writeU8(hashType).writeU32LE(tx.version >>> 0).writeU32LE(tx.lockTime);
  if (!anyoneCanPay) w.writeLatin1(prevouts!).writeLatin1(amounts!).writeLatin1(scriptPubKeys!).writeLatin1(sequences!);
  if (outputs !== undefined) w.writeLatin1(outputs);
  w.writeU8((opts.tapscript ? 2 : 0) + (annexHash ? 1 : 0));
  if (anyoneCanPay) {
    const input = tx.inputs[inputIndex];
    w.writeBytes(input.prevout.txid).writeU32LE(input.prevout.vout);
    writeOutput(w, spent[inputIndex]);
    w.writeU32LE(input.sequence);
  } else {
    w.writeU32LE(inputIndex);
  }
  if (annexHash) w.writeBytes(annexHash);
  if (singleOutput) w.writeBytes(singleOutput);
  if (opts.tapscript) w.writeBytes(opts.tapscript.leafHash).writeU8(0).writeU32LE(opts.tapscript.codeSeparatorPos ?? 0xffffffff);
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
  const w = new ByteWriter(256);
  return writeTaprootSigMsg(w, pre, inputIndex, hashType, opts) ? w.view() : undefined;
}

/**
 * BIP341 signature hash, TaggedHash("TapSighash", SigMsg), hashed where it is written; undefined where
 * Core's SignatureHashSchnorr fails.
 */
export function taprootSighashOrUndefined(pre: PrecomputedTx, inputIndex: number, hashType: number, opts: TaprootSighashOptions = {}): Uint8Array | undefined {
  const w = message.reset().writeBytes(tagPrefix('TapSighash'));
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
