/**
 * A serializer for what signature hashes hash: it writes into one buffer kept for the life of the process
 * and hands out a view of it, so a message is hashed where it was written instead of being copied into an
 * array of its own per signature. A writer's view is valid until its next reset.
 */
import { writeCompactSizeInto, writeI64LE, writeU32LE } from '../primitives/bytes.js';

export class HashWriter {
  private buf: Buffer;
  length = 0;

  constructor(initialSize = 1024) {
    this.buf = Buffer.allocUnsafe(initialSize);
  }

  reset(): this {
    this.length = 0;
    return this;
  }

  private room(n: number): void {
    if (this.length + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.length + n) size *= 2;
    const next = Buffer.allocUnsafe(size);
    this.buf.copy(next, 0, 0, this.length);
    this.buf = next;
  }

  u8(v: number): this {
    this.room(1);
    this.buf[this.length++] = v;
    return this;
  }

  u32(v: number): this {
    this.room(4);
    writeU32LE(this.buf, this.length, v);
    this.length += 4;
    return this;
  }

  /** An int64 given as a safe integer: amounts, and CTxOut()'s -1. */
  i64(v: number): this {
    this.room(8);
    writeI64LE(this.buf, this.length, v);
    this.length += 8;
    return this;
  }

  bytes(b: Uint8Array): this {
    this.room(b.length);
    this.buf.set(b, this.length);
    this.length += b.length;
    return this;
  }

  /** `end - begin` bytes of `b`, without a view of them. */
  range(b: Uint8Array, begin: number, end: number): this {
    const n = end - begin;
    this.room(n);
    for (let i = 0; i < n; i++) this.buf[this.length + i] = b[begin + i];
    this.length += n;
    return this;
  }

  compactSize(n: number): this {
    this.room(9);
    this.length = writeCompactSizeInto(this.buf, this.length, n);
    return this;
  }

  /** CompactSize length prefix followed by the bytes. */
  varBytes(b: Uint8Array): this {
    return this.compactSize(b.length).bytes(b);
  }

  /** What was written since the last reset, in place. */
  view(): Uint8Array {
    // A plain view: Buffer's own subarray goes through a slower constructor.
    return new Uint8Array(this.buf.buffer, this.buf.byteOffset, this.length);
  }
}
