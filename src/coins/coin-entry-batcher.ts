/**
 * Turns chainstate database entries, in key order, into batches of coin records in UTXO-hash order
 * (txid bytes, then numeric vout) — the one pass behind CoinsDB.iterateRecords, whichever way the
 * entries are read. Batches end on transaction boundaries, because the outputs of one transaction may
 * need re-ordering: keys order vouts by the bytes of VARINT(vout), which differs from numeric order
 * from 16512 on.
 */
import { writeU32LE } from '../primitives/bytes.js';
import { decodeCompressedCoin, decoded, MAX_RECORD_SIZE, RECORD_CODE, sortRecordsByVout } from './coin-record.js';
import { CoinsDBError } from './coins-db-error.js';
import { readKeyVout } from './range-records-writer.js';

const DB_COIN = 0x43; // 'C'
const DB_BEST_BLOCK = 0x42; // 'B'

/** A receiver of record batches; the buffer is reused once the returned promise (if any) resolves. */
export type RecordSink = (batch: Uint8Array, length: number) => void | Promise<void>;

/**
 * Sees each coin as stored: key[0, keyLen) ('C' ‖ txid ‖ VARINT(vout)), the vout, and the compressed
 * coin (de-obfuscated) in coin[0, coinLen). The buffers are valid only during the call.
 */
export type StoredCoinVisitor = (key: Buffer, keyLen: number, vout: number, coin: Buffer, coinLen: number) => void | Promise<void>;

/**
 * Reads one stored entry: a coin (its vout and de-obfuscated compressed bytes, in a scratch buffer
 * valid until the next call), the best block, or something else.
 */
export class StoredEntryReader {
  /** The 'B' record, de-obfuscated, if one was seen. */
  bestBlock: Uint8Array | undefined;
  vout = 0;
  coin: Buffer = Buffer.allocUnsafe(MAX_RECORD_SIZE);
  coinLen = 0;
  private readonly plain: boolean;

  constructor(
    private readonly obfuscationKey: Uint8Array,
    /** Names the database in errors. */
    readonly dir: string,
  ) {
    this.plain = obfuscationKey.every((b) => b === 0);
  }

  /** True for a coin, whose fields are then set. */
  read(key: Buffer, keyLen: number, value: Buffer, valueOff: number, valueLen: number): boolean {
    if (key[0] !== DB_COIN) {
      if (keyLen === 1 && key[0] === DB_BEST_BLOCK) this.bestBlock = Uint8Array.from(this.deobfuscate(value, valueOff, valueLen).subarray(0, valueLen));
      return false;
    }
    if (keyLen < 34) throw new CoinsDBError(`${this.dir}: malformed coin key ${key.toString('hex', 0, keyLen)}`);
    this.vout = readKeyVout(key, keyLen, this.dir);
    this.coin = this.deobfuscate(value, valueOff, valueLen);
    this.coinLen = valueLen;
    return true;
  }

  private deobfuscate(value: Buffer, off: number, len: number): Buffer {
    const out = len <= this.coin.length ? this.coin : Buffer.allocUnsafe(len);
    if (this.plain) {
      value.copy(out, 0, off, off + len);
    } else {
      // Eight bytes per round with the key bytes in locals: half the time of a loop indexing the key
      // (this runs for every coin a dump reads, on the thread that limits it).
      const key = this.obfuscationKey;
      const k0 = key[0]!, k1 = key[1]!, k2 = key[2]!, k3 = key[3]!, k4 = key[4]!, k5 = key[5]!, k6 = key[6]!, k7 = key[7]!;
      let i = 0;
      for (; i + 8 <= len; i += 8) {
        const p = off + i;
        out[i] = value[p]! ^ k0;
        out[i + 1] = value[p + 1]! ^ k1;
        out[i + 2] = value[p + 2]! ^ k2;
        out[i + 3] = value[p + 3]! ^ k3;
        out[i + 4] = value[p + 4]! ^ k4;
        out[i + 5] = value[p + 5]! ^ k5;
        out[i + 6] = value[p + 6]! ^ k6;
        out[i + 7] = value[p + 7]! ^ k7;
      }
      for (; i < len; i++) out[i] = value[off + i]! ^ key[i & 7]!;
    }
    return out;
  }
}

