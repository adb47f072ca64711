/**
 * Core's CConnman and the connection-level half of PeerManagerImpl: listening sockets, inbound admission
 * (bans, discouragement, the inbound limit and eviction), the peer table, the periodic checks (inactivity,
 * ping, punishment), traffic totals and our version message. Opening outbound connections is outbound.ts.
 */
import { randomBytes } from 'node:crypto';
import { createServer, type Server, type Socket } from 'node:net';
import type { Logger } from 'pino';
import type { BlockSync, SyncSink } from './peer-link.js';
import { AddrMan } from './addrman.js';
import { BanMan } from './banman.js';
import { encodeAddrs, encodeVersion } from './messages.js';
import {
  fromIPv6Bytes,
  isLocal,
  parseIPv4,
  parseIPv6,
  subnetMatch,
  type NetAddr,
  type NetName,
  type Service,
  type SubNet,
} from './netaddr.js';
import { Peer, type ConnectionType, type PeerHost } from './peer.js';
import { processMessage } from './processing.js';
import { NODE_NETWORK, NODE_NETWORK_LIMITED, NODE_WITNESS, PROTOCOL_VERSION } from './protocol.js';
import { Outbound } from './outbound.js';
import { inactive, maybeSendPing } from './peer-checks.js';
import { selectInboundToEvict } from './eviction.js';
import { bindFailure } from './bind-errors.js';
import { AddrRelayKeys, maybeSendAddr } from './addr-relay.js';
import type { AddrEntry } from './messages.js';

const TICK_MS = 100;
const DUMP_PEERS_INTERVAL_MS = 15 * 60 * 1000;
export const MAX_OUTBOUND_FULL_RELAY = 8;
export const MAX_BLOCK_RELAY_ONLY = 2;
export const MAX_FEELER = 1;
export const MAX_ADDNODE = 8;

export type Permission = 'bloomfilter' | 'noban' | 'forcerelay' | 'relay' | 'mempool' | 'download' | 'addr';

export interface WhitelistEntry {
  subnet: SubNet;
  permissions: Permission[];
}

export interface P2POptions {
  listen: boolean;
  /** -bind addresses; empty = any address on `port`. */
  binds: Service[];
  port: number;
  /** -connect targets; `connectOnly` with none means no automatic outbound at all (-connect=0). */
  connect: string[];
  connectOnly: boolean;
  addnode: string[];
  seednode: string[];
  maxConnections: number;
  /** Networks we may connect out to (-onlynet), e.g. ['ipv4', 'ipv6']. */
  reachable: NetName[];
  dnsseed: boolean;
  fixedSeeds: boolean;
  networkActive: boolean;
  /** -timeout: milliseconds an outbound connect may take. */
  connectTimeoutMs: number;
  /** -peertimeout, seconds. */
  peerTimeout: number;
  /** -bantime, seconds. */
  banTime: number;
  whitelist: WhitelistEntry[];
  /** -test=addrman: fixed bucketing key. */
  deterministicAddrman: boolean;
}

export interface ConnmanDeps {
  sink: SyncSink;
  networkDir: string;
  /** Node time in seconds (mockable). */
  now(): number;
  /** 0 when no mock time is set. */
  mockTime(): number;
  userAgent: string;
  sync?: BlockSync;
}

export class Connman implements PeerHost {
  readonly peers = new Map<number, Peer>();
  readonly addrman: AddrMan;
  readonly banman: BanMan;
  /** Address relay's per-node secrets and GETADDR answer caches. */
  readonly addrRelayKeys = new AddrRelayKeys();
  readonly log: Logger;
  readonly magic: Uint8Array;
  readonly outbound: Outbound;
  totalBytesRecv = 0;
  totalBytesSent = 0;
  private nextId = 0;
  private servers: Server[] = [];
  private timers: NodeJS.Timeout[] = [];
  private active: boolean;
  private stopped = false;

  constructor(
    readonly opts: P2POptions,
    private readonly deps: ConnmanDeps,
  ) {
    this.log = deps.sink.log.child({ category: 'net' });
    this.magic = deps.sink.params.messageStart;
    this.active = opts.networkActive;
    this.banman = new BanMan(deps.networkDir, deps.sink.log, () => this.now(), opts.banTime);
    this.addrman = new AddrMan(deps.networkDir, deps.sink.params.defaultPort, deps.sink.log, opts.deterministicAddrman);
    this.outbound = new Outbound(this);
  }

