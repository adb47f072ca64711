/**
 * Chainstate entries, in key order, straight into coin records in UTXO-hash order with gettxoutsetinfo's
 * counts taken on the way: one pass per entry that de-obfuscates a word at a time, compares and copies
 * the txid as eight words, and counts from what the decoder already knows — the hot loop of
 * hash_serialized_3 from the database. (CoinEntryBatcher does the same for the general readers, a
 * layer at a time; this one is for the direct read, where the pass is the whole cost.)
 */
import { decodeCompressedCoin, decoded, MAX_RECORD_SIZE, RECORD_CODE, RECORD_VOUT, mergeRecordRunsByVout, recordValue } from './coin-record.js';
import { CoinsDBError } from './coins-db-error.js';
import { UtxoCounts } from './utxo-stats.js';

const DB_COIN = 0x43; // 'C'
const DB_BEST_BLOCK = 0x42; // 'B'

/**
 * Receives whole transactions' records, `batch[0, length)`; the memory is the writer's again once the
 * returned promise (if any) settles.
 */
export type RecordBatchSink = (batch: Uint8Array, length: number) => void | Promise<void>;

export class RecordWriter {
  /** The 'B' record, de-obfuscated, if one was seen. */
  bestBlock: Uint8Array | undefined;
  coins = 0;
  readonly counts = new UtxoCounts();
  private buf: Uint8Array;
  private out: DataView;
  private pos = 0;
  private groupStart = 0;
  private lastVout = -1;
  /** Where the open transaction's ascending runs of vouts start (more than one: it needs reordering). */
  private runStarts = new Int32Array(16);
  private runs = 0;
  // The open transaction's txid as little-endian words of key[1, 33).
  private t0 = 0;
  private t1 = 0;
  private t2 = 0;
  private t3 = 0;
  private t4 = 0;
  private t5 = 0;
  private t6 = 0;
  private t7 = 0;
  private readonly k0: number;
  private readonly k1: number;
  private coin = new Uint8Array(MAX_RECORD_SIZE);
  private coinView = new DataView(this.coin.buffer);
  // DataViews of the key and value buffers seen last: a cursor keeps one of each for thousands of entries.
  private keyBuf: Uint8Array = new Uint8Array(0);
  private keyView: DataView<ArrayBufferLike> = new DataView(new ArrayBuffer(0));
  private valueBuf: Uint8Array = new Uint8Array(0);
  private valueView: DataView<ArrayBufferLike> = new DataView(new ArrayBuffer(0));

  constructor(
    private readonly sink: RecordBatchSink,
    private readonly batchBytes: number,
    private readonly obfuscationKey: Uint8Array,
    /** Names the database in errors. */
    private readonly dir: string,
    /** Memory to write into (a previous writer's `memory`), when it is large enough. */
    memory?: Uint8Array,
  ) {
    this.buf = memory && memory.length >= batchBytes + MAX_RECORD_SIZE ? memory : new Uint8Array(batchBytes + MAX_RECORD_SIZE);
    this.out = new DataView(this.buf.buffer);
    const kv = new DataView(obfuscationKey.buffer, obfuscationKey.byteOffset, 8);
    this.k0 = kv.getInt32(0, true);
    this.k1 = kv.getInt32(4, true);
  }

  /**
   * One database entry: key[0, keyLen) → value[valueOff, valueOff + valueLen), as stored (obfuscated).
   * Returns the sink's promise when a batch went out; the caller must await it before the next entry.
   */
  entry(key: Uint8Array, keyLen: number, value: Uint8Array, valueOff: number, valueLen: number): void | Promise<void> {
    if (key[0] !== DB_COIN || keyLen < 34) return this.other(key, keyLen, value, valueOff, valueLen);
    const vout = keyLen === 34 && key[33]! < 0x80 ? key[33]! : readKeyVout(key, keyLen, this.dir);
    if (key !== this.keyBuf) {
      this.keyBuf = key;
      this.keyView = new DataView(key.buffer, key.byteOffset, key.byteLength);
    }
    const kv = this.keyView;
    if (
      this.pos > this.groupStart &&
      kv.getInt32(29, true) === this.t7 &&
      kv.getInt32(25, true) === this.t6 &&
      kv.getInt32(21, true) === this.t5 &&
      kv.getInt32(17, true) === this.t4 &&
      kv.getInt32(13, true) === this.t3 &&
      kv.getInt32(9, true) === this.t2 &&
      kv.getInt32(5, true) === this.t1 &&
      kv.getInt32(1, true) === this.t0
    ) {
      if (vout < this.lastVout) this.newRun();
      this.lastVout = vout;
      this.append(vout, value, valueOff, valueLen, key, keyLen);
      return;
    }
    this.endGroup();
    this.t0 = kv.getInt32(1, true);
    this.t1 = kv.getInt32(5, true);
    this.t2 = kv.getInt32(9, true);
    this.t3 = kv.getInt32(13, true);
    this.t4 = kv.getInt32(17, true);
    this.t5 = kv.getInt32(21, true);
    this.t6 = kv.getInt32(25, true);
    this.t7 = kv.getInt32(29, true);
    this.counts.transactions++;
    this.lastVout = vout;
    this.runs = 1;
    if (this.pos >= this.batchBytes) {
      const flushed = this.flush();
      if (flushed) return this.appendAfter(flushed, vout, value, valueOff, valueLen, key, keyLen);
    }
    this.append(vout, value, valueOff, valueLen, key, keyLen);
  }

  /**
   * The sink may read the buffer until its promise settles; the entry's bytes stay valid meanwhile. Apart
   * from `entry` because a closure there made V8 allocate its context on every call (~90 bytes a coin, a
   * scavenge every ~40,000 coins), not only when a batch goes out.
   */
  private appendAfter(flushed: Promise<void>, vout: number, value: Uint8Array, valueOff: number, valueLen: number, key: Uint8Array, keyLen: number): Promise<void> {
    return flushed.then(() => this.append(vout, value, valueOff, valueLen, key, keyLen));
  }

