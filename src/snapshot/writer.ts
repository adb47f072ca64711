/**
 * Snapshot writer (version 2). Coins arrive grouped by txid in ascending txid order, as a chainstate
 * iterates them; inside a group any order is accepted and the writer emits Core's key order (bytes of
 * VARINT(vout)), so its output is byte-identical to Core's dumptxoutset for the same UTXO set.
 *
 * Like Core it writes to `<path>.incomplete` and renames on commit; the coin count in the header is
 * patched at the end, so callers need not know it in advance.
 */
import { closeSync, existsSync, fsyncSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';
import { readU32LE, writeCompactSizeInto, writeU32LE } from '../primitives/bytes.js';
import { MAX_COMPRESSED_COIN, writeCompressedCoin } from '../coins/coin.js';
import { recordLength, recordScriptOffset, recordValue, RECORD_CODE, RECORD_VOUT } from '../coins/coin-record.js';
import { METADATA_SIZE, serializeMetadata } from './metadata.js';
import { compareVoutKeys, orderByVoutKeys } from '../coins/vout-order.js';

export interface SnapshotWriterOptions {
  messageStart: Uint8Array;
  /** Internal byte order. */
  baseHash: Uint8Array;
  /**
   * Refuse an existing destination with Core's dumptxoutset message (default: replace it). Like Core,
   * a `<path>.incomplete` left by an interrupted dump is overwritten either way.
   */
  exclusive?: boolean;
  /**
   * Hand the file's bytes to `sink` instead of writing them: chunks of whole transactions, in order.
   * Call flush(), wait for the sink to have written everything, then commit().
   */
  sink?: ChunkSink;
}

/**
 * Receives the file in chunks of whole transactions and owns each chunk's buffer from then on; returns
 * the buffer the writer fills next, of at least `nextSize` bytes (a recycled one, ideally).
 */
export interface ChunkSink {
  write(fd: number, chunk: Buffer, pos: number, nextSize: number): Buffer;
}

const OUT_BYTES = 1 << 20;

export class SnapshotWriter {
  readonly tempPath: string;
  private readonly fd: number;
  private out: Buffer = Buffer.allocUnsafe(OUT_BYTES + 64);
  private outLen = 0;
  private filePos = 0;
  private group = Buffer.allocUnsafe(1 << 16);
  private groupLen = 0;
  /** Per coin of the current group: vout, start and end in `group`. */
  private readonly groupVouts: number[] = [];
  private readonly groupStarts: number[] = [];
  private groupInOrder = true;
  private readonly groupTxid = Buffer.alloc(32);
  private haveGroup = false;
  /**
   * A transaction of stored coins (addStoredCoin) is written straight into `out`: its txid and a
   * one-byte count at `directAt`, the count patched (widened if need be) when the transaction ends.
   */
  private directAt = 0;
  private directCount = 0;
  private directLastVout = 0;
  private coins = 0;
  private done = false;
  private fdClosed = false;
  private readonly sink: ChunkSink | undefined;

  constructor(
    readonly path: string,
    opts: SnapshotWriterOptions,
  ) {
    this.sink = opts.sink;
    this.tempPath = `${path}.incomplete`;
    if (opts.exclusive && existsSync(path)) {
      throw new Error(`${path} already exists. If you are sure this is what you want, move it out of the way first`);
    }
    this.fd = openSync(this.tempPath, 'w');
    this.out.set(serializeMetadata({ messageStart: opts.messageStart, baseHash: opts.baseHash, coinsCount: 0 }), 0);
    this.outLen = METADATA_SIZE;
  }

  get coinsWritten(): number {
    return this.coins;
  }

  /** Adds one coin; its script is `src[scriptOff, scriptOff + scriptLen)`. */
  addCoin(txid: Uint8Array, vout: number, height: number, coinbase: boolean, value: number, src: Uint8Array, scriptOff: number, scriptLen: number): void {
    const p = this.beginCoin(txid, 0, vout, MAX_COMPRESSED_COIN + scriptLen);
    this.groupLen = writeCompressedCoin(this.group, p, height, coinbase, value, src, scriptOff, scriptLen);
  }

  /**
   * Adds a coin already in its stored form — `coin[0, coinLen)` is Core's Coin serialization, the same
   * bytes in a chainstate database and in a snapshot — for the txid at `txidSrc[txidOff, txidOff + 32)`.
   * dumptxoutset copies coins this way without decoding and re-encoding them. The coins must come in
   * key order, as a chainstate stores them (which is the file's order), so they go straight into the
   * output with no per-transaction buffer; another order throws. A transaction's coins are added
   * either all this way or all the other way.
   */
  addStoredCoin(txidSrc: Uint8Array, txidOff: number, vout: number, coin: Uint8Array, coinLen: number): void {
    if (this.directCount === 0 || !sameTxid(this.groupTxid, txidSrc, txidOff)) this.startDirect(txidSrc, txidOff);
    else if (compareVoutKeys(this.directLastVout, vout) >= 0) throw new Error('snapshot writer: stored coins must arrive in key order');
    if (this.outLen + 9 + coinLen > this.out.length) this.spillDirect(9 + coinLen);
    const out = this.out;
    const p = writeCompactSizeInto(out, this.outLen, vout);
    for (let i = 0; i < coinLen; i++) out[p + i] = coin[i];
    this.outLen = p + coinLen;
    this.directLastVout = vout;
    this.directCount++;
    this.coins++;
  }

  /**
   * Enters a coin of the txid at `txid[off, off + 32)` into the current group (starting a new one for a
   * new txid), with room for `maxCoinBytes`; writes its vout and returns where the coin goes.
   */
  private beginCoin(txid: Uint8Array, off: number, vout: number, maxCoinBytes: number): number {
    if (!this.haveGroup || this.directCount > 0 || !sameTxid(this.groupTxid, txid, off)) this.startGroup(txid, off);
    if (this.groupLen + 9 + maxCoinBytes > this.group.length) this.growGroup(9 + maxCoinBytes);
    const vouts = this.groupVouts;
    if (vouts.length > 0 && compareVoutKeys(vouts[vouts.length - 1], vout) >= 0) this.groupInOrder = false;
    vouts.push(vout);
    this.groupStarts.push(this.groupLen);
    this.coins++;
    return writeCompactSizeInto(this.group, this.groupLen, vout);
  }

  /** Adds `length` bytes of coin records (see coins/coin-record). */
  addRecords(batch: Uint8Array, length: number): void {
    for (let off = 0; off < length; ) {
      const len = recordLength(batch, off);
      const code = readU32LE(batch, off + RECORD_CODE);
      const scriptOff = recordScriptOffset(batch, off);
      this.addCoin(
        batch.subarray(off, off + 32),
        readU32LE(batch, off + RECORD_VOUT),
        Math.floor(code / 2),
        (code & 1) === 1,
        recordValue(batch, off),
        batch,
        scriptOff,
        off + len - scriptOff,
      );
      off += len;
    }
  }

  /** Hands out everything added so far (to the file, or to the sink). */
  flush(): void {
    this.endGroup();
    this.endDirect();
    this.drain();
  }

  /** Finishes the file: patches the coin count, syncs, renames into place. Returns the coins written. */
  commit(): number {
    this.flush();
    const head = Buffer.alloc(8);
    writeU32LE(head, 0, this.coins % 0x1_0000_0000);
    writeU32LE(head, 4, Math.floor(this.coins / 0x1_0000_0000));
    writeSync(this.fd, head, 0, 8, METADATA_SIZE - 8);
    fsyncSync(this.fd);
    closeSync(this.fd);
    this.fdClosed = true;
    try {
      renameSync(this.tempPath, this.path);
    } catch (e) {
      this.abort();
      throw e;
    }
    this.done = true;
    return this.coins;
  }

  /** Gives up: closes and removes the temporary file. */
  abort(): void {
    if (this.done) return;
    this.done = true;
    try {
      if (!this.fdClosed) closeSync(this.fd);
    } finally {
      rmSync(this.tempPath, { force: true });
    }
  }

  private startGroup(txid: Uint8Array, off = 0): void {
    this.nextTxid(txid, off);
    this.endDirect();
    this.endGroup();
    for (let i = 0; i < 32; i++) this.groupTxid[i] = txid[off + i];
    this.haveGroup = true;
  }

  /** Checks that a transaction starting now comes after the last one. */
  private nextTxid(txid: Uint8Array, off: number): void {
    if (this.haveGroup && !txidAbove(txid, this.groupTxid, off)) {
      throw new Error('snapshot writer: coins must arrive in ascending txid order');
    }
  }

  private startDirect(txid: Uint8Array, off: number): void {
    this.nextTxid(txid, off);
    this.endGroup();
    this.endDirect();
    this.reserve(33);
    const out = this.out;
    const at = this.outLen;
    for (let i = 0; i < 32; i++) this.groupTxid[i] = out[at + i] = txid[off + i];
    this.haveGroup = true;
    this.directAt = at;
    this.outLen = at + 33;
  }

  /** Writes the open direct transaction's count, moving its coins up when it needs more than a byte. */
  private endDirect(): void {
    const n = this.directCount;
    if (n === 0) return;
    this.directCount = 0;
    if (n >= 253) {
      const extra = (n <= 0xffff ? 3 : 5) - 1;
      if (this.outLen + extra > this.out.length) this.spillDirect(extra);
      const coinsAt = this.directAt + 33;
      this.out.copyWithin(coinsAt + extra, coinsAt, this.outLen);
      this.outLen += extra;
    }
    writeCompactSizeInto(this.out, this.directAt + 32, n);
  }

  /**
   * Room for n more bytes inside the open direct transaction: what precedes it is handed out, and it
   * moves to the start of the next buffer (grown if the transaction outgrows a buffer).
   */
  private spillDirect(n: number): void {
    const from = this.directAt;
    const open = Buffer.from(this.out.subarray(from, this.outLen));
    this.outLen = from;
    this.drain();
    if (open.length + n > this.out.length) this.out = Buffer.allocUnsafe(Math.max(2 * this.out.length, open.length + n));
    open.copy(this.out, 0);
    this.directAt = 0;
    this.outLen = open.length;
  }

  private endGroup(): void {
    const n = this.groupVouts.length;
    if (n === 0) return;
    // The whole transaction goes into `out` at once, so the file is handed out on transaction boundaries.
    this.reserve(32 + 9 + this.groupLen);
    const out = this.out;
    for (let i = 0; i < 32; i++) out[this.outLen + i] = this.groupTxid[i];
    this.outLen = writeCompactSizeInto(out, this.outLen + 32, n);
    if (this.groupInOrder) {
      this.emit(this.group, 0, this.groupLen);
    } else {
      const order = orderByVoutKeys(this.groupVouts, n);
      // Coins that stay neighbours go out as one span (a merge of a few runs leaves a few long spans).
      for (let k = 0; k < n; ) {
        const first = order[k]!;
        let last = first;
        while (++k < n && order[k] === last + 1) last++;
        this.emit(this.group, this.groupStarts[first], last + 1 < n ? this.groupStarts[last + 1] : this.groupLen);
      }
    }
    this.groupLen = 0;
    // Emptied, not replaced: a dump starts millions of groups.
    this.groupVouts.length = 0;
    this.groupStarts.length = 0;
    this.groupInOrder = true;
  }

  private emit(src: Buffer, from: number, to: number): void {
    const out = this.out;
    const at = this.outLen;
    // Most transactions have a coin or two: a loop beats Buffer.copy's call overhead below ~64 bytes.
    if (to - from < 64) for (let i = from; i < to; i++) out[at + i - from] = src[i];
    else src.copy(out, at, from, to);
    this.outLen += to - from;
  }

  /** Room for n more bytes in `out`: drains it when full, grows it for a transaction larger than it. */
  private reserve(n: number): void {
    if (this.outLen + n <= this.out.length) return;
    this.drain();
    if (n > this.out.length) this.out = Buffer.allocUnsafe(n);
  }

  private drain(): void {
    if (this.outLen === 0) return;
    if (this.sink) {
      this.out = this.sink.write(this.fd, this.out.subarray(0, this.outLen), this.filePos, OUT_BYTES + 64);
    } else {
      let off = 0;
      while (off < this.outLen) off += writeSync(this.fd, this.out, off, this.outLen - off, this.filePos + off);
    }
    this.filePos += this.outLen;
    this.outLen = 0;
  }

  private growGroup(extra: number): void {
    const next = Buffer.allocUnsafe(Math.max(this.group.length * 2, this.groupLen + extra));
    this.group.copy(next, 0, 0, this.groupLen);
    this.group = next;
  }
}

/** a[off, off + 32) > b (a plain loop: Buffer.compare costs more than the bytes it looks at). */
function txidAbove(a: Uint8Array, b: Buffer, off: number): boolean {
  for (let i = 0; i < 32; i++) if (a[off + i] !== b[i]) return a[off + i] > b[i];
  return false;
}

function sameTxid(a: Buffer, b: Uint8Array, off = 0): boolean {
  for (let i = 0; i < 32; i++) if (a[i] !== b[off + i]) return false;
  return true;
}
