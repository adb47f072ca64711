/**
 * Network addresses as Core's CNetAddr/CService/CSubNet know them: IPv4, IPv6 and Tor v3 (for bans and
 * addrv2), their text forms, network groups (the outbound-diversity rule) and subnets (the ban list).
 */
import { base32 } from '@scure/base';
import { sha3_256 } from '@noble/hashes/sha3.js';
import { compareBytes, equalBytes } from '../primitives/bytes.js';

/** Core's Network enum order (CNetAddr sorts by it). */
export type NetName = 'ipv4' | 'ipv6' | 'onion' | 'i2p' | 'cjdns';
const NET_ORDER: Record<NetName, number> = { ipv4: 1, ipv6: 2, onion: 3, i2p: 4, cjdns: 5 };
/** BIP155 network ids and address sizes. */
export const BIP155: Record<number, { net: NetName; size: number }> = {
  1: { net: 'ipv4', size: 4 },
  2: { net: 'ipv6', size: 16 },
  4: { net: 'onion', size: 32 },
  5: { net: 'i2p', size: 32 },
  6: { net: 'cjdns', size: 16 },
};

export interface NetAddr {
  net: NetName;
  bytes: Uint8Array;
}

export interface Service extends NetAddr {
  port: number;
}

const IPV4_IN_IPV6 = Uint8Array.of(0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff);

export function parseIPv4(s: string): Uint8Array | undefined {
  const parts = s.split('.');
  if (parts.length !== 4 || !parts.every((p) => /^\d{1,3}$/.test(p) && Number(p) <= 255)) return undefined;
  return Uint8Array.from(parts.map(Number));
}

export function parseIPv6(s: string): Uint8Array | undefined {
  if (!/^[0-9a-fA-F:.]+$/.test(s)) return undefined;
  let tail4: Uint8Array | undefined;
  const lastColon = s.lastIndexOf(':');
  if (s.includes('.')) {
    tail4 = parseIPv4(s.slice(lastColon + 1));
    if (!tail4) return undefined;
    s = s.slice(0, lastColon + 1) + '0:0';
  }
  const halves = s.split('::');
  if (halves.length > 2) return undefined;
  const groups = (h: string) => (h === '' ? [] : h.split(':'));
  const head = groups(halves[0]!);
  const tail = halves.length === 2 ? groups(halves[1]!) : [];
  const missing = 8 - head.length - tail.length;
  if ((halves.length === 1 && missing !== 0) || (halves.length === 2 && missing < 1)) return undefined;
  const all = [...head, ...Array<string>(halves.length === 2 ? missing : 0).fill('0'), ...tail];
  if (!all.every((g) => /^[0-9a-fA-F]{1,4}$/.test(g))) return undefined;
  const out = new Uint8Array(16);
  all.forEach((g, i) => {
    const v = parseInt(g, 16);
    out[2 * i] = v >> 8;
    out[2 * i + 1] = v & 0xff;
  });
  if (tail4) out.set(tail4, 12);
  return out;
}

function onionChecksum(pubkey: Uint8Array): Uint8Array {
  const prefix = new TextEncoder().encode('.onion checksum');
  return sha3_256(Uint8Array.from([...prefix, ...pubkey, 3])).subarray(0, 2);
}

function parseOnion(s: string): Uint8Array | undefined {
  if (!s.endsWith('.onion') || s.length !== 56 + 6) return undefined;
  let raw: Uint8Array;
  try {
    raw = base32.decode(s.slice(0, 56).toUpperCase());
  } catch {
    return undefined;
  }
  const pubkey = raw.subarray(0, 32);
  if (raw[34] !== 3 || !equalBytes(raw.subarray(32, 34), onionChecksum(pubkey))) return undefined;
  return pubkey.slice();
}

