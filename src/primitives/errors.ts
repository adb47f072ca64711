/**
 * Errors raised while decoding bytes. Messages carry Bitcoin Core's own words, because clients and tests
 * compare them; `offset` says where in the input the problem was found.
 */
export class DeserializeError extends Error {
  constructor(message: string, readonly offset: number) {
    super(message);
    this.name = 'DeserializeError';
  }
}

/** Core's DataStream message when a read runs past the end. */
export const END_OF_DATA = 'DataStream::read(): end of data';
export const NON_CANONICAL_COMPACT_SIZE = 'non-canonical ReadCompactSize()';
export const COMPACT_SIZE_TOO_LARGE = 'ReadCompactSize(): size too large';
export const VARINT_TOO_LARGE = 'ReadVarInt(): size too large';
