/**
 * RPC authentication as Core's httprpc.cpp and rpc/request.cpp do it: the cookie file (`__cookie__:<64 hex>`,
 * written to a temporary name and renamed, removed at shutdown), -rpcuser/-rpcpassword, and salted
 * `-rpcauth=user:salt$hmac` lines (HMAC-SHA256 keyed by the salt text over the password). Every credential is
 * kept in the rpcauth form and checked in constant time.
 */
import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { chmodSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';

export const COOKIE_USER = '__cookie__';
export const COOKIE_FILE = '.cookie';

export type CookiePerms = 'owner' | 'group' | 'all';

/** Core's InterpretPermString. */
export const COOKIE_PERMS: Record<CookiePerms, number> = { owner: 0o600, group: 0o640, all: 0o644 };

export interface RpcAuthConfig {
  /** Absolute path of the cookie file, or null for -norpccookiefile. Used when no password is set. */
  cookieFile: string | null;
  /** -rpccookieperms; without it the file is created owner-only (Core's umask 0077). */
  cookiePerms?: CookiePerms;
  /** -rpcuser / -rpcpassword: a non-empty password replaces the cookie, as in Core. */
  user?: string;
  password?: string;
  /** -rpcauth lines. */
  rpcauth?: string[];
}

/** One accepted credential: user, salt (hex text, used as is as the HMAC key) and the HMAC in hex. */
export interface RpcAuthEntry {
  user: string;
  salt: string;
  hash: string;
}

/** Where the cookie lives: -rpccookiefile relative to the network's data directory, `.cookie` by default. */
export function cookiePath(networkDir: string, rpccookiefile?: string | false): string | null {
  if (rpccookiefile === false || rpccookiefile === '') return null;
  return path.resolve(networkDir, rpccookiefile ?? COOKIE_FILE);
}

/** Core's GenerateAuthCookie: 32 random bytes in hex; the file appears complete or not at all. */
export function generateAuthCookie(file: string, perms?: CookiePerms): { user: string; password: string } {
  const password = randomBytes(32).toString('hex');
  const tmp = file + '.tmp';
  writeFileSync(tmp, `${COOKIE_USER}:${password}`, { mode: 0o600 });
  renameSync(tmp, file);
  chmodSync(file, perms ? COOKIE_PERMS[perms] : 0o600);
  return { user: COOKIE_USER, password };
}

/** The cookie's first line (for clients), or undefined when there is none. */
export function readAuthCookie(file: string): string | undefined {
  try {
    return readFileSync(file, 'utf8').split('\n')[0];
  } catch {
    return undefined;
  }
}

export function deleteAuthCookie(file: string): void {
  rmSync(file, { force: true });
}

export function hmacHex(salt: string, password: string | Uint8Array): string {
  return createHmac('sha256', Buffer.from(salt, 'utf8')).update(password).digest('hex');
}

/** Core's -rpcauth parsing: exactly `user:salt$hash`; anything else is "Invalid -rpcauth argument.". */
export function parseRpcAuth(line: string): RpcAuthEntry {
  const fields = line.split(':');
  const saltHmac = fields[fields.length - 1]!.split('$');
  if (fields.length !== 2 || saltHmac.length !== 2) throw new Error('Invalid -rpcauth argument.');
  return { user: fields[0]!, salt: saltHmac[0]!, hash: saltHmac[1]! };
}

/** An rpcauth line for a user and password, as Core's share/rpcauth/rpcauth.py makes it. */
export function rpcAuthLine(user: string, password: string, salt = randomBytes(16).toString('hex')): string {
  return `${user}:${salt}$${hmacHex(salt, password)}`;
}

/** Plain credentials stored as Core does: under a fresh random salt, so every check takes the same path. */
export function saltedEntry(user: string, password: string): RpcAuthEntry {
  const salt = randomBytes(16).toString('hex');
  return { user, salt, hash: hmacHex(salt, password) };
}

/** Core's TimingResistantEqual: the time taken does not depend on where the inputs differ. */
export function timingResistantEqual(a: string | Uint8Array, b: string | Uint8Array): boolean {
  const ha = createHash('sha256').update(a).digest();
  const hb = createHash('sha256').update(b).digest();
  return timingSafeEqual(ha, hb);
}

/** Core's CheckUserAuthorized: any entry with this user whose HMAC matches the password. */
export function checkCredentials(entries: readonly RpcAuthEntry[], user: Uint8Array, password: Uint8Array): boolean {
  let ok = false;
  for (const e of entries) {
    if (!timingResistantEqual(e.user, user)) continue;
    if (timingResistantEqual(hmacHex(e.salt, password), e.hash)) ok = true;
  }
  return ok;
}

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

/** Core's RPCAuthorized parsing: "Basic " then base64 of user:password (split at the first colon). */
export function parseBasicAuth(header: string): { user: Buffer; password: Buffer } | undefined {
  if (!header.startsWith('Basic ')) return undefined;
  const b64 = header.slice(6).trim();
  if (b64.length % 4 !== 0 || !BASE64.test(b64)) return undefined;
  const raw = Buffer.from(b64, 'base64');
  const colon = raw.indexOf(0x3a);
  if (colon < 0) return undefined;
  return { user: raw.subarray(0, colon), password: raw.subarray(colon + 1) };
}

/** The credentials a server accepts, and the cookie it wrote (to remove at shutdown). */
export interface AuthSetup {
  entries: RpcAuthEntry[];
  cookieFile?: string;
}

/** Core's InitRPCAuthentication: cookie unless a password is set, then every -rpcauth line. Throws on bad input. */
export function setupAuth(config: RpcAuthConfig): AuthSetup {
  const entries: RpcAuthEntry[] = [];
  let cookieFile: string | undefined;
  if (!config.password) {
    if (config.cookieFile) {
      const { user, password } = generateAuthCookie(config.cookieFile, config.cookiePerms);
      entries.push(saltedEntry(user, password));
      cookieFile = config.cookieFile;
    }
  } else {
    entries.push(saltedEntry(config.user ?? '', config.password));
  }
  for (const line of config.rpcauth ?? []) entries.push(parseRpcAuth(line));
  return { entries, cookieFile };
}
