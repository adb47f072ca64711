/**
 * The state block sync shares between its parts (headers, block download, announcements): the peers, the
 * blocks in flight, the clock, the stall timeout, and Core's small helpers around them (MaybeSendGetHeaders,
 * UpdateBlockAvailability, GetAntiDoSWorkThreshold, MaybePunishNodeForBlock, CanDirectFetch).
 */
import type { Logger } from 'pino';
import { hashToHex } from '../../primitives/hash.js';
import { blockProof } from '../../consensus/pow.js';
import type { ValidationError } from '../../consensus/validation-error.js';
import { getAncestor, type BlockIndexEntry } from '../../chain/block-index.js';
import { MSG_BLOCK, MSG_WITNESS_FLAG, type PeerLink, type SyncSink } from '../peer-link.js';
import { BlockRequests } from './block-requests.js';
import { BLOCK_STALLING_TIMEOUT_DEFAULT_MS, HEADERS_RESPONSE_TIME_MS, LOCATOR_VERSION } from './constants.js';
import type { PeerSyncState } from './peer-sync-state.js';

export interface HeadersFirstSyncOptions {
  /** Clock in milliseconds; by default the manager's clock (which follows setmocktime in the daemon). */
  now?: () => number;
  /** How often the per-peer checks (stalls, timeouts, new requests, tip announcements) run; default 100 ms. */
  tickMs?: number;
  /** Core's BLOCK_DOWNLOAD_WINDOW (tests shrink it). */
  window?: number;
  /** Starting stall timeout (Core's BLOCK_STALLING_TIMEOUT_DEFAULT, 2 s). */
  stallTimeoutMs?: number;
}

/** Peers with the noban permission skip the low-work header checks (an optional PeerLink field). */
export function isNoban(link: PeerLink): boolean {
  return (link as { noban?: boolean }).noban === true;
}

/**
 * Milliseconds on the node's clock: the manager's clock (seconds, following setmocktime in the daemon)
 * when it is set away from the system clock, else the system clock with its millisecond precision.
 */
function nodeClock(sink: SyncSink): () => number {
  const seconds = sink.manager.opts.now;
  if (!seconds) return Date.now;
  return () => {
    const real = Date.now();
    const node = seconds();
    return node === Math.floor(real / 1000) ? real : node * 1000;
  };
}

export abstract class SyncCore {
  readonly peers = new Map<number, PeerSyncState>();
  readonly requests: BlockRequests;
  readonly now: () => number;
  readonly netLog: Logger;
  readonly window: number | undefined;
  /** Core's m_block_stalling_timeout: doubles on each stall disconnect, decays as blocks connect. */
  stallTimeoutMs: number;
  readonly defaultStallTimeoutMs: number;
  /** Peers with initial headers sync started (Core's nSyncStarted). */
  syncStarted = 0;
  /** Outbound peers spared from chain-sync eviction (Core's m_outbound_peers_with_protect_from_disconnect). */
  protectedOutbound = 0;

  constructor(
    readonly sink: SyncSink,
    opts: HeadersFirstSyncOptions = {},
  ) {
    this.now = opts.now ?? nodeClock(sink);
    this.requests = new BlockRequests(this.now);
    this.netLog = sink.log.child({ category: 'net' });
    this.window = opts.window;
    this.stallTimeoutMs = this.defaultStallTimeoutMs = opts.stallTimeoutMs ?? BLOCK_STALLING_TIMEOUT_DEFAULT_MS;
  }

  /** Core's MaybeSendGetHeaders: one getheaders in flight per peer, unless the last is two minutes old. */
  maybeSendGetheaders(peer: PeerSyncState, locator: Uint8Array[]): boolean {
    const now = this.now();
    if (peer.lastGetheaders !== 0 && now - peer.lastGetheaders <= HEADERS_RESPONSE_TIME_MS) return false;
    peer.link.send({ command: 'getheaders', version: LOCATOR_VERSION, locator, stop: new Uint8Array(32) });
    peer.lastGetheaders = now;
    return true;
  }

