/**
 * What a chainstate checks of a block it reads back from the blk files, and Core's fatal errors when that
 * fails. Blocks are checked when stored, but disks and memory fail: Core's ReadBlock compares the read
 * block with its index entry, and ConnectBlock runs CheckBlock again, whose merkle check catches a changed
 * transaction byte under an intact header.
 */
import type { Block } from '../primitives/block.js';
import { blockHash } from '../primitives/block.js';
import { equalBytes } from '../primitives/bytes.js';
import { hashToHex } from '../primitives/hash.js';
import { checkBlock } from '../consensus/block-checks.js';
import type { ChainParams } from '../consensus/params.js';
import { checkProofOfWork } from '../consensus/pow.js';
import { ValidationError } from '../consensus/validation-error.js';
import type { BlockIndexEntry } from './block-index.js';
import { FatalError } from './manager-types.js';

/** Core's fatal errors (validation.cpp), word for word. */
export const MSG_FAILED_READ_BLOCK = 'Failed to read block.';
export const MSG_CORRUPT_BLOCK = 'Corrupt block found indicating potential hardware failure.';
export const MSG_FAILED_DISCONNECT = 'Failed to disconnect block.';
export const MSG_FAILED_WRITE_BLOCK = 'Failed to write block.';
export const MSG_FAILED_WRITE_UNDO = 'Failed to write undo data.';
export const MSG_DISK_SPACE = 'Disk space is too low!';

/** A full disk (ENOSPC, or LevelDB's message for it). */
export function isNoSpace(e: unknown): boolean {
  const err = e as NodeJS.ErrnoException | undefined;
  return err?.code === 'ENOSPC' || /No space left on device|ENOSPC/.test(String(err?.message ?? ''));
}

/**
 * Core's fatal error for a failed write: "Disk space is too low!" when the disk is full, else `what`
 * (Core's message for that write). A FatalError passes through.
 */
export function writeFailure(e: unknown, what: string): FatalError {
  if (e instanceof FatalError) return e;
  return new FatalError(isNoSpace(e) ? MSG_DISK_SPACE : what, { cause: e });
}

const posString = (entry: BlockIndexEntry) => `FlatFilePos(nFile=${entry.dataPos?.file ?? -1}, nPos=${entry.dataPos?.offset ?? 0})`;

/**
 * Core's ReadBlock checks after the parse: the header's proof of work, and its hash is the index entry's.
 * Returns Core's log line when the block is not the one the index expects.
 */
export function readBlockMismatch(block: Block, entry: BlockIndexEntry, params: ChainParams): string | undefined {
  const hash = blockHash(block.header);
  if (!checkProofOfWork(hash, block.header.bits, params.powLimit)) return `Errors in block header at ${posString(entry)} while reading block`;
  if (!equalBytes(hash, entry.hash)) {
    return `GetHash() doesn't match index at ${posString(entry)} while reading block (${hashToHex(hash)} != ${entry.key})`;
  }
  return undefined;
}

/**
 * Core's ConnectBlock re-running CheckBlock on a stored block: a mutated one (merkle root) can only be a
 * changed byte on disk, a fatal error; any other failure is the block's own (a ValidationError, thrown).
 */
export function recheckStoredBlock(block: Block, params: ChainParams): void {
  try {
    checkBlock(block, params);
  } catch (e) {
    if (e instanceof ValidationError && e.result === 'mutated') throw new FatalError(MSG_CORRUPT_BLOCK, { cause: e });
    throw e;
  }
}
