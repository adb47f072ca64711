/** What the merge reads from each source of entries: the current entry, in internal key order. */
export interface EntryCursor {
  /** The user key is key[0, keyLen). */
  key: Buffer;
  keyLen: number;
  /**
   * The user key equals that of the cursor's previous entry (an older version of it): the merge skips it
   * without comparing keys itself.
   */
  sameUserKey: boolean;
  readonly seq: number;
  /** TYPE_VALUE or TYPE_DELETION. */
  type: number;
  /** The value is value[valueOff, valueOff + valueLen); valid until the next call to next(). */
  value: Buffer;
  valueOff: number;
  valueLen: number;
  /** Moves to the next entry (the first, on the first call); false when there is none. */
  next(): boolean;
  /** Releases what the cursor holds open. */
  close(): void;
}
