/**
 * The status page's HTTP server (-webport): the page and its two assets, the live stream (/events, Server-
 * Sent Events), the current snapshot as JSON (/status.json) and Prometheus' /metrics. Everything is read-only
 * (GET and HEAD only) and nothing it serves is a secret; off loopback every request needs the RPC credentials.
 */
import http from 'node:http';
import type { Socket } from 'node:net';
import type { Logger } from 'pino';
import type { RpcAuthEntry } from '../rpc/auth.js';
import { isLoopbackHost, requestAuthorized } from './access.js';
import { APP_JS } from './assets/app-script.js';
import { CHART_JS } from './assets/chart-script.js';
import { PAGE_HTML, STYLE_CSS } from './assets/page.js';
import { NodeMetrics } from './metrics.js';
import { StatusCollector, type CollectorOptions, type StatusProviders } from './snapshot.js';
import { SseHub } from './sse.js';

export interface WebServerOptions extends CollectorOptions {
  host: string;
  /** 0: any free port (tests). */
  port: number;
  providers: StatusProviders;
  /** Required off loopback: the accepted credentials (rpcCredentials). */
  credentials?: readonly RpcAuthEntry[];
  log: Logger;
}

const SECURITY_HEADERS = {
  'content-security-policy': "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; frame-ancestors 'none'; base-uri 'none'; form-action 'none'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
};

const STATIC: Record<string, { type: string; body: string }> = {
  '/': { type: 'text/html; charset=utf-8', body: PAGE_HTML },
  '/style.css': { type: 'text/css; charset=utf-8', body: STYLE_CSS },
  '/chart.js': { type: 'text/javascript; charset=utf-8', body: CHART_JS },
  '/app.js': { type: 'text/javascript; charset=utf-8', body: APP_JS },
};

export class WebServer {
  readonly collector: StatusCollector;
  readonly hub: SseHub;
  readonly metrics: NodeMetrics;
  private readonly server: http.Server;
  private readonly sockets = new Set<Socket>();
  private bound = { host: '', port: 0 };

  private constructor(private readonly opts: WebServerOptions) {
    this.collector = new StatusCollector(opts.providers, opts);
    this.hub = new SseHub(this.collector);
    this.metrics = new NodeMetrics(opts.providers, this.collector);
    this.server = http.createServer({ requireHostHeader: false }, (req, res) => this.onRequest(req, res));
    // The stream's clients are capped by the hub; this caps everything else a browser or scraper may open.
    this.server.maxConnections = 256;
    this.server.on('connection', (s: Socket) => {
      this.sockets.add(s);
      s.once('close', () => this.sockets.delete(s));
    });
  }

  /** Listens and starts sampling; throws when the address cannot be bound or credentials are missing. */
  static async start(opts: WebServerOptions): Promise<WebServer> {
    if (!isLoopbackHost(opts.host) && !(opts.credentials && opts.credentials.length > 0)) {
      throw new Error(`-webbind=${opts.host} is not loopback: the status page needs RPC credentials (a cookie, -rpcpassword or -rpcauth)`);
    }
    const web = new WebServer(opts);
    await new Promise<void>((resolve, reject) => {
      web.server.once('error', reject);
      web.server.listen({ host: opts.host, port: opts.port, exclusive: true }, () => {
        web.server.off('error', reject);
        resolve();
      });
    });
    const a = web.server.address();
    web.bound = { host: opts.host, port: typeof a === 'object' && a ? a.port : opts.port };
    // The blocks counter sees every sample, not only the scrapes.
    await web.collector.start();
    return web;
  }

  get url(): string {
    const host = this.bound.host.includes(':') ? `[${this.bound.host}]` : this.bound.host;
    return `http://${host}:${this.bound.port}/`;
  }

  address(): { host: string; port: number } {
    return { ...this.bound };
  }

  private get open(): boolean {
    return isLoopbackHost(this.opts.host);
  }

  private onRequest(req: http.IncomingMessage, res: http.ServerResponse): void {
    if (!this.open && !requestAuthorized(this.opts.credentials ?? [], req.headers.authorization)) {
      res.writeHead(401, { 'www-authenticate': 'Basic realm="chainsnap"', 'content-type': 'text/plain' }).end('authorization required\n');
      return;
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD' }).end();
      return;
    }
    const url = new URL(req.url ?? '/', 'http://status.invalid');
    const file = STATIC[url.pathname];
    if (file) return this.send(res, 200, file.type, file.body, req.method === 'HEAD');
    if (url.pathname === '/events') {
      if (req.method === 'HEAD') return void res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8' }).end();
      return this.hub.open(req, res);
    }
    if (url.pathname === '/status.json') {
      const body = JSON.stringify({ snapshot: this.collector.snapshot() ?? null, history: url.searchParams.has('history') ? this.collector.historyPoints() : undefined });
      return this.send(res, 200, 'application/json', body, req.method === 'HEAD');
    }
    if (url.pathname === '/metrics') {
      this.metrics.text().then(
        (text) => this.send(res, 200, this.metrics.contentType, text, req.method === 'HEAD'),
        (e: unknown) => {
          this.opts.log.warn(`status page: /metrics failed: ${(e as Error).message}`);
          this.send(res, 503, 'text/plain', 'metrics unavailable\n', false);
        },
      );
      return;
    }
    this.send(res, 404, 'text/plain', 'not found\n', false);
  }

  private send(res: http.ServerResponse, status: number, type: string, body: string, head: boolean): void {
    res.writeHead(status, { ...SECURITY_HEADERS, 'content-type': type, 'cache-control': 'no-store', 'content-length': Buffer.byteLength(body) });
    res.end(head ? undefined : body);
  }

  async close(): Promise<void> {
    this.hub.close();
    await this.collector.stop();
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    for (const s of this.sockets) s.destroy();
    await closed;
  }
}