/** Core's LookupHost without name resolution: an IP literal or a Tor v3 name. IPv4-mapped IPv6 is IPv4. */
export function parseNetAddr(s: string): NetAddr | undefined {
  const v4 = parseIPv4(s);
  if (v4) return { net: 'ipv4', bytes: v4 };
  const onion = parseOnion(s.toLowerCase());
  if (onion) return { net: 'onion', bytes: onion };
  const v6 = parseIPv6(s.startsWith('[') && s.endsWith(']') ? s.slice(1, -1) : s);
  if (v6) return fromIPv6Bytes(v6);
  return undefined;
}

export function fromIPv6Bytes(b: Uint8Array): NetAddr {
  if (equalBytes(b.subarray(0, 12), IPV4_IN_IPV6)) return { net: 'ipv4', bytes: b.slice(12) };
  return { net: 'ipv6', bytes: b.slice() };
}

/** "host:port", "[v6]:port" or a bare host (then `defaultPort`). */
export function parseService(s: string, defaultPort: number): Service | undefined {
  let host = s;
  let port = defaultPort;
  const m = /^\[([^\]]+)\](?::(\d+))?$/.exec(s) ?? (/^([^:]+):(\d+)$/.test(s) ? /^([^:]+):(\d+)$/.exec(s) : null);
  if (m) {
    host = m[1]!;
    if (m[2] !== undefined) port = Number(m[2]);
  }
  if (port > 65535) return undefined;
  const a = parseNetAddr(host);
  return a && { ...a, port };
}

export function formatNetAddr(a: NetAddr): string {
  if (a.net === 'ipv4') return [...a.bytes].join('.');
  if (a.net === 'onion') {
    const raw = Uint8Array.from([...a.bytes, ...onionChecksum(a.bytes), 3]);
    return base32.encode(raw).toLowerCase() + '.onion';
  }
  return formatIPv6(a.bytes);
}

/** RFC 5952: lower case, the longest run (2+) of zero groups as "::". */
function formatIPv6(b: Uint8Array): string {
  const g = Array.from({ length: 8 }, (_, i) => (b[2 * i]! << 8) | b[2 * i + 1]!);
  let best = -1;
  let bestLen = 1;
  for (let i = 0; i < 8; ) {
    let j = i;
    while (j < 8 && g[j] === 0) j++;
    if (j - i > bestLen) [best, bestLen] = [i, j - i];
    i = j === i ? i + 1 : j;
  }
  const hex = (xs: number[]) => xs.map((x) => x.toString(16)).join(':');
  if (best < 0) return hex(g);
  return `${hex(g.slice(0, best))}::${hex(g.slice(best + bestLen))}`;
}

export function formatService(s: Service): string {
  const host = formatNetAddr(s);
  return s.net === 'ipv6' ? `[${host}]:${s.port}` : `${host}:${s.port}`;
}

/** The 16-byte form of the v1 wire address (IPv4-mapped for IPv4; zeros for what v1 cannot carry). */
export function toV1Bytes(a: NetAddr | undefined): Uint8Array {
  const out = new Uint8Array(16);
  if (a?.net === 'ipv4') {
    out.set(IPV4_IN_IPV6);
    out.set(a.bytes, 12);
  } else if (a?.net === 'ipv6') out.set(a.bytes);
  return out;
}

export function isLocal(a: NetAddr): boolean {
  if (a.net === 'ipv4') return a.bytes[0] === 127 || a.bytes[0] === 0;
  return a.net === 'ipv6' && equalBytes(a.bytes, Uint8Array.of(...Array<number>(15).fill(0), 1));
}

