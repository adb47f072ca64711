/**
 * Opening connections (Core's ThreadOpenConnections, ThreadOpenAddedConnections, ThreadDNSAddressSeed):
 * -connect peers only when given; otherwise eight outbound full-relay peers from the address manager, at
 * most one per network group, with -seednode, DNS seeds and fixed seeds to fill an empty address manager;
 * and the -addnode/addnode list, retried until removed.
 */
import { lookup, resolve4, resolve6 } from 'node:dns/promises';
import { connect, type Socket } from 'node:net';
import type { Connman } from './connman.js';
import { MAX_ADDNODE, MAX_OUTBOUND_FULL_RELAY } from './connman.js';
import { formatService, netGroup, parseNetAddr, parseService, type Service } from './netaddr.js';
import type { ConnectionType, Peer } from './peer.js';
import { NODE_NETWORK, NODE_WITNESS } from './protocol.js';
import { DNS_SEEDS, FIXED_SEEDS } from './seeds.js';

const LOOP_MS = 500;
/** Core's DNSSEEDS_DELAY_FEW_PEERS and the wait before falling back to fixed seeds. */
const DNS_SEED_DELAY_MS = 11_000;
const FIXED_SEED_DELAY_MS = 60_000;
/** Core retries added nodes every two minutes (ThreadOpenAddedConnections). */
const ADDNODE_RETRY_MS = 60_000;

export interface AddedNode {
  target: string;
  v2: boolean;
}

export class Outbound {
  readonly added: AddedNode[] = [];
  private timer: NodeJS.Timeout | undefined;
  private readonly pending = new Set<string>();
  private readonly startedAt = Date.now();
  private lastAddnodeTry = 0;
  private dnsSeeded = false;
  private fixedSeeded = false;
  private stopped = false;

  constructor(private readonly net: Connman) {
    for (const target of net.opts.addnode) this.added.push({ target, v2: false });
  }

  start(): void {
    const o = this.net.opts;
    for (const seed of o.connectOnly ? [] : o.seednode) this.spawn(this.open(seed, 'addr-fetch'));
    this.timer = setInterval(() => this.loop(), LOOP_MS);
    this.wake();
  }

  stop(): void {
    this.stopped = true;
    clearInterval(this.timer);
  }

  /** A connection attempt runs on its own; its failure is logged, never left unhandled. */
  spawn(p: Promise<unknown>): void {
    p.catch((e) => this.net.log.error({ err: e }, 'opening a connection failed'));
  }

  wake(): void {
    if (!this.stopped) setImmediate(() => this.loop());
  }

  private loop(): void {
    const net = this.net;
    if (this.stopped || !net.networkActive) return;
    const o = net.opts;
    if (o.connectOnly) {
      for (const t of o.connect) this.spawn(this.open(t, 'manual'));
      return;
    }
    if (Date.now() - this.lastAddnodeTry >= ADDNODE_RETRY_MS) {
      this.lastAddnodeTry = Date.now();
      for (const a of this.added.slice(0, MAX_ADDNODE)) if (!this.connectedTo(a.target)) this.spawn(this.open(a.target, 'manual'));
    }
    this.seed();
    const outbound = [...net.livePeers()].filter((p) => p.connType === 'outbound-full-relay').length;
    if (outbound + this.pending.size >= MAX_OUTBOUND_FULL_RELAY) return;
    const groups = new Set([...net.livePeers()].filter((p) => !p.inbound).map((p) => netGroup(p.remote)));
    const now = net.now();
    const pick = net.addrman.select(now, (a) => net.isReachable(a) && !groups.has(netGroup(a)) && !this.pending.has(formatService(a)) && !net.banman.isBanned(a) && !net.banman.isDiscouraged(a) && a.port === net.sink.params.defaultPort);
    if (!pick) return;
    net.addrman.attempt(pick, now);
    this.spawn(this.openService(pick, 'outbound-full-relay'));
  }

  /** DNS seeds when the address manager is (nearly) empty, then fixed seeds if that brought nothing. */
  private seed(): void {
    const net = this.net;
    const o = net.opts;
    const elapsed = Date.now() - this.startedAt;
    if (!this.dnsSeeded && o.dnsseed && elapsed >= (net.addrman.size > 0 ? 5 * 60_000 : DNS_SEED_DELAY_MS)) {
      this.dnsSeeded = true;
      this.spawn(this.queryDnsSeeds());
    }
    if (!this.fixedSeeded && o.fixedSeeds && net.addrman.size === 0 && (!o.dnsseed || elapsed >= FIXED_SEED_DELAY_MS)) {
      this.fixedSeeded = true;
      const now = net.now();
      const seeds = FIXED_SEEDS[net.sink.params.name].map((s) => parseService(s, net.sink.params.defaultPort)).filter((s): s is Service => !!s);
      const added = net.addrman.add(seeds.map((s) => ({ ...s, time: now - 7 * 24 * 3600, services: NODE_NETWORK | NODE_WITNESS })), { net: 'ipv4', bytes: Uint8Array.of(127, 0, 0, 1) }, 0, now, 'fixed seeds');
      net.log.info(`Adding fixed seeds as 60 seconds have passed and addrman is empty: ${added} addresses`);
    }
  }

