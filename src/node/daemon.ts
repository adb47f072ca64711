/**
 * `chainsnap node` / `chainsnapd`: the daemon. Startup follows bitcoind's order (init.cpp): arguments and
 * config → data directory and its lock → logging → the RPC server in warm-up (so clients can wait for it)
 * → the engine → block sources → serving. Shutdown is the same for SIGINT, SIGTERM and the `stop` RPC: stop
 * taking work, stop sources and the background worker at a safe point, flush, close the databases, remove
 * the cookie and the lock, exit 0. A second signal forces the exit; every write the engine makes is an
 * atomic batch or a rename, so a forced exit is no worse than a crash, which the next start recovers from.
 */
import { ChainstateManager } from '../chain/chainstate-manager.js';
import { wipeChainstates } from './reindex.js';
import { RpcServer } from '../rpc/server.js';
import { allMethods } from './methods.js';
import { NodeContext } from './node-context.js';
import { logStartup, NodeConfigError, resolveNodeConfig, type NodeConfig } from './node-config.js';
import { prepareDataDir, removePidFile, writePidFile } from './datadir.js';
import { daemonChannel, daemonize, type DaemonChannel } from './daemonize.js';
import { helpText, versionText } from './help.js';
import { lockDataDirectories, type DirectoryLock } from './lock.js';
import { createNodeLogger, type NodeLogger } from './logging.js';
import { startSources, type RunningSources } from './source-runner.js';
import { StatusReporter } from './status.js';
import { startStatusPage, type WebServer } from '../web/status-page.js';
import type { PeerStatus } from '../web/snapshot.js';
import { startNetwork } from '../net/start.js';
import { HeadersFirstSync } from '../net/sync/headers-first-sync.js';
import type { Connman } from '../net/connman.js';
import { setCoinsWriteDefaults } from '../coins/coins-write-options.js';
import { attachNetwork } from '../rpc/net-control.js';
import { DEFAULT_SUBVERSION } from '../rpc/net.js';

/** How often the daemon looks for a fatal engine error (the engine reports it through `manager.fatal`). */
const FATAL_CHECK_MS = 200;
/** A shutdown that has not finished by then is forced (a stuck worker must not keep the process alive). */
const SHUTDOWN_TIMEOUT_MS = 60_000;

export async function runDaemon(argv: string[]): Promise<number> {
  let cfg: NodeConfig;
  try {
    cfg = resolveNodeConfig(argv);
  } catch (e) {
    if (!(e instanceof NodeConfigError)) throw e;
    process.stderr.write(`Error: ${e.message}\n`);
    return 1;
  }
  if (cfg.infoRequest) {
    process.stdout.write(cfg.infoRequest === 'version' ? versionText() : helpText(cfg.infoRequest === 'help-debug'));
    return 0;
  }
  // Core probes the lock before forking, so that a held lock is reported in the foreground.
  try {
    prepareDataDir(cfg);
    await lockDataDirectories(cfg, true);
  } catch (e) {
    process.stderr.write(`Error: ${(e as Error).message}\n`);
    return 1;
  }
  const parentStatus = await daemonize(cfg);
  if (parentStatus !== undefined) return parentStatus;
  const channel = daemonChannel(cfg);
  const fail = (e: unknown) => {
    const message = `Error: ${(e as Error).message}`;
    process.stderr.write(`${message}\n`);
    channel.fail(message);
    return 1;
  };

  let lock: DirectoryLock;
  let logger: NodeLogger;
  try {
    lock = await lockDataDirectories(cfg);
  } catch (e) {
    return fail(e);
  }
  const clock = { ctx: undefined as NodeContext | undefined };
  try {
    logger = createNodeLogger(cfg, { mockTime: () => clock.ctx?.mockTime ?? 0 });
  } catch (e) {
    await lock.release();
    return fail(e);
  }
  const node = new Daemon(cfg, logger, lock, channel);
  clock.ctx = node.ctx;
  return node.run();
}

class Daemon {
  readonly ctx: NodeContext;
  private server: RpcServer | undefined;
  private manager: ChainstateManager | undefined;
  private sources: RunningSources | undefined;
  private network: Connman | undefined;
  private status: StatusReporter | undefined;
  private web: WebServer | undefined;
  private fatalTimer: NodeJS.Timeout | undefined;
  /** Core's AbortNode: a fatal engine error (a snapshot that failed validation) ends the node with status 1. */
  private fatalMessage: string | undefined;
  private shuttingDown = false;
  private signals = 0;
  private resolveStop!: () => void;
  private readonly stopRequested = new Promise<void>((r) => (this.resolveStop = r));

