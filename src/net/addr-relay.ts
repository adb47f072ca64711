/**
 * Address relay as Core's net_processing does it: SetupAddressRelay (who takes part), the addr/addrv2
 * handler with its token bucket (ProcessAddrs), RelayAddress (each fresh address from a small message goes
 * to two peers chosen by a keyed hash that changes once a day), PushAddress with each peer's known-address
 * filter, MaybeSendAddr (queued addresses leave on a Poisson timer, 30 s on average), and GETADDR answers
 * from a cache per local socket (Core's CConnman::GetAddresses).
 */
import { randomBytes } from 'node:crypto';
import { sha256 } from '../primitives/hash.js';
import type { Connman } from './connman.js';
import type { Peer } from './peer.js';
import { decodeAddrs, type AddrEntry } from './messages.js';
import { isRoutable, type NetAddr } from './netaddr.js';
import { MAX_ADDR_TO_SEND, NODE_NETWORK, NODE_NETWORK_LIMITED, desirableServices } from './protocol.js';

/** Core's MAX_ADDR_RATE_PER_SECOND and MAX_ADDR_PROCESSING_TOKEN_BUCKET. */
const MAX_ADDR_RATE_PER_SECOND = 0.1;
const MAX_ADDR_PROCESSING_TOKEN_BUCKET = MAX_ADDR_TO_SEND;
/** Core's MAX_PCT_ADDR_TO_SEND: a GETADDR answer holds at most this share of the address manager. */
export const MAX_PCT_ADDR_TO_SEND = 23;
const AVG_ADDRESS_BROADCAST_INTERVAL_MICROS = 30e6;
const ROTATE_ADDR_RELAY_DEST_INTERVAL = 24 * 60 * 60;
/** Core's CRollingBloomFilter(5000, ...) remembers at least the last 5,000 addresses. */
const KNOWN_GENERATION = 5000;
const HOUR_MICROS = 3600e6;

/** A peer's known addresses (Core's m_addr_known): two generations, so the last 5,000 are always held. */
export class KnownAddrs {
  private current = new Set<string>();
  private previous = new Set<string>();

  has(key: string): boolean {
    return this.current.has(key) || this.previous.has(key);
  }

  add(key: string): void {
    if (this.current.size >= KNOWN_GENERATION) {
      this.previous = this.current;
      this.current = new Set();
    }
    this.current.add(key);
  }
}

/** Core's CService::GetKey: the address and its port. */
export function addrKey(a: AddrEntry): string {
  return `${a.net}:${Buffer.from(a.bytes).toString('hex')}:${a.port}`;
}

/** Core's IsAddrV1Compatible: addr (v1) can carry only IPv4 and IPv6. */
function addrCompatible(peer: Peer, a: NetAddr): boolean {
  return peer.wantsAddrV2 || a.net === 'ipv4' || a.net === 'ipv6';
}

/** Core's CNetAddr::IsValid, for what our decoder keeps: not the unspecified or broadcast address. */
function isValidAddr(a: NetAddr): boolean {
  if (a.bytes.every((b) => b === 0)) return false;
  return !(a.net === 'ipv4' && a.bytes.every((b) => b === 255));
}

/** Core's rand_exp_duration: an exponentially distributed delay with the given mean. */
function randExp(meanMicros: number): number {
  return -Math.log1p(-Math.random()) * meanMicros;
}

/** Core's SetupAddressRelay: false for block-relay-only peers; otherwise relay starts with this peer. */
export function setupAddressRelay(peer: Peer): boolean {
  if (peer.connType === 'block-relay-only') return false;
  if (!peer.addrRelayEnabled) {
    peer.addrRelayEnabled = true;
    peer.addrKnown = new KnownAddrs();
  }
  return true;
}

/** Core's PushAddress: queue an address for the peer unless it knows it (a full queue loses a random one). */
export function pushAddress(peer: Peer, a: AddrEntry): void {
  if (!peer.addrKnown || !isValidAddr(a) || peer.addrKnown.has(addrKey(a)) || !addrCompatible(peer, a)) return;
  if (peer.addrsToSend.length >= MAX_ADDR_TO_SEND) peer.addrsToSend[Math.floor(Math.random() * peer.addrsToSend.length)] = a;
  else peer.addrsToSend.push(a);
}

