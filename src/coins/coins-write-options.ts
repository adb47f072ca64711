/**
 * How a coins flush is cut into LevelDB batches: Core's CoinsViewOptions (-dbbatchsize, -dbcrashratio)
 * and the size of a batch as LevelDB counts it (WriteBatch::ApproximateSize, what Core compares).
 */
import { writeSync } from 'node:fs';

/** Core's DEFAULT_DB_CACHE_BATCH (kernel/caches.h): 32 MiB. */
export const DEFAULT_DB_CACHE_BATCH = 32 << 20;

export interface CoinsWriteOptions {
  /** Core's -dbbatchsize: a flush writes its batch and starts another once it passes this many bytes. */
  batchBytes: number;
  /** Core's -dbcrashratio: after each partial batch the process dies with probability 1/ratio (0: never). */
  crashRatio: number;
  /** Test hook: the process dies after this many partial batches of one flush (0: never). */
  crashAfterPartialBatches: number;
}

/*
 * Process-wide, as Core's options are: the daemon sets them once from its arguments. They travel in the
 * environment so that a worker thread (the background chainstate), which gets a copy of the environment
 * when it starts but none of this module's state, flushes the same way.
 */
const ENV_BATCH = 'CHAINSNAP_DBBATCHSIZE';
const ENV_CRASH = 'CHAINSNAP_DBCRASHRATIO';
const ENV_CRASH_AFTER = 'CHAINSNAP_DBCRASH_AFTER_BATCHES';

function envInt(name: string, fallback: number): number {
  const v = process.env[name];
  const n = v === undefined ? NaN : Number(v);
  return Number.isSafeInteger(n) ? n : fallback;
}

/** The options a CoinsDB opened now gets unless it is given its own. */
export function coinsWriteDefaults(): CoinsWriteOptions {
  return {
    batchBytes: envInt(ENV_BATCH, DEFAULT_DB_CACHE_BATCH),
    crashRatio: envInt(ENV_CRASH, 0),
    crashAfterPartialBatches: envInt(ENV_CRASH_AFTER, 0),
  };
}

/** Sets the defaults for this process and for the worker threads it starts afterwards (-dbbatchsize, -dbcrashratio). */
export function setCoinsWriteDefaults(o: Partial<CoinsWriteOptions>): void {
  if (o.batchBytes !== undefined) process.env[ENV_BATCH] = String(o.batchBytes);
  if (o.crashRatio !== undefined) process.env[ENV_CRASH] = String(o.crashRatio);
  if (o.crashAfterPartialBatches !== undefined) process.env[ENV_CRASH_AFTER] = String(o.crashAfterPartialBatches);
}

/**
 * Core's simulated crash after a partial batch ("Simulating a crash. Goodbye." then _Exit). Whole process,
 * no cleanup: SIGKILL also ends it from a worker thread, where process.exit would end only the thread.
 */
export function maybeSimulateCrash(o: CoinsWriteOptions, partialBatches: number): void {
  const hit =
    (o.crashAfterPartialBatches > 0 && partialBatches >= o.crashAfterPartialBatches) ||
    (o.crashRatio > 0 && Math.floor(Math.random() * o.crashRatio) === 0);
  if (!hit) return;
  writeSync(2, 'Simulating a crash. Goodbye.\n');
  process.kill(process.pid, 'SIGKILL');
}

/** LevelDB's WriteBatch header (sequence number and count). */
export const BATCH_HEADER_BYTES = 12;

/** Bytes a Put adds to a LevelDB WriteBatch: tag, varint32 lengths, key, value. */
export function putBytes(keyLen: number, valueLen: number): number {
  return 1 + varint32Length(keyLen) + keyLen + varint32Length(valueLen) + valueLen;
}

/** Bytes a Delete adds to a LevelDB WriteBatch. */
export function delBytes(keyLen: number): number {
  return 1 + varint32Length(keyLen) + keyLen;
}

function varint32Length(n: number): number {
  return n < 1 << 7 ? 1 : n < 1 << 14 ? 2 : n < 1 << 21 ? 3 : n < 1 << 28 ? 4 : 5;
}
