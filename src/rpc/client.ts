/**
 * A client for bitcoind-compatible JSON-RPC servers (bitcoind itself, or our own node) over node:http with
 * keep-alive connections. Requests look as bitcoin-cli v30 sends them (`method`, `params`, `id`, and
 * `"jsonrpc": "2.0"`); replies are read in both styles (2.0: HTTP 200 with the error in the body; legacy
 * 1.0: HTTP 500 or 404 with the error in the body). Failures come in three kinds a caller can tell apart:
 * RpcError (the server answered with an error object), RpcConnectionError (nothing usable came back:
 * refused, reset, timed out: retry later or elsewhere), RpcHttpError (an HTTP-level refusal such as 401).
 */
import http from 'node:http';
import { readFileSync } from 'node:fs';
import { RpcError } from './errors.js';

export interface RpcClientOptions {
  /** http://user:pass@host:port[/path]; overrides host/port/user/password when given. */
  url?: string;
  host?: string;
  port: number;
  user?: string;
  password?: string;
  /** Core's `.cookie` (`__cookie__:hex`): read when no password is given, and again after a 401. */
  cookieFile?: string;
  /** Per request; 0 means none. Default 900 s, bitcoin-cli's -rpcclienttimeout. */
  timeoutMs?: number;
  /** Calls go to /wallet/<name>, as bitcoin-cli -rpcwallet. */
  wallet?: string;
}

/** No usable answer (refused, reset, timed out, unreachable): the server may be down or still starting. */
export class RpcConnectionError extends Error {
  override name = 'RpcConnectionError';
  constructor(
    message: string,
    /** The socket error code (ECONNREFUSED, ECONNRESET, …) or 'ETIMEDOUT' for our own timeout. */
    readonly code?: string,
  ) {
    super(message);
  }
}

/** The server answered at the HTTP level without a JSON-RPC reply (401, 403, 503, …). */
export class RpcHttpError extends Error {
  override name = 'RpcHttpError';
  constructor(
    readonly status: number,
    readonly body: string,
    message = `server returned HTTP error ${status}`,
  ) {
    super(message);
  }
}

export interface RpcCall {
  method: string;
  params?: unknown[] | Record<string, unknown>;
}

/** One answer of a batch, in the order of the calls. */
export type BatchResult = { result: unknown; error?: undefined } | { result?: undefined; error: RpcError };

export interface HttpReply {
  status: number;
  body: string;
}

/** Default request timeout: bitcoin-cli's DEFAULT_HTTP_CLIENT_TIMEOUT (900 s). */
export const DEFAULT_RPC_TIMEOUT_MS = 900_000;

export class RpcClient {
  readonly host: string;
  readonly port: number;
  private readonly path: string;
  private readonly agent = new http.Agent({ keepAlive: true, maxSockets: 16 });
  private readonly timeoutMs: number;
  private auth: string | undefined;
  private nextId = 1;

  constructor(private readonly opts: RpcClientOptions) {
    let user = opts.user;
    let password = opts.password;
    let host = opts.host ?? '127.0.0.1';
    let port = opts.port;
    let base = '/';
    if (opts.url) {
      const u = new URL(opts.url);
      if (u.protocol !== 'http:') throw new Error(`unsupported RPC URL scheme ${u.protocol} (only http:)`);
      host = u.hostname.replace(/^\[(.*)\]$/, '$1');
      if (u.port) port = Number(u.port);
      if (u.username) user = decodeURIComponent(u.username);
      if (u.password) password = decodeURIComponent(u.password);
      if (u.pathname && u.pathname !== '/') base = u.pathname;
    }
    this.host = host;
    this.port = port;
    this.path = opts.wallet !== undefined ? `/wallet/${encodeURIComponent(opts.wallet)}` : base;
    this.timeoutMs = opts.timeoutMs ?? DEFAULT_RPC_TIMEOUT_MS;
    if (password !== undefined && password !== '') this.auth = `${user ?? ''}:${password}`;
    else if (opts.cookieFile) this.auth = tryReadCookie(opts.cookieFile);
  }

  /** Where requests go, for messages: host:port. */
  get endpoint(): string {
    return this.host.includes(':') ? `[${this.host}]:${this.port}` : `${this.host}:${this.port}`;
  }

  /** Whether credentials were found (a password, or a readable cookie). */
  get hasCredentials(): boolean {
    return this.auth !== undefined;
  }

  async call<T = unknown>(method: string, params: unknown[] | Record<string, unknown> = []): Promise<T> {
    const id = this.nextId++;
    const reply = await this.post(JSON.stringify({ method, params, id, jsonrpc: '2.0' }));
    const obj = parseReply(reply);
    if (Array.isArray(obj) || typeof obj !== 'object' || obj === null) throw new RpcHttpError(reply.status, reply.body, 'expected reply to have result, error and id properties');
    const r = obj as { result?: unknown; error?: { code?: unknown; message?: unknown } | null };
    if (r.error !== undefined && r.error !== null) throw toRpcError(r.error);
    return r.result as T;
  }

