/**
 * One connection (Core's CNode with the per-peer parts of its Peer and CNodeState): the socket, the v1
 * transport, what the peer told us in its version message, ping state, traffic per message type, and a
 * queue so that its messages are handled one at a time, in order. It is the PeerLink block sync sees.
 */
import type { Socket } from 'node:net';
import type { Logger } from 'pino';
import type { BlockSync, PeerLink, SyncMessage } from './peer-link.js';
import type { KnownAddrs } from './addr-relay.js';
import type { AddrEntry } from './messages.js';
import { encodeHeaders, encodeInv, encodeLocator } from './messages.js';
import { formatService, type Service } from './netaddr.js';
import { ALL_NET_MESSAGE_TYPES, NET_MESSAGE_TYPE_OTHER, frameMessage } from './protocol.js';
import { TransportError, V1Receiver } from './transport.js';

export type ConnectionType = 'inbound' | 'outbound-full-relay' | 'manual' | 'feeler' | 'block-relay-only' | 'addr-fetch';

/** Core's fPauseRecv threshold (-maxreceivebuffer's default, 5000 KB): stop reading while this much waits. */
const RECEIVE_FLOOD_SIZE = 5000 * 1000;

/** What a Peer needs of the node around it. */
export interface PeerHost {
  readonly magic: Uint8Array;
  readonly log: Logger;
  /** Node time, mockable: Core's GetTime<std::chrono::microseconds>(). */
  nowMicros(): number;
  countTraffic(received: number, sent: number): void;
  handle(peer: Peer, type: string, payload: Uint8Array): Promise<void> | void;
  closed(peer: Peer): void;
  readonly sync: BlockSync | undefined;
}

function typeKey(type: string): string {
  return ALL_NET_MESSAGE_TYPES.includes(type) ? type : NET_MESSAGE_TYPE_OTHER;
}

export class Peer implements PeerLink {
  readonly inbound: boolean;
  readonly address: string;
  readonly addrBind: string;
  readonly connectedMicros: number;
  readonly localNonce: bigint;
  // From the version message (0 / defaults before it).
  version = 0;
  commonVersion = 0;
  services = 0n;
  userAgent = '';
  startingHeight = -1;
  relayTxs = false;
  /** Seconds the peer's clock is ahead of ours (its version's nTime). */
  timeOffset = 0;
  // Negotiated features.
  successfullyConnected = false;
  preferHeaders = false;
  wantsAddrV2 = false;
  wtxidRelay = false;
  feeFilter = 0;
  getaddrSent = false;
  /** A GETADDR was answered on this connection (Core's m_getaddr_recvd): once only. */
  getaddrRecvd = false;
  /** Address relay (Core's m_addr_relay_enabled, m_addr_known, m_addrs_to_send, m_next_addr_send). */
  addrRelayEnabled = false;
  addrKnown: KnownAddrs | undefined;
  addrsToSend: AddrEntry[] = [];
  nextAddrSend = 0;
  // Timing (node time, microseconds; 0 = never).
  lastSend = 0;
  lastRecv = 0;
  lastBlockTime = 0;
  pingNonceSent = 0n;
  pingStart = 0;
  pingQueued = false;
  lastPingMicros: number | undefined;
  minPingMicros: number | undefined;
  shouldDiscourage = false;
  /** -whitelist noban: never discouraged (block sync reads it too). */
  noban = false;
  disconnecting = false;
  /** Addresses the peer told us about, and the token bucket that limits them (Core's m_addr_token_bucket). */
  addrTokens = 1;
  addrTokenTime = 0;
  addrProcessed = 0;
  addrRateLimited = 0;
  readonly bytesSentPerType = new Map<string, number>();
  readonly bytesRecvPerType = new Map<string, number>();
  bytesSent = 0;
  bytesRecv = 0;
  private readonly receiver: V1Receiver;
  private queue: Promise<void> = Promise.resolve();
  private queuedBytes = 0;
  private closedOnce = false;

  constructor(
    readonly id: number,
    readonly connType: ConnectionType,
    readonly remote: Service,
    private readonly socket: Socket,
    private readonly host: PeerHost,
    localNonce: bigint,
    /** addnode/-connect/-seednode target as the user wrote it (getaddednodeinfo, disconnect by address). */
    readonly target?: string,
  ) {
    this.inbound = connType === 'inbound';
    this.address = formatService(remote);
    this.addrBind = socket.localAddress ? formatBind(socket.localAddress, socket.localPort ?? 0) : '';
    this.connectedMicros = host.nowMicros();
    // The token bucket fills from the moment the peer connected (Core's m_addr_token_timestamp).
    this.addrTokenTime = this.connectedMicros;
    this.localNonce = localNonce;
    this.receiver = new V1Receiver(host.magic, id);
    socket.setNoDelay(true);
    socket.on('data', (d: Buffer) => this.onData(d));
    socket.on('error', (e) => this.log.debug(`socket error: ${e.message}, peer=${id}`));
    socket.on('close', () => this.onClose());
  }

