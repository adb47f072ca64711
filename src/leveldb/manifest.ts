/**
 * The current version of a LevelDB database: CURRENT names the MANIFEST, a log of VersionEdits (db/
 * version_edit.cc) whose sum is the set of live table files per level and the number of the oldest log
 * that is not yet in those tables.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { LevelFormatError, readSlice, readVarint, tagSequence, type Cursor } from './coding.js';
import { readLogRecords } from './log-reader.js';

export const NUM_LEVELS = 7;

export interface TableFile {
  number: number;
  size: number;
  /** Smallest and largest internal keys (user key ‖ 8-byte tag). */
  smallest: Uint8Array;
  largest: Uint8Array;
}

export interface Version {
  /** Live tables by level; level 0 may overlap, levels ≥ 1 are sorted and disjoint. */
  levels: TableFile[][];
  /** Logs numbered below this are already in the tables. */
  logNumber: number;
  /** An older log some databases still name (zero when none). */
  prevLogNumber: number;
}

const TAG_COMPARATOR = 1;
const TAG_LOG_NUMBER = 2;
const TAG_NEXT_FILE_NUMBER = 3;
const TAG_LAST_SEQUENCE = 4;
const TAG_COMPACT_POINTER = 5;
const TAG_DELETED_FILE = 6;
const TAG_NEW_FILE = 7;
const TAG_PREV_LOG_NUMBER = 9;

const BYTEWISE = 'leveldb.BytewiseComparator';

export function readCurrentVersion(dir: string): Version {
  const current = readFileSync(path.join(dir, 'CURRENT'), 'latin1');
  if (!/^MANIFEST-\d+\n$/.test(current)) throw new LevelFormatError(`${dir}: malformed CURRENT file`);
  const manifest = readFileSync(path.join(dir, current.slice(0, -1)));
  const files = Array.from({ length: NUM_LEVELS }, () => new Map<number, TableFile>());
  let logNumber = 0;
  let prevLogNumber = 0;
  for (const edit of readLogRecords(manifest)) {
    const c: Cursor = { pos: 0 };
    while (c.pos < edit.length) {
      const tag = readVarint(edit, c);
      switch (tag) {
        case TAG_COMPARATOR: {
          const name = readSlice(edit, c).toString('latin1');
          if (name !== BYTEWISE) throw new LevelFormatError(`${dir}: comparator ${name} is not bytewise`);
          break;
        }
        case TAG_LOG_NUMBER:
          logNumber = readVarint(edit, c);
          break;
        case TAG_PREV_LOG_NUMBER:
          prevLogNumber = readVarint(edit, c);
          break;
        case TAG_NEXT_FILE_NUMBER:
        case TAG_LAST_SEQUENCE:
          readVarint(edit, c);
          break;
        case TAG_COMPACT_POINTER:
          level(readVarint(edit, c));
          readSlice(edit, c);
          break;
        case TAG_DELETED_FILE:
          files[level(readVarint(edit, c))]!.delete(readVarint(edit, c));
          break;
        case TAG_NEW_FILE: {
          const lvl = level(readVarint(edit, c));
          const number = readVarint(edit, c);
          const size = readVarint(edit, c);
          // Own copies, not views of the MANIFEST: a view would carry the whole file to a worker.
          const smallest = new Uint8Array(readSlice(edit, c));
          const largest = new Uint8Array(readSlice(edit, c));
          files[lvl]!.set(number, { number, size, smallest, largest });
          break;
        }
        default:
          throw new LevelFormatError(`${dir}: unknown manifest tag ${tag}`);
      }
    }
  }
  const levels = files.map((m) => [...m.values()]);
  // Level 0 in file order (newest last); deeper levels in key order, as they are disjoint.
  levels[0]!.sort((a, b) => a.number - b.number);
  for (let i = 1; i < NUM_LEVELS; i++) levels[i]!.sort((a, b) => compareInternalKeys(a.smallest, b.smallest));
  return { levels, logNumber, prevLogNumber };
}

function level(n: number): number {
  if (n >= NUM_LEVELS) throw new LevelFormatError(`manifest names level ${n}`);
  return n;
}

/** Internal key order: user key ascending, then sequence descending. */
function compareInternalKeys(a: Uint8Array, b: Uint8Array): number {
  const c = Buffer.compare(a.subarray(0, a.length - 8), b.subarray(0, b.length - 8));
  if (c !== 0) return c;
  return tagSequence(b, b.length) - tagSequence(a, a.length);
}
