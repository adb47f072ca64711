/**
 * A full, ordered scan of a LevelDB database read straight from its files — tables of every level and
 * the logs not yet in a table — merged the way LevelDB's own iterator does: user keys ascending, the
 * newest version of each key wins, deleted keys are skipped. It exists for speed: LevelDB's iterator
 * through classic-level hands every key and value to JavaScript as two new Buffers (about 700k entries/s
 * here), while this allocates nothing per entry.
 *
 * The database may be open in this process (it usually is): the view is fixed by hard-linking every
 * table of the current version and reading the live logs, and is taken again if the MANIFEST changed
 * meanwhile (see openView). Writes that land during the scan are not
 * seen, or are seen as a prefix of whole write batches; callers that need one exact state should check
 * a marker key (the coins database checks its best block). Anything unexpected throws LevelFormatError,
 * and the caller falls back to LevelDB's iterator.
 */
import { linkSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { makeTempDir, type TempDir } from '../primitives/temp-dirs.js';
import { LevelFormatError, TYPE_VALUE } from './coding.js';
import type { EntryCursor } from './entry-cursor.js';
import { readLogRecords } from './log-reader.js';
import { readCurrentVersion, type TableFile } from './manifest.js';
import { MemtableCursor } from './memtable-cursor.js';
import { TableCursor, type TablePath } from './table-cursor.js';

/** Receives each live entry; the buffers are valid only during the call. */
export type EntryVisitor = (key: Buffer, keyLen: number, value: Buffer, valueOff: number, valueLen: number) => void | Promise<void>;

export interface ScanOptions {
  /** Entries between pauses that let the event loop run (default 100,000). */
  yieldEvery?: number;
}

const ATTEMPTS = 10;

/** Visits every live entry of the database in `dir`, in key order; returns how many. */
export async function scanLevelDB(dir: string, visit: EntryVisitor, opts: ScanOptions & ViewOptions = {}): Promise<number> {
  const view = openScanView(dir, opts);
  try {
    return await scanRange(view, visit, opts);
  } finally {
    view.close();
  }
}

/**
 * A fixed version of the database that any thread can read: the tables (hard-linked, see openScanView)
 * and the write batches of the live logs. Plain data, so it can be posted to a worker.
 */
export interface ScanPlan {
  /** Level-0 tables, each its own cursor (they may overlap). */
  level0: TablePath[];
  /** Deeper levels, each a list of disjoint tables in key order. */
  levels: TablePath[][];
  /** The live logs' records (write batches). */
  logBatches: Uint8Array[];
}

export interface ScanView extends ScanPlan {
  /** Removes the links; every scan of the view must be over. */
  close(): void;
}

export interface ViewOptions {
  /** Write batches of logs moved out of `dir` (leveldb/logs-aside) that are still the database's. */
  logsAside?: readonly Uint8Array<ArrayBuffer>[];
}

/** Bounds of a scan by user key: lower inclusive, upper exclusive; each may be absent. */
export interface KeyRange {
  lower?: Uint8Array;
  upper?: Uint8Array;
}

/**
 * Visits the live entries of `plan` whose user key is in `range`, in key order; returns how many. Ranges
 * that do not overlap can be scanned at the same time, on different threads.
 */
export async function scanRange(plan: ScanPlan, visit: EntryVisitor, opts: ScanOptions & KeyRange = {}): Promise<number> {
  const lower = opts.lower ? asBuffer(opts.lower) : undefined;
  const upper = opts.upper ? asBuffer(opts.upper) : undefined;
  const inRange = (t: TablePath) =>
    (!lower || compareBytes(userKey(t.file.largest), lower) >= 0) && (!upper || compareBytes(userKey(t.file.smallest), upper) < 0);
  const cursors: EntryCursor[] = [];
  try {
    for (const t of plan.level0) if (inRange(t)) cursors.push(new TableCursor([t], lower, upper));
    for (const files of plan.levels) {
      const wanted = files.filter(inRange);
      if (wanted.length > 0) cursors.push(new TableCursor(wanted, lower, upper));
    }
    if (plan.logBatches.length > 0) {
      const memtable = new MemtableCursor(plan.logBatches.map(asBuffer));
      if (memtable.size > 0) cursors.push(memtable);
    }
    return await merge(cursors, visit, opts.yieldEvery ?? 100_000, lower, upper);
  } finally {
    for (const c of cursors) c.close();
  }
}

/** The user key of an internal key (a view). */
function userKey(internal: Uint8Array): Buffer {
  return asBuffer(internal).subarray(0, internal.byteLength - 8);
}

/** A Buffer view of the same bytes (what a worker receives is a plain Uint8Array). */
function asBuffer(a: Uint8Array): Buffer {
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength);
}

