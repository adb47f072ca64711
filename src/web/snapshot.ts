/**
 * The status page's data: one snapshot of the node computed once per interval for every client, and a
 * bounded history of heights and speeds (the last hour) for the chart. Peers come from a provider that the
 * P2P layer fills in; until it exists the list is empty.
 */
import path from 'node:path';
import type { LogProblems } from '../node/logging.js';
import type { NodeContext } from '../node/node-context.js';
import type { SourceStatus } from '../node/sources/source.js';
import { summarizeChainstates, type ChainstateSummary } from '../node/status.js';
import type { MethodStats } from '../rpc/dispatch.js';
import { DiskUsage, type DiskUse } from './disk-usage.js';
import { RingBuffer } from './ring.js';

/** One connected peer, as the P2P layer will report it. */
export interface PeerStatus {
  id: number;
  /** host:port as seen (never credentials). */
  address: string;
  inbound: boolean;
  subversion?: string;
  /** The peer's best known height (-1 when unknown). */
  height: number;
  bytesIn: number;
  bytesOut: number;
  /** Unix milliseconds of the last message either way (0: none). */
  lastActivity: number;
}

/** What the collector reads; each provider is cheap and synchronous. */
export interface StatusProviders {
  ctx: NodeContext;
  sources(): SourceStatus[];
  peers(): PeerStatus[];
  rpcStats(): Record<string, MethodStats>;
  logProblems(): LogProblems;
}

export interface ChainstateView extends ChainstateSummary {
  /** Over the last few seconds. */
  blocksPerSecond: number;
  /** To the target at that speed; absent when it does not move. */
  etaSeconds?: number;
}

export interface OperationView {
  id: number;
  kind: string;
  /** The file's name only: enough to recognise it, without the layout of the operator's disks. */
  target: string;
  state: 'running' | 'done' | 'failed';
  done: number;
  total: number;
  unit: string;
  /** Units per second since it started. */
  rate: number;
  etaSeconds?: number;
  startedAt: number;
  finishedAt?: number;
  error?: string;
}

export interface StatusSnapshot {
  /** Unix milliseconds. */
  time: number;
  network: string;
  uptimeSeconds: number;
  headers: number;
  chainstates: ChainstateView[];
  /** Running operations and the last few finished ones. */
  operations: OperationView[];
  dbcacheBytes: number;
  disk: readonly DiskUse[];
  sources: SourceStatus[];
  peers: PeerStatus[];
  log: LogProblems;
}

/** A chart point: [unix ms, active height, background height or null, active blocks/s, background blocks/s or null]. */
export type HistoryPoint = [number, number, number | null, number, number | null];

export interface CollectorOptions {
  intervalMs?: number;
  /** How far back the chart goes. */
  historySeconds?: number;
  /** The window blocks/s is measured over. */
  rateWindowSeconds?: number;
}

/** Finished operations still shown. */
const SHOW_FINISHED = 3;

interface Sample {
  t: number;
  /** Heights by chart key; a snapshot activation starts a new epoch (no speed across the jump). */
  active: number;
  background: number | undefined;
  epoch: string;
}

export class StatusCollector {
  readonly intervalMs: number;
  private readonly history: RingBuffer<HistoryPoint>;
  private readonly samples: RingBuffer<Sample>;
  private readonly listeners = new Set<(s: StatusSnapshot, p: HistoryPoint) => void>();
  private readonly disk: DiskUsage;
  private timer: NodeJS.Timeout | undefined;
  private latest: StatusSnapshot | undefined;
  private lastError: string | undefined;

  constructor(
    private readonly providers: StatusProviders,
    opts: CollectorOptions = {},
  ) {
    this.intervalMs = opts.intervalMs ?? 1000;
    this.history = new RingBuffer(Math.ceil(((opts.historySeconds ?? 3600) * 1000) / this.intervalMs));
    this.samples = new RingBuffer(Math.max(2, Math.ceil(((opts.rateWindowSeconds ?? 10) * 1000) / this.intervalMs) + 1));
    this.disk = new DiskUsage(providers.ctx.networkDir);
  }

