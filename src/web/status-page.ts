/**
 * The daemon's hook for the status page: nothing is loaded (prom-client included) unless -webport asks for
 * the page.
 */
import type { NodeConfig } from '../node/node-config.js';
import { isLoopbackHost, rpcCredentials } from './access.js';
import type { WebServer } from './server.js';
import type { PeerStatus, StatusProviders } from './snapshot.js';

export type { WebServer } from './server.js';
export type { PeerStatus } from './snapshot.js';

/** What the daemon passes: the node and how to read the parts the context does not hold. */
export interface StatusPageSources extends Omit<StatusProviders, 'peers'> {
  /** The P2P layer's peers; none until it exists. */
  peers?: () => PeerStatus[];
}

/** The daemon's hook: starts the page when -webport is set (undefined otherwise) and logs its URL. */
export async function startStatusPage(cfg: Pick<NodeConfig, 'web' | 'rpc'>, sources: StatusPageSources): Promise<WebServer | undefined> {
  if (!cfg.web) return undefined;
  const log = sources.ctx.log;
  const { WebServer } = await import('./server.js');
  const web = await WebServer.start({
    host: cfg.web.host,
    port: cfg.web.port,
    providers: { ...sources, peers: sources.peers ?? (() => []) },
    credentials: isLoopbackHost(cfg.web.host) ? undefined : rpcCredentials(cfg.rpc),
    log,
  });
  log.info(`Status page on ${web.url} (metrics: ${web.url}metrics)`);
  return web;
}
