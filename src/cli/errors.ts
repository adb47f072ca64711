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
  if (code && typeof code === 'string' && /^E[A-Z]+$/.test(code)) return (e as Error).message;
  return undefined;
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