function compareBytes(a: Uint8Array, b: Uint8Array): number {
  return Buffer.compare(a, b);
}

/** Live logs are replayed into memory; beyond this the caller should let LevelDB flush them first. */
export const MAX_LOG_BYTES = 64 << 20;

/**
 * Fixes the current version: its tables are hard-linked into a private directory inside `dir` (a link
 * costs no file descriptor and keeps a table readable after a compaction deletes it; LevelDB ignores
 * directories), the live logs are read, and all of it is taken again if the MANIFEST changed meanwhile.
 * Cursors then open one table at a time. Throws LevelFormatError when the files cannot be read here.
 */
export function openScanView(dir: string, opts: ViewOptions = {}): ScanView {
  for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
    let linkDir: TempDir | undefined;
    const close = () => linkDir?.remove();
    try {
      const before = manifestState(dir);
      const version = readCurrentVersion(dir);
      // Named with the pid and removed on every way out, signals too; one a dead process left (its
      // links would keep old tables on disk) is removed here.
      linkDir = makeTempDir(dir, LINK_DIR_PREFIX);
      const links = linkDir.path;
      const link = (f: TableFile): TablePath => ({ file: f, path: linkTable(dir, links, f.number) });
      const level0 = version.levels[0]!.map(link);
      const levels = version.levels.slice(1).filter((files) => files.length > 0).map((files) => files.map(link));
      const logs = liveLogs(dir, version.logNumber, version.prevLogNumber);
      const logBytes = logs.reduce((n, f) => n + statSync(path.join(dir, f)).size, 0);
      if (logBytes > MAX_LOG_BYTES) throw new LevelFormatError(`${dir}: ${logBytes} bytes of logs not yet in tables`);
      // Own copies, not views of the log file: a view would carry the whole file to a worker.
      const logBatches = logs.flatMap((f) => readLogRecords(readFileSync(path.join(dir, f))).map((r) => new Uint8Array(r)));
      if (opts.logsAside) logBatches.push(...opts.logsAside);
      // Parsed once here, so a malformed log falls back before any entry is visited.
      new MemtableCursor(logBatches.map(asBuffer));
      if (manifestState(dir) === before) return { level0, levels, logBatches, close };
      close();
    } catch (e) {
      close();
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') continue; // a compaction removed a file: look again
      if (e instanceof LevelFormatError) throw e;
      throw new LevelFormatError(`${dir}: ${(e as Error).message}`, { cause: e });
    }
  }
  throw new LevelFormatError(`${dir}: the database kept changing while its files were opened`);
}

const LINK_DIR_PREFIX = 'chainsnap-scan-';

/** The MANIFEST in use and its size: LevelDB only ever appends to it, or switches to a new one. */
function manifestState(dir: string): string {
  const current = readFileSync(path.join(dir, 'CURRENT'), 'latin1').trim();
  return `${current}:${statSync(path.join(dir, current)).size}`;
}

/** Hard-links table `n` into `linkDir`; ENOENT if a compaction has removed it. */
function linkTable(dir: string, linkDir: string, n: number): string {
  const name = String(n).padStart(6, '0');
  for (const ext of ['.ldb', '.sst']) {
    // .sst is the name older LevelDB versions used.
    try {
      linkSync(path.join(dir, name + ext), path.join(linkDir, name + ext));
      return path.join(linkDir, name + ext);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT' || ext === '.sst') throw e;
    }
  }
  throw new Error('unreachable');
}

