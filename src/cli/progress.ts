/**
 * A progress bar for long file passes: drawn on stderr only when it is a terminal, so pipes and logs
 * stay clean. Shows coins, MB/s, coins/s and the ETA by bytes (the only measure known in advance).
 */
import cliProgress from 'cli-progress';
import { onExit } from './errors.js';

export interface Progress {
  update(coins: number, bytes: number): void;
  stop(): void;
}

export function fileProgress(label: string, totalBytes: number, enabled = process.stderr.isTTY === true): Progress {
  if (!enabled) return { update() {}, stop() {} };
  const started = Date.now();
  const bar = new cliProgress.SingleBar(
    {
      stream: process.stderr,
      format: `${label} [{bar}] {percentage}% | {coins} coins | {mbps} MB/s | {cps} coins/s | ETA {eta_formatted}`,
      hideCursor: true,
      clearOnComplete: true,
      fps: 5,
    },
    cliProgress.Presets.shades_classic,
  );
  bar.start(totalBytes, 0, { coins: 0, mbps: '0.0', cps: 0 });
  // The bar hides the cursor: give the terminal back on every way out, Ctrl-C included.
  const restore = onExit(() => {
    bar.stop();
    process.stderr.write('\r\x1b[K\x1b[?25h');
  });
  return {
    update(coins, bytes) {
      const secs = Math.max((Date.now() - started) / 1000, 1e-3);
      bar.update(bytes, { coins: coins.toLocaleString('en-US'), mbps: (bytes / 1e6 / secs).toFixed(1), cps: Math.round(coins / secs).toLocaleString('en-US') });
    },
    stop() {
      restore();
    },
  };
}