  sendGetdata(peer: PeerSyncState, entries: BlockIndexEntry[]): void {
    if (entries.length === 0) return;
    for (const e of entries) this.netLog.debug(`Requesting block ${e.key} (${e.height}) peer=${peer.link.id}`);
    peer.link.send({ command: 'getdata', items: entries.map((e) => ({ type: MSG_BLOCK | MSG_WITNESS_FLAG, hash: e.hash })) });
  }

  /** Core's ProcessBlockAvailability: an announced block whose header has since arrived becomes the best known. */
  processBlockAvailability(peer: PeerSyncState): void {
    if (!peer.lastUnknownHash) return;
    const e = this.sink.manager.storage.index.get(peer.lastUnknownHash);
    if (!e) return;
    if (!peer.bestKnown || e.chainWork >= peer.bestKnown.chainWork) this.setBestKnown(peer, e);
    peer.lastUnknownHash = undefined;
  }

  /**
   * A new best block for the peer. Requests for blocks off its new chain are released (it reorganised
   * away from them and may no longer serve them), and blocks it lacked may be there now.
   */
  private setBestKnown(peer: PeerSyncState, e: BlockIndexEntry): void {
    if (peer.bestKnown === e) return;
    peer.bestKnown = e;
    peer.notFound.clear();
    for (const b of [...peer.inFlight]) if (getAncestor(e, b.height) !== b) this.requests.remove(b.key, peer);
  }

  /** Core's UpdateBlockAvailability. */
  updateBlockAvailability(peer: PeerSyncState, hash: Uint8Array): void {
    this.processBlockAvailability(peer);
    const e = this.sink.manager.storage.index.get(hash);
    if (e) {
      if (!peer.bestKnown || e.chainWork >= peer.bestKnown.chainWork) this.setBestKnown(peer, e);
    } else {
      peer.lastUnknownHash = hashToHex(hash);
    }
  }

  isAncestorOfBestHeaderOrTip(e: BlockIndexEntry): boolean {
    const m = this.sink.manager;
    return getAncestor(m.storage.index.bestHeader, e.height) === e || m.active.contains(e);
  }

  /** Core's GetAntiDoSWorkThreshold: the minimum chain work, or our tip's work less 144 blocks' worth. */
  antiDosWorkThreshold(): bigint {
    const tip = this.sink.manager.active.tip;
    const buffer = 144n * blockProof(tip.header.bits);
    const nearTip = tip.chainWork - (buffer < tip.chainWork ? buffer : tip.chainWork);
    const min = this.sink.params.minimumChainWork;
    return nearTip > min ? nearTip : min;
  }

  /** Core's CanDirectFetch: our tip is less than 20 block intervals old. */
  canDirectFetch(): boolean {
    const spacing = this.sink.params.powTargetSpacing;
    return this.sink.manager.active.tip.header.time * 1000 > this.now() - spacing * 20 * 1000;
  }

  /** Core's MaybePunishNodeForBlock, for our ValidationError results. */
  punishForBlock(peer: PeerSyncState, e: ValidationError, message: string): void {
    this.netLog.debug(`${message}: ${e.message} peer=${peer.link.id}`);
    switch (e.result) {
      case 'consensus':
        // A block or header known to be invalid: only outbound peers are discouraged for it (BLOCK_CACHED_INVALID).
        if (e.reason === 'duplicate-invalid' && peer.link.inbound) return;
        return peer.link.misbehaving(message);
      case 'mutated':
      case 'invalid-prev':
      case 'missing-prev':
        return peer.link.misbehaving(message);
      default:
        return;
    }
  }

  /** Core's "Synchronizing blockheaders" line: the best header moved during initial download. */
  logHeaderProgress(last: BlockIndexEntry): void {
    const m = this.sink.manager;
    if (last !== m.storage.index.bestHeader || !m.isInitialBlockDownload()) return;
    const now = this.now();
    const spacing = this.sink.params.powTargetSpacing;
    const behind = Math.max(0, Math.floor((now / 1000 - last.header.time) / spacing));
    const pct = (100 * last.height) / (last.height + behind);
    this.sink.log.info(`Synchronizing blockheaders, height: ${last.height} (~${pct.toFixed(2)}%)`);
  }
}
