/**
 * Signature hashes exactly as Core computes them (script/interpreter.cpp SignatureHash and
 * SignatureHashSchnorr): legacy (with its SIGHASH_SINGLE "one" quirk and OP_CODESEPARATOR removal), BIP143
 * segwit v0, and BIP341/342 taproot (key path and tapscript). Hashes are returned in internal byte order.
 */
import { createHash } from 'node:crypto';
import { ByteWriter, concatBytes, writeCompactSizeInto } from '../primitives/bytes.js';
import { sha256, sha256d } from '../primitives/hash.js';
import type { Transaction, TxOut } from '../primitives/transaction.js';

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
 * Core's GetScriptOp, reduced to what script-code serialization needs: the position after the next op, and
 * whether it parsed. On a truncated push the cursor still moves past what was read, as in Core.
 */
function nextOp(s: Uint8Array, pc: number): { ok: boolean; pc: number; opcode: number } {
  if (pc >= s.length) return { ok: false, pc, opcode: -1 };
  const opcode = s[pc++];
  if (opcode <= 0x4e) {
    let size = opcode;
    const lenBytes = opcode === 0x4c ? 1 : opcode === 0x4d ? 2 : opcode === 0x4e ? 4 : 0;
    if (lenBytes > 0) {
      if (s.length - pc < lenBytes) return { ok: false, pc, opcode };
      size = 0;
      for (let i = lenBytes - 1; i >= 0; i--) size = size * 256 + s[pc + i];
      pc += lenBytes;
    }
    if (s.length - pc < size) return { ok: false, pc, opcode };
    pc += size;
  }
  return { ok: true, pc, opcode };
}

/**
 * CTransactionSignatureSerializer::SerializeScriptCode: the script with every OP_CODESEPARATOR removed.
 * The length prefix counts all bytes minus separators even when a malformed push ends parsing early and
 * fewer bytes follow; Core hashes that inconsistent stream, so we do too.
 */
function writeScriptCode(w: ByteWriter, script: Uint8Array): void {
  let separators = 0;
  for (let r = nextOp(script, 0); r.ok; r = nextOp(script, r.pc)) if (r.opcode === OP_CODESEPARATOR) separators++;
  w.writeCompactSize(script.length - separators);
  let begin = 0;
  let r = nextOp(script, 0);
  for (; r.ok; r = nextOp(script, r.pc)) {
    if (r.opcode === OP_CODESEPARATOR) {
      w.writeBytes(script.subarray(begin, r.pc - 1));
      begin = r.pc;
    }
  }
  if (begin !== script.length) w.writeBytes(script.subarray(begin, r.pc));
}

/** Core's SignatureHash for SigVersion::BASE. `hashType` is the full 32-bit value from the signature. */
export function legacySighash(tx: Transaction, inputIndex: number, scriptCode: Uint8Array, hashType: number): Uint8Array {
  if (inputIndex >= tx.inputs.length) return Uint8Array.from(ONE);
  const base = hashType & 0x1f;
  const anyoneCanPay = (hashType & SIGHASH_ANYONECANPAY) !== 0;
  const none = base === SIGHASH_NONE;
  const single = base === SIGHASH_SINGLE;
  if (single && inputIndex >= tx.outputs.length) return Uint8Array.from(ONE);

  const w = new ByteWriter(256 + scriptCode.length);
  w.writeI32LE(tx.version);
  const inputs = anyoneCanPay ? [inputIndex] : tx.inputs.map((_, i) => i);
  w.writeCompactSize(inputs.length);
  for (const i of inputs) {
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
  w.writeI32LE(hashType);
  return sha256d(w.toBytes());
}

function writeOutput(w: ByteWriter, o: TxOut): void {
  w.writeI64LE(o.value).writeVarBytes(o.script);
}

/** One writer for every midstate: they are hashed at once, and a fresh 1 KB buffer each time shows in profiles. */
const scratch = new ByteWriter(4096);

function hashOf(fn: (w: ByteWriter) => void, hash: (b: Uint8Array) => Uint8Array): Uint8Array {
  scratch.length = 0;
  fn(scratch);
  return hash(scratch.toBytes());
}

/**
 * The per-transaction midstate hashes shared by every input (Core's PrecomputedTransactionData). BIP143 uses
 * them double-SHA256'd, BIP341 single; compute once per transaction when signing many inputs.
 */
export class PrecomputedTx {
  private cache = new Map<string, Uint8Array>();

  constructor(
    readonly tx: Transaction,
    readonly spent?: readonly SpentOutput[],
  ) {}

  private get(key: string, make: () => Uint8Array): Uint8Array {
    let v = this.cache.get(key);
    if (!v) this.cache.set(key, (v = make()));
    return v;
  }

  private single(name: string, fn: (w: ByteWriter) => void): Uint8Array {
    return this.get(name, () => hashOf(fn, sha256));
  }

  prevouts = (): Uint8Array => this.single('prevouts', (w) => this.tx.inputs.forEach((i) => w.writeBytes(i.prevout.txid).writeU32LE(i.prevout.vout)));
  sequences = (): Uint8Array => this.single('sequences', (w) => this.tx.inputs.forEach((i) => w.writeU32LE(i.sequence)));
  outputs = (): Uint8Array => this.single('outputs', (w) => this.tx.outputs.forEach((o) => writeOutput(w, o)));
  amounts = (): Uint8Array => this.single('amounts', (w) => this.spentOutputs().forEach((o) => w.writeI64LE(o.value)));
  scriptPubKeys = (): Uint8Array => this.single('scripts', (w) => this.spentOutputs().forEach((o) => w.writeVarBytes(o.script)));

  /** BIP143's versions: SHA256d = SHA256 of the single hash. */
  double(name: 'prevouts' | 'sequences' | 'outputs'): Uint8Array {
    return this.get(`d-${name}`, () => sha256(this[name]()));
  }

  spentOutputs(): readonly SpentOutput[] {
    if (!this.spent || this.spent.length !== this.tx.inputs.length) {
      throw new Error('taproot signature hash needs the spent output of every input');
    }
    return this.spent;
  }
}

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
  const zero: Uint8Array = new Uint8Array(32);
  const hashPrevouts = anyoneCanPay ? zero : pre.double('prevouts');
  const hashSequence = anyoneCanPay || base === SIGHASH_SINGLE || base === SIGHASH_NONE ? zero : pre.double('sequences');
  let hashOutputs = zero;
  if (base !== SIGHASH_SINGLE && base !== SIGHASH_NONE) hashOutputs = pre.double('outputs');
  else if (base === SIGHASH_SINGLE && inputIndex < tx.outputs.length) hashOutputs = hashOf((w) => writeOutput(w, tx.outputs[inputIndex]), sha256d);

  const input = tx.inputs[inputIndex];
  const w = new ByteWriter(256 + scriptCode.length);
  w.writeI32LE(tx.version).writeBytes(hashPrevouts).writeBytes(hashSequence);
  w.writeBytes(input.prevout.txid).writeU32LE(input.prevout.vout);
  w.writeVarBytes(scriptCode).writeI64LE(amount).writeU32LE(input.sequence);
  w.writeBytes(hashOutputs).writeU32LE(tx.lockTime).writeI32LE(hashType);
  return sha256d(w.toBytes());
}

