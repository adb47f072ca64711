/**
 * The messages between CoinsDB's parallel record scan (range-records.ts, on the calling thread) and its
 * workers (range-records-worker.ts). Each worker reads whole key ranges of one fixed view of the
 * database and posts their coin records in UTXO-hash order; the caller consumes the ranges in key order.
 */
import type { ScanPlan } from '../leveldb/scan.js';

export interface InitMessage {
  type: 'init';
  plan: ScanPlan;
  obfuscationKey: Uint8Array;
  /** Names the database in errors. */
  dir: string;
  batchBytes: number;
  /** Bytes posted and not yet consumed before the worker waits. */
  creditBytes: number;
}

export interface RangeMessage {
  type: 'range';
  index: number;
  lower: Uint8Array;
  upper: Uint8Array;
}

/**
 * `bytes` of this worker's batches were consumed; `buffer` is the batch's memory back for reuse (fresh
 * memory for every batch costs more than reading the coins), unless its receiver kept it.
 */
export interface CreditMessage {
  type: 'credit';
  bytes: number;
  buffer?: ArrayBuffer;
}

export type ToWorker = InitMessage | RangeMessage | CreditMessage;

/** Whole records of one range, in order; the buffer (which may be larger) is the receiver's. */
export interface BatchMessage {
  type: 'batch';
  index: number;
  batch: Uint8Array;
}

export interface RangeDone {
  type: 'done';
  index: number;
  coins: number;
  txouts: number;
  transactions: number;
  bogosize: number;
  totalAmount: bigint;
  /** The 'B' record, de-obfuscated, when the range holds it. */
  bestBlock?: Uint8Array;
}

export interface ErrorMessage {
  type: 'error';
  /** The error class (LevelFormatError, TableCorruption, CoinsDBError or another). */
  name: string;
  message: string;
}

export type FromWorker = BatchMessage | RangeDone | ErrorMessage;
