/**
 * Streaming snapshot reader. It reads the file in large chunks, runs every check Core makes while loading
 * (with Core's messages, plus the byte offset), and turns the compressed coins into batches of coin
 * records (see coins/coin-record) without allocating per coin, so memory stays flat whatever the file size.
 *
 * With `canonical` (the default) it also insists on the order Core writes — txids ascending, outputs
 * ascending by key — and hands out records in hashing order (numeric vout), so the batches can be fed
 * straight to the UTXO hashers. Core itself accepts any order when loading (its database sorts), so the
 * loader of the engine turns `canonical` off.
 */
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { readU32LE, writeU32LE } from '../primitives/bytes.js';
import { DeserializeError, COMPACT_SIZE_TOO_LARGE, END_OF_DATA, NON_CANONICAL_COMPACT_SIZE } from '../primitives/errors.js';
import { hashToHex } from '../primitives/hash.js';
import { decodeCompressedCoin, decoded, MAX_RECORD_SIZE, RECORD_CODE, skipCompressedCoin, sortRecordsByVout } from '../coins/coin-record.js';
import { moneyRange } from '../coins/compressor.js';
import { MSG, SnapshotError } from './errors.js';
import type { NetworkName } from '../consensus/params.js';
import { METADATA_SIZE, parseMetadata, type SnapshotMetadata } from './metadata.js';
import { compareVoutKeys, FIRST_VOUT_OUT_OF_ORDER } from '../coins/vout-order.js';

export interface SnapshotReadOptions {
  /** The node's message start; without it any known network is accepted. */
  expectedMessageStart?: Uint8Array;
  /** The node's network, for messages (a custom signet's magic names no network by itself). */
  expectedNetwork?: NetworkName;
  allowUnknownNetwork?: boolean;
  /** Height of the base block: coins above it are refused, as in Core. Unknown offline: no check. */
  baseHeight?: number;
  /** Require Core's order and emit records in hashing order (default true). */
  canonical?: boolean;
  /** Approximate bytes of records per batch (default 1 MiB). */
  batchBytes?: number;
  /** Bytes read from the file at a time (default 4 MiB). */
  chunkBytes?: number;
}

/** Receives `length` bytes of whole records in `batch` (valid only until it returns), holding `coins` coins. */
export type RecordSink = (batch: Buffer, length: number, coins: number) => void | Promise<void>;
export type ProgressSink = (coinsRead: number, bytesRead: number) => void;

/** Whole txid groups of the file that one reader skips and another decodes. */
export interface CoinRange {
  /** File offsets of the range's first txid and just past its last coin. */
  start: number;
  end: number;
  /** Coins before the range (Core's messages count them) and in it. */
  firstCoin: number;
  coins: number;
}

/**
 * A second reader, on another thread, for readCoins to share the decoding with: readCoins only skips
 * over the ranges it hands over (finding where groups end costs a fraction of decoding them), and the
 * delegate's reader decodes each with readRange. The consumer must see the ranges and readCoins' own
 * batches in file order. Any problem is still reported as the sequential reader would: a range that
 * fails to skip is decoded here instead, and a problem found here waits for the ranges before it.
 */
export interface RangeDelegate {
  /** Input bytes between decisions to hand over, which is also the least a range holds. */
  readonly rangeBytes: number;
  /** True when the other reader is running short of work. */
  wanted(): boolean;
  /** Queues a range; readCoins has flushed every record before it. */
  take(range: CoinRange): void | Promise<void>;
  /** Waits until every range taken is decoded; throws the error of the first that failed. */
  settle(): Promise<void>;
}

/** Core's GetBogoSize without the script: 32 + 4 + 4 + 8 + 2. */
const BOGO_FIXED = 50;
/** Move the running value total into a bigint before doubles stop being exact. */
const EXACT_LIMIT = 2 ** 52;

/** A compressed coin is at most VARINT code, amount and size (5 + 10 + 5) plus MAX_SCRIPT_SIZE bytes. */
const MAX_COIN_BYTES = 9 + 20 + 10_000;