/** Per-node secrets behind the relay choice and the GETADDR caches (Core's deterministic randomizers). */
export class AddrRelayKeys {
  readonly relayKey = randomBytes(32);
  /** GETADDR answers per local socket: the addresses and when they expire (node time, microseconds). */
  readonly responseCache = new Map<string, { addrs: AddrEntry[]; expires: number }>();
}

/** A keyed 64-bit hash (Core uses SipHash with a per-node key; any keyed hash serves). */
function hash64(key: Uint8Array, ...parts: (string | bigint | number)[]): bigint {
  const d = sha256(Buffer.concat([key, Buffer.from(parts.join('|'))]));
  return Buffer.from(d.subarray(0, 8)).readBigUInt64LE();
}

const NO_KEY = new Uint8Array(0);

/**
 * Core's RelayAddress: the same two peers (one or two for an unreachable network) for a given address
 * within a day, whatever order the peers came in, so a peer cannot spread its address further by
 * repeating it.
 */
export function relayAddress(net: Connman, originator: Peer, a: AddrEntry, reachable: boolean): void {
  const key = addrKey(a);
  const hashAddr = hash64(NO_KEY, key);
  const nowSeconds = BigInt(Math.floor(net.nowMicros() / 1e6));
  const timeAddr = (nowSeconds + hashAddr) / BigInt(ROTATE_ADDR_RELAY_DEST_INTERVAL);
  const seed = hash64(net.addrRelayKeys.relayKey, 'relay', hashAddr, timeAddr);
  const relayNodes = reachable || (seed & 1n) === 1n ? 2 : 1;
  const best: { score: bigint; peer: Peer }[] = [];
  for (const p of net.livePeers()) {
    if (!p.addrRelayEnabled || p === originator || !addrCompatible(p, a)) continue;
    const score = hash64(net.addrRelayKeys.relayKey, 'relay', hashAddr, timeAddr, p.id);
    best.push({ score, peer: p });
    best.sort((x, y) => (x.score > y.score ? -1 : x.score < y.score ? 1 : 0));
    best.length = Math.min(best.length, relayNodes);
  }
  for (const b of best) pushAddress(b.peer, a);
}

/** Core's MayHaveUsefulAddressDB || HasAllDesirableServiceFlags: only full nodes are worth storing. */
function worthStoring(services: bigint, tipIsRecent: boolean): boolean {
  if ((services & (NODE_NETWORK | NODE_NETWORK_LIMITED)) !== 0n) return true;
  const desired = desirableServices(services, tipIsRecent);
  return (desired & ~services) === 0n;
}

/** Core's ADDR/ADDRV2 handler. */
export function processAddrs(net: Connman, peer: Peer, type: string, payload: Uint8Array): void {
  const { count, addrs } = decodeAddrs(payload, type === 'addrv2', MAX_ADDR_TO_SEND);
  if (!setupAddressRelay(peer)) {
    peer.log.debug(`ignoring ${type} message from ${peer.connType} peer=${peer.id}`);
    return;
  }
  if (!addrs) return peer.misbehaving(`${type} message size = ${count}`);
  const now = net.now();
  const nowMicros = net.nowMicros();
  if (peer.addrTokens < MAX_ADDR_PROCESSING_TOKEN_BUCKET) {
    const elapsed = Math.max(0, nowMicros - peer.addrTokenTime) / 1e6;
    peer.addrTokens = Math.min(peer.addrTokens + elapsed * MAX_ADDR_RATE_PER_SECOND, MAX_ADDR_PROCESSING_TOKEN_BUCKET);
  }
  peer.addrTokenTime = nowMicros;
  const rateLimited = !net.hasAddrPermission(peer);
  let processed = 0;
  let limited = 0;
  const accepted: AddrEntry[] = [];
  for (let i = addrs.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [addrs[i], addrs[j]] = [addrs[j]!, addrs[i]!];
  }
  for (const a of addrs) {
    if (peer.addrTokens < 1) {
      if (rateLimited) {
        limited++;
        continue;
      }
    } else {
      peer.addrTokens--;
    }
    if (!worthStoring(a.services, net.tipIsRecent())) continue;
    if (a.time <= 100_000_000 || a.time > now + 10 * 60) a.time = now - 5 * 24 * 60 * 60;
    peer.addrKnown!.add(addrKey(a));
    if (net.banman.isBanned(a, now) || net.banman.isDiscouraged(a)) continue;
    processed++;
    const reachable = net.isReachable(a);
    if (a.time > now - 10 * 60 && !peer.getaddrSent && addrs.length <= 10 && isRoutable(a)) relayAddress(net, peer, a, reachable);
    if (reachable && isRoutable(a)) accepted.push(a);
  }
  peer.addrProcessed += processed;
  peer.addrRateLimited += limited;
  peer.log.debug(`Received addr: ${addrs.length} addresses (${processed} processed, ${limited} rate-limited) from peer=${peer.id}`);
  net.addrman.add(accepted, peer.remote, 2 * 60 * 60, now, `${peer.address}`);
  if (addrs.length < 1000) peer.getaddrSent = false;
  if (peer.connType === 'addr-fetch' && addrs.length > 1) {
    peer.log.debug(`addrfetch connection completed, disconnecting peer=${peer.id}`);
    peer.disconnect('addr-fetch done');
  }
}

