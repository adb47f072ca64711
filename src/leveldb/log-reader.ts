/**
 * LevelDB's log format (db/log_format.h), used by the write-ahead .log files and the MANIFEST: 32 KiB
 * blocks of physical records — masked CRC-32C (4), length (2), type (1), payload — where a logical
 * record is one FULL record or FIRST, MIDDLE…, LAST fragments, and a block tail under 7 bytes is padding.
 */
import { crc32c, unmaskCrc } from './crc32c.js';
import { LevelFormatError } from './coding.js';

const BLOCK_SIZE = 32768;
const HEADER_SIZE = 7;
const ZERO = 0;
const FULL = 1;
const FIRST = 2;
const MIDDLE = 3;
const LAST = 4;

/**
 * The logical records of a whole log file. A record cut short at the end of the file is a write that
 * never completed (LevelDB drops it on recovery too) and ends the log; a bad checksum or fragment order
 * anywhere is corruption and throws LevelFormatError.
 */
export function readLogRecords(file: Buffer): Buffer[] {
  const records: Buffer[] = [];
  let parts: Buffer[] | undefined;
  let pos = 0;
  while (pos < file.length) {
    const left = BLOCK_SIZE - (pos % BLOCK_SIZE);
    if (left < HEADER_SIZE) {
      pos += left;
      continue;
    }
    if (pos + HEADER_SIZE > file.length) break;
    const length = file[pos + 4]! | (file[pos + 5]! << 8);
    const type = file[pos + 6]!;
    const start = pos + HEADER_SIZE;
    if (type === ZERO && length === 0) {
      // Zero-filled space after the last record (preallocated files); anything after it is corruption.
      if (file.subarray(pos).some((b) => b !== 0)) throw new LevelFormatError(`log: data after zero padding at ${pos}`);
      break;
    }
    if (start + length > file.length) break;
    if (length > left - HEADER_SIZE) throw new LevelFormatError(`log record at ${pos} crosses a block boundary`);
    const want = unmaskCrc(file.readUInt32LE(pos));
    if (crc32c(file, pos + 6, start + length) !== want) throw new LevelFormatError(`log record at ${pos}: checksum mismatch`);
    const payload = file.subarray(start, start + length);
    pos = start + length;
    if (type === FULL) {
      if (parts) throw new LevelFormatError(`log record at ${pos}: FULL inside a fragmented record`);
      records.push(payload);
    } else if (type === FIRST) {
      if (parts) throw new LevelFormatError(`log record at ${pos}: FIRST inside a fragmented record`);
      parts = [payload];
    } else if (type === MIDDLE || type === LAST) {
      if (!parts) throw new LevelFormatError(`log record at ${pos}: fragment without a start`);
      parts.push(payload);
      if (type === LAST) {
        records.push(Buffer.concat(parts));
        parts = undefined;
      }
    } else {
      throw new LevelFormatError(`log record at ${pos}: unknown type ${type}`);
    }
  }
  return records;
}