  constructor(
    private readonly cfg: NodeConfig,
    private readonly logger: NodeLogger,
    private readonly lock: DirectoryLock,
    private readonly channel: DaemonChannel,
  ) {
    const methods = new Map(allMethods().map((m) => [m.name, m]));
    this.ctx = new NodeContext({
      params: cfg.params,
      networkDir: cfg.networkDir,
      log: logger.log,
      logPath: cfg.logFile ?? '',
      logging: logger.logging,
      methods,
      mockTime: cfg.mockTime,
      networkActive: cfg.networkActive,
      blockVersion: cfg.blockVersion,
      subversion: cfg.subversion,
      requestShutdown: () => this.beginShutdown(),
      activeCommands: () => this.server?.activeCommands() ?? [],
    });
  }

  private get log() {
    return this.logger.log;
  }

  /** Every way to stop goes through the context, so that waiting RPC calls return at once. */
  requestShutdown(): void {
    this.ctx.requestShutdown();
  }

  private beginShutdown(): void {
    if (this.shuttingDown) return;
    this.shuttingDown = true;
    this.log.info('Shutdown requested. Exiting.');
    this.resolveStop();
  }

  private readonly onSignal = (sig: NodeJS.Signals): void => {
    if (++this.signals > 1) {
      this.log.warn(`${sig} received again: exiting now, without a clean shutdown`);
      this.logger.flush();
      process.exit(1);
    }
    this.requestShutdown();
  };

  async run(): Promise<number> {
    const { cfg, log } = this;
    process.on('SIGINT', this.onSignal);
    process.on('SIGTERM', this.onSignal);
    let exitCode = 0;
    try {
      logStartup(cfg, log);
      log.info(`Using at most ${cfg.rpc.threads} RPC threads; dbcache ${(cfg.dbcacheBytes / (1 << 20)).toFixed(1)} MiB`);
      writePidFile(cfg.pidFile);
      if (cfg.rpc.server) {
        this.server = await RpcServer.start(
          {
            binds: cfg.rpc.binds,
            allowIps: cfg.rpc.allowIps,
            auth: { cookieFile: cfg.rpc.cookieFile ?? null, cookiePerms: cfg.rpc.cookiePerms, user: cfg.rpc.user, password: cfg.rpc.password, rpcauth: cfg.rpc.rpcauth },
            threads: cfg.rpc.threads,
            workQueue: cfg.rpc.workQueue,
            serverTimeoutSeconds: cfg.rpc.serverTimeout,
            whitelist: cfg.rpc.whitelist,
            log,
          },
          this.ctx.methods,
          this.ctx,
        );
        this.server.setWarmupStatus('Loading block index…');
      }
      if (cfg.reindexChainstate) wipeChainstates(cfg.networkDir, log);
      setCoinsWriteDefaults({
        ...(cfg.dbBatchSize !== undefined && { batchBytes: cfg.dbBatchSize }),
        ...(cfg.dbCrashRatio !== undefined && { crashRatio: cfg.dbCrashRatio }),
      });
      this.manager = await ChainstateManager.open({
        datadir: cfg.networkDir,
        params: cfg.params,
        dbcache: cfg.dbcacheBytes,
        log,
        background: cfg.background,
        blocksXor: cfg.args.getBoolArg('blocksxor') ?? true,
        scriptThreads: cfg.scriptThreads,
        assumeValid: cfg.assumeValid,
        now: () => this.ctx.now(),
      });
      this.ctx.attach(this.manager);
      const tip = this.manager.active.tip;
      log.info(`Loaded best chain: hashBestChain=${tip.key} height=${tip.height}`);
      if (!this.shuttingDown) {
        this.sources = await startSources(cfg, this.ctx);
        await this.startNetwork(this.manager);
        this.status = new StatusReporter(this.ctx, cfg.stopAtHeight, () => this.requestShutdown());
        this.web = await startStatusPage(cfg, { ctx: this.ctx, sources: () => this.sources?.status() ?? [], rpcStats: () => this.server?.methodStats() ?? {}, logProblems: () => this.logger.problems(), peers: () => this.peerStatus() });
        this.fatalTimer = setInterval(() => this.checkFatal(), FATAL_CHECK_MS);
        this.server?.setWarmupFinished();
        log.info('init message: Done loading');
        this.channel.ready();
      }
      await this.stopRequested;
    } catch (e) {
      exitCode = 1;
      const message = (e as Error).message;
      log.error(`Error: ${message}`);
      if (!(e instanceof Error) || e.name === 'Error' || e.name === 'TypeError') log.error({ err: e }, 'unexpected error');
      process.stderr.write(`Error: ${message}\n`);
      this.channel.fail(`Error: ${message}`);
    }
    if (!(await this.shutdown())) exitCode = 1;
    if (this.fatalMessage !== undefined) {
      // Core's AbortNode: InitError(_("A fatal internal error occurred, see debug.log for details: ") + message).
      process.stderr.write(`Error: A fatal internal error occurred, see debug.log for details: ${this.fatalMessage}\n`);
      exitCode = 1;
    }
    return exitCode;
  }