export class SnapshotReader {
  private inBuf: Buffer;
  private inStart = METADATA_SIZE;
  private inLen = 0;
  private pos = 0;
  private eof = false;
  /** File offset reads stop at: the end of a range (readRange), else none. */
  private limit = Infinity;
  private out: Buffer;
  /** DataViews of `out` and `inBuf`, kept with them, for moves of four bytes at a time. */
  private outView: DataView;
  private readonly inView: DataView;
  private outLen = 0;
  private coinsRead = 0;
  private batchCoins = 0;
  /** Height of the base block, when known: coins above it are refused (Core's check). */
  baseHeight: number | undefined;
  /** Require Core's order and emit records in hashing order. */
  canonical: boolean;
  /**
   * gettxoutsetinfo's counts, kept during the one pass so verifying needs no second walk over the
   * records. `transactions` counts non-empty txid groups: distinct txids when the order is canonical.
   */
  readonly totals = { transactions: 0, bogosize: 0, valueLow: 0, valueHigh: 0n };

  private constructor(
    private readonly fd: number,
    readonly path: string,
    readonly fileSize: number,
    readonly metadata: SnapshotMetadata,
    private readonly opts: SnapshotReadOptions,
  ) {
    this.inBuf = Buffer.allocUnsafe((opts.chunkBytes ?? 4 << 20) + MAX_COIN_BYTES);
    this.out = Buffer.allocUnsafe((opts.batchBytes ?? 1 << 20) + MAX_RECORD_SIZE);
    this.outView = viewOf(this.out);
    this.inView = viewOf(this.inBuf);
    this.baseHeight = opts.baseHeight;
    this.canonical = opts.canonical ?? true;
  }

  /** Opens the file and parses its header; throws SnapshotError ('io' or 'metadata'). */
  static open(path: string, opts: SnapshotReadOptions = {}): SnapshotReader {
    let fd: number;
    try {
      fd = openSync(path, 'r');
    } catch (e) {
      throw new SnapshotError('io', `Couldn't open file ${path} for reading.`, undefined, (e as Error).message);
    }
    try {
      const size = fstatSync(fd).size;
      const head = Buffer.alloc(METADATA_SIZE);
      const n = readSync(fd, head, 0, METADATA_SIZE, 0);
      const metadata = parseMetadata(head.subarray(0, n), {
        expected: opts.expectedMessageStart,
        expectedName: opts.expectedNetwork,
        allowUnknownNetwork: opts.allowUnknownNetwork,
      });
      return new SnapshotReader(fd, path, size, metadata, opts);
    } catch (e) {
      closeSync(fd);
      throw e;
    }
  }

  close(): void {
    closeSync(this.fd);
  }

  /** Sum of the values read, in satoshis. */
  get totalValue(): bigint {
    return this.totals.valueHigh + BigInt(this.totals.valueLow);
  }

  get bytesRead(): number {
    return this.inStart + this.pos;
  }

  /**
   * Reads every coin, passing batches of records to `sink`. Throws SnapshotError ('coins') with Core's
   * message at the first problem; nothing read so far should be trusted then. With a `delegate`, ranges
   * of groups are only skipped here and decoded by the delegate's reader instead (see RangeDelegate).
   */
  async readCoins(sink: RecordSink, progress?: ProgressSink, delegate?: RangeDelegate): Promise<number> {
    try {
      await this.readGroups(sink, progress, this.metadata.coinsCount, delegate);
      this.ensure(1);
      if (this.pos < this.inLen) throw new SnapshotError('coins', MSG.leftOver(this.metadata.coinsCount), this.inStart + this.pos);
    } catch (e) {
      // Every range handed over lies before the point of this error, so a problem in one comes first.
      if (delegate) await delegate.settle();
      throw e;
    }
    await this.flush(sink, progress);
    return this.coinsRead;
  }

  /** Decodes a range another reader skipped (see RangeDelegate), with the checks and messages of readCoins. */
  async readRange(sink: RecordSink, range: CoinRange): Promise<void> {
    this.seek(range.start, range.end);
    this.coinsRead = range.firstCoin;
    await this.readGroups(sink, undefined, range.coins);
    // The other reader skipped over exactly these bytes: a different end is a bug, not a bad file.
    if (this.bytesRead !== range.end) throw new Error(`snapshot range [${range.start}, ${range.end}) was decoded up to ${this.bytesRead}`);
    await this.flush(sink);
  }

