/**
 * Who may see the status page. On loopback anyone on the machine may, as with the RPC's allow list; bound
 * anywhere else it asks for the RPC's own credentials (the cookie, -rpcuser/-rpcpassword or an -rpcauth
 * line), checked as the RPC server checks them.
 */
import { isIP } from 'node:net';
import { checkCredentials, COOKIE_USER, parseBasicAuth, parseRpcAuth, readAuthCookie, saltedEntry, type RpcAuthEntry } from '../rpc/auth.js';
import type { RpcConfig } from '../node/node-config-parts.js';

export function isLoopbackHost(host: string): boolean {
  if (host === 'localhost' || host === '::1') return true;
  return isIP(host) === 4 && host.startsWith('127.');
}

/**
 * The credentials the RPC server accepts, without writing a cookie: the RPC server wrote it already (the
 * page starts after it), so it is read back. Empty when the RPC has none (-server=0 or -norpccookiefile
 * without a password).
 */
export function rpcCredentials(rpc: RpcConfig): RpcAuthEntry[] {
  const entries: RpcAuthEntry[] = [];
  if (rpc.password) entries.push(saltedEntry(rpc.user ?? '', rpc.password));
  else if (rpc.server && rpc.cookieFile) {
    const line = readAuthCookie(rpc.cookieFile);
    const colon = line?.indexOf(':') ?? -1;
    if (line && colon > 0 && line.slice(0, colon) === COOKIE_USER) entries.push(saltedEntry(COOKIE_USER, line.slice(colon + 1)));
  }
  for (const line of rpc.rpcauth) entries.push(parseRpcAuth(line));
  return entries;
}

/** True when the request's Basic credentials match one entry. */
export function requestAuthorized(entries: readonly RpcAuthEntry[], authorization: string | undefined): boolean {
  const creds = parseBasicAuth(authorization ?? '');
  return creds !== undefined && checkCredentials(entries, creds.user, creds.password);
}
