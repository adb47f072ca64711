/**
 * The seam between the connection layer (framing, handshake, address manager, serving peers) and block
 * sync (headers-first download, the block scheduler, tip announcements). Connections hand sync decoded
 * messages and a PeerLink per ready peer; sync answers through PeerLink only, so neither side knows how
 * the other is built.
 */
import type { BlockHeader } from '../primitives/block.js';
import type { ChainParams } from '../consensus/params.js';
import type { ChainstateManager } from '../chain/chainstate-manager.js';
import type { Logger } from 'pino';

/** Core's GetDataMsg / inventory types (protocol.h). */
export const MSG_TX = 1;
export const MSG_BLOCK = 2;
export const MSG_FILTERED_BLOCK = 3;
export const MSG_CMPCT_BLOCK = 4;
export const MSG_WTX = 5;
export const MSG_WITNESS_FLAG = 1 << 30;
export const MSG_WITNESS_BLOCK = MSG_BLOCK | MSG_WITNESS_FLAG;
export const MSG_WITNESS_TX = MSG_TX | MSG_WITNESS_FLAG;

export interface InvItem {
  type: number;
  /** Internal byte order. */
  hash: Uint8Array;
}

/** The messages block sync sends and receives, decoded. The connection layer encodes and decodes them. */
export type SyncMessage =
  | { command: 'getheaders'; version: number; locator: Uint8Array[]; stop: Uint8Array }
  | { command: 'headers'; headers: BlockHeader[] }
  | { command: 'getdata'; items: InvItem[] }
  | { command: 'inv'; items: InvItem[] }
  | { command: 'notfound'; items: InvItem[] }
  /** The serialized block with witness, as on the wire. */
  | { command: 'block'; bytes: Uint8Array };

export interface PeerLink {
  readonly id: number;
  readonly inbound: boolean;
  /** Core's ConnectionType; outbound chain-sync eviction judges only outbound-full-relay and block-relay-only. */
  readonly connType?: 'inbound' | 'outbound-full-relay' | 'manual' | 'feeler' | 'block-relay-only' | 'addr-fetch';
  /** "host:port" as getpeerinfo shows it. */
  readonly address: string;
  /** From the peer's version message. */
  readonly startingHeight: number;
  readonly services: bigint;
  /** The peer sent sendheaders: announce new tips to it with headers rather than inv. */
  readonly preferHeaders: boolean;
  send(msg: SyncMessage): void;
  disconnect(reason: string): void;
  /** Core's Misbehaving (v30): the peer is discouraged and disconnected; `message` goes to the log. */
  misbehaving(message: string): void;
}

/** What block sync needs of the node. Every engine call goes through `exclusive`. */
export interface SyncSink {
  params: ChainParams;
  manager: ChainstateManager;
  exclusive<T>(fn: () => Promise<T> | T): Promise<T>;
  log: Logger;
}

/** Implemented by block sync; called by the connection layer. */
export interface BlockSync {
  /** The handshake finished (verack both ways). */
  peerReady(peer: PeerLink): void;
  /** The connection closed, for any reason. Blocks in flight from it are reassigned. */
  peerGone(peer: PeerLink): void;
  /**
   * Any message from a ready peer is about to be handled: the time-driven checks of Core's SendMessages
   * that a clock change may have made due run first (so a ping after setmocktime finds them done).
   */
  beforeMessage?(peer: PeerLink): void;
  /** headers, block, inv and notfound messages from a ready peer. */
  handle(peer: PeerLink, msg: SyncMessage): Promise<void>;
  /** Per-peer sync state for getpeerinfo: synced_headers, synced_blocks, inflight. */
  peerStats(peerId: number): { syncedHeaders: number; syncedBlocks: number; inflight: number[] } | undefined;
  stop(): Promise<void>;
}