/** SHA256(tag) per tag: the handful of tags in use are hashed once, not once per signature. */
const tagDigests = new Map<string, Uint8Array>();

/** BIP340 tagged hash: SHA256(SHA256(tag) ‖ SHA256(tag) ‖ data...). */
export function taggedHash(tag: string, ...data: Uint8Array[]): Uint8Array {
  let t = tagDigests.get(tag);
  if (!t) tagDigests.set(tag, (t = sha256(new TextEncoder().encode(tag))));
  const h = createHash('sha256').update(t).update(t);
  for (const d of data) h.update(d);
  return new Uint8Array(h.digest());
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
 * BIP341 SigMsg including the leading epoch byte 0x00 (what TapSighash hashes). Returns undefined where
 * Core's SignatureHashSchnorr fails: an invalid hash type, or SIGHASH_SINGLE without a matching output.
 */
export function taprootSigMsg(pre: PrecomputedTx, inputIndex: number, hashType: number, opts: TaprootSighashOptions = {}): Uint8Array | undefined {
  const tx = pre.tx;
  const outputType = hashType === SIGHASH_DEFAULT ? SIGHASH_ALL : hashType & 3;
  const anyoneCanPay = (hashType & SIGHASH_ANYONECANPAY) !== 0;
  if (!(hashType <= 0x03 || (hashType >= 0x81 && hashType <= 0x83))) return undefined;
  if (outputType === SIGHASH_SINGLE && inputIndex >= tx.outputs.length) return undefined;
  const spent = pre.spentOutputs();

  const w = new ByteWriter(256);
  w.writeU8(0).writeU8(hashType).writeI32LE(tx.version).writeU32LE(tx.lockTime);
  if (!anyoneCanPay) w.writeBytes(pre.prevouts()).writeBytes(pre.amounts()).writeBytes(pre.scriptPubKeys()).writeBytes(pre.sequences());
  if (outputType === SIGHASH_ALL) w.writeBytes(pre.outputs());
  const extFlag = opts.tapscript ? 1 : 0;
  const annexHash = opts.annexHash ?? (opts.annex ? hashOf((a) => a.writeVarBytes(opts.annex!), sha256) : undefined);
  w.writeU8(extFlag * 2 + (annexHash ? 1 : 0));
  if (anyoneCanPay) {
    const input = tx.inputs[inputIndex];
    w.writeBytes(input.prevout.txid).writeU32LE(input.prevout.vout);
    writeOutput(w, spent[inputIndex]);
    w.writeU32LE(input.sequence);
  } else {
    w.writeU32LE(inputIndex);
  }
  if (annexHash) w.writeBytes(annexHash);
  if (outputType === SIGHASH_SINGLE) w.writeBytes(hashOf((o) => writeOutput(o, tx.outputs[inputIndex]), sha256));
  if (opts.tapscript) {
    w.writeBytes(opts.tapscript.leafHash).writeU8(0).writeU32LE(opts.tapscript.codeSeparatorPos ?? 0xffffffff);
  }
  return w.toBytes();
}

/** BIP341 signature hash: TaggedHash("TapSighash", SigMsg). Throws where Core's computation fails. */
export function taprootSighash(pre: PrecomputedTx, inputIndex: number, hashType: number, opts: TaprootSighashOptions = {}): Uint8Array {
  const msg = taprootSigMsg(pre, inputIndex, hashType, opts);
  if (!msg) throw new Error(`taproot signature hash undefined for input ${inputIndex} with hash type ${hashType}`);
  return taggedHash('TapSighash', msg);
}

/** BIP143's scriptCode for P2WPKH: the P2PKH script of the key hash. */
export function p2wpkhScriptCode(pubkeyHash: Uint8Array): Uint8Array {
  return concatBytes(Uint8Array.of(0x76, 0xa9, 20), pubkeyHash, Uint8Array.of(0x88, 0xac));
}