  private async readGroups(sink: RecordSink, progress: ProgressSink | undefined, coins: number, delegate?: RangeDelegate): Promise<void> {
    const canonical = this.canonical;
    const baseHeight = this.baseHeight ?? Infinity;
    const batchBytes = this.opts.batchBytes ?? 1 << 20;
    // The current group's txid, which the next group's must follow.
    const groupTxid = new Uint8Array(32);
    const groupWords = new DataView(groupTxid.buffer);
    let havePrev = false;
    let coinsLeft = coins;
    // The range being skipped for the delegate (start ≥ 0), and what to go back to if skipping fails.
    const skip = { start: -1, firstCoin: 0, coinsLeft: 0, havePrev: false, groupTxid: new Uint8Array(32) };
    let decideAt = delegate ? this.bytesRead : Infinity;
    for (;;) {
      try {
        while (coinsLeft > 0) {
          if (this.bytesRead >= decideAt) {
            if (skip.start >= 0) await this.handOver(skip, delegate!);
            if (delegate!.wanted()) {
              // Records before the range reach the sink before the delegate sees the range.
              await this.flush(sink, progress);
              skip.start = this.bytesRead;
              skip.firstCoin = this.coinsRead;
              skip.coinsLeft = coinsLeft;
              skip.havePrev = havePrev;
              skip.groupTxid.set(groupTxid);
            }
            // Asked again soon while decoding here, so the other thread's queue is refilled in time.
            decideAt = this.bytesRead + (skip.start >= 0 ? delegate!.rangeBytes : delegate!.rangeBytes / 4);
          }
          this.ensure(32 + 9);
          if (this.inLen - this.pos < 32) this.truncatedAt(this.inLen);
          const txidPos = this.pos;
          const inBuf = this.inBuf;
          if (canonical) {
            if (havePrev && !ascending(groupTxid, inBuf, txidPos)) this.notCanonical(this.inStart + txidPos, groupTxid);
            havePrev = true;
          }
          // Copies (by hand: Buffer.copy costs more than 32 byte moves): the input buffer's contents move
          // when it is refilled mid-group.
          for (let j = 0; j < 32; j += 4) groupWords.setInt32(j, this.inView.getInt32(txidPos + j, true), true);
          this.pos += 32;
          const perTxid = this.readCompactSize();
          if (perTxid > coinsLeft) throw new SnapshotError('coins', MSG.countMismatch, this.inStart + txidPos + 32);
          coinsLeft -= perTxid;
          if (skip.start >= 0) {
            this.skipCoins(perTxid);
            continue;
          }
          if (perTxid > 0) this.totals.transactions++;
          let prevVout = -1;
          let sortFrom = -1;
          for (let i = 0; i < perTxid; i++) {
            // The common cases inline (room in the buffer, a one-byte vout): this loop runs per coin.
            if (this.inLen - this.pos < 9 + MAX_COIN_BYTES && !this.eof) this.ensure(9 + MAX_COIN_BYTES);
            const coinStart = this.inStart + this.pos;
            const first = this.pos < this.inLen ? this.inBuf[this.pos] : 253;
            let vout: number;
            if (first < 253) {
              vout = first;
              this.pos++;
            } else {
              vout = this.readCompactSize();
            }
            if (this.outLen + MAX_RECORD_SIZE > this.out.length) this.growOut();
            const out = this.out;
            const rec = this.outLen;
            // The txid as eight words through DataViews: a quarter of the moves of a byte loop.
            const view = this.outView;
            for (let j = 0; j < 32; j += 4) view.setInt32(rec + j, groupWords.getInt32(j, true), true);
            writeU32LE(out, rec + 32, vout);
            this.pos = decodeCompressedCoin(this.inBuf, this.pos, this.inLen, out, rec + RECORD_CODE, this.inStart);
            if (this.pos > this.inLen) this.skipBeyondBuffer();
            if (decoded.height > baseHeight || vout >= 0xffffffff) {
              throw new SnapshotError('coins', MSG.badData(this.coinsRead), coinStart);
            }
            if (!moneyRange(decoded.value)) throw new SnapshotError('coins', MSG.badValue(this.coinsRead), coinStart);
            if (canonical) {
              if (prevVout >= 0 && (prevVout >= vout || vout >= FIRST_VOUT_OUT_OF_ORDER) && compareVoutKeys(prevVout, vout) >= 0) {
                this.notCanonical(coinStart, undefined, vout, prevVout);
              }
              if (vout >= FIRST_VOUT_OUT_OF_ORDER && sortFrom < 0) sortFrom = rec;
              prevVout = vout;
            }
            const totals = this.totals;
            totals.bogosize += BOGO_FIXED + decoded.scriptLen;
            totals.valueLow += decoded.value;
            if (totals.valueLow > EXACT_LIMIT) {
              totals.valueHigh += BigInt(totals.valueLow);
              totals.valueLow = 0;
            }
            this.outLen = decoded.outEnd;
            this.coinsRead++;
            this.batchCoins++;
            if (this.outLen >= batchBytes && sortFrom < 0) await this.flush(sink, progress);
          }
          if (sortFrom >= 0) sortRecordsByVout(this.out, sortFrom, this.outLen);
        }
        if (skip.start >= 0) await this.handOver(skip, delegate!);
        return;
      } catch (e) {
        if (skip.start < 0) {
          if (e instanceof DeserializeError) throw new SnapshotError('coins', MSG.truncated(this.coinsRead), e.offset);
          throw e;
        }
        // Skipping met a malformed group: decode from the range's start here instead, which finds the
        // first problem and reports it as Core would. Nothing more is handed over.
        coinsLeft = skip.coinsLeft;
        this.coinsRead = skip.firstCoin;
        havePrev = skip.havePrev;
        groupTxid.set(skip.groupTxid);
        this.seek(skip.start);
        skip.start = -1;
        decideAt = Infinity;
      }
    }
  }

