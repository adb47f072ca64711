/**
 * Cleanup that must happen on every way a process ends: a normal return, process.exit, an uncaught
 * exception, and SIGINT, SIGTERM or SIGHUP. The registry is process-wide, so the lower layers (temporary
 * directories of the coins database and the LevelDB scan) and the CLI (temporary output files, the
 * terminal) share one set of signal handlers.
 */

export type Cleanup = (signal: NodeJS.Signals | undefined) => void;

const cleanups = new Set<Cleanup>();
/** The shell's status for a process ended by a signal: 128 + its number. */
const SIGNAL_STATUS: Partial<Record<NodeJS.Signals, number>> = { SIGINT: 130, SIGTERM: 143, SIGHUP: 129 };
const SIGNALS = Object.keys(SIGNAL_STATUS) as NodeJS.Signals[];

/**
 * A signal with no other listener (the CLI) runs the cleanups and ends the process with 128 + the signal's
 * number. When the process has its own handler (the daemon's orderly shutdown), that handler decides: the
 * cleanups then run on 'exit', so nothing is removed from under work the shutdown may still be finishing.
 */
function onSignal(signal: NodeJS.Signals): void {
  if (process.listenerCount(signal) > 1) return;
  runCleanups(signal);
  process.exit(SIGNAL_STATUS[signal] ?? 1);
}

function onProcessExit(): void {
  runCleanups(undefined);
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
 * Registers synchronous cleanup run on every way out (see the module comment), newest first, until the
 * returned function runs it and unregisters it. `signal` tells the cleanup which signal ends the process.
 */
export function onExit(cleanup: Cleanup): () => void {
  if (cleanups.size === 0) {
    for (const s of SIGNALS) process.on(s, onSignal);
    process.on('exit', onProcessExit);
  }
  cleanups.add(cleanup);
  return () => {
    if (!cleanups.delete(cleanup)) return;
    if (cleanups.size === 0) {
      for (const s of SIGNALS) process.off(s, onSignal);
      process.off('exit', onProcessExit);
    }
    cleanup(undefined);
  };
}

/** Whether a process with this id exists (EPERM: it does, owned by someone else). */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}
