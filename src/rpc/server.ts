/**
 * The JSON-RPC HTTP server, as Core's httpserver.cpp and httprpc.cpp run it: POST on "/" and "/wallet/…",
 * Basic auth, the allow list, a body limit, a work queue served by a fixed number of concurrent calls (503
 * when full), requests on one connection answered in order, idle and slow connections closed after
 * -rpcservertimeout, and a shutdown that finishes the calls in flight.
 */
import http from 'node:http';
import type { Socket } from 'node:net';
import type { Logger } from 'pino';
import { allowList, clientAllowed, type Subnet } from './access.js';
import { checkCredentials, deleteAuthCookie, parseBasicAuth, setupAuth, type AuthSetup, type RpcAuthConfig } from './auth.js';
import type { RpcContext } from './context.js';
import { RpcDispatcher, type HttpReply, type MethodStats } from './dispatch.js';
import type { RpcMethod } from './method.js';
import { newRequest, parseJson, replyObject, writeJson } from './request.js';
import { checkWhitelist, whitelistActive, type RpcWhitelist } from './whitelist.js';
import { RPC } from './errors.js';

/** Core's MAX_SIZE: the largest request body. */
export const MAX_BODY_SIZE = 0x02000000;
/** Core's MAX_HEADERS_SIZE (request line and headers). */
export const MAX_HEADERS_SIZE = 8192;
export const DEFAULT_RPC_THREADS = 16;
export const DEFAULT_RPC_WORKQUEUE = 64;
export const DEFAULT_RPC_SERVERTIMEOUT = 30;

export interface RpcServerOptions {
  binds: { host: string; port: number }[];
  /** -rpcallowip, beyond loopback (always allowed). */
  allowIps: string[];
  auth: RpcAuthConfig;
  /** -rpcwhitelist / -rpcwhitelistdefault; undefined: every authenticated user may call every method. */
  whitelist?: RpcWhitelist;
  /** -rpcthreads: calls executing at once. */
  threads: number;
  /** -rpcworkqueue: calls waiting beyond those; more get 503. */
  workQueue: number;
  /** -rpcservertimeout: an idle or stalled connection is closed after this long. */
  serverTimeoutSeconds: number;
  log: Logger;
  /** Open connections at most (default 1024); more are refused at accept. */
  maxConnections?: number;
  /** Pause before answering a wrong password (Core: 250 ms; it deters guessing). */
  authFailDelayMs?: number;
}

/** How long a refused body is still drained before its connection is closed. */
const LINGER_MS = 2000;
const TEXT = 'text/html; charset=ISO-8859-1'; // libevent's type for replies without one

export class RpcServer {
  private readonly servers: http.Server[] = [];
  private readonly bound: { host: string; port: number }[] = [];
  /** Per connection, the last request in line: requests on one connection are answered in order. */
  private readonly chains = new WeakMap<Socket, Promise<void>>();
  /** Connections with a fully received request being served (queued or running): idle timeouts spare them. */
  private readonly busy = new Map<Socket, number>();
  private readonly idleWaiters: (() => void)[] = [];
  private readonly sockets = new Set<Socket>();
  private closing = false;
  private closed?: Promise<void>;

  private constructor(
    private readonly opts: RpcServerOptions,
    readonly dispatcher: RpcDispatcher,
    private readonly allow: Subnet[],
    private readonly auth: AuthSetup,
    private readonly queue: WorkQueue,
  ) {}

  /** Starts listening; throws when the options are invalid or no address could be bound (Core fails init). */
  static async start(opts: RpcServerOptions, methods: ReadonlyMap<string, RpcMethod>, ctx: RpcContext): Promise<RpcServer> {
    const allow = allowList(opts.allowIps);
    const auth = setupAuth(opts.auth);
    if (auth.cookieFile) opts.log.info(`Generated RPC authentication cookie ${auth.cookieFile}`);
    const queue = new WorkQueue(Math.max(1, opts.threads), Math.max(1, opts.workQueue));
    const server = new RpcServer(opts, new RpcDispatcher(methods, ctx), allow, auth, queue);
    try {
      await server.listen();
    } catch (e) {
      if (auth.cookieFile) deleteAuthCookie(auth.cookieFile);
      throw e;
    }
    opts.log.info(`Starting HTTP server with ${Math.max(1, opts.threads)} worker threads`);
    return server;
  }

