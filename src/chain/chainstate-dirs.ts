/**
 * The chainstate directories of a network datadir and the file moves of the assumeutxo lifecycle:
 * `chainstate` (normal / background), `chainstate_snapshot` (with `base_blockhash`: 32 raw bytes),
 * `chainstate_snapshot_INVALID` (kept for diagnosis) and the transient `chainstate_todelete`.
 * Renames are atomic on one filesystem, which is what makes every step resumable after a crash.
 */
import { existsSync, fsyncSync, openSync, closeSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Logger } from 'pino';

export const CHAINSTATE = 'chainstate';
export const SNAPSHOT_SUFFIX = '_snapshot';
export const BASE_BLOCKHASH_FILE = 'base_blockhash';

export function chainstateDir(datadir: string): string {
  return path.join(datadir, CHAINSTATE);
}

export function snapshotChainstateDir(datadir: string): string {
  return path.join(datadir, CHAINSTATE + SNAPSHOT_SUFFIX);
}

export function invalidSnapshotDir(datadir: string): string {
  return snapshotChainstateDir(datadir) + '_INVALID';
}

export function todeleteDir(datadir: string): string {
  return chainstateDir(datadir) + '_todelete';
}

/** Writes `base_blockhash` durably: a later start must find it whole or not at all. */
export function writeBaseBlockhash(dir: string, hash: Uint8Array): void {
  const file = path.join(dir, BASE_BLOCKHASH_FILE);
  const tmp = `${file}.tmp`;
  writeFileSync(tmp, hash);
  const fd = openSync(tmp, 'r');
  fsyncSync(fd);
  closeSync(fd);
  renameSync(tmp, file);
}

/**
 * Core's ReadSnapshotBaseBlockhash: undefined (with Core's log line) when the directory or file is missing
 * or too short; trailing bytes only warn.
 */
export function readBaseBlockhash(dir: string, log?: Logger): Uint8Array | undefined {
  if (!existsSync(dir)) {
    log?.warn(`[snapshot] cannot read base blockhash: no chainstate dir exists at path ${dir}`);
    return undefined;
  }
  const file = path.join(dir, BASE_BLOCKHASH_FILE);
  if (!existsSync(file)) {
    log?.warn(`[snapshot] snapshot chainstate dir is malformed! no base blockhash file exists at path ${dir}. Try deleting ${file} and calling loadtxoutset again?`);
    return undefined;
  }
  const bytes = readFileSync(file);
  // The file is written whole or not at all (writeBaseBlockhash), so a short one is damage, not a crash:
  // Core's read throws here and startup fails, keeping the directory.
  if (bytes.length < 32) throw new ShortBaseBlockhashError(`${file}: AutoFile::read: end of file (${bytes.length} of 32 bytes)`);
  if (bytes.length > 32) log?.warn(`[snapshot] warning: unexpected trailing data in ${file}`);
  return new Uint8Array(bytes.subarray(0, 32));
}

export class ShortBaseBlockhashError extends Error {
  override name = 'ShortBaseBlockhashError';
}

/** Removes a chainstate directory; false (and a log line) when something is left behind. */
export function deleteChainstateDir(dir: string, log?: Logger): boolean {
  log?.info(`Removing leveldb dir at ${dir}`);
  try {
    rmSync(dir, { recursive: true, force: true });
  } catch (e) {
    log?.error(`error: removing ${dir} failed: ${(e as Error).message}`);
  }
  return !existsSync(dir);
}

/** Sets a snapshot chainstate that failed validation aside (Core's InvalidateCoinsDBOnDisk). */
export function invalidateSnapshotDir(datadir: string, log?: Logger): void {
  const from = snapshotChainstateDir(datadir);
  const to = invalidSnapshotDir(datadir);
  log?.info(`[snapshot] renaming snapshot datadir ${from} to ${to}`);
  try {
    rmSync(to, { recursive: true, force: true });
    renameSync(from, to);
  } catch (e) {
    throw new Error(
      `Rename of '${from}' -> '${to}' failed. You should resolve this by manually moving or deleting the invalid snapshot directory ${from}, otherwise you will encounter the same error again on the next startup. (${(e as Error).message})`,
    );
  }
}

/**
 * Core's ValidatedSnapshotCleanup, made resumable: chainstate → chainstate_todelete, chainstate_snapshot →
 * chainstate, then delete chainstate_todelete (a failed delete only warns). `resumeCleanup` finishes a
 * sequence a crash interrupted, judged from which directories exist.
 */
export function cleanupValidatedSnapshot(datadir: string, log?: Logger): void {
  const normal = chainstateDir(datadir);
  const snapshot = snapshotChainstateDir(datadir);
  const old = todeleteDir(datadir);
  log?.info(`[snapshot] deleting background chainstate directory (now unnecessary) (${normal})`);
  renameOrFail(normal, old);
  log?.info(`[snapshot] moving snapshot chainstate (${snapshot}) to default chainstate directory (${normal})`);
  renameOrFail(snapshot, normal);
  finishDelete(old, log);
}

export function resumeCleanup(datadir: string, log?: Logger): void {
  const normal = chainstateDir(datadir);
  const snapshot = snapshotChainstateDir(datadir);
  const old = todeleteDir(datadir);
  if (!existsSync(old)) return;
  // Crashed after the first rename: the snapshot chainstate still has to move into place.
  if (!existsSync(normal) && existsSync(snapshot)) renameOrFail(snapshot, normal);
  finishDelete(old, log);
}

function finishDelete(old: string, log?: Logger): void {
  if (!deleteChainstateDir(old, log)) {
    log?.warn(`Deletion of ${old} failed. Please remove it manually, as the directory is now unnecessary.`);
  } else {
    log?.info(`[snapshot] deleted background chainstate directory (${old})`);
  }
}

function renameOrFail(from: string, to: string): void {
  try {
    renameSync(from, to);
  } catch (e) {
    throw new Error(`Rename of '${from}' -> '${to}' failed. Cannot clean up the background chainstate leveldb directory. (${(e as Error).message})`);
  }
}
