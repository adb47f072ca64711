/**
 * BulkBatch: one LevelDB batch of coin records for bulk loading (a snapshot, a copy of a chainstate), put
 * straight as Core's keys and values with no Coin object per coin. See CoinsDB.bulkBatch.
 */
import type { ClassicLevel } from 'classic-level';
import { readU32LE, writeVarIntInto } from '../primitives/bytes.js';
import { MAX_COMPRESSED_COIN, writeCompressedCoin } from './coin.js';
import { recordLength, recordScriptOffset, recordValue, RECORD_CODE, RECORD_VOUT } from './coin-record.js';
import { CoinsDBError } from './coins-db-error.js';

const DB_COIN = 0x43; // 'C'
const KEY_BEST = Buffer.from('B');
const KEY_HEADS = Buffer.from('H');

export class BulkBatch {
  private readonly kbuf = Buffer.allocUnsafe(1 + 32 + 5);
  private readonly vbuf = Buffer.allocUnsafe(MAX_COMPRESSED_COIN);
  private readonly plain: boolean;
  /** Views of kbuf / vbuf by length, made once: a fresh subarray per put costs more than the put. */
  private readonly kviews: Buffer[];
  private readonly vviews: Buffer[];
  /** Coins put so far. */
  count = 0;
  /** Bytes of keys and values put so far (what the native batch holds, roughly). */
  bytes = 0;

  constructor(
    private readonly batch: ReturnType<ClassicLevel<Buffer, Buffer>['batch']>,
    private readonly key: Uint8Array,
    private readonly check: (bestBlock: Uint8Array) => void,
  ) {
    this.kbuf[0] = DB_COIN;
    this.plain = key.every((b) => b === 0);
    this.kviews = Array.from({ length: this.kbuf.length + 1 }, (_, n) => this.kbuf.subarray(0, n));
    this.vviews = Array.from({ length: 129 }, (_, n) => this.vbuf.subarray(0, n));
  }

  /** Puts the coins of `length` bytes of records (the batch copies them; `records` may be reused). */
  addRecords(records: Uint8Array, length: number): void {
    const { kbuf, vbuf, kviews, vviews, key, batch } = this;
    for (let off = 0; off < length; ) {
      const len = recordLength(records, off);
      for (let i = 0; i < 32; i++) kbuf[1 + i] = records[off + i];
      const kend = writeVarIntInto(kbuf, 33, readU32LE(records, off + RECORD_VOUT));
      const code = readU32LE(records, off + RECORD_CODE);
      const scriptOff = recordScriptOffset(records, off);
      const scriptLen = off + len - scriptOff;
      let v: Buffer;
      if (scriptLen > MAX_COMPRESSED_COIN - 20) {
        const big = Buffer.allocUnsafe(MAX_COMPRESSED_COIN + scriptLen);
        v = big.subarray(0, writeCompressedCoin(big, 0, Math.floor(code / 2), (code & 1) === 1, recordValue(records, off), records, scriptOff, scriptLen));
      } else {
        const n = writeCompressedCoin(vbuf, 0, Math.floor(code / 2), (code & 1) === 1, recordValue(records, off), records, scriptOff, scriptLen);
        v = n < vviews.length ? vviews[n] : vbuf.subarray(0, n);
      }
      if (!this.plain) for (let i = 0; i < v.length; i++) v[i] ^= key[i & 7];
      batch.put(kviews[kend], v);
      this.count++;
      this.bytes += kend + v.length;
      off += len;
    }
  }

  /** Puts one coin as stored elsewhere: key[0, keyLen) → coin[0, coinLen) de-obfuscated (see scanStoredCoins). */
  addStored(key: Buffer, keyLen: number, coin: Buffer, coinLen: number): void {
    const kbuf = this.kbuf;
    if (keyLen > kbuf.length) throw new CoinsDBError(`malformed coin key ${key.toString('hex', 0, keyLen)}`);
    for (let i = 0; i < keyLen; i++) kbuf[i] = key[i];
    const v = coinLen < this.vviews.length ? this.vviews[coinLen] : Buffer.allocUnsafe(coinLen);
    if (this.plain) for (let i = 0; i < coinLen; i++) v[i] = coin[i];
    else for (let i = 0; i < coinLen; i++) v[i] = coin[i] ^ this.key[i & 7];
    this.batch.put(this.kviews[keyLen], v);
    this.count++;
    this.bytes += keyLen + coinLen;
  }

  /**
   * Writes the coins put so far with `bestBlock` as the best block, in one atomic batch; with none, only
   * the coins, 'B' and 'H' untouched (a bulk load's middle batches: their tables then hold only their own
   * ascending range of coin keys, which LevelDB places without compacting).
   */
  async write(bestBlock: Uint8Array | undefined): Promise<void> {
    if (bestBlock === undefined) return this.batch.write();
    this.check(bestBlock);
    this.batch.del(KEY_HEADS);
    const b = Buffer.from(bestBlock);
    if (!this.plain) for (let i = 0; i < b.length; i++) b[i] ^= this.key[i & 7];
    this.batch.put(KEY_BEST, b);
    await this.batch.write();
  }
}
