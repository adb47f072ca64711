/**
 * The entries of the write-ahead logs that are not in any table yet (LevelDB's memtable, rebuilt as it
 * is at recovery): each log record is a WriteBatch — sequence (8), count (4), then per operation a type
 * byte, a length-prefixed key and, for puts, a length-prefixed value — sorted into internal key order.
 */
import { LevelFormatError, readFixed32, readFixed64, readSlice, TYPE_DELETION, TYPE_VALUE, type Cursor } from './coding.js';
import type { EntryCursor } from './entry-cursor.js';

interface Op {
  key: Buffer;
  seq: number;
  type: number;
  value: Buffer;
}

const EMPTY: Buffer = Buffer.alloc(0);

export class MemtableCursor implements EntryCursor {
  key: Buffer = EMPTY;
  keyLen = 0;
  sameUserKey = false;
  seq = 0;
  type = 0;
  value: Buffer = EMPTY;
  valueOff = 0;
  valueLen = 0;
  private readonly ops: Op[] = [];
  private i = -1;

  /** `batches`: the log records of every live log, in any order. */
  constructor(batches: Buffer[]) {
    for (const b of batches) this.addBatch(b);
    this.ops.sort((a, b) => Buffer.compare(a.key, b.key) || b.seq - a.seq);
  }

  get size(): number {
    return this.ops.length;
  }

  next(): boolean {
    const op = this.ops[++this.i];
    if (!op) return false;
    this.sameUserKey = this.i > 0 && op.key.equals(this.key);
    this.key = op.key;
    this.keyLen = op.key.length;
    this.seq = op.seq;
    this.type = op.type;
    this.value = op.value;
    this.valueLen = op.value.length;
    return true;
  }

  close(): void {
    // Nothing held open.
  }

  private addBatch(rec: Buffer): void {
    if (rec.length < 12) throw new LevelFormatError('write batch too small');
    const seq = readFixed64(rec, 0);
    const count = readFixed32(rec, 8);
    const c: Cursor = { pos: 12 };
    for (let i = 0; i < count; i++) {
      if (c.pos >= rec.length) throw new LevelFormatError('write batch shorter than its count');
      const type = rec[c.pos++]!;
      const key = readSlice(rec, c);
      if (type === TYPE_VALUE) this.ops.push({ key, seq: seq + i, type, value: readSlice(rec, c) });
      else if (type === TYPE_DELETION) this.ops.push({ key, seq: seq + i, type, value: EMPTY });
      else throw new LevelFormatError(`write batch operation of unknown type ${type}`);
    }
    if (c.pos !== rec.length) throw new LevelFormatError('write batch longer than its count');
  }
}