  /** Core's connman/peerman start (AppInitMain step 12): listening, outbound connections, serving peers. */
  /** The status page's view of the peers: never addresses' credentials, only what getpeerinfo shows. */
  private peerStatus(): PeerStatus[] {
    const net = this.network;
    if (!net) return [];
    return [...net.livePeers()].map((p) => ({
      id: p.id,
      address: p.address,
      inbound: p.inbound,
      subversion: p.userAgent,
      height: net.sync?.peerStats(p.id)?.syncedBlocks ?? p.startingHeight,
      bytesIn: p.bytesRecv,
      bytesOut: p.bytesSent,
      lastActivity: Math.floor(Math.max(p.lastRecv, p.lastSend) / 1000),
    }));
  }

  private async startNetwork(manager: ChainstateManager): Promise<void> {
    const { ctx } = this;
    const sink = { params: this.cfg.params, manager, exclusive: <T>(fn: () => Promise<T> | T) => ctx.exclusive(fn), log: this.log };
    this.network = await startNetwork(this.cfg.p2p, {
      sink,
      networkDir: this.cfg.networkDir,
      now: () => ctx.now(),
      mockTime: () => ctx.mockTime,
      userAgent: ctx.subversion ?? DEFAULT_SUBVERSION,
      createSync: (s) => new HeadersFirstSync(s),
    });
    attachNetwork(ctx, this.network);
  }

  private checkFatal(): void {
    const fatal = this.manager?.fatal;
    if (!fatal || this.fatalMessage !== undefined) return;
    this.fatalMessage = fatal.message;
    this.log.error(`Fatal error: ${fatal.message}`);
    this.requestShutdown();
  }

  /** Core's Shutdown(): in order, each step tolerating the failure of the one before. Returns false on errors. */
  private async shutdown(): Promise<boolean> {
    const { log } = this;
    const forced = setTimeout(() => {
      log.error('Shutdown did not finish in time: exiting without a clean shutdown');
      this.logger.flush();
      process.exit(1);
    }, SHUTDOWN_TIMEOUT_MS);
    forced.unref();
    let ok = true;
    const step = async (what: string, fn: () => Promise<void> | void) => {
      try {
        await fn();
      } catch (e) {
        ok = false;
        log.error({ err: e }, `Shutdown: ${what} failed`);
      }
    };
    log.info('Shutdown: In progress...');
    clearInterval(this.fatalTimer);
    this.status?.stop();
    await step('stopping the status page', () => this.web?.close());
    await step('stopping the RPC server', () => this.server?.close());
    await step('stopping the P2P layer', async () => {
      attachNetwork(this.ctx, undefined);
      await this.network?.stop();
    });
    await step('stopping block sources', () => this.sources?.stop());
    const m = this.manager;
    if (m) await step('closing the chainstate', () => this.ctx.exclusive(() => m.close()));
    this.ctx.attach(undefined);
    removePidFile(this.cfg.pidFile);
    log.info('Shutdown: done');
    await this.lock.release();
    await this.logger.close();
    process.off('SIGINT', this.onSignal);
    process.off('SIGTERM', this.onSignal);
    clearTimeout(forced);
    return ok;
  }
}
