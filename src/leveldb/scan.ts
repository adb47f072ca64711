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
export async function scanLevelDB(dir: string, visit: EntryVisitor, opts: ScanOptions = {}): Promise<number> {
  const view = openView(dir);
  try {
    return await merge(view.cursors, visit, opts.yieldEvery ?? 100_000);
  } finally {
    view.close();
  }
}

interface View {
  cursors: EntryCursor[];
  close(): void;
}

/** Live logs are replayed into memory; beyond this the caller should let LevelDB flush them first. */
export const MAX_LOG_BYTES = 64 << 20;

/**
 * Fixes the current version: its tables are hard-linked into a private directory inside `dir` (a link
 * costs no file descriptor and keeps a table readable after a compaction deletes it; LevelDB ignores
 * directories), the live logs are read, and all of it is taken again if the MANIFEST changed meanwhile.
 * Cursors then open one table at a time.
 */
function openView(dir: string): View {
  for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
    let linkDir: TempDir | undefined;
    const cursors: EntryCursor[] = [];
    const close = () => {
      for (const c of cursors) c.close();
      linkDir?.remove();
    };
    try {
      const before = manifestState(dir);
      const version = readCurrentVersion(dir);
      // Named with the pid and removed on every way out, signals too; one a dead process left (its
      // links would keep old tables on disk) is removed here.
      linkDir = makeTempDir(dir, LINK_DIR_PREFIX);
      const links = linkDir.path;
      const link = (f: TableFile): TablePath => ({ file: f, path: linkTable(dir, links, f.number) });
      for (const f of version.levels[0]!) cursors.push(new TableCursor([link(f)]));
      for (const files of version.levels.slice(1)) if (files.length > 0) cursors.push(new TableCursor(files.map(link)));
      const logs = liveLogs(dir, version.logNumber, version.prevLogNumber);
      const logBytes = logs.reduce((n, f) => n + statSync(path.join(dir, f)).size, 0);
      if (logBytes > MAX_LOG_BYTES) throw new LevelFormatError(`${dir}: ${logBytes} bytes of logs not yet in tables`);
      const memtable = new MemtableCursor(logs.flatMap((f) => readLogRecords(readFileSync(path.join(dir, f)))));
      if (memtable.size > 0) cursors.push(memtable);
      if (manifestState(dir) === before) return { cursors, close };
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
function liveLogs(dir: string, logNumber: number, prevLogNumber: number): string[] {
  return readdirSync(dir)
    .map((name) => ({ name, n: /^\d+\.log$/.test(name) ? Number(name.slice(0, -4)) : -1 }))
    .filter(({ n }) => n >= 0 && (n >= logNumber || n === prevLogNumber))
    .sort((a, b) => a.n - b.n)
    .map(({ name }) => name);
}

/**
 * K-way merge. After picking the smallest cursor it keeps taking entries from it while they sort below
 * every other cursor's head — long runs when levels cover different key ranges, as after a bulk load.
 */
async function merge(cursors: EntryCursor[], visit: EntryVisitor, yieldEvery: number): Promise<number> {
  const live = cursors.filter((c) => c.next());
  let last = Buffer.allocUnsafe(64);
  let lastLen = -1;
  let visited = 0;
  let sinceYield = 0;
  while (live.length > 0) {
    let m = 0;
    for (let i = 1; i < live.length; i++) if (compareEntries(live[i]!, live[m]!) < 0) m = i;
    let bound: EntryCursor | undefined;
    for (let i = 0; i < live.length; i++) if (i !== m && (!bound || compareUserKeys(live[i]!, bound) < 0)) bound = live[i];
    const c = live[m]!;
    for (;;) {
      const k = c.key;
      const n = c.keyLen;
      // Older versions of the key just handled (from this cursor or one picked earlier) are shadowed.
      if (n !== lastLen || !samePrefix(k, last, n)) {
        if (n > last.length) last = Buffer.allocUnsafe(2 * n);
        for (let i = 0; i < n; i++) last[i] = k[i]!;
        lastLen = n;
        if (c.type === TYPE_VALUE) {
          visited++;
          const r = visit(k, n, c.value, c.valueOff, c.valueLen);
          if (r) await r;
        }
      }
      if (++sinceYield >= yieldEvery) {
        sinceYield = 0;
        await nextTurn();
      }
      if (!c.next()) {
        live.splice(m, 1);
        break;
      }
      if (bound && compareUserKeys(c, bound) >= 0) break;
    }
  }
  return visited;
}

function compareUserKeys(a: EntryCursor, b: EntryCursor): number {
  const ak = a.key;
  const bk = b.key;
  const n = Math.min(a.keyLen, b.keyLen);
  for (let i = 0; i < n; i++) {
    const d = ak[i]! - bk[i]!;
    if (d !== 0) return d;
  }
  return a.keyLen - b.keyLen;
}

/** Internal key order: user key ascending, then the newest (highest sequence) first. */
function compareEntries(a: EntryCursor, b: EntryCursor): number {
  return compareUserKeys(a, b) || b.seq - a.seq;
}

function samePrefix(a: Buffer, b: Buffer, n: number): boolean {
  for (let i = n - 1; i >= 0; i--) if (a[i] !== b[i]) return false;
  return true;
}