  /** Moves over a group's coins without decoding them: only where the next group starts matters here. */
  private skipCoins(count: number): void {
    for (let i = 0; i < count; i++) {
      if (this.inLen - this.pos < 9 + MAX_COIN_BYTES && !this.eof) this.ensure(9 + MAX_COIN_BYTES);
      if (this.pos < this.inLen && this.inBuf[this.pos] < 253) this.pos++;
      else this.readCompactSize();
      this.pos = skipCompressedCoin(this.inBuf, this.pos, this.inLen, this.inStart);
      if (this.pos > this.inLen) this.skipBeyondBuffer();
    }
    this.coinsRead += count;
  }

  private async handOver(skip: { start: number; firstCoin: number }, delegate: RangeDelegate): Promise<void> {
    const range = { start: skip.start, end: this.bytesRead, firstCoin: skip.firstCoin, coins: this.coinsRead - skip.firstCoin };
    // Cleared first: a failure of the delegate itself is not a problem of the range to decode here.
    skip.start = -1;
    await delegate.take(range);
  }

  /** Reads on from file offset `start`, and (for a range) no further than `limit`. */
  private seek(start: number, limit = Infinity): void {
    this.inStart = start;
    this.inLen = 0;
    this.pos = 0;
    this.eof = false;
    this.limit = limit;
  }

  /**
   * Makes the next batch of records go into `buf` (at least `batchBytes` + MAX_RECORD_SIZE long), so a
   * sink can have records written straight into memory it shares with another thread. Call it from the
   * sink, or before readCoins. A group of outputs that must be reordered may still outgrow `buf`; the
   * reader then moves to a buffer of its own, and the sink sees a batch that is not `buf`.
   */
  useOutput(buf: Buffer): void {
    const need = (this.opts.batchBytes ?? 1 << 20) + MAX_RECORD_SIZE;
    if (buf.length < need) throw new RangeError(`useOutput: a buffer of ${buf.length} bytes is below ${need}`);
    if (this.outLen > 0) throw new Error('useOutput: the current batch is not flushed');
    this.out = buf;
    this.outView = viewOf(buf);
  }