  /** Several calls in one HTTP request; answers come back in the calls' order. */
  async batch(calls: RpcCall[]): Promise<BatchResult[]> {
    if (calls.length === 0) return [];
    const first = this.nextId;
    this.nextId += calls.length;
    const body = JSON.stringify(calls.map((c, i) => ({ method: c.method, params: c.params ?? [], id: first + i, jsonrpc: '2.0' })));
    const reply = await this.post(body);
    const arr = parseReply(reply);
    if (!Array.isArray(arr)) {
      const err = (arr as { error?: unknown })?.error;
      if (err) throw toRpcError(err);
      throw new RpcHttpError(reply.status, reply.body, 'expected a batch reply (an array)');
    }
    const byId = new Map<number, { result?: unknown; error?: unknown }>();
    for (const r of arr as { id?: unknown; result?: unknown; error?: unknown }[]) if (typeof r?.id === 'number') byId.set(r.id, r);
    return calls.map((c, i) => {
      const r = byId.get(first + i);
      if (!r) return { error: new RpcError(-32603, `no reply for ${c.method} in the batch`) };
      if (r.error !== undefined && r.error !== null) return { error: toRpcError(r.error) };
      return { result: r.result };
    });
  }

  /**
   * Sends one request body and returns the HTTP status and body as they came. A 401 with cookie auth re-reads
   * the cookie (the node writes a new one at each start) and tries once more.
   */
  async post(body: string): Promise<HttpReply> {
    const reply = await this.send(body);
    if (reply.status === 401 && this.opts.cookieFile && (this.opts.password ?? '') === '') {
      const fresh = tryReadCookie(this.opts.cookieFile);
      if (fresh !== undefined && fresh !== this.auth) {
        this.auth = fresh;
        return this.send(body);
      }
    }
    return reply;
  }

  /** Closes the idle keep-alive connections. */
  close(): void {
    this.agent.destroy();
  }

  private send(body: string, retried = false): Promise<HttpReply> {
    // A cookie that was missing at construction may exist now (the node started after us: -rpcwait).
    if (this.auth === undefined && this.opts.cookieFile) this.auth = tryReadCookie(this.opts.cookieFile);
    return new Promise<HttpReply>((resolve, reject) => {
      const headers: http.OutgoingHttpHeaders = { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) };
      if (this.auth !== undefined) headers.Authorization = `Basic ${Buffer.from(this.auth).toString('base64')}`;
      const req = http.request({ host: this.host, port: this.port, path: this.path, method: 'POST', agent: this.agent, headers }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
        res.on('error', (e) => reject(connectionError(e, this.endpoint)));
      });
      if (this.timeoutMs > 0) {
        req.setTimeout(this.timeoutMs, () => req.destroy(new RpcConnectionError(`timeout after ${this.timeoutMs} ms talking to ${this.endpoint}`, 'ETIMEDOUT')));
      }
      req.on('error', (e: NodeJS.ErrnoException) => {
        // A kept-alive socket the server closed meanwhile: Node's documented retry case.
        if (req.reusedSocket && e.code === 'ECONNRESET' && !retried) this.send(body, true).then(resolve, reject);
        else reject(e instanceof RpcConnectionError ? e : connectionError(e, this.endpoint));
      });
      req.end(body);
    });
  }
}

function connectionError(e: NodeJS.ErrnoException, endpoint: string): RpcConnectionError {
  return new RpcConnectionError(`cannot reach ${endpoint}: ${e.message}`, e.code);
}

/** The reply's JSON, or an RpcHttpError for answers that carry none. */
function parseReply(reply: HttpReply): unknown {
  checkReply(reply);
  try {
    return JSON.parse(reply.body);
  } catch {
    throw new RpcHttpError(reply.status, reply.body, "couldn't parse reply from server");
  }
}

/**
 * Throws RpcHttpError for an HTTP answer that cannot hold a JSON-RPC reply, with bitcoin-cli's messages and
 * in its order of checks: 400, 404 and 500 may carry one (JSON-RPC 1.0 errors), other 4xx/5xx never do.
 */
export function checkReply(reply: HttpReply): void {
  const { status, body } = reply;
  if (status === 401) throw new RpcHttpError(401, body, 'Authorization failed: Incorrect rpcuser or rpcpassword');
  if (status === 503) throw new RpcHttpError(503, body, `Server response: ${body}`);
  if (status >= 400 && status !== 400 && status !== 404 && status !== 500) throw new RpcHttpError(status, body);
  if (body === '') throw new RpcHttpError(status, body, 'no response from server');
}

export function toRpcError(e: unknown): RpcError {
  const o = (typeof e === 'object' && e !== null ? e : {}) as { code?: unknown; message?: unknown };
  const code = typeof o.code === 'number' ? o.code : -1;
  return new RpcError(code, typeof o.message === 'string' ? o.message : JSON.stringify(e));
}

/** `user:password` from a cookie file (one line, `__cookie__:hex`). */
export function readCookie(file: string): string {
  const text = readFileSync(file, 'utf8');
  const line = text.split(/\r?\n/)[0];
  if (!line.includes(':')) throw new Error(`${file} is not an RPC cookie (expected user:password)`);
  return line;
}

function tryReadCookie(file: string): string | undefined {
  try {
    return readCookie(file);
  } catch {
    return undefined;
  }
}
