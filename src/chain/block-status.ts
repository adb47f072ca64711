/**
 * What we know about a block in the index (Core's BlockStatus, chain.h) as a value instead of loose bit
 * flags: how far it has been validated, whether its block and undo data are on disk, and whether it (or an
 * ancestor) broke a rule. Status values are immutable; helpers return new ones. The DB encoding reuses
 * Core's bit values so a status reads the same way in both programs.
 */

/** Validation stages in order. 'header' is Core's BLOCK_VALID_TREE: header checks passed, parent known. */
export type ValidityLevel = 'header' | 'transactions' | 'chain' | 'scripts';

/** 'failed': this block broke a rule (BLOCK_FAILED_VALID); 'failed-ancestor': it descends from one (BLOCK_FAILED_CHILD). */
export type BlockFailure = 'failed' | 'failed-ancestor';

export interface BlockStatus {
  readonly validity: ValidityLevel;
  readonly haveData: boolean;
  readonly haveUndo: boolean;
  readonly failure?: BlockFailure;
  /** Core's BLOCK_OPT_WITNESS: the stored data came with witnesses. Kept so Core's bits round-trip. */
  readonly witness?: boolean;
}

/** Core's numeric values (chain.h). */
export const BLOCK_VALID_TREE = 2;
export const BLOCK_VALID_TRANSACTIONS = 3;
export const BLOCK_VALID_CHAIN = 4;
export const BLOCK_VALID_SCRIPTS = 5;
export const BLOCK_VALID_MASK = 7;
export const BLOCK_HAVE_DATA = 8;
export const BLOCK_HAVE_UNDO = 16;
export const BLOCK_FAILED_VALID = 32;
export const BLOCK_FAILED_CHILD = 64;
export const BLOCK_OPT_WITNESS = 128;
/** Formerly BLOCK_ASSUMED_VALID; Core ignores it now, so do we (accepted on decode, never written). */
const BLOCK_STATUS_RESERVED = 256;

const LEVELS: readonly ValidityLevel[] = ['header', 'transactions', 'chain', 'scripts'];
const LEVEL_BITS: Record<ValidityLevel, number> = {
  header: BLOCK_VALID_TREE,
  transactions: BLOCK_VALID_TRANSACTIONS,
  chain: BLOCK_VALID_CHAIN,
  scripts: BLOCK_VALID_SCRIPTS,
};

/** The status of a freshly accepted header. */
export const HEADER_STATUS: BlockStatus = Object.freeze({ validity: 'header', haveData: false, haveUndo: false });

export function validityRank(level: ValidityLevel): number {
  return LEVELS.indexOf(level);
}

/** Core's CBlockIndex::IsValid(nUpTo): reached `level` and not failed. */
export function isValid(s: BlockStatus, level: ValidityLevel = 'header'): boolean {
  return s.failure === undefined && validityRank(s.validity) >= validityRank(level);
}

export function isFailed(s: BlockStatus): boolean {
  return s.failure !== undefined;
}

/**
 * Core's RaiseValidity: a failed block never rises, and validity never goes down. Returns the same object
 * when nothing changes, so callers can tell whether to mark the entry dirty.
 */
export function raiseValidity(s: BlockStatus, level: ValidityLevel): BlockStatus {
  if (s.failure !== undefined || validityRank(s.validity) >= validityRank(level)) return s;
  return Object.freeze({ ...s, validity: level });
}

export function withData(s: BlockStatus, haveData = true, witness = s.witness): BlockStatus {
  const next: BlockStatus = { ...s, haveData };
  if (witness) (next as { witness?: boolean }).witness = true;
  else delete (next as { witness?: boolean }).witness;
  return Object.freeze(next);
}

export function withUndo(s: BlockStatus, haveUndo = true): BlockStatus {
  return Object.freeze({ ...s, haveUndo });
}

/** A block's own failure outranks an inherited one (the block itself stays 'failed' once found bad). */
export function withFailure(s: BlockStatus, failure: BlockFailure): BlockStatus {
  if (s.failure === 'failed' || s.failure === failure) return s;
  return Object.freeze({ ...s, failure });
}

/** Clears a failure (reconsiderblock): the block is judged again when a chainstate next tries it. */
export function withoutFailure(s: BlockStatus): BlockStatus {
  if (s.failure === undefined) return s;
  const next: BlockStatus = { ...s };
  delete (next as { failure?: BlockFailure }).failure;
  return Object.freeze(next);
}

export function encodeStatus(s: BlockStatus): number {
  let n = LEVEL_BITS[s.validity];
  if (s.haveData) n |= BLOCK_HAVE_DATA;
  if (s.haveUndo) n |= BLOCK_HAVE_UNDO;
  if (s.failure === 'failed') n |= BLOCK_FAILED_VALID;
  if (s.failure === 'failed-ancestor') n |= BLOCK_FAILED_CHILD;
  if (s.witness) n |= BLOCK_OPT_WITNESS;
  return n;
}

/** Decodes Core-valued status bits; refuses unknown bits or a validity below 'header' (never stored). */
export function decodeStatus(n: number): BlockStatus {
  const known = BLOCK_VALID_MASK | BLOCK_HAVE_DATA | BLOCK_HAVE_UNDO | BLOCK_FAILED_VALID | BLOCK_FAILED_CHILD | BLOCK_OPT_WITNESS | BLOCK_STATUS_RESERVED;
  if (!Number.isInteger(n) || n < 0 || (n & ~known) !== 0) throw new Error(`invalid block status 0x${n.toString(16)}`);
  const level = LEVELS.find((l) => LEVEL_BITS[l] === (n & BLOCK_VALID_MASK));
  if (!level) throw new Error(`invalid block status 0x${n.toString(16)}: validity ${n & BLOCK_VALID_MASK}`);
  const s: { -readonly [K in keyof BlockStatus]: BlockStatus[K] } = {
    validity: level,
    haveData: (n & BLOCK_HAVE_DATA) !== 0,
    haveUndo: (n & BLOCK_HAVE_UNDO) !== 0,
  };
  // Core can set both failure bits; the block's own failure is the stronger fact.
  if (n & BLOCK_FAILED_VALID) s.failure = 'failed';
  else if (n & BLOCK_FAILED_CHILD) s.failure = 'failed-ancestor';
  if (n & BLOCK_OPT_WITNESS) s.witness = true;
  return Object.freeze(s);
}