/** Core's GETADDR handler: inbound peers only, once per connection, from the cache of their local socket. */
export function processGetAddr(net: Connman, peer: Peer): void {
  if (!peer.inbound) {
    peer.log.debug(`Ignoring "getaddr" from ${peer.connType} connection. peer=${peer.id}`);
    return;
  }
  setupAddressRelay(peer);
  if (peer.getaddrRecvd) {
    peer.log.debug(`Ignoring repeated "getaddr". peer=${peer.id}`);
    return;
  }
  peer.getaddrRecvd = true;
  peer.addrsToSend = [];
  const addrs = net.hasAddrPermission(peer) ? addressesUnsafe(net) : cachedAddresses(net, peer);
  for (const a of addrs) pushAddress(peer, a);
}

/** Core's GetAddressesUnsafe: up to 1,000 addresses and 23% of the table, banned ones left out. */
function addressesUnsafe(net: Connman): AddrEntry[] {
  const now = net.now();
  return net.addrman.getAddresses(MAX_ADDR_TO_SEND, MAX_PCT_ADDR_TO_SEND, now).filter((a) => !net.banman.isBanned(a, now) && !net.banman.isDiscouraged(a));
}

/**
 * Core's CConnman::GetAddresses(requestor): one answer per local socket (address and, for inbound peers,
 * port), kept 21 to 27 hours, so repeated requests cannot map the whole table.
 */
function cachedAddresses(net: Connman, peer: Peer): AddrEntry[] {
  const bind = peer.inbound ? peer.addrBind : peer.addrBind.replace(/:\d+$/, '');
  const key = `${peer.remote.net}|${bind}`;
  const now = net.nowMicros();
  const cache = net.addrRelayKeys.responseCache;
  const entry = cache.get(key);
  if (entry && entry.expires >= now) return entry.addrs;
  const addrs = addressesUnsafe(net);
  cache.set(key, { addrs, expires: now + 21 * HOUR_MICROS + Math.floor(Math.random() * 6 * HOUR_MICROS) });
  return addrs;
}

/** Core's MaybeSendAddr: the queued addresses the peer does not know yet, once its timer is due. */
export function maybeSendAddr(net: Connman, peer: Peer): void {
  if (!peer.addrRelayEnabled || !peer.successfullyConnected || peer.disconnecting) return;
  const now = net.nowMicros();
  if (now <= peer.nextAddrSend) return;
  peer.nextAddrSend = now + randExp(AVG_ADDRESS_BROADCAST_INTERVAL_MICROS);
  const known = peer.addrKnown!;
  const out = peer.addrsToSend.filter((a) => {
    const k = addrKey(a);
    if (known.has(k)) return false;
    known.add(k);
    return true;
  });
  peer.addrsToSend = [];
  if (out.length > 0) net.sendAddresses(peer, out);
}