  private async flush(sink: RecordSink, progress?: ProgressSink): Promise<void> {
    const length = this.outLen;
    const coins = this.batchCoins;
    // Reset first: the sink may hand the reader its next output buffer (useOutput).
    this.outLen = 0;
    this.batchCoins = 0;
    if (length > 0) {
      const r = sink(this.out, length, coins);
      if (r) await r;
    }
    progress?.(this.coinsRead, this.bytesRead);
  }

  private growOut(): void {
    const next = Buffer.allocUnsafe(this.out.length * 2);
    this.out.copy(next, 0, 0, this.outLen);
    this.out = next;
    this.outView = viewOf(next);
  }

  /** Makes at least `n` bytes available at `pos` unless the file ends first. */
  private ensure(n: number): void {
    if (this.inLen - this.pos >= n || this.eof) return;
    this.inBuf.copy(this.inBuf, 0, this.pos, this.inLen);
    this.inStart += this.pos;
    this.inLen -= this.pos;
    this.pos = 0;
    while (this.inLen < this.inBuf.length) {
      const want = Math.min(this.inBuf.length - this.inLen, this.limit - this.inStart - this.inLen);
      const got = want > 0 ? readSync(this.fd, this.inBuf, this.inLen, want, this.inStart + this.inLen) : 0;
      if (got === 0) {
        this.eof = true;
        break;
      }
      this.inLen += got;
    }
  }

  /** Core skips the bytes of an oversized script; they may run past what is buffered. */
  private skipBeyondBuffer(): void {
    const target = this.inStart + this.pos;
    // The file ends inside the script: the offset is the file's end (truncatedAt takes buffer positions).
    if (target > this.fileSize) throw new DeserializeError(END_OF_DATA, this.fileSize);
    this.inStart = target;
    this.inLen = 0;
    this.pos = 0;
    this.eof = false;
  }

  private truncatedAt(at: number): never {
    throw new DeserializeError(END_OF_DATA, this.inStart + at);
  }

  private readCompactSize(): number {
    const buf = this.inBuf;
    const start = this.pos;
    if (start >= this.inLen) this.truncatedAt(this.inLen);
    const first = buf[start];
    if (first < 253) {
      this.pos = start + 1;
      return first;
    }
    const width = first === 253 ? 2 : first === 254 ? 4 : 8;
    if (start + 1 + width > this.inLen) this.truncatedAt(this.inLen);
    this.pos = start + 1 + width;
    const at = this.inStart + start;
    if (width === 2) {
      const n = buf[start + 1] | (buf[start + 2] << 8);
      if (n < 253) throw new DeserializeError(NON_CANONICAL_COMPACT_SIZE, at);
      return n;
    }
    const lo = readU32LE(buf, start + 1);
    if (width === 4) {
      if (lo < 0x10000) throw new DeserializeError(NON_CANONICAL_COMPACT_SIZE, at);
      if (lo > 0x02000000) throw new DeserializeError(COMPACT_SIZE_TOO_LARGE, at);
      return lo;
    }
    if (readU32LE(buf, start + 5) === 0) throw new DeserializeError(NON_CANONICAL_COMPACT_SIZE, at);
    throw new DeserializeError(COMPACT_SIZE_TOO_LARGE, at);
  }

  private notCanonical(at: number, prevTxid?: Uint8Array, vout?: number, prevVout?: number): never {
    const what = prevTxid
      ? `txid ${hashToHex(this.inBuf.subarray(at - this.inStart, at - this.inStart + 32))} follows ${hashToHex(prevTxid)}`
      : `output ${vout} follows output ${prevVout}`;
    throw new SnapshotError(
      'content',
      `Snapshot coins are not in the order Bitcoin Core writes them (${what})`,
      at,
      'Core never writes such a file; its UTXO hash cannot be computed in one pass.',
    );
  }
}

function viewOf(buf: Uint8Array): DataView {
  return new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
}

/** True when the txid at buf[pos] sorts strictly after `prev` (bytewise). */
function ascending(prev: Uint8Array, buf: Uint8Array, pos: number): boolean {
  for (let i = 0; i < 32; i++) {
    const d = buf[pos + i] - prev[i];
    if (d !== 0) return d > 0;
  }
  return false;
}
