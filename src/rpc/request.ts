/**
 * JSON-RPC request objects and replies as Core's rpc/request.cpp reads and writes them: the 1.0 (legacy) and
 * 2.0 forms, ids that may be absent, Core's JSON depth limit, and JSON text with exact numbers (amounts).
 */
import { randomBytes } from 'node:crypto';
import { RPC, RpcError } from './errors.js';

export type JsonRpcVersion = 1 | 2;

/**
 * One request as Core's JSONRPCRequest holds it. Core parses every member of a batch into the same object,
 * so a member that fails early keeps the id and version of the one before; `parseRequestInto` does the same.
 */
export interface JsonRpcRequest {
  /** False when the request had no "id" member (Core's std::nullopt): the reply then carries no id. */
  hasId: boolean;
  id: unknown;
  version: JsonRpcVersion;
  method: string;
  params: unknown[] | Record<string, unknown>;
}

export function newRequest(): JsonRpcRequest {
  return { hasId: true, id: null, version: 1, method: '', params: [] };
}

/** Core's IsNotification: a 2.0 request without an id gets no reply. */
export function isNotification(req: JsonRpcRequest): boolean {
  return !req.hasId && req.version === 2;
}

export function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

const has = (o: object, k: string) => Object.prototype.hasOwnProperty.call(o, k);

/** Core's JSONRPCRequest::parse, with its error codes and messages, filling `req` in Core's order. */
export function parseRequestInto(req: JsonRpcRequest, value: unknown): void {
  if (!isPlainObject(value)) throw new RpcError(RPC.INVALID_REQUEST, 'Invalid Request object');
  req.hasId = has(value, 'id');
  req.id = req.hasId ? value.id : null;
  req.version = 1;
  const version = has(value, 'jsonrpc') ? value.jsonrpc : null;
  if (version !== null) {
    if (typeof version !== 'string') throw new RpcError(RPC.INVALID_REQUEST, 'jsonrpc field must be a string');
    // Some old documentation put {"jsonrpc": "1.0"} in requests; Core keeps accepting it.
    if (version === '2.0') req.version = 2;
    else if (version !== '1.0') throw new RpcError(RPC.INVALID_REQUEST, 'JSON-RPC version not supported');
  }
  const method = has(value, 'method') ? value.method : null;
  if (method === null) throw new RpcError(RPC.INVALID_REQUEST, 'Missing method');
  if (typeof method !== 'string') throw new RpcError(RPC.INVALID_REQUEST, 'Method must be a string');
  req.method = method;
  const params = has(value, 'params') ? value.params : null;
  if (Array.isArray(params) || isPlainObject(params)) req.params = params;
  else if (params === null) req.params = [];
  else throw new RpcError(RPC.INVALID_REQUEST, 'Params must be an array or object');
}

export interface JsonRpcErrorObject {
  code: number;
  message: string;
}

export function errorObject(e: unknown, fallbackCode: number = RPC.MISC_ERROR): JsonRpcErrorObject {
  if (e instanceof RpcError) return { code: e.code, message: e.message };
  return { code: fallbackCode, message: e instanceof Error ? e.message : String(e) };
}

/** Core's JSONRPCReplyObj: 1.0 carries both result and error (one null), 2.0 only the one that applies. */
export function replyObject(result: unknown, error: JsonRpcErrorObject | null, req: JsonRpcRequest): Record<string, unknown> {
  const reply: Record<string, unknown> = {};
  if (req.version === 2) reply.jsonrpc = '2.0';
  if (error === null) {
    reply.result = result === undefined ? null : result;
    if (req.version === 1) reply.error = null;
  } else {
    if (req.version === 1) reply.result = null;
    reply.error = error;
  }
  if (req.hasId) reply.id = req.id === undefined ? null : req.id;
  return reply;
}

/** Core's UniValue refuses JSON nested deeper than this (a parse error). */
export const MAX_JSON_DEPTH = 512;

/** JSON.parse with UniValue's depth limit; undefined when the text is not one JSON value. */
export function parseJson(text: string): unknown {
  if (!withinDepth(text)) return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

function withinDepth(text: string): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i++; // backslash: skip the escaped character
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x5b || c === 0x7b) {
      if (++depth > MAX_JSON_DEPTH) return false;
    } else if (c === 0x5d || c === 0x7d) depth--;
  }
  return true;
}

/**
 * A number whose JSON text must be Core's (UniValue's), not JavaScript's shortest form: amounts with eight
 * decimals ("0.00001000", ValueFromAmount) and doubles with 16 significant digits (setprecision(16)).
 * Clients that keep decimals (Python's Decimal, bitcoin-cli) see the difference. writeJson writes `text`;
 * plain JSON.stringify sees the number's value (toJSON), so nothing else ever meets a marker.
 */
export class JsonNumber {
  constructor(readonly text: string) {
    if (!NUMBER.test(text)) throw new Error(`not a JSON number: ${text}`);
  }
  toJSON(): number {
    return Number(this.text);
  }
  toString(): string {
    return this.text;
  }
}

const NUMBER = /^-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?$/;
// The marker carries a secret drawn per process, so no string a client sends can pass for a number.
const SECRET = randomBytes(8).toString('hex');
const MARK = '\u0000' + SECRET;
const ESCAPED_MARK = '\\u0000' + SECRET;
const MARKED = new RegExp(`"${ESCAPED_MARK.replace(/\\/g, '\\\\')}(-?[0-9.eE+-]+)${ESCAPED_MARK.replace(/\\/g, '\\\\')}"`, 'g');

/**
 * JSON text as Core's UniValue::write() makes it: compact (or indented by `space`, as bitcoin-cli prints),
 * with JsonNumber written as its text and bigint as a number. The one writer of RPC replies.
 */
export function writeJson(value: unknown, space?: number): string {
  const text = JSON.stringify(
    value,
    function (this: Record<string, unknown>, key: string, v: unknown) {
      // JSON.stringify has already applied toJSON to `v`; the holder still has the JsonNumber itself.
      const original = this[key];
      if (original instanceof JsonNumber) return MARK + original.text + MARK;
      return typeof v === 'bigint' ? MARK + v.toString() + MARK : v;
    },
    space,
  );
  if (text === undefined) return 'null';
  return text.includes(ESCAPED_MARK) ? text.replace(MARKED, '$1') : text;
}
