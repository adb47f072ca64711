/**
 * The private copy a read-only CoinsDB opens instead of the user's directory (LevelDB cannot open a
 * database without writing to it): hard links to the immutable tables, copies of the rest, in a temporary
 * directory that never outlives the process (see primitives/temp-dirs).
 */
import { copyFileSync, linkSync, readdirSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { makeTempDir, type TempDir } from '../primitives/temp-dirs.js';
import { CoinsDBError } from './coins-db-error.js';

/**
 * A private copy of a LevelDB directory to open without touching the original (see readOnly), in
 * $TMPDIR/chainsnap-ro-<pid>-XXXXXX: removed on close and on every way the process ends (signals too),
 * and by the next read-only open when the process died anyway.
 */
export function privateCopy(dir: string): TempDir {
  let tmp: TempDir;
  try {
    tmp = makeTempDir(tmpdir(), 'chainsnap-ro-');
  } catch (e) {
    throw copyError(dir, e);
  }
  const copy = tmp.path;
  try {
    for (const name of readdirSync(dir)) {
      if (name === 'LOCK' || name.startsWith('LOG')) continue;
      const from = path.join(dir, name);
      if (!statSync(from).isFile()) continue;
      const to = path.join(copy, name);
      if (/\.(ldb|sst)$/.test(name)) {
        try {
          linkSync(from, to);
          continue;
        } catch {
          // Another file system or no permission: fall back to copying.
        }
      }
      copyFileSync(from, to);
    }
  } catch (e) {
    tmp.remove();
    throw copyError(dir, e);
  }
  return tmp;
}

/** The copy could not be made (no $TMPDIR, a full disk): say where, and what to change. */
function copyError(dir: string, e: unknown): unknown {
  const code = (e as NodeJS.ErrnoException).code;
  if (typeof code !== 'string') return e;
  const why = /^E[A-Z]+: ([^,]+)/.exec((e as Error).message)?.[1] ?? (e as Error).message;
  return new CoinsDBError(`cannot make the private copy of ${dir} in ${tmpdir()}: ${why} (set TMPDIR to a writable directory, on the same file system for hard links)`);
}

/** A message about the private copy, naming the user's directory instead (its files have the same names). */
export function inOriginal(message: string, copy: string, dir: string): string {
  return message.split(copy).join(dir);
}
