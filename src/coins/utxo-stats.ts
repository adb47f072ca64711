/**
 * The UTXO-set statistics of Core's gettxoutsetinfo, computed over coin records fed in Core's hashing
 * order (txid bytes ascending, then numeric vout): hash_serialized_3 (double SHA-256 of the record
 * stream — the hash assumeutxo commits to), txouts, transactions (distinct txids), bogosize and
 * total_amount.
 */
import { createHash, type Hash } from 'node:crypto';
import { recordLength, recordScriptOffset, recordValue } from './coin-record.js';

export interface UtxoStats {
  txouts: number;
  transactions: number;
  bogosize: number;
  /** Satoshis; null when the sum overflows int64 (Core then omits total_amount). */
  totalAmount: bigint | null;
  /** Internal byte order. */
  hashSerialized3: Uint8Array;
}

/** Core's GetBogoSize without the script: 32 + 4 + 4 + 8 + 2. */
const BOGO_FIXED = 50;
const INT64_MAX = 0x7fffffffffffffffn;
/** Flush the running total into a bigint before doubles stop being exact. */
const EXACT_LIMIT = 2 ** 52;

/** Finishes hash_serialized_3 from the streaming SHA-256 of the records. */
export function finishHashSerialized3(sha: Hash): Uint8Array {
  return new Uint8Array(createHash('sha256').update(sha.digest()).digest());
}

/** Core omits total_amount when the sum overflows int64. */
export function checkedTotal(total: bigint): bigint | null {
  return total > INT64_MAX ? null : total;
}

/** The counts of gettxoutsetinfo over records; ranges that share no txid can be counted apart and added. */
export class UtxoCounts {
  private readonly lastTxid = Buffer.alloc(32);
  private hasLast = false;
  txouts = 0;
  transactions = 0;
  bogosize = 0;
  private total = 0;
  private totalBig = 0n;

  /** Counts `length` bytes of whole records from `batch`. */
  addRecords(batch: Uint8Array, length: number): void {
    const last = this.lastTxid;
    let off = 0;
    while (off < length) {
      let same = this.hasLast;
      if (same) {
        for (let i = 0; i < 32; i++) {
          if (batch[off + i] !== last[i]) {
            same = false;
            break;
          }
        }
      }
      if (!same) {
        for (let i = 0; i < 32; i++) last[i] = batch[off + i];
        this.hasLast = true;
        this.transactions++;
      }
      const len = recordLength(batch, off);
      this.bogosize += BOGO_FIXED + len - (recordScriptOffset(batch, off) - off);
      this.total += recordValue(batch, off);
      if (this.total > EXACT_LIMIT) {
        this.totalBig += BigInt(this.total);
        this.total = 0;
      }
      this.txouts++;
      off += len;
    }
  }

  /**
   * Counts one coin whose script is `scriptLen` bytes; the caller counts the transactions (a coin whose
   * txid differs from the one before).
   */
  addCoin(scriptLen: number, value: number): void {
    this.bogosize += BOGO_FIXED + scriptLen;
    this.total += value;
    if (this.total > EXACT_LIMIT) {
      this.totalBig += BigInt(this.total);
      this.total = 0;
    }
    this.txouts++;
  }

  /** Satoshis (unchecked). */
  get totalAmount(): bigint {
    return this.totalBig + BigInt(this.total);
  }

  /** Adds counts taken apart (no transaction may be in both). */
  addCounts(c: { txouts: number; transactions: number; bogosize: number; totalAmount: bigint }): void {
    this.txouts += c.txouts;
    this.transactions += c.transactions;
    this.bogosize += c.bogosize;
    this.totalBig += c.totalAmount;
  }
}

export class UtxoStatsAccumulator {
  /** Undefined when hash_serialized_3 is not wanted (the counts only). */
  private readonly sha: Hash | undefined;
  readonly counts = new UtxoCounts();

  constructor(hashSerialized3 = true) {
    this.sha = hashSerialized3 ? createHash('sha256') : undefined;
  }

  /** Adds `length` bytes of whole records from `batch`. */
  addRecords(batch: Uint8Array, length: number): void {
    if (length === 0) return;
    this.sha?.update(batch.subarray(0, length));
    this.counts.addRecords(batch, length);
  }

  /** Hashes records counted elsewhere (see UtxoCounts.addCounts). */
  hashRecords(batch: Uint8Array, length: number): void {
    if (length > 0) this.sha?.update(batch.subarray(0, length));
  }

  /** The counts, without hash_serialized_3 (all an accumulator made without it can give). */
  finalizeCounts(): Omit<UtxoStats, 'hashSerialized3'> {
    const c = this.counts;
    return { txouts: c.txouts, transactions: c.transactions, bogosize: c.bogosize, totalAmount: checkedTotal(c.totalAmount) };
  }

  finalize(): UtxoStats {
    if (!this.sha) throw new Error('UtxoStatsAccumulator: made without hash_serialized_3');
    return { ...this.finalizeCounts(), hashSerialized3: finishHashSerialized3(this.sha) };
  }
}

/** Satoshis → Core's 8-decimal BTC string. */
export function formatBtc(sats: bigint | number): string {
  const v = BigInt(sats);
  const neg = v < 0n;
  const a = neg ? -v : v;
  return `${neg ? '-' : ''}${a / 100_000_000n}.${(a % 100_000_000n).toString().padStart(8, '0')}`;
}
