/**
 * The block sources the configuration names (-source-rpc, -source-blocks), started together once the engine
 * is open and stopped together at shutdown. Their status feeds getprogress and the status page.
 */
import { BlkDirSource } from './sources/blk-dir-source.js';
import { RpcBlockSource } from './sources/rpc-source.js';
import type { BlockSourceRunner, SourceStatus } from './sources/source.js';
import type { NodeConfig } from './node-config.js';
import type { NodeContext } from './node-context.js';

export interface RunningSources {
  status(): SourceStatus[];
  stop(): Promise<void>;
}

export async function startSources(cfg: Pick<NodeConfig, 'sources'>, ctx: NodeContext): Promise<RunningSources> {
  const sink = { params: ctx.params, manager: ctx.manager, exclusive: ctx.exclusive.bind(ctx), log: ctx.log };
  const runners: BlockSourceRunner[] = [];
  if (cfg.sources.rpc.length > 0) runners.push(new RpcBlockSource(sink, cfg.sources.rpc));
  if (cfg.sources.blocks) runners.push(new BlkDirSource(sink, cfg.sources.blocks));
  for (const r of runners) {
    await r.start();
    ctx.log.info(`block source ${r.name} started${r.status().url ? ` (${r.status().url})` : ''}`);
  }
  return {
    status: () => runners.map((r) => r.status()),
    stop: async () => {
      await Promise.all(runners.map((r) => r.stop()));
    },
  };
}
