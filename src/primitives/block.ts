/**
 * Blocks and headers: serialization, the block hash, merkle roots with Core's mutation detection
 * (consensus/merkle.cpp), the BIP141 witness commitment, and reading blk*.dat-style framed files.
 * Hashes are in internal byte order.
 */
import { ByteReader, ByteWriter, concatBytes, equalBytes, readU32LE } from './bytes.js';
import { DeserializeError } from './errors.js';
import { sha256d, ZERO_HASH } from './hash.js';
import { parseTransaction, Transaction, writeTransaction, txid, wtxid } from './transaction.js';

export interface BlockHeader {
  version: number;
  /** 32 bytes, internal order. */
  prevHash: Uint8Array;
  merkleRoot: Uint8Array;
  time: number;
  bits: number;
  nonce: number;
}

export interface Block {
  header: BlockHeader;
  txs: Transaction[];
}

export const HEADER_SIZE = 80;
/** Core's MAX_BLOCK_SERIALIZED_SIZE; framed blocks claiming more are skipped like Core does. */
export const MAX_BLOCK_SERIALIZED_SIZE = 4_000_000;
/** OP_RETURN, push 36, then the BIP141 tag aa21a9ed. */
export const WITNESS_COMMITMENT_PREFIX = Uint8Array.of(0x6a, 0x24, 0xaa, 0x21, 0xa9, 0xed);
/** Core's MINIMUM_WITNESS_COMMITMENT: prefix plus the 32-byte commitment. */
export const MINIMUM_WITNESS_COMMITMENT = 38;

export function parseHeader(r: ByteReader): BlockHeader {
  return {
    version: r.readI32LE(),
    prevHash: r.readBytes(32),
    merkleRoot: r.readBytes(32),
    time: r.readU32LE(),
    bits: r.readU32LE(),
    nonce: r.readU32LE(),
  };
}

export function writeHeader(w: ByteWriter, h: BlockHeader): void {
  w.writeI32LE(h.version).writeBytes(h.prevHash).writeBytes(h.merkleRoot);
  w.writeU32LE(h.time).writeU32LE(h.bits).writeU32LE(h.nonce);
}

export function serializeHeader(h: BlockHeader): Uint8Array {
  const w = new ByteWriter(HEADER_SIZE);
  writeHeader(w, h);
  return w.toBytes();
}

/** SHA256d of the 80-byte header, internal order. */
export function blockHash(h: BlockHeader): Uint8Array {
  return sha256d(serializeHeader(h));
}

/**
 * Reads a block. Given bytes, the block must use all of them; given a reader, it stops after the block.
 * Transactions keep views into the input buffer.
 */
export function parseBlock(input: Uint8Array | ByteReader): Block {
  const r = input instanceof ByteReader ? input : new ByteReader(input);
  const header = parseHeader(r);
  const n = r.readCompactSize();
  const txs: Transaction[] = [];
  for (let i = 0; i < n; i++) txs.push(parseTransaction(r));
  if (!(input instanceof ByteReader) && !r.eof) throw new DeserializeError('unexpected data after block', r.pos);
  return { header, txs };
}

export function serializeBlock(block: Block, withWitness = true): Uint8Array {
  const w = new ByteWriter(1024);
  writeHeader(w, block.header);
  w.writeCompactSize(block.txs.length);
  for (const tx of block.txs) writeTransaction(w, tx, withWitness);
  return w.toBytes();
}

/**
 * Core's ComputeMerkleRoot. `mutated` is set when some level has two equal siblings (CVE-2012-2459): such a
 * tree has the same root as one with the duplicated leaves removed, so the block must not be trusted.
 * An empty list gives the zero hash.
 */
export function computeMerkleRoot(hashes: Uint8Array[]): { root: Uint8Array; mutated: boolean } {
  if (hashes.length === 0) return { root: new Uint8Array(32), mutated: false };
  let level = hashes;
  let mutated = false;
  const pair = new Uint8Array(64);
  while (level.length > 1) {
    for (let i = 0; i + 1 < level.length; i += 2) if (equalBytes(level[i], level[i + 1])) mutated = true;
    const next: Uint8Array[] = [];
    for (let i = 0; i < level.length; i += 2) {
      pair.set(level[i], 0);
      pair.set(level[i + 1 < level.length ? i + 1 : i], 32);
      next.push(sha256d(pair));
    }
    level = next;
  }
  return { root: Uint8Array.from(level[0]), mutated };
}

