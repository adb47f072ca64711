/**
 * -daemon and -daemonwait (bitcoind.cpp fork_daemon). Node cannot fork, so the parent starts the same program
 * again as a detached child (new session, same working directory, stdio on /dev/null) with a pipe on fd 3,
 * and waits for the child's token on it: "1" when started, "0" and the error when not. A child that dies
 * before saying anything is a failure too, as Core reads an unexpected end of the pipe.
 *
 * In the daemon's main:
 *   const status = await daemonize(cfg);          // parent: returns the exit status; child: undefined
 *   if (status !== undefined) process.exit(status);
 *   const channel = daemonChannel(cfg);           // child: tells the parent; foreground: no-op
 *   ... init ...; channel.ready()  (or channel.fail(message) before exiting with an error)
 */
import { spawn } from 'node:child_process';
import { closeSync, writeSync } from 'node:fs';
import { CLIENT_NAME } from './datadir.js';

const CHILD_ENV = 'CHAINSNAP_DAEMON_CHILD';
const CHANNEL_FD = 3;
/** Read once: the channel removes the variable so that processes the daemon starts are not children. */
const STARTED_AS_CHILD = process.env[CHILD_ENV] === '1';

export interface DaemonChannel {
  /** Initialisation finished: the waiting parent exits 0. */
  ready(): void;
  /** Initialisation failed: the parent prints `message` (e.g. "Error: …") and exits 1. */
  fail(message: string): void;
}

export interface DaemonizeOptions {
  /** The program and its arguments to start again; default: this process's own. */
  argv?: string[];
  /** Where the parent writes what Core writes to the console. */
  stdout?: (s: string) => void;
  stderr?: (s: string) => void;
}

const noChannel: DaemonChannel = { ready: () => {}, fail: () => {} };

/** True in the process daemonize started. */
export function isDaemonChild(): boolean {
  return STARTED_AS_CHILD;
}

/**
 * In a foreground process with -daemon or -daemonwait: prints "chainsnap starting", starts the daemon and
 * resolves with the exit status for this process once the daemon has started (0) or failed (1). Resolves
 * undefined when there is nothing to do here (no -daemon, or this is the daemon).
 */
export async function daemonize(cfg: { daemon: boolean; daemonWait: boolean }, opts: DaemonizeOptions = {}): Promise<number | undefined> {
  if (!(cfg.daemon || cfg.daemonWait) || isDaemonChild()) return undefined;
  const out = opts.stdout ?? ((s) => process.stdout.write(s));
  const err = opts.stderr ?? ((s) => process.stderr.write(s));
  out(`${CLIENT_NAME} starting\n`);
  const [program, ...rest] = opts.argv ?? [process.execPath, ...process.execArgv, ...process.argv.slice(1)];
  const child = spawn(program, rest, {
    detached: true,
    stdio: ['ignore', 'ignore', 'ignore', 'pipe'],
    env: { ...process.env, [CHILD_ENV]: '1' },
  });
  child.unref();
  const pipe = child.stdio[CHANNEL_FD] as NodeJS.ReadableStream & { destroy(): void; unref?(): void };
  const token = await new Promise<string>((resolve) => {
    let got = '';
    pipe.setEncoding('utf8');
    pipe.on('data', (d: string) => {
      got += d;
      if (got.startsWith('1')) resolve(got);
    });
    pipe.on('end', () => resolve(got));
    pipe.on('error', () => resolve(got));
    child.on('error', () => resolve(got));
  });
  pipe.destroy();
  if (token.startsWith('1')) return 0;
  const message = token.slice(1);
  if (message) err(message.endsWith('\n') ? message : message + '\n');
  err('Error during initialization - check debug.log for details\n');
  return 1;
}

let channel: DaemonChannel | undefined;

/**
 * The daemon's line to its waiting parent. Under -daemon (without -daemonwait) Core's child reports success
 * at once, before initialising; so does this. In a foreground process it does nothing.
 */
export function daemonChannel(cfg: { daemonWait: boolean }): DaemonChannel {
  if (channel) return channel;
  if (!isDaemonChild()) return (channel = noChannel);
  delete process.env[CHILD_ENV];
  let open = true;
  const send = (token: string) => {
    if (!open) return;
    open = false;
    try {
      writeSync(CHANNEL_FD, token);
      closeSync(CHANNEL_FD);
    } catch {
      // The parent is gone; nobody is waiting.
    }
  };
  channel = { ready: () => send('1'), fail: (message) => send('0' + message) };
  if (!cfg.daemonWait) channel.ready();
  return channel;
}
