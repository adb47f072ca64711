/**
 * Core's -rpcwhitelist and -rpcwhitelistdefault (httprpc.cpp): per-user sets of methods an authenticated
 * user may call, answered with HTTP 403 otherwise, checked before anything runs (every member of a batch).
 */
import { isPlainObject } from './request.js';

export interface RpcWhitelist {
  /** Users without a whitelist may call nothing (Core's g_rpc_whitelist_default). */
  readonly byDefault: boolean;
  readonly users: ReadonlyMap<string, ReadonlySet<string>>;
}

/**
 * Core's InitRPCAuthentication: each `user:m1,m2 m3` entry (split at commas and spaces, empty names kept);
 * a user named again keeps only the methods both entries allow. `byDefault` unset: on when any entry exists.
 */
export function parseRpcWhitelist(entries: readonly string[], byDefault?: boolean): RpcWhitelist {
  const users = new Map<string, Set<string>>();
  for (const entry of entries) {
    const colon = entry.indexOf(':');
    const user = colon < 0 ? entry : entry.slice(0, colon);
    const known = users.get(user);
    if (colon < 0) {
      if (!known) users.set(user, new Set());
      continue;
    }
    const methods = new Set(entry.slice(colon + 1).split(/[, ]/));
    users.set(user, known ? new Set([...methods].filter((m) => known.has(m))) : methods);
  }
  return { byDefault: byDefault ?? entries.length > 0, users };
}

export function whitelistActive(w: RpcWhitelist | undefined): w is RpcWhitelist {
  return w !== undefined && (w.byDefault || w.users.size > 0);
}

export type WhitelistVerdict = { allowed: true } | { allowed: false; method?: string } | { invalidBatch: true };

/**
 * What Core's HTTPReq_JSONRPC decides for `user` and the parsed body (undefined when it did not parse: the
 * dispatcher's parse error applies). A batch of a whitelisted user with a member that is not an object is
 * Core's "Invalid Request object" for the whole batch.
 */
export function checkWhitelist(w: RpcWhitelist, user: string, body: unknown): WhitelistVerdict {
  const methods = w.users.get(user);
  if (!methods) return w.byDefault ? { allowed: false } : { allowed: true };
  if (body === undefined) return { allowed: true };
  const members = Array.isArray(body) ? body : [body];
  for (const m of members) {
    if (!isPlainObject(m)) {
      if (Array.isArray(body)) return { invalidBatch: true };
      return { allowed: true };
    }
    const method = m.method;
    // A single request with a bad method gets the dispatcher's error, as Core's parse comes first there.
    if (typeof method !== 'string') {
      if (Array.isArray(body)) return { allowed: false };
      return { allowed: true };
    }
    if (!methods.has(method)) return { allowed: false, method };
  }
  return { allowed: true };
}