  get sink(): SyncSink {
    return this.deps.sink;
  }

  get sync(): BlockSync | undefined {
    return this.deps.sync;
  }

  get networkActive(): boolean {
    return this.active;
  }

  now(): number {
    return this.deps.now();
  }

  nowMicros(): number {
    const mock = this.deps.mockTime();
    return mock ? mock * 1e6 : Date.now() * 1000;
  }

  /** Core: NODE_NETWORK only once every block is held (not while a snapshot's history is missing). */
  localServices(): bigint {
    const m = this.sink.manager;
    const full = m.validity !== 'unvalidated';
    return NODE_WITNESS | NODE_NETWORK_LIMITED | (full ? NODE_NETWORK : 0n);
  }

  /** Core's ApproximateBestBlockDepth < NODE_NETWORK_LIMITED_ALLOW_CONN_BLOCKS (144). */
  tipIsRecent(): boolean {
    const tip = this.sink.manager.active.tip;
    return (this.now() - tip.header.time) / this.sink.params.powTargetSpacing < 144;
  }

  isReachable(a: NetAddr): boolean {
    return this.opts.reachable.includes(a.net);
  }

  async start(): Promise<void> {
    if (this.opts.listen) await this.bindAll();
    this.timers.push(setInterval(() => {
      try {
        this.tick();
      } catch (e) {
        this.log.error({ err: e }, 'peer checks failed');
      }
    }, TICK_MS));
    this.timers.push(setInterval(() => {
      try {
        this.addrman.save();
      } catch (e) {
        this.log.error({ err: e }, 'writing peers.json failed');
      }
    }, DUMP_PEERS_INTERVAL_MS));
    this.outbound.start();
  }

  /**
   * Core's InitBinds: every -bind must succeed; without -bind, "::" may fail (the host may lack IPv6) but
   * 0.0.0.0 must not. A failure stops the node with Core's two messages.
   */
  private async bindAll(): Promise<void> {
    const explicit = this.opts.binds.length > 0;
    const binds = explicit
      ? this.opts.binds.map((b) => ({ host: formatHost(b), port: b.port, required: true }))
      : [{ host: '::', port: this.opts.port, required: false }, { host: '0.0.0.0', port: this.opts.port, required: true }];
    for (const b of binds) {
      const err = await this.listenOn(b.host, b.port);
      if (!err || !b.required) continue;
      const message = bindFailure(`${b.host.includes(':') ? `[${b.host}]` : b.host}:${b.port}`, err);
      this.log.error(message);
      // The daemon prints "Error: " before the message, as Core's InitError does before each of its two.
      throw new Error(`${message}\nError: Failed to listen on any port. Use -listen=0 if you want this.`);
    }
  }

  private listenOn(host: string, port: number): Promise<NodeJS.ErrnoException | undefined> {
    return new Promise((resolve) => {
      const server = createServer({ noDelay: true }, (s) => this.accept(s));
      server.once('error', (e: NodeJS.ErrnoException) => {
        this.log.debug(`Bind to ${host}:${port} failed: ${e.message}`);
        resolve(e);
      });
      // "::" is IPv6 only, as Core sets IPV6_V6ONLY, so that 0.0.0.0 can be bound beside it.
      server.listen({ host, port, ipv6Only: host === '::', exclusive: true }, () => {
        this.servers.push(server);
        this.log.info(`Bound to ${host.includes(':') ? `[${host}]` : host}:${port}`);
        resolve(undefined);
      });
    });
  }

  permissionsOf(a: NetAddr): Permission[] {
    return this.opts.whitelist.filter((w) => subnetMatch(w.subnet, a)).flatMap((w) => w.permissions);
  }

  hasAddrPermission(peer: Peer): boolean {
    return this.permissionsOf(peer.remote).includes('addr');
  }

  hasDownloadPermission(peer: Peer): boolean {
    return this.permissionsOf(peer.remote).includes('download');
  }

