/**
 * How the CLI fails: a user error (bad input, bad file, bad flag) is one line on stderr and a non-zero exit,
 * never a stack trace; anything else is a bug and keeps its trace.
 */
import { ConfigError } from '../node/config.js';
import { SnapshotError } from '../snapshot/errors.js';

export class UserError extends Error {
  constructor(
    message: string,
    readonly exitCode = 1,
  ) {
    super(message);
    this.name = 'UserError';
  }
}

export function describeError(e: unknown): string | undefined {
  if (e instanceof SnapshotError) return e.describe();
  if (e instanceof UserError || e instanceof ConfigError) return e.message;
  const code = (e as NodeJS.ErrnoException)?.code;
  if (code && typeof code === 'string' && /^E[A-Z]+$/.test(code)) {
    const where = (e as NodeJS.ErrnoException).path;
    return where ? `${where}: ${plainErrno(e as Error)}` : (e as Error).message;
  }
  return undefined;
}

/** "ENOSPC: no space left on device, write" → "no space left on device". */
export function plainErrno(e: Error): string {
  const m = /^E[A-Z]+: ([^,]+)/.exec(e.message);
  return m ? m[1] : e.message;
}

/** An I/O error on a file the CLI named, as one line that names it. */
export function fileError(file: string, e: unknown): unknown {
  const code = (e as NodeJS.ErrnoException)?.code;
  if (!(typeof code === 'string' && /^E[A-Z]+$/.test(code))) return e;
  return new UserError(`${file}: ${plainErrno(e as Error)}`);
}

type Cleanup = (signal: NodeJS.Signals | undefined) => void;
const cleanups = new Set<Cleanup>();
const SIGNAL_STATUS: Partial<Record<NodeJS.Signals, number>> = { SIGINT: 130, SIGTERM: 143, SIGHUP: 129 };

function onSignal(signal: NodeJS.Signals): void {
  runCleanups(signal);
  process.exit(SIGNAL_STATUS[signal] ?? 1);
}

function runCleanups(signal: NodeJS.Signals | undefined): void {
  for (const c of [...cleanups].reverse()) {
    cleanups.delete(c);
    try {
      c(signal);
    } catch {
      // Cleanup is best effort: one failing must not keep the others from running.
    }
  }
}

/**
 * Registers synchronous cleanup run on every way out (return, throw, exit, SIGINT, SIGTERM, SIGHUP) until
 * the returned function runs it and unregisters it. With a cleanup pending, a signal ends the process after
 * the cleanups with the shell's status (128 + signal).
 */
export function onExit(cleanup: Cleanup): () => void {
  if (cleanups.size === 0) {
    for (const s of Object.keys(SIGNAL_STATUS) as NodeJS.Signals[]) process.on(s, onSignal);
    process.on('exit', onProcessExit);
  }
  cleanups.add(cleanup);
  return () => {
    if (!cleanups.delete(cleanup)) return;
    cleanup(undefined);
    if (cleanups.size === 0) {
      for (const s of Object.keys(SIGNAL_STATUS) as NodeJS.Signals[]) process.off(s, onSignal);
      process.off('exit', onProcessExit);
    }
  };
}

function onProcessExit(): void {
  runCleanups(undefined);
}

/** Runs a command body, turning user errors into one line on stderr and an exit status. */
export async function runCommand(body: () => Promise<number | void>): Promise<void> {
  try {
    const status = await body();
    process.exitCode = status ?? 0;
  } catch (e) {
    const line = describeError(e);
    if (line === undefined) throw e;
    process.stderr.write(`chainsnap: error: ${line}\n`);
    process.exitCode = e instanceof UserError ? e.exitCode : 1;
  }
}
