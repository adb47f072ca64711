/** Starts the block sources the configuration names (-source-rpc, -source-blocks) and stops them together. */
import type { NodeConfig } from './node-config.js';
import type { NodeContext } from './node-context.js';

export interface RunningSources {
  stop(): Promise<void>;
}

export async function startSources(cfg: NodeConfig, ctx: NodeContext): Promise<RunningSources> {
  if (cfg.sources.rpc.length > 0 || cfg.sources.blocks) ctx.log.warn('block sources are not wired in yet');
  return { stop: async () => undefined };
}
