/**
 * Who may reach the RPC server and where it listens, as Core's httpserver.cpp decides: -rpcallowip subnets
 * (single IP, CIDR or netmask, IPv4 and IPv6; loopback is always allowed) and the -rpcbind/-rpcallowip rule
 * (both or neither: without both, only 127.0.0.1 and ::1).
 */
import { isIPv4, isIPv6 } from 'node:net';

export interface Subnet {
  /** 4 bytes for IPv4, 16 for IPv6. */
  network: Uint8Array;
  mask: Uint8Array;
}

function ipv4Bytes(s: string): Uint8Array {
  return Uint8Array.from(s.split('.').map(Number));
}

function ipv6Bytes(s: string): Uint8Array {
  let text = s;
  const tail: number[] = [];
  const dotted = text.match(/(\d+\.\d+\.\d+\.\d+)$/);
  if (dotted) {
    tail.push(...ipv4Bytes(dotted[1]!));
    text = text.slice(0, -dotted[1]!.length) + '0:0';
  }
  const [head, rest] = text.split('::') as [string, string | undefined];
  const groups = (p: string | undefined) => (p ? p.split(':').map((g) => parseInt(g, 16)) : []);
  const h = groups(head);
  const r = groups(rest);
  const all = rest === undefined ? h : [...h, ...new Array<number>(8 - h.length - r.length).fill(0), ...r];
  const out = new Uint8Array(16);
  all.forEach((g, i) => {
    out[2 * i] = g >> 8;
    out[2 * i + 1] = g & 0xff;
  });
  if (tail.length) out.set(tail, 12);
  return out;
}

/** An address as Core's CNetAddr sees it: IPv4-mapped IPv6 (::ffff:a.b.c.d) counts as IPv4. */
export function addressBytes(address: string): Uint8Array | undefined {
  const a = address.replace(/^\[|\]$/g, '').replace(/%.*$/, '');
  if (isIPv4(a)) return ipv4Bytes(a);
  if (!isIPv6(a)) return undefined;
  const b = ipv6Bytes(a);
  const mapped = b.subarray(0, 10).every((x) => x === 0) && b[10] === 0xff && b[11] === 0xff;
  return mapped ? b.slice(12) : b;
}

function prefixMask(len: number, bits: number): Uint8Array {
  const mask = new Uint8Array(len);
  for (let i = 0; i < len; i++) mask[i] = bits >= 8 * (i + 1) ? 0xff : bits <= 8 * i ? 0 : (0xff << (8 - (bits - 8 * i))) & 0xff;
  return mask;
}

function isContiguous(mask: Uint8Array): boolean {
  let zeroSeen = false;
  for (const byte of mask) {
    for (let bit = 7; bit >= 0; bit--) {
      const one = (byte >> bit) & 1;
      if (one && zeroSeen) return false;
      if (!one) zeroSeen = true;
    }
  }
  return true;
}

/** Core's LookupSubNet for numeric input; undefined when invalid. */
export function parseSubnet(spec: string): Subnet | undefined {
  const slash = spec.indexOf('/');
  const network = addressBytes(slash < 0 ? spec : spec.slice(0, slash));
  if (!network) return undefined;
  let mask = prefixMask(network.length, network.length * 8);
  if (slash >= 0) {
    const m = spec.slice(slash + 1);
    if (/^\d+$/.test(m)) {
      const bits = Number(m);
      if (bits > network.length * 8) return undefined;
      mask = prefixMask(network.length, bits);
    } else {
      const given = addressBytes(m);
      if (!given || given.length !== network.length || !isContiguous(given)) return undefined;
      mask = given;
    }
  }
  return { network: network.map((b, i) => b & mask[i]!), mask };
}

export function subnetMatches(subnet: Subnet, address: Uint8Array): boolean {
  if (address.length !== subnet.network.length) return false;
  return address.every((b, i) => (b & subnet.mask[i]!) === subnet.network[i]);
}

export function invalidAllowIpMessage(spec: string): string {
  return (
    `Invalid -rpcallowip subnet specification: ${spec}. Valid values are a single IP (e.g. 1.2.3.4), a network/netmask ` +
    `(e.g. 1.2.3.4/255.255.255.0), a network/CIDR (e.g. 1.2.3.4/24), all ipv4 (0.0.0.0/0), or all ipv6 (::/0). ` +
    `RFC4193 is allowed only if -cjdnsreachable=0.`
  );
}

/** Core's InitHTTPAllowList: 127.0.0.0/8 and ::1 always, then every -rpcallowip. Throws Core's message. */
export function allowList(allowIps: readonly string[]): Subnet[] {
  const list = [parseSubnet('127.0.0.1/8')!, parseSubnet('::1')!];
  for (const spec of allowIps) {
    const s = parseSubnet(spec);
    if (!s) throw new Error(invalidAllowIpMessage(spec));
    list.push(s);
  }
  return list;
}

export function clientAllowed(list: readonly Subnet[], remoteAddress: string | undefined): boolean {
  const bytes = remoteAddress === undefined ? undefined : addressBytes(remoteAddress);
  return bytes !== undefined && list.some((s) => subnetMatches(s, bytes));
}

export interface BindPlan {
  binds: { host: string; port: number }[];
  warnings: string[];
}

/** Core's SplitHostPort: "host", "host:port", "[v6]:port" or a bare IPv6 address. Throws on a bad port. */
export function splitHostPort(spec: string, defaultPort: number): { host: string; port: number } {
  const m = spec.match(/^\[([^\]]*)\](?::(.*))?$/) ?? (isIPv6(spec) ? null : spec.match(/^([^:]*)(?::(.*))?$/));
  if (!m) return { host: spec, port: defaultPort };
  const portText = m[2];
  if (portText === undefined) return { host: m[1]!, port: defaultPort };
  const port = /^\d+$/.test(portText) ? Number(portText) : NaN;
  if (!(port > 0 && port <= 65535)) throw new Error(`Invalid port specified in -rpcbind: '${spec}'`);
  return { host: m[1]!, port };
}

/** Core's HTTPBindAddresses: -rpcbind counts only together with -rpcallowip. */
export function rpcBinds(rpcbind: readonly string[], rpcallowip: readonly string[], port: number): BindPlan {
  const warnings: string[] = [];
  if (rpcallowip.length === 0 || rpcbind.length === 0) {
    if (rpcallowip.length > 0) warnings.push('option -rpcallowip was specified without -rpcbind; this doesn\'t usually make sense');
    if (rpcbind.length > 0) warnings.push('option -rpcbind was ignored because -rpcallowip was not specified, refusing to allow everyone to connect');
    return { binds: [{ host: '::1', port }, { host: '127.0.0.1', port }], warnings };
  }
  return { binds: rpcbind.map((b) => splitHostPort(b, port)), warnings };
}