  private async listen(): Promise<void> {
    const timeoutMs = Math.max(1, this.opts.serverTimeoutSeconds) * 1000;
    for (const bind of this.opts.binds) {
      this.opts.log.info(`Binding RPC on address ${bind.host} port ${bind.port}`);
      const server = http.createServer({
        maxHeaderSize: MAX_HEADERS_SIZE,
        requireHostHeader: false,
        noDelay: true,
        keepAliveTimeout: timeoutMs,
        headersTimeout: timeoutMs,
        // The whole request must arrive within this, however slowly it trickles in.
        requestTimeout: timeoutMs * 10,
        connectionsCheckingInterval: Math.min(1000, timeoutMs / 2),
      });
      server.timeout = timeoutMs;
      server.maxConnections = this.opts.maxConnections ?? 1024;
      server.on('request', (req: http.IncomingMessage, res: http.ServerResponse) => this.onRequest(req, res));
      server.on('connection', (socket: Socket) => {
        this.sockets.add(socket);
        socket.on('close', () => this.sockets.delete(socket));
      });
      // Inactivity (libevent's read/write timeout): close unless a call is being served on it.
      server.on('timeout', (socket: Socket) => {
        if (!this.busy.has(socket)) socket.destroy();
      });
      // A malformed or oversized head gets libevent's 400; a timed-out one is closed without a word.
      server.on('clientError', (err: NodeJS.ErrnoException, socket: Socket) => {
        if (err.code === 'ERR_HTTP_REQUEST_TIMEOUT' || !socket.writable) return void socket.destroy();
        socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
      });
      try {
        await new Promise<void>((resolve, reject) => {
          server.once('error', reject);
          server.listen({ host: bind.host, port: bind.port, exclusive: true }, () => {
            server.off('error', reject);
            resolve();
          });
        });
        const a = server.address();
        this.bound.push({ host: bind.host, port: typeof a === 'object' && a ? a.port : bind.port });
        this.servers.push(server);
      } catch (e) {
        this.opts.log.warn(`Binding RPC on address ${bind.host} port ${bind.port} failed. (${(e as Error).message})`);
      }
    }
    if (this.servers.length === 0) throw new Error('Unable to bind any endpoint for RPC server');
  }

  /** The addresses actually listened on (ports resolved when 0 was asked). */
  addresses(): { host: string; port: number }[] {
    return [...this.bound];
  }

  setWarmupStatus(status: string): void {
    this.dispatcher.setWarmupStatus(status);
  }

  setWarmupFinished(): void {
    this.dispatcher.setWarmupFinished();
  }

  activeCommands(): { method: string; duration: number }[] {
    return this.dispatcher.activeCommands();
  }

  methodStats(): Record<string, MethodStats> {
    return this.dispatcher.methodStats();
  }

  private onRequest(req: http.IncomingMessage, res: http.ServerResponse): void {
    const socket = req.socket;
    if (!clientAllowed(this.allow, socket.remoteAddress)) {
      this.opts.log.debug(`HTTP request from ${socket.remoteAddress} rejected: Client network is not allowed RPC access`);
      return this.send(res, 403, '', true);
    }
    if (this.closing) return this.send(res, 503, '', true);
    if (!['GET', 'POST', 'HEAD', 'PUT'].includes(req.method ?? '')) return this.send(res, 405, '');
    const url = req.url ?? '';
    if (url !== '/' && !url.startsWith('/wallet/')) return this.send(res, 404, '');
    const length = Number(req.headers['content-length'] ?? 0);
    if (length > MAX_BODY_SIZE) return this.refuseBody(req, res);
    const body = readBody(req);
    const previous = this.chains.get(socket) ?? Promise.resolve();
    const next = previous.then(() => this.serve(req, res, body)).catch((e: unknown) => {
      this.opts.log.error({ err: e }, 'RPC request failed');
      if (!res.headersSent) this.send(res, 500, 'Unhandled request');
    });
    this.chains.set(socket, next);
  }

  private markBusy(socket: Socket, delta: 1 | -1): void {
    const n = (this.busy.get(socket) ?? 0) + delta;
    if (n > 0) this.busy.set(socket, n);
    else this.busy.delete(socket);
    if (this.busy.size === 0) for (const wake of this.idleWaiters.splice(0)) wake();
  }

  private async serve(req: http.IncomingMessage, res: http.ServerResponse, body: Promise<Buffer | 'too-large' | 'aborted'>): Promise<void> {
    const text = await body;
    if (text === 'aborted') return;
    if (text === 'too-large') return this.refuseBody(req, res);
    this.markBusy(req.socket, 1);
    try {
      await this.answer(req, res, text);
    } finally {
      this.markBusy(req.socket, -1);
    }
  }

