/**
 * LevelDB's on-disk integer coding (util/coding.h): little-endian fixed32/64 and base-128 varints, read
 * from a Buffer at a cursor. Numbers stay JavaScript numbers: file sizes, file numbers and sequence
 * numbers of any real database are far below 2^53.
 */

/** A malformed or unsupported file: callers fall back to reading through LevelDB itself. */
export class LevelFormatError extends Error {
  override name = 'LevelFormatError';
}

/** A read position that decoders advance. */
export interface Cursor {
  pos: number;
}

export function readVarint(buf: Uint8Array, c: Cursor, limit = buf.length): number {
  let result = 0;
  let mul = 1;
  for (let i = 0; i < 10; i++) {
    if (c.pos >= limit) throw new LevelFormatError('truncated varint');
    const b = buf[c.pos++]!;
    result += (b & 0x7f) * mul;
    if (!(b & 0x80)) return result;
    mul *= 128;
  }
  throw new LevelFormatError('varint too long');
}

/** A varint-length-prefixed byte string (a view, not a copy). */
export function readSlice(buf: Buffer, c: Cursor, limit = buf.length): Buffer {
  const n = readVarint(buf, c, limit);
  if (c.pos + n > limit) throw new LevelFormatError('truncated length-prefixed slice');
  const s = buf.subarray(c.pos, c.pos + n);
  c.pos += n;
  return s;
}

export function readFixed32(buf: Uint8Array, off: number): number {
  return (buf[off]! | (buf[off + 1]! << 8) | (buf[off + 2]! << 16) | (buf[off + 3]! << 24)) >>> 0;
}

export function readFixed64(buf: Uint8Array, off: number): number {
  return readFixed32(buf, off) + readFixed32(buf, off + 4) * 0x1_0000_0000;
}

/**
 * An internal key ends in 8 bytes: (sequence << 8 | type), little-endian. The sequence is the upper 56
 * bits of that number.
 */
export function tagSequence(key: Uint8Array, end: number): number {
  return readFixed32(key, end - 7) + (key[end - 3]! | (key[end - 2]! << 8) | (key[end - 1]! << 16)) * 0x1_0000_0000;
}

/** Value types of internal keys and write batches. */
export const TYPE_DELETION = 0;
export const TYPE_VALUE = 1;