  /** Hands over the last batch. */
  async finish(): Promise<void> {
    this.endGroup();
    if (this.pos > 0) await this.flush();
  }

  private append(vout: number, value: Uint8Array, valueOff: number, valueLen: number, key: Uint8Array, keyLen: number): void {
    if (this.pos + MAX_RECORD_SIZE > this.buf.length) this.grow();
    const o = this.out;
    const pos = this.pos;
    o.setInt32(pos, this.t0, true);
    o.setInt32(pos + 4, this.t1, true);
    o.setInt32(pos + 8, this.t2, true);
    o.setInt32(pos + 12, this.t3, true);
    o.setInt32(pos + 16, this.t4, true);
    o.setInt32(pos + 20, this.t5, true);
    o.setInt32(pos + 24, this.t6, true);
    o.setInt32(pos + 28, this.t7, true);
    o.setUint32(pos + RECORD_VOUT, vout, true);
    const coin = this.deobfuscate(value, valueOff, valueLen);
    const end = decodeCompressedCoin(coin, 0, valueLen, this.buf, pos + RECORD_CODE);
    if (end > valueLen) throw new CoinsDBError(`${this.dir}: truncated coin at ${Buffer.from(key.subarray(0, keyLen)).toString('hex')}`);
    this.pos = decoded.outEnd;
    this.coins++;
    this.counts.addCoin(decoded.scriptLen, recordValue(this.buf, pos));
  }

  /** value[off, off + len) XOR the key, a word at a time, into the scratch coin buffer. */
  private deobfuscate(value: Uint8Array, off: number, len: number): Uint8Array {
    // Whole words: up to 7 bytes past `len` are read and written.
    if (len + 8 > this.coin.length) {
      this.coin = new Uint8Array(2 * len + 8);
      this.coinView = new DataView(this.coin.buffer);
    }
    const c = this.coinView;
    if (off + len + 8 <= value.length) {
      if (value !== this.valueBuf) {
        this.valueBuf = value;
        this.valueView = new DataView(value.buffer, value.byteOffset, value.byteLength);
      }
      const v = this.valueView;
      const k0 = this.k0;
      const k1 = this.k1;
      for (let i = 0; i < len; i += 8) {
        c.setInt32(i, v.getInt32(off + i, true) ^ k0, true);
        c.setInt32(i + 4, v.getInt32(off + i + 4, true) ^ k1, true);
      }
    } else {
      const k = this.obfuscationKey;
      const coin = this.coin;
      for (let i = 0; i < len; i++) coin[i] = value[off + i]! ^ k[i & 7]!;
    }
    return this.coin;
  }

  /** The best block record; other keys below and above the coins are not ours. */
  private other(key: Uint8Array, keyLen: number, value: Uint8Array, valueOff: number, valueLen: number): void {
    if (key[0] === DB_COIN) throw new CoinsDBError(`${this.dir}: malformed coin key ${Buffer.from(key.subarray(0, keyLen)).toString('hex')}`);
    if (keyLen !== 1 || key[0] !== DB_BEST_BLOCK) return;
    const k = this.obfuscationKey;
    const best = new Uint8Array(valueLen);
    for (let i = 0; i < valueLen; i++) best[i] = value[valueOff + i]! ^ k[i & 7]!;
    this.bestBlock = best;
  }

  private newRun(): void {
    if (this.runs + 1 >= this.runStarts.length) {
      const more = new Int32Array(2 * this.runStarts.length);
      more.set(this.runStarts);
      this.runStarts = more;
    }
    this.runStarts[this.runs++] = this.pos;
  }

  private endGroup(): void {
    if (this.runs > 1) {
      this.runStarts[0] = this.groupStart;
      mergeRecordRunsByVout(this.buf, this.groupStart, this.pos, this.runStarts, this.runs);
    }
    this.runs = 0;
    this.groupStart = this.pos;
  }

  /** Everything written so far (whole transactions) goes to the sink. */
  private flush(): void | Promise<void> {
    const n = this.pos;
    this.pos = 0;
    this.groupStart = 0;
    const r = this.sink(this.buf, n);
    if (!r) return this.renew();
    return r.then(() => this.renew());
  }

  /**
   * The memory written into, grown to the largest transaction seen, for the next writer on this thread
   * once this one is finished: a range of many-output transactions would grow a new writer's again.
   */
  get memory(): Uint8Array {
    return this.buf;
  }

  /** Fresh memory when the sink transferred the batch's to another thread. */
  private renew(): void {
    if (this.buf.byteLength > 0) return;
    this.buf = new Uint8Array(this.batchBytes + MAX_RECORD_SIZE);
    this.out = new DataView(this.buf.buffer);
  }

  private grow(): void {
    const bigger = new Uint8Array(this.buf.length * 2);
    bigger.set(this.buf.subarray(0, this.pos));
    this.buf = bigger;
    this.out = new DataView(bigger.buffer);
  }
}

/** The vout of a coin key ('C' ‖ txid ‖ Core's VARINT(vout)); `dir` names the database in errors. */
export function readKeyVout(k: Uint8Array, len: number, dir: string): number {
  let n = 0;
  for (let i = 33; i < len; i++) {
    const b = k[i]!;
    n = n * 128 + (b & 0x7f);
    if (!(b & 0x80)) {
      if (i !== len - 1 || n > 0xffffffff) break;
      return n;
    }
    n++;
  }
  throw new CoinsDBError(`${dir}: malformed coin key ${Buffer.from(k.subarray(0, len)).toString('hex')}`);
}
