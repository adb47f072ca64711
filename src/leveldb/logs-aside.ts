/**
 * The live logs of a private copy of a database, moved out of LevelDB's sight before it opens the copy,
 * and served from memory instead. Opening a database replays its logs into a new level-0 table; with
 * three level-0 tables already there (a stopped node often leaves them) that fourth one starts a
 * compaction, which on a copy only read once is pure waste: on a 5M-coin chainstate it merged ~110 MB on
 * a second core while the read ran, 1.1 s of CPU, and slowed the read itself by a fifth. The logs' writes
 * are few (a node's last flush), so the reader keeps them as LevelDB's memtable would: newest first.
 * Once LevelDB has opened the copy it has moved past those logs for good: to have it read them after
 * all, open a new copy.
 */
import { mkdirSync, readFileSync, renameSync, statSync } from 'node:fs';
import path from 'node:path';
import { LevelFormatError, TYPE_VALUE } from './coding.js';
import { readLogRecords } from './log-reader.js';
import { readCurrentVersion } from './manifest.js';
import { MemtableCursor } from './memtable-cursor.js';
import { liveLogs } from './scan.js';

/** Where the logs go, inside the copy: LevelDB ignores names that are not its own. */
const ASIDE_DIR = 'logs-aside';

export interface LogsAside {
  /** The logs' write batches, as ScanPlan.logBatches takes them. */
  readonly batches: Uint8Array<ArrayBuffer>[];
  /** The newest write of `key` in the logs: its value, null for a deletion, undefined when the logs never wrote it. */
  get(key: Uint8Array): Buffer | null | undefined;
}

/**
 * Moves the live logs of the (closed) database in `dir` aside, or leaves everything in place and returns
 * undefined when they are larger than `maxBytes` or cannot be read here (LevelDB then replays them).
 */
export function setLogsAside(dir: string, maxBytes: number): LogsAside | undefined {
  let names: string[];
  let batches: Uint8Array<ArrayBuffer>[];
  let newest: Map<string, Buffer | null>;
  try {
    const version = readCurrentVersion(dir);
    names = liveLogs(dir, version.logNumber, version.prevLogNumber);
    if (names.reduce((n, f) => n + statSync(path.join(dir, f)).size, 0) > maxBytes) return undefined;
    batches = names.flatMap((f) => readLogRecords(readFileSync(path.join(dir, f))).map((r) => new Uint8Array(r)));
    newest = newestWrites(batches);
  } catch (e) {
    if (e instanceof LevelFormatError) return undefined;
    throw e;
  }
  const aside = path.join(dir, ASIDE_DIR);
  mkdirSync(aside);
  for (const name of names) renameSync(path.join(dir, name), path.join(aside, name));
  return {
    batches,
    get: (key) => newest.get(Buffer.from(key.buffer, key.byteOffset, key.byteLength).toString('latin1')),
  };
}

/** Each key's newest write in the batches, by key bytes as a latin1 string. */
function newestWrites(batches: Uint8Array[]): Map<string, Buffer | null> {
  const cursor = new MemtableCursor(batches.map((b) => Buffer.from(b.buffer, b.byteOffset, b.byteLength)));
  const newest = new Map<string, Buffer | null>();
  // Sorted by key, then newest first: the first entry of each key decides.
  while (cursor.next()) {
    if (cursor.sameUserKey) continue;
    newest.set(cursor.key.toString('latin1'), cursor.type === TYPE_VALUE ? Buffer.from(cursor.value) : null);
  }
  return newest;
}