  get log(): Logger {
    return this.host.log;
  }

  get manual(): boolean {
    return this.connType === 'manual';
  }

  /** Core's ExpectServicesFromConn. */
  get expectsServices(): boolean {
    return this.connType === 'outbound-full-relay' || this.connType === 'block-relay-only' || this.connType === 'addr-fetch';
  }

  private onData(d: Buffer): void {
    if (this.disconnecting) return;
    this.bytesRecv += d.length;
    this.host.countTraffic(d.length, 0);
    let received;
    try {
      received = this.receiver.receive(d);
    } catch (e) {
      // Whatever the bytes were, the node goes on: the stream is dropped, never the process.
      this.log.debug(e instanceof TransportError ? e.message : `receive error: ${(e as Error).message}, peer=${this.id}`);
      this.disconnect('transport error');
      return;
    }
    for (const msg of received) {
      this.lastRecv = this.host.nowMicros();
      if (msg.kind === 'rejected') {
        this.log.debug(msg.log);
        this.count(this.bytesRecvPerType, NET_MESSAGE_TYPE_OTHER, msg.rawSize);
        continue;
      }
      this.count(this.bytesRecvPerType, typeKey(msg.type), msg.rawSize);
      this.enqueue(msg.type, msg.payload);
    }
  }

  private enqueue(type: string, payload: Uint8Array): void {
    this.queuedBytes += payload.length;
    if (this.queuedBytes > RECEIVE_FLOOD_SIZE) this.socket.pause();
    this.queue = this.queue.then(async () => {
      this.queuedBytes -= payload.length;
      if (this.queuedBytes <= RECEIVE_FLOOD_SIZE && this.socket.isPaused()) this.socket.resume();
      if (this.disconnecting) return;
      try {
        await this.host.handle(this, type, payload);
      } catch (e) {
        this.log.error({ err: e }, `handling ${type} from peer=${this.id} failed`);
        this.disconnect('handler failed');
      }
    });
  }

  private count(map: Map<string, number>, key: string, n: number): void {
    map.set(key, (map.get(key) ?? 0) + n);
  }

  /** Frames and writes one message. */
  sendRaw(type: string, payload: Uint8Array = new Uint8Array(0)): void {
    if (this.disconnecting) return;
    const frame = frameMessage(this.host.magic, type, payload);
    this.log.debug(`sending ${type} (${payload.length} bytes) peer=${this.id}`);
    this.socket.write(frame);
    this.bytesSent += frame.length;
    this.count(this.bytesSentPerType, typeKey(type), frame.length);
    this.host.countTraffic(0, frame.length);
    this.lastSend = this.host.nowMicros();
  }

  send(msg: SyncMessage): void {
    switch (msg.command) {
      case 'getheaders':
        return this.sendRaw('getheaders', encodeLocator(msg.version, msg.locator, msg.stop));
      case 'headers':
        return this.sendRaw('headers', encodeHeaders(msg.headers));
      case 'getdata':
      case 'inv':
      case 'notfound':
        return this.sendRaw(msg.command, encodeInv(msg.items));
      case 'block':
        return this.sendRaw('block', msg.bytes);
    }
  }

  /** Core's fDisconnect: the socket closes once what is queued to it is written. */
  disconnect(reason: string): void {
    if (this.disconnecting) return;
    this.disconnecting = true;
    this.log.debug(`disconnecting peer=${this.id}: ${reason}`);
    this.socket.end();
    // A peer that does not read must not keep the socket (and its buffers) alive.
    setTimeout(() => this.socket.destroy(), 2000).unref();
  }

  misbehaving(message: string): void {
    this.shouldDiscourage = true;
    this.log.debug(`Misbehaving: peer=${this.id}${message ? `: ${message}` : ''}`);
  }

  /** Runs after everything already queued for this peer (so a handler's effects are ordered with its messages). */
  after(fn: () => Promise<void> | void): Promise<void> {
    const run = this.queue.then(fn);
    this.queue = run.catch(() => undefined);
    return run;
  }

  private onClose(): void {
    if (this.closedOnce) return;
    this.closedOnce = true;
    this.disconnecting = true;
    this.host.closed(this);
  }

  destroy(): void {
    this.disconnecting = true;
    this.socket.destroy();
  }
}

function formatBind(address: string, port: number): string {
  const plain = address.startsWith('::ffff:') && address.includes('.') ? address.slice(7) : address;
  return plain.includes(':') ? `[${plain}]:${port}` : `${plain}:${port}`;
}
