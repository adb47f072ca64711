/**
 * A remote peer for block-sync tests, in the way Core's functional tests script P2PInterface: it serves a
 * chain of generated blocks (answers getheaders from the locator and getdata with blocks), can withhold
 * blocks, answer notfound, or stop answering; and records what block sync sent it and how it was judged.
 * It calls HeadersFirstSync as the connection layer would, including peerGone on disconnect.
 */
import type { GeneratedBlock } from '../../../contrib/chaingen/blocks.js';
import { hashToHex } from '../../../src/primitives/hash.js';
import type { PeerLink, SyncMessage } from '../../../src/net/peer-link.js';
import { NODE_NETWORK, NODE_NETWORK_LIMITED, NODE_WITNESS } from '../../../src/net/sync/constants.js';
import type { HeadersFirstSync } from '../../../src/net/sync/headers-first-sync.js';

let nextId = 0;

export interface ScriptedPeerOptions {
  inbound?: boolean;
  limited?: boolean;
  preferHeaders?: boolean;
  /** Blocks (display hex) never sent: the request stays unanswered. */
  withhold?: Set<string>;
  /** Blocks answered with notfound. */
  notFound?: Set<string>;
  /** Answers nothing at all. */
  silent?: boolean;
  /** Core's connection type, for the outbound chain-sync eviction; none by default. */
  connType?: PeerLink['connType'];
}

export class ScriptedPeer implements PeerLink {
  readonly id = nextId++;
  readonly inbound: boolean;
  readonly address: string;
  readonly startingHeight: number;
  readonly services: bigint;
  readonly preferHeaders: boolean;
  readonly connType: PeerLink['connType'];
  readonly received: SyncMessage[] = [];
  readonly misbehaved: string[] = [];
  readonly blocksServed: string[] = [];
  disconnected: string | undefined;
  private readonly heightOf = new Map<string, number>();

  constructor(
    private readonly sync: HeadersFirstSync,
    private readonly chain: GeneratedBlock[],
    readonly opts: ScriptedPeerOptions = {},
  ) {
    this.inbound = opts.inbound ?? false;
    this.address = `127.0.0.1:${18444 + this.id}`;
    this.startingHeight = chain.length;
    this.services = (opts.limited ? NODE_NETWORK_LIMITED : NODE_NETWORK) | NODE_WITNESS;
    this.preferHeaders = opts.preferHeaders ?? false;
    this.connType = opts.connType;
    chain.forEach((b, i) => this.heightOf.set(hashToHex(b.hash), i + 1));
  }

  /** The peer's chain grows (it mined or received these blocks); it serves them from now on. */
  extend(blocks: GeneratedBlock[]): void {
    for (const b of blocks) {
      this.chain.push(b);
      this.heightOf.set(hashToHex(b.hash), this.chain.length);
    }
  }

  /** Connects to `sync` (the handshake finished). */
  connect(): this {
    this.sync.peerReady(this);
    return this;
  }

  send(msg: SyncMessage): void {
    this.received.push(msg);
    if (this.disconnected || this.opts.silent) return;
    setImmediate(() => void this.answer(msg));
  }

  /** Sends a message to block sync as if it came over the wire. */
  deliver(msg: SyncMessage): Promise<void> {
    return this.disconnected ? Promise.resolve() : this.sync.handle(this, msg);
  }

  private async answer(msg: SyncMessage): Promise<void> {
    if (this.disconnected) return;
    if (msg.command === 'getheaders') {
      let from = 0;
      for (const h of msg.locator) {
        const height = h.length === 32 ? this.heightOf.get(hashToHex(h)) : undefined;
        if (height !== undefined) {
          from = height;
          break;
        }
      }
      const headers = this.chain.slice(from, from + 2000).map((b) => b.block.header);
      await this.deliver({ command: 'headers', headers });
    } else if (msg.command === 'getdata') {
      const missing = [];
      for (const item of msg.items) {
        const key = hashToHex(item.hash);
        const height = this.heightOf.get(key);
        if (this.opts.withhold?.has(key)) continue;
        if (height === undefined || this.opts.notFound?.has(key)) {
          missing.push(item);
          continue;
        }
        this.blocksServed.push(key);
        await this.deliver({ command: 'block', bytes: this.chain[height - 1].bytes });
      }
      if (missing.length) await this.deliver({ command: 'notfound', items: missing });
    }
  }

  disconnect(reason: string): void {
    if (this.disconnected) return;
    this.disconnected = reason;
    this.sync.peerGone(this);
  }

  misbehaving(message: string): void {
    this.misbehaved.push(message);
    this.disconnect(`misbehaving: ${message}`);
  }
}

/** The daemon's sink (one mutex) and the condition poller of the source tests serve block sync as they are. */
export { makeSink as syncSink, waitFor } from '../../node/sources/sink.js';
