/**
 * /metrics: the node's numbers in Prometheus' text format through prom-client, on a registry of this node's
 * own (several nodes in one process, as in the tests, never share one). Values are read from the live node
 * at each scrape, so a scrape agrees with getchainstates asked at the same moment.
 */
import { Counter, Gauge, Registry, Summary } from 'prom-client';
import { summarizeChainstates } from '../node/status.js';
import { verificationProgress } from '../rpc/util.js';
import type { StatusCollector, StatusProviders } from './snapshot.js';

const P = 'chainsnap_';

/** A summary whose sum and count come from elsewhere (the RPC dispatcher's per-method totals). */
class ExternalSummary extends Summary<'method'> {
  constructor(
    private readonly metricName: string,
    help: string,
    private readonly read: () => { labels: { method: string }; sum: number; count: number }[],
  ) {
    super({ name: metricName, help, labelNames: ['method'], registers: [], percentiles: [] });
  }

  override async get() {
    const base = await super.get();
    const values = this.read().flatMap((v) => [
      { metricName: `${this.metricName}_sum`, labels: v.labels, value: v.sum },
      { metricName: `${this.metricName}_count`, labels: v.labels, value: v.count },
    ]);
    return { ...base, values };
  }
}

export class NodeMetrics {
  readonly registry = new Registry();
  private readonly update: () => void;