export function blockMerkleRoot(block: Block): { root: Uint8Array; mutated: boolean } {
  return computeMerkleRoot(block.txs.map(txid));
}

/** Merkle root over wtxids, with the coinbase's replaced by zeros (BIP141). */
export function blockWitnessMerkleRoot(block: Block): { root: Uint8Array; mutated: boolean } {
  return computeMerkleRoot(block.txs.map((tx, i) => (i === 0 ? ZERO_HASH : wtxid(tx))));
}

/** Core's GetWitnessCommitmentIndex: the last matching coinbase output, or -1. */
export function witnessCommitmentIndex(block: Block): number {
  if (block.txs.length === 0) return -1;
  const outs = block.txs[0].outputs;
  let pos = -1;
  for (let i = 0; i < outs.length; i++) {
    const s = outs[i].script;
    if (s.length >= MINIMUM_WITNESS_COMMITMENT && equalBytes(s.subarray(0, 6), WITNESS_COMMITMENT_PREFIX)) pos = i;
  }
  return pos;
}

/** SHA256d(witness merkle root ‖ witness reserved value): the 32 bytes a commitment output must carry. */
export function witnessCommitment(block: Block, reservedValue: Uint8Array = ZERO_HASH): Uint8Array {
  return sha256d(concatBytes(blockWitnessMerkleRoot(block).root, reservedValue));
}

/** The commitment output script for a block template (Core's GenerateCoinbaseCommitment uses 32 zero bytes). */
export function makeWitnessCommitmentScript(block: Block, reservedValue: Uint8Array = ZERO_HASH): Uint8Array {
  return concatBytes(WITNESS_COMMITMENT_PREFIX, witnessCommitment(block, reservedValue));
}

export type WitnessCheck = { ok: true } | { ok: false; reason: string; debug: string };

/**
 * Core's CheckWitnessMalleation. With `expectCommitment` (segwit active) and a commitment output present,
 * the coinbase must carry a single 32-byte reserved value and the commitment must match; otherwise no
 * transaction may carry witness data. Reasons are Core's reject strings.
 */
export function checkWitnessCommitment(block: Block, expectCommitment = true): WitnessCheck {
  if (expectCommitment) {
    const pos = witnessCommitmentIndex(block);
    if (pos !== -1) {
      const stack = block.txs[0].inputs[0]?.witness ?? [];
      if (stack.length !== 1 || stack[0].length !== 32) {
        return { ok: false, reason: 'bad-witness-nonce-size', debug: 'CheckWitnessMalleation : invalid witness reserved value size' };
      }
      const expected = witnessCommitment(block, stack[0]);
      if (!equalBytes(expected, block.txs[0].outputs[pos].script.subarray(6, 38))) {
        return { ok: false, reason: 'bad-witness-merkle-match', debug: 'CheckWitnessMalleation : witness merkle commitment mismatch' };
      }
      return { ok: true };
    }
  }
  if (block.txs.some((tx) => tx.inputs.some((i) => i.witness.length > 0))) {
    return { ok: false, reason: 'unexpected-witness', debug: 'CheckWitnessMalleation : unexpected witness data found' };
  }
  return { ok: true };
}

export interface FramedBlock {
  /** Offset of the block's first byte in the file (after magic and size), like Core's FlatFilePos. */
  offset: number;
  bytes: Uint8Array;
}

/**
 * Blocks in a blk*.dat-style buffer: magic ‖ u32 LE size ‖ block. Like Core's LoadExternalBlockFile it
 * scans for the magic, so zero padding (Core preallocates blk files) and junk are skipped; a frame whose
 * size is out of range is skipped, and a frame cut short by the end of the buffer ends the iteration.
 */
export function* readFramedBlocks(bytes: Uint8Array, magic: Uint8Array): Iterable<FramedBlock> {
  let pos = 0;
  while (pos + 8 <= bytes.length) {
    if (
      bytes[pos] !== magic[0] ||
      bytes[pos + 1] !== magic[1] ||
      bytes[pos + 2] !== magic[2] ||
      bytes[pos + 3] !== magic[3]
    ) {
      pos++;
      continue;
    }
    const size = readU32LE(bytes, pos + 4);
    if (size < HEADER_SIZE || size > MAX_BLOCK_SERIALIZED_SIZE) {
      pos++;
      continue;
    }
    const start = pos + 8;
    if (start + size > bytes.length) return;
    yield { offset: start, bytes: bytes.subarray(start, start + size) };
    pos = start + size;
  }
}
