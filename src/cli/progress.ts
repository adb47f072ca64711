/**
 * A progress bar for long file passes: drawn on stderr only when it is a terminal, so pipes and logs
 * stay clean. Shows coins, MB/s, coins/s and the ETA by bytes (the only measure known in advance).
 */
import cliProgress from 'cli-progress';

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
      // Nothing that would outlive a Ctrl-C: a hidden cursor or disabled line wrapping would stay so, since
      // the reader's pass does not yield to the event loop and no signal handler could run to restore them.
      hideCursor: false,
      linewrap: true, // trims the line to the terminal's width instead of turning wrapping off
      clearOnComplete: true,
      fps: 5,
    },
    cliProgress.Presets.shades_classic,
  );
  bar.start(totalBytes, 0, { coins: 0, mbps: '0.0', cps: 0 });
  // Any other way out (process.exit, an uncaught error) still ends the bar's line.
  const restore = () => {
    process.off('exit', restore);
    bar.stop();
  };
  process.on('exit', restore);
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
