/**
 * The node's state in short, for people: the heartbeat in the log (Core's `UpdateTip` line when the active tip
 * moved, plus what Core lacks, both chainstates' heights, blocks/s and the time left, every few seconds while
 * anything moves; it also ends the node at -stopatheight), and the per-chainstate summary the status page and
 * /metrics show.
 */
import type { ChainstateManager } from '../chain/chainstate-manager.js';
import type { NodeContext } from './node-context.js';

const STATUS_INTERVAL_MS = 5_000;
/** -stopatheight is checked this often (Core checks after each block; a second of lag is harmless). */
const STOP_CHECK_MS = 250;

export class StatusReporter {
  private readonly timers: NodeJS.Timeout[];
  private lastHeight: number;
  private lastTime = Date.now();

  constructor(
    private readonly ctx: NodeContext,
    stopAtHeight: number,
    requestShutdown: () => void,
  ) {
    this.lastHeight = ctx.manager.active.tip.height;
    this.timers = [setInterval(() => this.report(), STATUS_INTERVAL_MS)];
    if (stopAtHeight > 0) {
      this.timers.push(
        setInterval(() => {
          if (ctx.manager.active.tip.height >= stopAtHeight) requestShutdown();
        }, STOP_CHECK_MS),
      );
    }
  }

  private report(): void {
    const m = this.ctx.manager;
    const tip = m.active.tip;
    const bg = m.backgroundStatus();
    if (tip.height === this.lastHeight && !bg) return;
    const now = Date.now();
    // A reorganisation down (invalidateblock) is not negative speed.
    const rate = (Math.max(0, tip.height - this.lastHeight) * 1000) / Math.max(1, now - this.lastTime);
    this.lastHeight = tip.height;
    this.lastTime = now;
    const best = m.storage.index.bestHeader;
    const date = new Date(tip.header.time * 1000).toISOString().replace('.000Z', 'Z');
    const cacheMiB = (m.active.cache.memoryUsage / (1 << 20)).toFixed(1);
    this.ctx.log.info(
      `UpdateTip: new best=${tip.key} height=${tip.height} version=0x${(tip.header.version >>> 0).toString(16).padStart(8, '0')} ` +
        `log2_work=${Math.log2(Number(tip.chainWork)).toFixed(6)} tx=${tip.chainTxCount} date='${date}' ` +
        `cache=${cacheMiB}MiB(${m.active.cache.size}txo)`,
    );
    const eta = (blocks: number, perSecond: number) => (perSecond > 0 ? `${formatDuration(blocks / perSecond)}` : 'unknown');
    let line = `[status] ${m.background ? 'snapshot' : 'active'} chainstate ${tip.height}/${best.height} (${rate.toFixed(1)} blocks/s, ETA ${eta(best.height - tip.height, rate)})`;
    if (bg) {
      line += `; background ${bg.height}/${bg.baseHeight} (${(bg.progress * 100).toFixed(1)}%, ${bg.blocksPerSecond.toFixed(1)} blocks/s, ETA ${bg.etaSeconds === undefined ? 'unknown' : formatDuration(bg.etaSeconds)})`;
    }
    this.ctx.log.info(line);
  }

  stop(): void {
    for (const t of this.timers) clearInterval(t);
  }
}

export function formatDuration(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  return `${h}:${String(m).padStart(2, '0')}:${String(s % 60).padStart(2, '0')}`;
}

/** One chainstate as the status page shows it. `target` is where it is heading: the snapshot base for the
 * background chainstate, the best header for the active one. */
export interface ChainstateSummary {
  role: 'normal' | 'snapshot' | 'background';
  /** The one that follows the network tip (the last of getchainstates). */
  active: boolean;
  height: number;
  hash: string;
  /** Block time of the tip, Unix seconds. */
  time: number;
  /** The snapshot base height (the snapshot chainstate's own base, or the background one's goal). */
  baseHeight?: number;
  targetHeight: number;
  /** height / targetHeight, 0..1. */
  progress: number;
  validated: boolean;
  /** Budgets of the LevelDB cache and the in-memory coins cache (getchainstates' coins_*_cache_bytes). */
  coinsDbCacheBytes: number;
  coinsTipCacheBytes: number;
  /** Bytes the coins cache holds now, where this thread can see it (not inside the background worker). */
  coinsCacheUsage?: number;
  coinsCacheEntries?: number;
}

/** The chainstates in getchainstates' order (background first, active last). */
export function summarizeChainstates(m: ChainstateManager): ChainstateSummary[] {
  const best = m.storage.index.bestHeader.height;
  const list = m.chainstates();
  return list.map((c, i) => {
    const active = i === list.length - 1;
    const base = c.role === 'background' ? m.snapshotBase : c.snapshotBase;
    const targetHeight = c.role === 'background' && base ? base.height : Math.max(best, c.tip.height);
    const out: ChainstateSummary = {
      role: c.role,
      active,
      height: c.tip.height,
      hash: c.tip.key,
      time: c.tip.header.time,
      targetHeight,
      progress: targetHeight > 0 ? Math.min(1, c.tip.height / targetHeight) : 1,
      validated: c.validated,
      coinsDbCacheBytes: c.coinsDbCacheBytes,
      coinsTipCacheBytes: c.coinsTipCacheBytes,
    };
    if (base) out.baseHeight = base.height;
    if (active) {
      out.coinsCacheUsage = m.active.cache.memoryUsage;
      out.coinsCacheEntries = m.active.cache.size;
    }
    return out;
  });
}