  private async answer(req: http.IncomingMessage, res: http.ServerResponse, text: Buffer): Promise<void> {
    if (req.method !== 'POST') return this.send(res, 405, 'JSONRPC server handles only POST requests');
    const header = req.headers.authorization;
    if (header === undefined) return this.send(res, 401, '', false, true);
    const creds = parseBasicAuth(header);
    if (!creds || !checkCredentials(this.auth.entries, creds.user, creds.password)) {
      this.opts.log.warn(`ThreadRPCServer incorrect password attempt from ${req.socket.remoteAddress}:${req.socket.remotePort}`);
      await new Promise((r) => setTimeout(r, this.opts.authFailDelayMs ?? 250));
      return this.send(res, 401, '', false, true);
    }
    const body = text.toString('utf8');
    if (whitelistActive(this.opts.whitelist)) {
      const user = creds.user.toString('utf8');
      const verdict = checkWhitelist(this.opts.whitelist, user, parseJson(body));
      if ('invalidBatch' in verdict) {
        const error = { code: RPC.INVALID_REQUEST, message: 'Invalid Request object' };
        return this.send(res, 400, writeJson(replyObject(null, error, newRequest())) + '\n', false, false, 'application/json');
      }
      if (!verdict.allowed) {
        this.opts.log.info(verdict.method === undefined ? `RPC User ${user} not allowed to call any methods` : `RPC User ${user} not allowed to call method ${verdict.method}`);
        return this.send(res, 403, '');
      }
    }
    const reply = await this.queue.run(() => this.dispatcher.handleBody(body));
    if (reply === undefined) {
      this.opts.log.warn('WARNING: request rejected because http work queue depth exceeded, it can be increased with the -rpcworkqueue= setting');
      return this.send(res, 503, 'Work queue depth exceeded');
    }
    this.sendReply(res, reply);
  }

  /**
   * 413, then the rest of the body is read and dropped for a moment before the connection is closed, as
   * libevent's lingering close does: closing at once while the client still sends would reset the
   * connection and lose the reply.
   */
  private refuseBody(req: http.IncomingMessage, res: http.ServerResponse): void {
    req.removeAllListeners('data');
    req.resume();
    this.send(res, 413, '');
    setTimeout(() => req.socket.destroy(), LINGER_MS).unref();
  }

  private sendReply(res: http.ServerResponse, reply: HttpReply): void {
    if (reply.afterReply.length > 0) {
      res.once('close', () => {
        for (const hook of reply.afterReply) hook();
      });
    }
    if (reply.body === undefined) return this.send(res, reply.status, '');
    this.send(res, reply.status, reply.body, false, false, 'application/json');
  }

  private send(res: http.ServerResponse, status: number, body: string, close = false, authenticate = false, type = TEXT): void {
    if (res.headersSent || res.destroyed) return;
    const headers: http.OutgoingHttpHeaders = {};
    if (authenticate) headers['WWW-Authenticate'] = 'Basic realm="jsonrpc"';
    if (status !== 204) {
      headers['Content-Type'] = type;
      headers['Content-Length'] = Buffer.byteLength(body);
    }
    if (close || this.closing) headers.Connection = 'close';
    res.writeHead(status, headers);
    res.end(status === 204 ? undefined : body);
  }

  /**
   * Stops listening, refuses new requests (503), lets queued and running calls finish and their replies go
   * out, closes every connection, and removes the cookie (Core's StopHTTPServer and StopRPC).
   */
  close(): Promise<void> {
    this.closed ??= (async () => {
      this.closing = true;
      const stopped = this.servers.map((s) => new Promise<void>((resolve) => s.close(() => resolve())));
      for (const s of this.servers) s.closeIdleConnections();
      if (this.busy.size > 0) await new Promise<void>((resolve) => this.idleWaiters.push(resolve));
      for (const socket of this.sockets) socket.destroySoon();
      for (const s of this.servers) s.closeAllConnections();
      await Promise.all(stopped);
      if (this.auth.cookieFile) deleteAuthCookie(this.auth.cookieFile);
    })();
    return this.closed;
  }
}

/** The request body; 'too-large' past MAX_BODY_SIZE (the rest is dropped), 'aborted' when the client left. */
function readBody(req: http.IncomingMessage): Promise<Buffer | 'too-large' | 'aborted'> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_SIZE) {
        chunks.length = 0;
        resolve('too-large');
      } else chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('aborted', () => resolve('aborted'));
    req.on('error', () => resolve('aborted'));
  });
}

/**
 * Core's WorkQueue: `threads` calls run at once, up to `depth` more wait their turn, and the rest are
 * refused (run() resolves to undefined without calling fn).
 */
export class WorkQueue {
  private running = 0;
  private readonly waiting: (() => void)[] = [];

  constructor(
    private readonly threads: number,
    private readonly depth: number,
  ) {}

  async run<T>(fn: () => Promise<T>): Promise<T | undefined> {
    if (this.running >= this.threads) {
      if (this.waiting.length >= this.depth) return undefined;
      await new Promise<void>((resolve) => this.waiting.push(resolve));
    } else this.running++;
    try {
      return await fn();
    } finally {
      const next = this.waiting.shift();
      if (next) next();
      else this.running--;
    }
  }
}