  private async queryDnsSeeds(): Promise<void> {
    const net = this.net;
    const params = net.sink.params;
    let found = 0;
    for (const seed of DNS_SEEDS[params.name]) {
      if (this.stopped) return;
      const host = `x9.${seed.replace(/\.$/, '')}`;
      const addrs: Service[] = [];
      for (const [fn, want] of [[resolve4, 'ipv4'], [resolve6, 'ipv6']] as const) {
        if (!net.opts.reachable.includes(want)) continue;
        try {
          for (const ip of await fn(host)) {
            const a = parseNetAddr(ip);
            if (a) addrs.push({ ...a, port: params.defaultPort });
          }
        } catch {
          // An unreachable seed is skipped, as Core skips it.
        }
      }
      const now = net.now();
      // Core files seed results as seen 3 to 7 days ago.
      found += net.addrman.add(addrs.map((a) => ({ ...a, time: now - 3 * 24 * 3600 - Math.floor(Math.random() * 4 * 24 * 3600), services: NODE_NETWORK | NODE_WITNESS })), { net: 'ipv4', bytes: Uint8Array.of(127, 0, 0, 1) }, 0, now, seed);
    }
    net.log.info(`${found} addresses found from DNS seeds`);
  }

  connectedTo(target: string): boolean {
    const svc = parseService(target, this.net.sink.params.defaultPort);
    const key = svc ? formatService(svc) : target;
    for (const p of this.net.livePeers()) if (p.target === target || p.address === key) return true;
    return this.pending.has(key) || this.pending.has(target);
  }

  /** Core's OpenNetworkConnection for a name or "host:port" (resolved). Resolves to the peer, or undefined. */
  async open(target: string, type: ConnectionType): Promise<Peer | undefined> {
    if (this.connectedTo(target)) return undefined;
    this.pending.add(target);
    try {
      let svc = parseService(target, this.net.sink.params.defaultPort);
      if (!svc) {
        const m = /^(.*?)(?::(\d+))?$/.exec(target)!;
        try {
          const r = await lookup(m[1]!);
          svc = parseService(r.family === 6 ? `[${r.address}]` : r.address, m[2] ? Number(m[2]) : this.net.sink.params.defaultPort);
          if (svc && m[2]) svc.port = Number(m[2]);
        } catch {
          this.net.log.debug(`connection to ${target} failed: name not resolved`);
          return undefined;
        }
      }
      if (!svc) return undefined;
      return await this.openService(svc, type, target);
    } finally {
      this.pending.delete(target);
    }
  }

  async openService(svc: Service, type: ConnectionType, target?: string): Promise<Peer | undefined> {
    const net = this.net;
    if (!net.networkActive || this.stopped) return undefined;
    const key = formatService(svc);
    if (!target && [...net.livePeers()].some((p) => p.address === key)) return undefined;
    this.pending.add(key);
    try {
      const socket = await dial(svc, net.opts.connectTimeoutMs);
      if (!socket) {
        net.log.debug(`connection to ${target ?? key} timed out or was refused`);
        return undefined;
      }
      if (this.stopped || !net.networkActive) {
        socket.destroy();
        return undefined;
      }
      net.log.debug(`trying v1 connection ${key} lastseen=0.0hrs`);
      return net.addPeer(socket, type, svc, target);
    } finally {
      this.pending.delete(key);
    }
  }
}

function dial(svc: Service, timeoutMs: number): Promise<Socket | undefined> {
  const host = svc.net === 'ipv4' ? [...svc.bytes].join('.') : formatService({ ...svc, port: 0 }).replace(/^\[(.*)\]:0$/, '$1');
  return new Promise((resolve) => {
    const socket = connect({ host, port: svc.port, noDelay: true });
    const timer = setTimeout(() => {
      socket.destroy();
      resolve(undefined);
    }, timeoutMs);
    socket.once('connect', () => {
      clearTimeout(timer);
      socket.removeAllListeners('error');
      resolve(socket);
    });
    socket.once('error', () => {
      clearTimeout(timer);
      resolve(undefined);
    });
  });
}