  private accept(socket: Socket): void {
    const remote = socketService(socket.remoteAddress, socket.remotePort);
    if (!remote || this.stopped) return void socket.destroy();
    const noban = this.permissionsOf(remote).includes('noban');
    if (!this.active) {
      this.log.debug(`connection from ${socket.remoteAddress} dropped: not accepting new connections`);
      return void socket.destroy();
    }
    if (!noban && this.banman.isBanned(remote)) {
      this.log.debug(`connection from ${socket.remoteAddress}:${socket.remotePort} dropped (banned)`);
      return void socket.destroy();
    }
    const inbound = [...this.livePeers()].filter((p) => p.inbound).length;
    if (!noban && this.banman.isDiscouraged(remote) && inbound + 1 >= this.maxInbound()) {
      this.log.debug(`connection from ${socket.remoteAddress}:${socket.remotePort} dropped (discouraged)`);
      return void socket.destroy();
    }
    const victim = inbound >= this.maxInbound() ? selectInboundToEvict([...this.livePeers()].filter((p) => p.inbound), (p) => p.noban) : undefined;
    victim?.disconnect('evicted to make room for an inbound peer');
    if (inbound >= this.maxInbound() && !victim) {
      this.log.debug('failed to find an eviction candidate - connection dropped (full)');
      return void socket.destroy();
    }
    const peer = this.addPeer(socket, 'inbound', remote);
    this.log.debug(`connection from ${peer.address} accepted`);
  }

  /** Core's AddConnection limits: full-relay and block-relay-only are capped, addr-fetch and feelers are not. */
  canAddConnection(type: ConnectionType): boolean {
    const max = type === 'outbound-full-relay' ? MAX_OUTBOUND_FULL_RELAY : type === 'block-relay-only' ? MAX_BLOCK_RELAY_ONLY : undefined;
    return max === undefined || [...this.livePeers()].filter((p) => p.connType === type).length < max;
  }

  maxInbound(): number {
    return Math.max(0, this.opts.maxConnections - (MAX_OUTBOUND_FULL_RELAY + MAX_BLOCK_RELAY_ONLY + MAX_FEELER));
  }


  addPeer(socket: Socket, type: ConnectionType, remote: Service, target?: string): Peer {
    const peer = new Peer(this.nextId++, type, remote, socket, this, randomBytes(8).readBigUInt64LE(), target);
    peer.noban = this.permissionsOf(remote).includes('noban');
    this.peers.set(peer.id, peer);
    this.log.debug(target ? `Added connection to ${target} peer=${peer.id}` : `Added connection peer=${peer.id}`);
    if (!peer.inbound) this.pushVersion(peer);
    return peer;
  }

  *livePeers(): IterableIterator<Peer> {
    for (const p of this.peers.values()) if (!p.disconnecting) yield p;
  }

  /** Core's PushNodeVersion. */
  pushVersion(peer: Peer): void {
    const services = this.localServices();
    const height = this.sink.manager.active.height;
    peer.sendRaw('version', encodeVersion({
      version: PROTOCOL_VERSION,
      services,
      time: this.now(),
      theirServices: 0n,
      addrRecv: isLocal(peer.remote) ? undefined : peer.remote,
      nonce: peer.localNonce,
      userAgent: this.deps.userAgent,
      startHeight: height,
      relay: false,
    }));
    this.log.debug(`send version message: version ${PROTOCOL_VERSION}, blocks=${height}, txrelay=0, peer=${peer.id}`);
  }

  /** Core's CheckIncomingNonce: an inbound version carrying one of our outbound nonces is ourselves. */
  checkIncomingNonce(nonce: bigint): boolean {
    for (const p of this.peers.values()) if (!p.inbound && !p.successfullyConnected && p.localNonce === nonce) return false;
    return true;
  }

  handle(peer: Peer, type: string, payload: Uint8Array): Promise<void> {
    return processMessage(this, peer, type, payload);
  }

  countTraffic(received: number, sent: number): void {
    this.totalBytesRecv += received;
    this.totalBytesSent += sent;
  }

  peerReady(peer: Peer): void {
    try {
      this.sync?.peerReady(peer);
    } catch (e) {
      this.log.error({ err: e }, `block sync failed on peer ${peer.id}`);
    }
  }

  closed(peer: Peer): void {
    this.peers.delete(peer.id);
    this.log.debug(`Cleared nodestate for peer=${peer.id}`);
    try {
      if (peer.successfullyConnected && peer.connType !== 'feeler' && peer.connType !== 'addr-fetch') this.sync?.peerGone(peer);
    } catch (e) {
      this.log.error({ err: e }, `block sync failed to forget peer ${peer.id}`);
    }
    this.outbound.wake();
  }

