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

export { onExit } from '../primitives/exit-cleanup.js';

/**
 * Standard output that fails: a reader that went away (`| head`) ends the command quietly with the status
 * it has; anything else (a full disk) is one line and status 1, never an unhandled 'error' event.
 */
function onStdoutError(e: NodeJS.ErrnoException): void {
  if (e.code === 'EPIPE') process.exit(process.exitCode ?? 0);
  process.stderr.write(`chainsnap: error: standard output: ${plainErrno(e)}\n`);
  process.exit(1);
}

/** Runs a command body, turning user errors into one line on stderr and an exit status. */
export async function runCommand(body: () => Promise<number | void>): Promise<void> {
  if (!process.stdout.listeners('error').includes(onStdoutError)) process.stdout.on('error', onStdoutError);
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
