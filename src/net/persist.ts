/** Atomic JSON files in the data directory (banlist.json, peers.json): write a temporary file, fsync, rename. */
import { closeSync, fsyncSync, openSync, readFileSync, renameSync, writeSync } from 'node:fs';

export function writeJsonAtomic(file: string, value: unknown): void {
  const tmp = `${file}.new`;
  const fd = openSync(tmp, 'w');
  try {
    writeSync(fd, JSON.stringify(value));
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, file);
}

/** The parsed file, or undefined when it is missing or unreadable (the caller recreates it). */
export function readJson(file: string): unknown {
  try {
    return JSON.parse(readFileSync(file, 'utf8'));
  } catch {
    return undefined;
  }
}