  constructor(
    providers: StatusProviders,
    collector?: StatusCollector,
  ) {
    const registers = [this.registry];
    const gauge = <L extends string>(name: string, help: string, labelNames: L[] = []) => new Gauge<L>({ name: P + name, help, labelNames, registers });
    const counter = <L extends string>(name: string, help: string, labelNames: L[] = []) => new Counter<L>({ name: P + name, help, labelNames, registers });

    const headers = gauge('headers', 'Height of the best known header.');
    const chainstates = gauge('chainstates', 'Chainstates in use: 2 while a snapshot is validated in the background, else 1.');
    const height = gauge('chainstate_height', 'Tip height of each chainstate.', ['role']);
    const target = gauge('chainstate_target_height', 'Where each chainstate is heading: the snapshot base (background) or the best header.', ['role']);
    const validated = gauge('chainstate_validated', '1 when the chainstate is fully validated, 0 while its snapshot is assumed.', ['role']);
    const vprogress = gauge('chainstate_verification_progress', 'getchainstates\' verificationprogress of each chainstate (0..1).', ['role']);
    const txs = gauge('chainstate_transactions', 'Transactions from genesis through each chainstate\'s tip.', ['role']);
    const baseHeight = gauge('snapshot_base_height', 'Height of the loaded snapshot\'s base block (0 without a snapshot).');
    const bgProgress = gauge('background_validation_progress', 'Transactions validated in the background over those up to the snapshot base (0..1; 0 when none runs).');
    const bgBlocks = gauge('background_validation_blocks_per_second', 'Background validation speed since it started.');
    const bgInputs = gauge('background_validation_inputs_per_second', 'Inputs connected per second by background validation since it started.');
    const blocksConnected = counter('blocks_connected_total', 'Blocks connected by each chainstate since the node started.', ['chainstate']);
    const inputsConnected = counter('inputs_connected_total', 'Inputs (coinbase included) of the blocks each chainstate connected since the node started.', ['chainstate']);
    const dbcache = gauge('dbcache_bytes', 'The coins cache budget (-dbcache) shared by the chainstates.');
    const cacheBudget = gauge('coins_cache_budget_bytes', 'Each chainstate\'s share of -dbcache: cache="db" for LevelDB, cache="tip" for the in-memory coins cache.', ['role', 'cache']);
    const cacheUsage = gauge('coins_cache_usage_bytes', 'Bytes the active chainstate\'s in-memory coins cache holds.');
    const cacheEntries = gauge('coins_cache_entries', 'Coins in the active chainstate\'s in-memory cache.');
    const disk = gauge('disk_usage_bytes', 'Bytes on disk of blocks/ and each chainstate directory (measured every 10 s at most).', ['dir']);
    const opsRunning = gauge('operations_running', 'Long operations running (snapshot load, dump).', ['kind']);
    const opDone = gauge('operation_units_done', 'Coins or blocks done by the running operation.', ['kind', 'unit']);
    const opExpected = gauge('operation_units_expected', 'Coins or blocks the running operation will do in all (0 when unknown).', ['kind', 'unit']);
    const rpcRequests = counter('rpc_requests_total', 'RPC calls by method.', ['method']);
    const rpcErrors = counter('rpc_request_errors_total', 'RPC calls that ended in an error, by method.', ['method']);
    const rpcDuration = new ExternalSummary(P + 'rpc_request_duration_seconds', 'Time spent in RPC calls by method.', () =>
      Object.entries(providers.rpcStats()).map(([method, s]) => ({ labels: { method }, sum: s.totalMicros / 1e6, count: s.calls })),
    );
    this.registry.registerMetric(rpcDuration);
    const sourceHeight = gauge('block_source_height', 'Tip height each block source reports (-1 when unknown).', ['source']);
    const sourceBytes = counter('block_source_received_bytes_total', 'Bytes received from each block source.', ['source']);
    const sourceBlocks = counter('block_source_received_blocks_total', 'Blocks received from each block source.', ['source']);
    const peers = gauge('peers', 'Connected P2P peers.');
    const peerIn = counter('peer_received_bytes_total', 'Bytes received from each connected peer.', ['peer', 'address']);
    const peerOut = counter('peer_sent_bytes_total', 'Bytes sent to each connected peer.', ['peer', 'address']);
    const peerHeight = gauge('peer_height', 'Best height each connected peer announced (-1 when unknown).', ['peer', 'address']);
    const warnings = counter('log_warnings_total', 'Warnings written to the log since start.');
    const errors = counter('log_errors_total', 'Errors written to the log since start.');
    const rss = gauge('process_resident_memory_bytes', 'Resident memory of the node process.');
    const heap = gauge('process_heap_used_bytes', 'JavaScript heap in use by the node process.');

    const labelled: { reset(): void }[] = [height, target, validated, vprogress, txs, baseHeight, bgProgress, bgBlocks, bgInputs, cacheBudget, disk, opsRunning, opDone, opExpected, rpcRequests, rpcErrors, sourceHeight, sourceBytes, sourceBlocks, peerIn, peerOut, peerHeight, blocksConnected, inputsConnected, warnings, errors];

    this.update = () => {
      const { ctx } = providers;
      const m = ctx.manager;
      for (const metric of labelled) metric.reset();
      headers.set(m.storage.index.bestHeader.height);
      const list = summarizeChainstates(m);
      const infos = m.chainstates();
      chainstates.set(list.length);
      list.forEach((c, i) => {
        const role = { role: c.role };
        height.set(role, c.height);
        target.set(role, c.targetHeight);
        validated.set(role, c.validated ? 1 : 0);
        vprogress.set(role, verificationProgress(ctx, infos[i].tip));
        txs.set(role, infos[i].tip.chainTxCount);
        cacheBudget.set({ role: c.role, cache: 'db' }, c.coinsDbCacheBytes);
        cacheBudget.set({ role: c.role, cache: 'tip' }, c.coinsTipCacheBytes);
        if (c.active) {
          cacheUsage.set(c.coinsCacheUsage ?? 0);
          cacheEntries.set(c.coinsCacheEntries ?? 0);
        }
      });
      if (m.snapshotBase) baseHeight.set(m.snapshotBase.height);
      const bg = m.backgroundStatus();
      if (bg) {
        bgProgress.set(bg.progress);
        bgBlocks.set(bg.blocksPerSecond);
        bgInputs.set(bg.inputsPerSecond);
      }
      for (const [chainstate, t] of Object.entries(m.connectedTotals)) {
        blocksConnected.inc({ chainstate }, t.blocks);
        inputsConnected.inc({ chainstate }, t.inputs);
      }
      dbcache.set(m.dbcache);
      for (const d of collector?.snapshot()?.disk ?? []) disk.set({ dir: d.name }, d.bytes);
      for (const op of ctx.operations.running()) {
        opsRunning.inc({ kind: op.kind });
        opDone.set({ kind: op.kind, unit: op.unit }, op.done);
        opExpected.set({ kind: op.kind, unit: op.unit }, op.total);
      }
      for (const [method, s] of Object.entries(providers.rpcStats())) {
        rpcRequests.inc({ method }, s.calls);
        rpcErrors.inc({ method }, s.errors);
      }
      for (const s of providers.sources()) {
        sourceHeight.set({ source: s.name }, s.tipHeight);
        sourceBytes.inc({ source: s.name }, s.bytesReceived);
        sourceBlocks.inc({ source: s.name }, s.blocksReceived);
      }
      const peerList = providers.peers();
      peers.set(peerList.length);
      for (const p of peerList) {
        const l = { peer: String(p.id), address: p.address };
        peerIn.inc(l, p.bytesIn);
        peerOut.inc(l, p.bytesOut);
        peerHeight.set(l, p.height);
      }
      const log = providers.logProblems();
      warnings.inc(log.warnings);
      errors.inc(log.errors);
      const mem = process.memoryUsage();
      rss.set(mem.rss);
      heap.set(mem.heapUsed);
    };
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  /** The exposition text, read from the node now. */
  async text(): Promise<string> {
    this.update();
    return this.registry.metrics();
  }
}