export class CoinEntryBatcher {
  coins = 0;
  /** Batches handed to the sink so far. */
  batches = 0;
  private buf: Buffer;
  private pos = 0;
  private groupStart = 0;
  private lastVout = -1;
  private unordered = false;
  readonly reader: StoredEntryReader;

  constructor(
    private readonly sink: RecordSink,
    private readonly batchBytes: number,
    obfuscationKey: Uint8Array,
    dir: string,
  ) {
    this.buf = Buffer.allocUnsafe(batchBytes + MAX_RECORD_SIZE);
    this.reader = new StoredEntryReader(obfuscationKey, dir);
  }

  get bestBlock(): Uint8Array | undefined {
    return this.reader.bestBlock;
  }

  /**
   * One database entry: key[0, keyLen) → value[valueOff, valueOff + valueLen), as stored (obfuscated).
   * Returns the sink's promise when a batch went out; the caller must await it before the next entry.
   */
  entry(key: Buffer, keyLen: number, value: Buffer, valueOff: number, valueLen: number): void | Promise<void> {
    const rd = this.reader;
    if (!rd.read(key, keyLen, value, valueOff, valueLen)) return;
    const sameTx = this.pos > this.groupStart && sameTxid(key, this.buf, this.groupStart);
    if (!sameTx) {
      if (this.unordered) sortRecordsByVout(this.buf, this.groupStart, this.pos);
      this.lastVout = -1;
      this.unordered = false;
      if (this.pos >= this.batchBytes) {
        const flushed = this.flush();
        // The sink may still read the buffer until its promise settles; the record waits for that (the
        // entry's bytes stay valid: the caller awaits before moving on).
        if (flushed) return this.appendAfter(flushed, key, keyLen, valueLen);
      }
      this.groupStart = this.pos;
    }
    this.append(key, keyLen, valueLen);
  }

  /**
   * The record once the sink is done with the buffer. A method, not a closure in entry(): a closure there
   * made V8 allocate its context on every entry, batch or not (~90 bytes per coin).
   */
  private appendAfter(flushed: Promise<void>, key: Buffer, keyLen: number, valueLen: number): Promise<void> {
    return flushed.then(() => this.append(key, keyLen, valueLen));
  }

  private append(key: Buffer, keyLen: number, valueLen: number): void {
    const rd = this.reader;
    let buf = this.buf;
    if (this.pos + MAX_RECORD_SIZE > buf.length) buf = this.grow();
    const vout = rd.vout;
    if (vout < this.lastVout) this.unordered = true;
    this.lastVout = vout;
    const pos = this.pos;
    for (let i = 0; i < 32; i++) buf[pos + i] = key[1 + i]!;
    writeU32LE(buf, pos + 32, vout);
    const end = decodeCompressedCoin(rd.coin, 0, valueLen, buf, pos + RECORD_CODE);
    if (end > valueLen) throw new CoinsDBError(`${rd.dir}: truncated coin at ${key.toString('hex', 0, keyLen)}`);
    this.pos = decoded.outEnd;
    this.coins++;
  }

  /** Hands over the last batch. */
  async finish(): Promise<void> {
    if (this.unordered) sortRecordsByVout(this.buf, this.groupStart, this.pos);
    this.unordered = false;
    if (this.pos > 0) await this.flush();
  }

  /** The records before the open group go to the sink (the group may still grow or need sorting). */
  private flush(): void | Promise<void> {
    const n = this.pos;
    this.batches++;
    // The sink sees whole groups only: everything before groupStart, which here is all of pos.
    const r = this.sink(this.buf, n);
    this.pos = 0;
    this.groupStart = 0;
    return r;
  }

  private grow(): Buffer {
    const bigger = Buffer.allocUnsafe(this.buf.length * 2);
    this.buf.copy(bigger, 0, 0, this.pos);
    this.buf = bigger;
    return bigger;
  }
}


function sameTxid(key: Buffer, buf: Buffer, at: number): boolean {
  for (let i = 31; i >= 0; i--) if (key[1 + i] !== buf[at + i]) return false;
  return true;
}
