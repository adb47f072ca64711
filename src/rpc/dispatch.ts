/**
 * Running calls as Core's CRPCTable::execute and HTTPReq_JSONRPC do once a request is authorised: the warmup
 * refusal, method lookup, named arguments, argument checks, errors turned into Core's codes, single requests
 * and batches with Core's HTTP status for each JSON-RPC version. Also what the node reports about calls:
 * the commands running now (getrpcinfo) and a count and latency per method.
 */
import type { RpcContext } from './context.js';
import { RPC, RpcError } from './errors.js';
import type { RpcMethod } from './method.js';
import { checkArgs, namedToPositional } from './params.js';
import {
  errorObject,
  isNotification,
  isPlainObject,
  newRequest,
  parseJson,
  parseRequestInto,
  replyObject,
  writeJson,
  type JsonRpcRequest,
} from './request.js';

/** What the HTTP layer sends back for one request body. */
export interface HttpReply {
  status: number;
  /** Undefined for 204 (notifications). */
  body?: string;
  /** Hooks of methods that asked to run once the reply is out (stop). */
  afterReply: (() => void)[];
}

export interface MethodStats {
  calls: number;
  errors: number;
  totalMicros: number;
  maxMicros: number;
}

interface ActiveCommand {
  method: string;
  start: bigint;
}

const HTTP_OK = 200;
const HTTP_NO_CONTENT = 204;
const HTTP_BAD_REQUEST = 400;
const HTTP_NOT_FOUND = 404;
const HTTP_INTERNAL_SERVER_ERROR = 500;

export class RpcDispatcher {
  private warmup = true;
  private warmupStatus = 'RPC server started';
  private readonly active = new Set<ActiveCommand>();
  private readonly stats = new Map<string, MethodStats>();

  constructor(
    readonly methods: ReadonlyMap<string, RpcMethod>,
    readonly ctx: RpcContext,
  ) {}

  /** Core's SetRPCWarmupStatus: the message calls get while the node starts ("Loading block index…"). */
  setWarmupStatus(status: string): void {
    this.warmupStatus = status;
  }

  setWarmupFinished(): void {
    this.warmup = false;
  }

  inWarmup(): boolean {
    return this.warmup;
  }

  /** Core's getrpcinfo active_commands: duration in microseconds. */
  activeCommands(): { method: string; duration: number }[] {
    const now = process.hrtime.bigint();
    return [...this.active].map((c) => ({ method: c.method, duration: Number((now - c.start) / 1000n) }));
  }

  methodStats(): Record<string, MethodStats> {
    return Object.fromEntries([...this.stats].map(([k, v]) => [k, { ...v }]));
  }

  /** Core's CRPCTable::execute and ExecuteCommand: the result, or an RpcError with Core's code. */
  async execute(method: string, params: unknown[] | Record<string, unknown>, afterReply?: (() => void)[]): Promise<unknown> {
    if (this.warmup) throw new RpcError(RPC.IN_WARMUP, this.warmupStatus);
    const m = this.methods.get(method);
    if (!m) throw new RpcError(RPC.METHOD_NOT_FOUND, 'Method not found');
    const entry: ActiveCommand = { method, start: process.hrtime.bigint() };
    this.active.add(entry);
    let failed = true;
    try {
      const positional = isPlainObject(params) ? namedToPositional(m, params) : params;
      checkArgs(m, positional);
      const result = await m.handler(positional, this.ctx);
      failed = false;
      if (m.afterReply && afterReply) afterReply.push(() => m.afterReply!(this.ctx));
      return result === undefined ? null : result;
    } catch (e) {
      if (e instanceof RpcError) throw e;
      throw new RpcError(RPC.MISC_ERROR, e instanceof Error ? e.message : String(e));
    } finally {
      this.active.delete(entry);
      this.count(method, entry.start, failed);
    }
  }

  private count(method: string, start: bigint, failed: boolean): void {
    const micros = Number((process.hrtime.bigint() - start) / 1000n);
    let s = this.stats.get(method);
    if (!s) this.stats.set(method, (s = { calls: 0, errors: 0, totalMicros: 0, maxMicros: 0 }));
    s.calls++;
    if (failed) s.errors++;
    s.totalMicros += micros;
    if (micros > s.maxMicros) s.maxMicros = micros;
  }

  /** Core's JSONRPCExec: a reply object, errors included when `catchErrors` (2.0 and batches). */
  private async exec(req: JsonRpcRequest, catchErrors: boolean, afterReply: (() => void)[]): Promise<Record<string, unknown>> {
    if (!catchErrors) return replyObject(await this.execute(req.method, req.params, afterReply), null, req);
    try {
      return replyObject(await this.execute(req.method, req.params, afterReply), null, req);
    } catch (e) {
      return replyObject(null, errorObject(e), req);
    }
  }

  /** The body of an authorised POST, as Core's HTTPReq_JSONRPC answers it. */
  async handleBody(text: string): Promise<HttpReply> {
    const afterReply: (() => void)[] = [];
    const req = newRequest();
    try {
      const value = parseJson(text);
      if (value === undefined) throw new RpcError(RPC.PARSE_ERROR, 'Parse error');
      if (isPlainObject(value)) {
        parseRequestInto(req, value);
        // Legacy 1.0 turns a failed call into an HTTP error; 2.0 answers 200 with the error in the body.
        const reply = await this.exec(req, req.version === 2, afterReply);
        if (isNotification(req)) return { status: HTTP_NO_CONTENT, afterReply };
        return { status: HTTP_OK, body: writeJson(reply) + '\n', afterReply };
      }
      if (Array.isArray(value)) {
        const replies: unknown[] = [];
        for (const member of value) {
          let reply: Record<string, unknown>;
          try {
            parseRequestInto(req, member);
            reply = await this.exec(req, true, afterReply);
          } catch (e) {
            reply = replyObject(null, errorObject(e, RPC.PARSE_ERROR), req);
          }
          if (!isNotification(req)) replies.push(reply);
        }
        // An empty batch gets [] rather than nothing: old clients without version numbers rely on it.
        if (replies.length === 0 && value.length > 0) return { status: HTTP_NO_CONTENT, afterReply };
        return { status: HTTP_OK, body: writeJson(replies) + '\n', afterReply };
      }
      throw new RpcError(RPC.PARSE_ERROR, 'Top-level object parse error');
    } catch (e) {
      const error = errorObject(e, RPC.PARSE_ERROR);
      const status =
        error.code === RPC.INVALID_REQUEST ? HTTP_BAD_REQUEST : error.code === RPC.METHOD_NOT_FOUND ? HTTP_NOT_FOUND : HTTP_INTERNAL_SERVER_ERROR;
      return { status, body: writeJson(replyObject(null, error, req)) + '\n', afterReply };
    }
  }
}
