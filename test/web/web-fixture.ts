/**
 * A status page on a real engine in this process: a regtest ChainstateManager on a scratch data directory,
 * the node's context and logger, and the page's server on a free port.
 */
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { ChainstateManager } from '../../src/chain/chainstate-manager.js';
import { getChainParams } from '../../src/consensus/params.js';
import { createNodeLogger, type NodeLogger } from '../../src/node/logging.js';
import { NodeContext } from '../../src/node/node-context.js';
import type { RpcAuthEntry } from '../../src/rpc/auth.js';
import { WebServer } from '../../src/web/server.js';
import { scratchDir } from '../helpers.js';

export interface WebNode {
  web: WebServer;
  ctx: NodeContext;
  manager: ChainstateManager;
  logger: NodeLogger;
  close(): Promise<void>;
}

export async function startWebNode(opts: { host?: string; credentials?: RpcAuthEntry[]; intervalMs?: number; historySeconds?: number } = {}): Promise<WebNode> {
  const networkDir = path.join(scratchDir('chainsnap-web-'), 'regtest');
  mkdirSync(networkDir, { recursive: true });
  const params = getChainParams('regtest');
  const logger = createNodeLogger({
    debug: [],
    logLevel: { global: 'debug', categories: {} },
    printToConsole: false,
    logFile: path.join(networkDir, 'debug.log'),
    logTimestamps: true,
    logTimeMicros: false,
    logLevelAlways: false,
    shrinkDebugFile: false,
  });
  const ctx = new NodeContext({
    params,
    networkDir,
    log: logger.log,
    logPath: path.join(networkDir, 'debug.log'),
    logging: logger.logging,
    methods: new Map(),
    mockTime: 0,
    networkActive: true,
    requestShutdown: () => {},
    activeCommands: () => [],
  });
  const manager = await ChainstateManager.open({ datadir: networkDir, params, dbcache: 16 << 20, log: logger.log, background: 'in-process' });
  ctx.attach(manager);
  const web = await WebServer.start({
    host: opts.host ?? '127.0.0.1',
    port: 0,
    providers: { ctx, sources: () => [], peers: () => [], rpcStats: () => ({}), logProblems: () => logger.problems() },
    credentials: opts.credentials,
    log: logger.log,
    intervalMs: opts.intervalMs,
    historySeconds: opts.historySeconds,
  });
  return {
    web,
    ctx,
    manager,
    logger,
    async close() {
      await web.close();
      await manager.close();
      await logger.close();
    },
  };
}

/** The URL of the page's server as a client on this machine reaches it. */
export function localUrl(web: WebServer, pathname = '/'): string {
  return `http://127.0.0.1:${web.address().port}${pathname}`;
}
