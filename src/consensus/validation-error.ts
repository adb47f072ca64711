/**
 * Why a header, block or transaction was refused. Like Core's BlockValidationState / TxValidationState:
 * a result kind (what the peer did wrong, or whether it was our fault) plus Core's reject reason string
 * ("bad-txns-inputs-missingorspent", "high-hash", ...), which tests and logs compare, and a debug detail.
 */
export type ValidationResult =
  /** Failed a consensus rule: the block (or header) is invalid and must never be retried. */
  | 'consensus'
  /** The block's data does not match its header (mutated merkle tree, bad witness commitment): the block is
   * not marked invalid, since another copy of it may be fine. */
  | 'mutated'
  /** Its parent is unknown. */
  | 'missing-prev'
  /** Its parent (or an ancestor) is invalid. */
  | 'invalid-prev'
  /** Too far in the future: may be valid later. */
  | 'time-future'
  /** Checkpoint or assumeutxo-base conflict. */
  | 'checkpoint';

export class ValidationError extends Error {
  constructor(
    readonly result: ValidationResult,
    /** Core's reject reason. */
    readonly reason: string,
    readonly debug = '',
  ) {
    super(debug ? `${reason}, ${debug}` : reason);
    this.name = 'ValidationError';
  }
}

export function invalid(reason: string, debug = ''): ValidationError {
  return new ValidationError('consensus', reason, debug);
}