/** Logs LevelDB would replay at recovery, oldest first. */
export function liveLogs(dir: string, logNumber: number, prevLogNumber: number): string[] {
  return readdirSync(dir)
    .map((name) => ({ name, n: /^\d+\.log$/.test(name) ? Number(name.slice(0, -4)) : -1 }))
    .filter(({ n }) => n >= 0 && (n >= logNumber || n === prevLogNumber))
    .sort((a, b) => a.n - b.n)
    .map(({ name }) => name);
}

/**
 * K-way merge. After picking the smallest cursor it keeps taking entries from it while they sort below
 * every other cursor's head (and the upper bound) — long runs when levels cover different key ranges, as
 * after a bulk load.
 */
async function merge(cursors: EntryCursor[], visit: EntryVisitor, yieldEvery: number, lower?: Buffer, upper?: Buffer): Promise<number> {
  const live = cursors.filter((c) => c.next() && (!lower || skipBelow(c, lower)));
  let last = Buffer.allocUnsafe(64);
  let lastLen = -1;
  let visited = 0;
  let sinceYield = 0;
  while (live.length > 0) {
    let m = 0;
    for (let i = 1; i < live.length; i++) if (compareEntries(live[i]!, live[m]!) < 0) m = i;
    const c = live[m]!;
    if (upper && compareKeys(c.key, c.keyLen, upper, upper.length) >= 0) break;
    let boundKey = upper;
    let boundLen = upper ? upper.length : 0;
    for (let i = 0; i < live.length; i++) {
      const o = live[i]!;
      if (i !== m && (!boundKey || compareKeys(o.key, o.keyLen, boundKey, boundLen) < 0)) {
        boundKey = o.key;
        boundLen = o.keyLen;
      }
    }
    // Older versions of a key just handled are shadowed. The run's first entry is compared with the key
    // handled last (kept in `last`); later entries only by the cursor, with its previous entry. Once the
    // run has moved past its first key, `last` is stale but harmless: every entry still to come sorts at
    // or above boundKey, above every key of the run but its first.
    let first = true;
    for (;;) {
      const k = c.key;
      const n = c.keyLen;
      let fresh: boolean;
      if (first) {
        first = false;
        fresh = n !== lastLen || !samePrefix(k, last, n);
        if (fresh) {
          if (n > last.length) last = Buffer.allocUnsafe(2 * n);
          for (let i = 0; i < n; i++) last[i] = k[i]!;
          lastLen = n;
        }
      } else {
        fresh = !c.sameUserKey;
      }
      if (fresh && c.type === TYPE_VALUE) {
        visited++;
        const r = visit(k, n, c.value, c.valueOff, c.valueLen);
        if (r) await r;
      }
      if (++sinceYield >= yieldEvery) {
        sinceYield = 0;
        await nextTurn();
      }
      if (!c.next()) {
        live.splice(m, 1);
        break;
      }
      if (boundKey && compareKeys(c.key, c.keyLen, boundKey, boundLen) >= 0) break;
    }
  }
  return visited;
}

/** Moves `c` to its first entry at or above `lower`; false when there is none. */
function skipBelow(c: EntryCursor, lower: Buffer): boolean {
  while (compareKeys(c.key, c.keyLen, lower, lower.length) < 0) if (!c.next()) return false;
  return true;
}

function compareKeys(a: Buffer, an: number, b: Buffer, bn: number): number {
  const n = Math.min(an, bn);
  for (let i = 0; i < n; i++) {
    const d = a[i]! - b[i]!;
    if (d !== 0) return d;
  }
  return an - bn;
}

function compareUserKeys(a: EntryCursor, b: EntryCursor): number {
  return compareKeys(a.key, a.keyLen, b.key, b.keyLen);
}

/** Internal key order: user key ascending, then the newest (highest sequence) first. */
function compareEntries(a: EntryCursor, b: EntryCursor): number {
  return compareUserKeys(a, b) || b.seq - a.seq;
}

function samePrefix(a: Buffer, b: Buffer, n: number): boolean {
  for (let i = n - 1; i >= 0; i--) if (a[i] !== b[i]) return false;
  return true;
}
