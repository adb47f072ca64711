/**
 * The directory lock (Core's LockDirectory on `<dir>/.lock`). Node has no flock, so the lock is a kernel
 * object that dies with the process: a listening Unix socket in Linux's abstract namespace, named after the
 * directory's device and inode. Binding it is atomic and exclusive, and the kernel releases it when the
 * process ends however it ends (SIGKILL included), so a crash never leaves a stale lock. The `.lock` file
 * is created as Core creates it and records the holder's pid, for people. Elsewhere than Linux the file
 * alone is the lock: created exclusively, and taken over when the pid in it is no longer alive.
 */
import { closeSync, openSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { CLIENT_NAME } from './datadir.js';

export class LockError extends Error {
  override name = 'LockError';
}

export interface DirectoryLock {
  readonly dir: string;
  release(): Promise<void>;
}

const LOCK_FILE = '.lock';
const held = new Map<string, DirectoryLock>();

/**
 * Takes the lock on `dir`, or throws LockError with Core's message. `probeOnly` releases it at once (Core
 * probes before daemonizing to report a held lock in the foreground).
 */
export async function lockDirectory(dir: string, probeOnly = false): Promise<DirectoryLock> {
  const file = path.join(dir, LOCK_FILE);
  // As Core: a directory this process already holds is simply held.
  const mine = held.get(file);
  if (mine) return mine;
  try {
    closeSync(openSync(file, 'a'));
  } catch {
    throw new LockError(`Cannot write to directory '${dir}'; check permissions.`);
  }
  const taken = process.platform === 'linux' ? await lockWithSocket(dir) : lockWithPidFile(dir, file);
  if (probeOnly) {
    await taken.release();
    return taken;
  }
  const lock: DirectoryLock = {
    dir,
    release: async () => {
      held.delete(file);
      await taken.release();
    },
  };
  held.set(file, lock);
  try {
    writeFileSync(file, `${process.pid}\n`);
  } catch {
    // The file is informational; the lock itself is held.
  }
  return lock;
}

function heldError(dir: string): LockError {
  return new LockError(`Cannot obtain a lock on directory ${dir}. ${CLIENT_NAME} is probably already running.`);
}

async function lockWithSocket(dir: string): Promise<DirectoryLock> {
  const st = statSync(dir);
  const name = `\0chainsnap-lock-${st.dev}-${st.ino}`;
  const server = net.createServer((socket) => socket.destroy());
  await new Promise<void>((resolve, reject) => {
    server.once('error', (e: NodeJS.ErrnoException) => reject(e.code === 'EADDRINUSE' ? heldError(dir) : e));
    server.listen(name, () => resolve());
  });
  // Holding the lock must not keep the process alive.
  server.unref();
  let released = false;
  return {
    dir,
    release: async () => {
      if (released) return;
      released = true;
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** Whether a process with this pid exists (EPERM: it exists but belongs to someone else). */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function lockWithPidFile(dir: string, file: string): DirectoryLock {
  const marker = `${file}.pid`;
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      writeFileSync(marker, `${process.pid}\n`, { flag: 'wx' });
      return {
        dir,
        release: async () => rmSync(marker, { force: true }),
      };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      const pid = Number.parseInt(readFileSync(marker, 'utf8'), 10);
      if (Number.isInteger(pid) && pid !== process.pid && alive(pid)) throw heldError(dir);
      rmSync(marker, { force: true });
    }
  }
  throw heldError(dir);
}

/**
 * Core's LockDirectories: the network directory and its blocks directory. Returns one lock for both; throws
 * LockError with Core's message for the first that is held elsewhere.
 */
export async function lockDataDirectories(cfg: { networkDir: string; blocksDir: string }, probeOnly = false): Promise<DirectoryLock> {
  const net = await lockDirectory(cfg.networkDir, probeOnly);
  let blocks: DirectoryLock;
  try {
    blocks = await lockDirectory(cfg.blocksDir, probeOnly);
  } catch (e) {
    if (!probeOnly) await net.release();
    throw e;
  }
  return {
    dir: cfg.networkDir,
    release: async () => {
      await blocks.release();
      await net.release();
    },
  };
}