  sendAddresses(peer: Peer, addrs: AddrEntry[]): void {
    if (addrs.length > 0) peer.sendRaw(peer.wantsAddrV2 ? 'addrv2' : 'addr', encodeAddrs(addrs, peer.wantsAddrV2));
  }

  /** Core's MaybeDiscourageAndDisconnect. */
  maybeDiscourageAndDisconnect(peer: Peer): void {
    if (!peer.shouldDiscourage) return;
    peer.shouldDiscourage = false;
    if (this.permissionsOf(peer.remote).includes('noban')) {
      this.log.info(`Warning: not punishing noban peer ${peer.id}!`);
      return;
    }
    if (peer.manual) {
      this.log.info(`Warning: not punishing manually connected peer ${peer.id}!`);
      return;
    }
    if (isLocal(peer.remote)) {
      this.log.debug(`Warning: disconnecting but not discouraging local peer ${peer.id}!`);
      return peer.disconnect('misbehaving');
    }
    this.log.debug(`Disconnecting and discouraging peer ${peer.id}!`);
    this.banman.discourage(peer.remote);
    this.disconnectMatching((a) => a.net === peer.remote.net && Buffer.compare(a.bytes, peer.remote.bytes) === 0);
  }

  disconnectMatching(match: (a: NetAddr) => boolean): boolean {
    let any = false;
    for (const p of this.livePeers()) {
      if (match(p.remote)) {
        p.disconnect('disconnect requested');
        any = true;
      }
    }
    return any;
  }

  /** Core's SendMessages timing parts and InactivityCheck, every 100 ms. */
  private tick(): void {
    const now = this.nowMicros();
    for (const peer of this.livePeers()) {
      this.maybeDiscourageAndDisconnect(peer);
      if (peer.disconnecting) continue;
      if (inactive(peer, now, this.opts.peerTimeout, this.log)) {
        peer.disconnect('inactivity');
        continue;
      }
      // Core: an addr-fetch peer gets 10 × AVG_ADDRESS_BROADCAST_INTERVAL (5 minutes) to send addresses.
      if (peer.connType === 'addr-fetch' && now - peer.connectedMicros > 300e6) {
        this.log.debug(`addr fetch connection timeout, disconnecting peer=${peer.id}`);
        peer.disconnect('addr fetch timeout');
        continue;
      }
      if (peer.successfullyConnected) maybeSendPing(peer, now, this.opts.peerTimeout, this.log);
      maybeSendAddr(this, peer);
    }
  }

  /** Core's MaybeSendPing for one peer now (the tick does it for every peer). */
  sendPingIfDue(peer: Peer): void {
    maybeSendPing(peer, this.nowMicros(), this.opts.peerTimeout, this.log);
  }

  /** setnetworkactive: off disconnects everyone and stops new connections; on resumes them. */
  setNetworkActive(active: boolean): void {
    this.log.info(`SetNetworkActive: ${active}`);
    if (active === this.active) return;
    this.active = active;
    if (!active) for (const p of this.livePeers()) p.disconnect('network disabled');
    else this.outbound.wake();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    for (const t of this.timers) clearInterval(t);
    this.outbound.stop();
    // A server's close waits for its connections, so they go first.
    for (const p of this.peers.values()) p.destroy();
    this.peers.clear();
    await Promise.all(this.servers.map((s) => new Promise((r) => s.close(r))));
    await this.sync?.stop();
    try {
      this.addrman.save();
      this.banman.dump();
    } catch (e) {
      this.log.error({ err: e }, 'saving peers and bans failed');
    }
  }
}

function formatHost(s: Service): string {
  return s.net === 'ipv4' ? [...s.bytes].join('.') : Buffer.from(s.bytes).toString('hex').replace(/(.{4})(?!$)/g, '$1:');
}

/** A socket's remote address as a Service (IPv4-mapped IPv6 as IPv4). */
export function socketService(address: string | undefined, port: number | undefined): Service | undefined {
  if (!address || port === undefined) return undefined;
  const v4 = parseIPv4(address);
  if (v4) return { net: 'ipv4', bytes: v4, port };
  const v6 = parseIPv6(address.replace(/%.*$/, ''));
  return v6 ? { ...fromIPv6Bytes(v6), port } : undefined;
}
