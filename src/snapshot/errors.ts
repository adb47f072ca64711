/**
 * Snapshot errors carry Core's exact reason text (RPC clients and Core's tests compare it) plus the byte
 * offset in the file where the problem was found, which Core does not report but a user needs.
 */
export type SnapshotErrorKind =
  /** The 51-byte header: the RPC prefixes these with "Unable to parse metadata: ". */
  | 'metadata'
  /** The coins after the header: Core reports them as the reason a population failed. */
  | 'coins'
  /** The content hash or the parameters: a well-formed file that is not the expected UTXO set. */
  | 'content'
  | 'io';

export class SnapshotError extends Error {
  constructor(
    readonly kind: SnapshotErrorKind,
    message: string,
    readonly offset?: number,
    /** Our own explanation beyond Core's words (kept apart so the message stays identical to Core's). */
    readonly hint?: string,
  ) {
    super(message);
    this.name = 'SnapshotError';
  }

  /**
   * The text Core's RPC shows after "Unable to parse metadata: ". Header errors are std::ios_base::failure
   * in Core, whose what() under libstdc++ ends in ": iostream error".
   */
  get coreWhat(): string {
    return this.kind === 'metadata' ? `${this.message}: iostream error` : this.message;
  }

  /** One line for a terminal: the reason, where, and any hint. */
  describe(): string {
    const where = this.offset === undefined ? '' : ` (at byte offset ${this.offset})`;
    return `${this.message}${where}${this.hint ? ` ${this.hint}` : ''}`;
  }
}

export const MSG = {
  badMagic:
    'Invalid UTXO set snapshot magic bytes. Please check if this is indeed a snapshot file or if you are using an outdated snapshot format.',
  badVersion: (v: number) => `Version of snapshot ${v} does not match any of the supported versions.`,
  wrongNetwork: (file: string, node: string) =>
    `The network of the snapshot (${file}) does not match the network of this node (${node}).`,
  unknownNetwork:
    'This snapshot has been created for an unrecognized network. This could be a custom signet, a new testnet or possibly caused by data corruption.',
  headerEof: 'AutoFile::read: end of file',
  countMismatch: 'Mismatch in coins count in snapshot metadata and actual snapshot data',
  badData: (n: number) => `Bad snapshot data after deserializing ${n} coins`,
  badValue: (n: number) => `Bad snapshot data after deserializing ${n} coins - bad tx out value`,
  truncated: (n: number) => `Bad snapshot format or truncated snapshot after deserializing ${n} coins`,
  leftOver: (n: number) => `Bad snapshot - coins left over after deserializing ${n} coins`,
  badHash: (expected: string, got: string) => `Bad snapshot content hash: expected ${expected}, got ${got}`,
} as const;
