/**
 * Temporary directories that never outlive their process: each is named PREFIX<pid>-<random>, removed when
 * released and on every way the process ends (see exit-cleanup), and one left by a process that died
 * anyway (SIGKILL, a power cut) is removed by the next process that makes one with the same prefix there.
 */
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { onExit, processAlive } from './exit-cleanup.js';

/** Directories made by this process and not yet released, with the function that releases each. */
const live = new Map<string, () => void>();

export interface TempDir {
  readonly path: string;
  /** Removes the directory and everything in it (idempotent). */
  remove(): void;
}

/**
 * Makes `parent`/`prefix`<pid>-XXXXXX, after removing the stale directories of that prefix in `parent`.
 * The prefix must not contain the pid pattern itself (it is followed directly by the digits).
 */
export function makeTempDir(parent: string, prefix: string): TempDir {
  removeStaleTempDirs(parent, prefix);
  const dir = mkdtempSync(path.join(parent, `${prefix}${process.pid}-`));
  const release = onExit(() => {
    live.delete(dir);
    // Retries: a process just killed may still be finishing a write into it.
    rmSync(dir, { recursive: true, force: true, maxRetries: 5, retryDelay: 20 });
  });
  live.set(dir, release);
  return { path: dir, remove: release };
}

/**
 * Removes the directories `prefix`<pid>-* in `parent` whose process is gone. One named with this process's
 * id but not made by it is stale too: process ids are reused, in a container on every restart.
 */
export function removeStaleTempDirs(parent: string, prefix: string): void {
  let names: string[];
  try {
    names = readdirSync(parent);
  } catch {
    return;
  }
  for (const name of names) {
    const m = name.startsWith(prefix) ? /^(\d+)-/.exec(name.slice(prefix.length)) : null;
    if (!m) continue;
    const full = path.join(parent, name);
    const pid = Number(m[1]);
    if (pid === process.pid ? !live.has(full) : !processAlive(pid)) rmSync(full, { recursive: true, force: true });
  }
}
