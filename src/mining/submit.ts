/**
 * submitblock and submitheader as Core's rpc/mining.cpp answers them: hex decoding as DecodeHexBlk and
 * DecodeHexBlockHeader do it (trailing bytes ignored), the coinbase witness filled in
 * (UpdateUncommittedBlockStructures), and the BIP22 result of ProcessNewBlock: null when the block
 * connected, "duplicate", "inconclusive", or the reject reason.
 */
import { isValid } from '../chain/block-status.js';
import type { ChainstateManager } from '../chain/chainstate-manager.js';
import { ValidationError } from '../consensus/validation-error.js';
import { blockHash, parseBlock, parseHeader, serializeBlock, type Block, type BlockHeader } from '../primitives/block.js';
import { ByteReader, fromHex } from '../primitives/bytes.js';
import { hashToHex } from '../primitives/hash.js';
import { segwitActiveAfter } from './assembler.js';
import { testBlockValidity } from './block-validity.js';
import { updateUncommittedBlockStructures } from './coinbase.js';

/** Core's IsHex: a non-empty, even number of hex digits. */
export function isHex(s: string): boolean {
  return s.length > 0 && s.length % 2 === 0 && /^[0-9a-fA-F]*$/.test(s);
}

/** Decodes from the start of the hex bytes, ignoring what follows, as Core's stream reads do. */
function decodeHexPrefix<T>(hex: string, read: (r: ByteReader) => T): T | undefined {
  if (!isHex(hex)) return undefined;
  try {
    return read(new ByteReader(fromHex(hex)));
  } catch {
    return undefined;
  }
}

/** Core's DecodeHexBlk: a block from the start of the bytes; what follows it is ignored. */
export function decodeHexBlock(hex: string): Block | undefined {
  return decodeHexPrefix(hex, (r) => parseBlock(r));
}

/** Core's DecodeHexBlockHeader: the first 80 bytes; what follows is ignored. */
export function decodeHexHeader(hex: string): BlockHeader | undefined {
  return decodeHexPrefix(hex, parseHeader);
}

/** Core's BIP22ValidationResult for an invalid block: its reason, or "rejected" when it has none. */
function bip22(e: ValidationError): string {
  return e.reason || 'rejected';
}

/**
 * Core's submitblock after decoding. Returns null (accepted and connected), "duplicate", "inconclusive"
 * (stored but not, or not yet, on the active chain), or the reason the block was refused. `now` is the
 * node's time, for recovering the reason a stored block failed to connect.
 */
export async function submitBlock(manager: ChainstateManager, block: Block, now: number): Promise<string | null> {
  const prev = manager.storage.index.get(block.header.prevHash);
  if (prev) updateUncommittedBlockStructures(block, segwitActiveAfter(prev, manager.params));
  let entry;
  try {
    const r = await manager.processBlock(serializeBlock(block));
    if (!r.isNew) return 'duplicate';
    entry = r.entry;
  } catch (e) {
    if (e instanceof ValidationError) return bip22(e);
    throw e;
  }
  if (manager.active.contains(entry)) return null;
  if (entry.status.failure === 'failed') {
    // Connecting it failed; the reason is not kept, so check it again on its parent when that is the tip.
    if (entry.prev === manager.active.tip) {
      try {
        testBlockValidity(manager, block, { checkPow: true, checkMerkleRoot: true, now });
      } catch (e) {
        if (e instanceof ValidationError) return bip22(e);
        throw e;
      }
    }
    return 'rejected';
  }
  return 'inconclusive';
}

export type SubmitHeaderResult = { ok: true } | { ok: false; missingPrev: string } | { ok: false; reason: string };

/** Core's submitheader after decoding: the parent must be known; then the header rules. */
export function submitHeader(manager: ChainstateManager, header: BlockHeader): SubmitHeaderResult {
  if (!manager.storage.index.get(header.prevHash)) return { ok: false, missingPrev: hashToHex(header.prevHash) };
  try {
    manager.processHeader(header);
    return { ok: true };
  } catch (e) {
    if (e instanceof ValidationError) return { ok: false, reason: e.reason };
    throw e;
  }
}

/** getblocktemplate's proposal mode (BIP23): "duplicate…" for known blocks, else TestBlockValidity's verdict. */
export function checkProposal(manager: ChainstateManager, block: Block, now: number): string | null {
  const known = manager.storage.index.get(blockHash(block.header));
  if (known) {
    // Core's pindex->IsValid(BLOCK_VALID_SCRIPTS): set once a chainstate has connected the block.
    if (!known.status.failure && isValid(known.status, 'scripts')) return 'duplicate';
    if (known.status.failure) return 'duplicate-invalid';
    return 'duplicate-inconclusive';
  }
  try {
    testBlockValidity(manager, block, { checkPow: false, checkMerkleRoot: true, now });
    return null;
  } catch (e) {
    if (e instanceof ValidationError) return bip22(e);
    throw e;
  }
}
