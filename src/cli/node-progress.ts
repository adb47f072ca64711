/**
 * Progress of a long node operation (snapshot load, dump, background validation), read by polling the
 * node's `getprogress` while the call that started it is still waiting for its reply. A bar on stderr when
 * it is a terminal; otherwise a plain line on stderr now and then, so stdout keeps only the result.
 */
import cliProgress from 'cli-progress';
import { setTimeout as sleep } from 'node:timers/promises';
import type { RpcClient } from '../rpc/client.js';
import { RpcError } from '../rpc/errors.js';

/** What getprogress reports of one operation (src/rpc/operations.ts). */
export interface OperationView {
  id: number;
  kind: string;
  target: string;
  done: number;
  total: number;
  unit: string;
  state: string;
  error?: { message: string };
}

export interface ProgressView {
  update(op: OperationView): void;
  stop(): void;
}

export function progressView(label: string, tty = process.stderr.isTTY === true, write = (s: string) => void process.stderr.write(s)): ProgressView {
  if (tty) {
    const bar = new cliProgress.SingleBar(
      { stream: process.stderr, format: `${label} [{bar}] {percentage}% | {value}/{total} {unit} | ETA {eta_formatted}`, hideCursor: true, clearOnComplete: true, fps: 5 },
      cliProgress.Presets.shades_classic,
    );
    let started = false;
    return {
      update(op) {
        if (!started) bar.start(Math.max(op.total, 1), op.done, { unit: op.unit });
        started = true;
        bar.setTotal(Math.max(op.total, 1));
        bar.update(op.done, { unit: op.unit });
      },
      stop: () => bar.stop(),
    };
  }
  let last = '';
  let lastAt = 0;
  return {
    update(op) {
      const pct = op.total > 0 ? ` (${((100 * op.done) / op.total).toFixed(1)}%)` : '';
      const line = `${label}: ${op.done.toLocaleString('en-US')} of ${op.total.toLocaleString('en-US')} ${op.unit}${pct}`;
      if (line === last || Date.now() - lastAt < 2000) return;
      last = line;
      lastAt = Date.now();
      write(`${line}\n`);
    },
    stop() {},
  };
}

/** Polls getprogress for the newest running operation of `kind` (on `target` when the node reports it). */
export function watchOperation(client: RpcClient, kind: string, target: string, view: ProgressView, everyMs = 500): { stop(): Promise<void> } {
  let running = true;
  const loop = (async () => {
    while (running) {
      try {
        const res = await client.call<{ operations?: OperationView[] }>('getprogress');
        const ops = (res?.operations ?? []).filter((o) => o.kind === kind && o.state === 'running');
        const op = ops.filter((o) => o.target === target).at(-1) ?? ops.at(-1);
        if (op) view.update(op);
      } catch (e) {
        // A node without getprogress: the call's own reply is all there is to wait for.
        if (e instanceof RpcError && e.code === -32601) return;
      }
      await sleep(everyMs);
    }
  })();
  return {
    async stop() {
      running = false;
      await loop;
      view.stop();
    },
  };
}