/** Core's IsRoutable, for IPv4/IPv6: not private, loopback, link-local, documentation or unspecified. */
export function isRoutable(a: NetAddr): boolean {
  const b = a.bytes;
  if (a.net === 'ipv4') {
    if (b[0] === 10 || b[0] === 127 || b[0] === 0 || b[0]! >= 224) return false;
    if (b[0] === 192 && b[1] === 168) return false;
    if (b[0] === 172 && b[1]! >= 16 && b[1]! <= 31) return false;
    if (b[0] === 169 && b[1] === 254) return false;
    if (b[0] === 100 && b[1]! >= 64 && b[1]! <= 127) return false;
    return true;
  }
  if (a.net === 'ipv6') {
    if (b.every((x) => x === 0) || isLocal(a)) return false;
    if ((b[0]! & 0xfe) === 0xfc || (b[0] === 0xfe && (b[1]! & 0xc0) === 0x80)) return false;
    if (b[0] === 0x20 && b[1] === 0x01 && b[2] === 0x0d && b[3] === 0xb8) return false;
    return true;
  }
  return true;
}

/** Core's NetGroupManager::GetGroup without asmap: /16 for IPv4, /32 for IPv6, one group for local addresses. */
export function netGroup(a: NetAddr): string {
  if (!isRoutable(a)) return 'unroutable';
  if (a.net === 'ipv4') return `ipv4:${a.bytes[0]}.${a.bytes[1]}`;
  if (a.net === 'ipv6') return `ipv6:${Buffer.from(a.bytes.subarray(0, 4)).toString('hex')}`;
  return `${a.net}:${a.bytes[0]! >> 4}`;
}

export function compareNetAddr(a: NetAddr, b: NetAddr): number {
  return NET_ORDER[a.net] - NET_ORDER[b.net] || compareBytes(a.bytes, b.bytes);
}

/** Core's CSubNet: a network and a mask of the same size; a non-IP address is a single-address subnet. */
export interface SubNet {
  network: NetAddr;
  mask: Uint8Array;
}

export function singleAddressSubnet(a: NetAddr): SubNet {
  return { network: a, mask: new Uint8Array(a.bytes.length).fill(0xff) };
}

/** Core's LookupSubNet: "addr", "addr/cidr" or "addr/netmask"; undefined when invalid. */
export function parseSubNet(s: string): SubNet | undefined {
  const slash = s.indexOf('/');
  const addr = parseNetAddr(slash < 0 ? s : s.slice(0, slash));
  if (!addr) return undefined;
  if (slash < 0) return singleAddressSubnet(addr);
  if (addr.net !== 'ipv4' && addr.net !== 'ipv6') return undefined;
  const spec = s.slice(slash + 1);
  const size = addr.bytes.length;
  const mask = new Uint8Array(size);
  if (/^\d+$/.test(spec)) {
    const bits = Number(spec);
    if (bits > size * 8) return undefined;
    for (let i = 0; i < bits; i++) mask[i >> 3]! |= 0x80 >> (i & 7);
  } else {
    const m = parseNetAddr(spec);
    if (!m || m.net !== addr.net) return undefined;
    // Core accepts only masks that are a run of ones followed by zeros.
    let zero = false;
    for (let i = 0; i < size * 8; i++) {
      const one = (m.bytes[i >> 3]! & (0x80 >> (i & 7))) !== 0;
      if (one && zero) return undefined;
      if (!one) zero = true;
    }
    mask.set(m.bytes);
  }
  const network = { net: addr.net, bytes: addr.bytes.map((b, i) => b & mask[i]!) };
  return { network, mask };
}

export function subnetMatch(s: SubNet, a: NetAddr): boolean {
  if (s.network.net !== a.net) return false;
  return a.bytes.every((b, i) => (b & s.mask[i]!) === s.network.bytes[i]);
}

export function formatSubNet(s: SubNet): string {
  const addr = formatNetAddr(s.network);
  if (s.network.net !== 'ipv4' && s.network.net !== 'ipv6') return addr;
  let bits = 0;
  for (const b of s.mask) for (let i = 7; i >= 0; i--) if (b & (1 << i)) bits++;
  return `${addr}/${bits}`;
}

export function compareSubNet(a: SubNet, b: SubNet): number {
  return compareNetAddr(a.network, b.network) || compareBytes(a.mask, b.mask);
}