  /** Takes the first sample now (with a fresh disk measurement), then one per interval. */
  async start(): Promise<void> {
    await this.disk.refresh();
    this.tick();
    this.timer = setInterval(() => this.tick(), this.intervalMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    this.listeners.clear();
    await this.disk.idle();
  }

  /** The newest snapshot (computed at most once per interval, whatever the number of readers). */
  snapshot(): StatusSnapshot | undefined {
    return this.latest;
  }

  historyPoints(): HistoryPoint[] {
    return this.history.toArray();
  }

  subscribe(fn: (s: StatusSnapshot, p: HistoryPoint) => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  get listenerCount(): number {
    return this.listeners.size;
  }

  /** Samples the node now; also what the interval runs. Undefined while the engine is not attached. */
  tick(): StatusSnapshot | undefined {
    let snap: StatusSnapshot;
    try {
      snap = this.collect();
      this.lastError = undefined;
    } catch (e) {
      // Start-up or shutdown (no engine) is expected; anything else is said once, not every second.
      const message = (e as Error).message;
      if (engineAttached(this.providers.ctx) && message !== this.lastError) this.providers.ctx.log.warn(`status page: sampling failed: ${message}`);
      this.lastError = message;
      return undefined;
    }
    const [active, background] = [snap.chainstates.find((c) => c.active)!, snap.chainstates.find((c) => c.role === 'background')];
    const point: HistoryPoint = [snap.time, active.height, background?.height ?? null, active.blocksPerSecond, background ? background.blocksPerSecond : null];
    this.history.push(point);
    this.latest = snap;
    for (const fn of [...this.listeners]) fn(snap, point);
    return snap;
  }

  private collect(): StatusSnapshot {
    const { ctx } = this.providers;
    const m = ctx.manager;
    const now = Date.now();
    const summaries = summarizeChainstates(m);
    const active = summaries.find((c) => c.active)!;
    const background = summaries.find((c) => c.role === 'background');
    const sample: Sample = { t: now, active: active.height, background: background?.height, epoch: `${summaries.length}:${active.baseHeight ?? ''}` };
    const previous = this.samples.peek();
    if (previous && sample.epoch !== previous.epoch) this.disk.markStale();
    this.samples.push(sample);
    const chainstates = summaries.map((c): ChainstateView => {
      const rate = this.rate(c === background ? 'background' : 'active', sample);
      const view: ChainstateView = { ...c, blocksPerSecond: rate };
      if (rate > 0 && c.targetHeight > c.height) view.etaSeconds = (c.targetHeight - c.height) / rate;
      return view;
    });
    return {
      time: now,
      network: ctx.params.name,
      uptimeSeconds: Math.floor(now / 1000) - ctx.startTime,
      headers: m.storage.index.bestHeader.height,
      chainstates,
      operations: operationViews(ctx, now),
      dbcacheBytes: m.dbcache,
      disk: this.disk.current(),
      sources: this.providers.sources(),
      peers: this.providers.peers(),
      log: this.providers.logProblems(),
    };
  }

  /** Blocks per second over the window, within one epoch; a reorganisation down is not negative speed. */
  private rate(key: 'active' | 'background', now: Sample): number {
    let from: Sample | undefined;
    for (let back = 1; back < this.samples.length; back++) {
      const s = this.samples.peek(back)!;
      if (s.epoch !== now.epoch || s[key] === undefined) break;
      from = s;
    }
    const a = from?.[key];
    const b = now[key];
    if (!from || a === undefined || b === undefined || now.t <= from.t) return 0;
    return Math.max(0, ((b - a) * 1000) / (now.t - from.t));
  }
}

function engineAttached(ctx: NodeContext): boolean {
  try {
    return ctx.manager !== undefined;
  } catch {
    return false;
  }
}

function operationViews(ctx: NodeContext, now: number): OperationView[] {
  const all = ctx.operations.list();
  const finished = all.filter((o) => o.state !== 'running').slice(-SHOW_FINISHED);
  return all
    .filter((o) => o.state === 'running' || finished.includes(o))
    .map((o) => {
      const elapsed = ((o.finishedAt ?? now) - o.startedAt) / 1000;
      const rate = elapsed > 0 ? o.done / elapsed : 0;
      const view: OperationView = {
        id: o.id,
        kind: o.kind,
        target: path.basename(o.target),
        state: o.state,
        done: o.done,
        total: o.total,
        unit: o.unit,
        rate,
        startedAt: o.startedAt,
      };
      if (o.state === 'running' && rate > 0 && o.total > o.done) view.etaSeconds = (o.total - o.done) / rate;
      if (o.finishedAt !== undefined) view.finishedAt = o.finishedAt;
      if (o.error) view.error = o.error.message;
      return view;
    });
}
