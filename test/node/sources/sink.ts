/** A SourceSink over a real ChainstateManager, as the daemon provides it: one mutex, a silent logger. */
import { pino } from 'pino';
import type { ChainstateManager } from '../../../src/chain/chainstate-manager.js';
import type { SourceSink } from '../../../src/node/sources/source.js';

/** `lines`, when given, receives every log message (info and up). */
export function makeSink(manager: ChainstateManager, lines?: string[]): SourceSink {
  let queue: Promise<unknown> = Promise.resolve();
  return {
    params: manager.params,
    manager,
    log: lines ? pino({ level: 'info' }, { write: (s: string) => void lines.push(JSON.parse(s).msg) }) : pino({ level: process.env.TEST_LOG ?? 'silent' }),
    exclusive<T>(fn: () => Promise<T> | T): Promise<T> {
      const run = queue.then(() => fn());
      queue = run.catch(() => {});
      return run;
    },
  };
}

/** Polls `cond` until it holds (no fixed sleeps racing real work); fails after `timeoutMs`. */
export async function waitFor(cond: () => boolean, what: string, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
