/**
 * Block sync over P2P (Core's net_processing, the block half): headers first from one peer and then from
 * all, parallel block download in a moving window with stall and timeout detection, the snapshot
 * chainstate's blocks before the background chainstate's history, new tips fetched as soon as they are
 * announced and announced in turn to our peers. The connection layer calls in through BlockSync.
 */
import { blockHash, blockMerkleRoot, parseBlock, type Block } from '../../primitives/block.js';
import { equalBytes } from '../../primitives/bytes.js';
import { hashToHex } from '../../primitives/hash.js';
import { blockProof } from '../../consensus/pow.js';
import { ValidationError } from '../../consensus/validation-error.js';
import { blockLocator } from '../../chain/locator.js';
import { validityRank } from '../../chain/block-status.js';
import { lastCommonAncestor, type BlockIndexEntry } from '../../chain/block-index.js';
import { MSG_BLOCK, MSG_WITNESS_FLAG, type BlockSync, type InvItem, type PeerLink, type SyncMessage, type SyncSink } from '../peer-link.js';
import { findBlocksToDownload } from './block-requests.js';
import {
  BLOCK_DOWNLOAD_TIMEOUT_BASE,
  BLOCK_DOWNLOAD_TIMEOUT_PER_PEER,
  BLOCK_STALLING_TIMEOUT_MAX_MS,
  HEADERS_DOWNLOAD_TIMEOUT_BASE_MS,
  HEADERS_DOWNLOAD_TIMEOUT_PER_HEADER_MS,
  MAX_BLOCKS_IN_TRANSIT_PER_PEER,
  MAX_HEADERS_RESULTS,
  MIN_BLOCKS_TO_KEEP,
} from './constants.js';
import { processHeaders } from './headers.js';
import { PeerSyncState } from './peer-sync-state.js';
import { SyncCore, isNoban, type HeadersFirstSyncOptions } from './sync-core.js';
import { TipAnnouncer } from './announce.js';
import { considerEviction } from './chain-sync-eviction.js';

export type { HeadersFirstSyncOptions } from './sync-core.js';

const isBlockInv = (i: InvItem) => (i.type & ~MSG_WITNESS_FLAG) === MSG_BLOCK;
const DAY_MS = 24 * 60 * 60 * 1000;

export class HeadersFirstSync extends SyncCore implements BlockSync {
  private readonly timer: NodeJS.Timeout;
  private readonly announcer: TipAnnouncer;
  /** The block hash whose inv last started a getheaders with a peer not yet syncing (Core's m_last_block_inv_triggering_headers_sync). */
  private lastInvTriggering: string | undefined;
  /** Blocks received but not yet connected, and who sent them (Core's mapBlockSource): punished if they fail. */
  private readonly blockSource = new Map<BlockIndexEntry, PeerSyncState>();
  private stopped = false;
  private ticking = false;
  private readonly validationLog = this.sink.log.child({ category: 'validation' });

  constructor(sink: SyncSink, opts: HeadersFirstSyncOptions = {}) {
    super(sink, opts);
    this.announcer = new TipAnnouncer(this);
    this.timer = setInterval(() => this.tick(), opts.tickMs ?? 100);
    this.timer.unref();
  }

  peerReady(link: PeerLink): void {
    if (this.stopped || this.peers.has(link.id)) return;
    const peer = new PeerSyncState(link);
    peer.joinedAt = this.sink.manager.active.tip;
    this.peers.set(link.id, peer);
    this.sendMessages(peer);
  }

  peerGone(link: PeerLink): void {
    const peer = this.peers.get(link.id);
    if (!peer) return;
    this.peers.delete(link.id);
    this.requests.removePeer(peer);
    if (peer.syncStarted) this.syncStarted--;
    if (peer.chainSync.protect) this.protectedOutbound--;
    for (const [e, p] of this.blockSource) if (p === peer) this.blockSource.delete(e);
    // Its blocks go to the others at once.
    for (const p of this.peers.values()) this.sendMessages(p);
  }

  beforeMessage(link: PeerLink): void {
    const peer = this.peers.get(link.id);
    if (peer && !this.stopped && considerEviction(this, peer)) this.dropPeer(peer);
  }

  handle(link: PeerLink, msg: SyncMessage): Promise<void> {
    const peer = this.peers.get(link.id);
    if (!peer || this.stopped) return Promise.resolve();
    peer.queue = peer.queue
      .then(() => this.dispatch(peer, msg))
      .catch((e) => this.sink.log.error({ err: e }, `block sync: handling ${msg.command} from peer=${link.id} failed`));
    return peer.queue;
  }

  private async dispatch(peer: PeerSyncState, msg: SyncMessage): Promise<void> {
    if (!this.peers.has(peer.link.id)) return;
    switch (msg.command) {
      case 'headers':
        await processHeaders(this, peer, msg.headers);
        break;
      case 'block':
        await this.processBlock(peer, msg.bytes);
        break;
      case 'inv':
        this.processInv(peer, msg.items);
        break;
      case 'notfound':
        this.processNotFound(peer, msg.items);
        break;
      case 'getheaders':
        this.noteHeadersServed(peer, msg.locator, msg.stop);
        return;
      default:
        return;
    }
    if (this.peers.has(peer.link.id)) this.sendMessages(peer);
  }

  peerStats(peerId: number): { syncedHeaders: number; syncedBlocks: number; inflight: number[] } | undefined {
    const peer = this.peers.get(peerId);
    if (!peer) return undefined;
    this.processBlockAvailability(peer);
    return {
      syncedHeaders: peer.bestKnown?.height ?? -1,
      syncedBlocks: peer.lastCommon?.height ?? -1,
      inflight: peer.inFlight.map((e) => e.height),
    };
  }

  /** getpeerinfo's presynced_headers: the height of a low-work headers sync in its first phase, else -1. */
  presyncedHeaders(peerId: number): number {
    const s = this.peers.get(peerId)?.lowWork;
    return s && s.state === 'presync' ? s.presyncHeight : -1;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    await Promise.all([...this.peers.values()].map((p) => p.queue));
  }

  /** Core's inv handling for blocks: remember availability; a new block starts a getheaders. */
  private processInv(peer: PeerSyncState, items: InvItem[]): void {
    const index = this.sink.manager.storage.index;
    let best: Uint8Array | undefined;
    for (const item of items) {
      // Transactions are neither relayed nor requested: their announcements are ignored.
      if (!isBlockInv(item)) continue;
      const known = index.get(item.hash);
      this.updateBlockAvailability(peer, item.hash);
      if (!known?.status.haveData && !this.requests.isRequested(hashToHex(item.hash))) best = item.hash;
    }
    if (!best) return;
    const key = hashToHex(best);
    if (peer.syncStarted || (!peer.invTriggeredGetheaders && key !== this.lastInvTriggering)) {
      const bestHeader = index.bestHeader;
      if (this.maybeSendGetheaders(peer, blockLocator(bestHeader))) {
        this.netLog.debug(`getheaders (${bestHeader.height}) ${key} to peer=${peer.link.id}`);
      }
      if (!peer.syncStarted) {
        peer.invTriggeredGetheaders = true;
        this.lastInvTriggering = key;
      }
    }
  }

  /**
   * The connection layer answered a getheaders from this peer (it forwards the request here): what Core's
   * GETHEADERS handler records as pindexBestHeaderSent, the last header sent or else our tip, so that the
   * next tip is announced to it by headers.
   */
  private noteHeadersServed(peer: PeerSyncState, locator: Uint8Array[], stop: Uint8Array): void {
    const m = this.sink.manager;
    const index = m.storage.index;
    const active = m.active;
    if (active.tip.chainWork < this.sink.params.minimumChainWork) return;
    let last: BlockIndexEntry | undefined;
    if (locator.length === 0) {
      last = index.get(stop);
      if (!last) return;
    } else {
      let fork = active.at(0)!;
      for (const h of locator) {
        const e = index.get(h);
        if (e && active.contains(e)) {
          fork = e;
          break;
        }
      }
      const stopKey = hashToHex(stop);
      let e = active.at(fork.height + 1);
      for (let n = 0; e && n < MAX_HEADERS_RESULTS; n++) {
        last = e;
        if (e.key === stopKey) break;
        e = active.at(e.height + 1);
      }
      // Sent everything up to our tip (or nothing, the peer being there already): it has our tip.
      if (!e || (last && last === active.tip)) last = active.tip;
    }
    peer.bestHeaderSent = last;
  }

  /** A peer lacks blocks we asked for: ask someone else (and not it again). */
  private processNotFound(peer: PeerSyncState, items: InvItem[]): void {
    let freed = false;
    for (const item of items) {
      if (!isBlockInv(item)) continue;
      const key = hashToHex(item.hash);
      if (this.requests.requestedFrom(key) !== peer) continue;
      this.requests.remove(key, peer);
      peer.notFound.add(key);
      freed = true;
    }
    if (freed) for (const p of this.peers.values()) if (p !== peer) this.sendMessages(p);
  }

  /** Core's BLOCK message handling and ProcessBlock, with AcceptBlock's rules for unrequested blocks. */
  private async processBlock(peer: PeerSyncState, bytes: Uint8Array): Promise<void> {
    const m = this.sink.manager;
    const index = m.storage.index;
    let block: Block;
    try {
      block = parseBlock(bytes);
    } catch {
      return peer.link.misbehaving('mutated block');
    }
    const header = block.header;
    // Core's IsBlockMutated, before anything else: a copy whose transactions do not match its header.
    const merkle = blockMerkleRoot(block);
    if (merkle.mutated || !equalBytes(merkle.root, header.merkleRoot)) {
      this.validationLog.debug(`IsBlockMutated: ${merkle.mutated ? 'bad-txns-duplicate, duplicate transaction' : 'bad-txnmrklroot, hashMerkleRoot mismatch'}`);
      this.requests.remove(hashToHex(blockHash(header)), peer);
      return peer.link.misbehaving('mutated block');
    }
    const key = hashToHex(blockHash(header));
    const prev = index.get(header.prevHash);
    const requested = this.requests.isRequested(key);
    this.requests.remove(key, peer);
    const work = prev ? prev.chainWork + blockProof(header.bits) : 0n;
    if (!requested) {
      // Unrequested: stored only if it could be a new tip soon and its chain shows enough work.
      const tip = m.active.tip;
      const known = index.get(key);
      if (known?.status.haveData) return;
      // Its parent is unknown: the header cannot be accepted (Core's BLOCK_MISSING_PREV, punished).
      if (!prev) return peer.link.misbehaving('invalid block received');
      if (!known && work < this.antiDosWorkThreshold()) {
        this.validationLog.debug(`AcceptBlockHeader: not adding new block header ${key}, missing anti-dos proof-of-work validation`);
        return;
      }
      if (work < tip.chainWork || prev.height + 1 > tip.height + MIN_BLOCKS_TO_KEEP || work < this.sink.params.minimumChainWork) {
        // As Core's AcceptBlock: the header is kept (its work passed the anti-DoS check), the block is not.
        this.netLog.debug(`received unrequested block ${key} peer=${peer.link.id}: header only`);
        try {
          await this.sink.exclusive(() => m.processHeader(header));
        } catch (e) {
          if (!(e instanceof ValidationError)) throw e;
          this.punishForBlock(peer, e, 'invalid header received');
        }
        return;
      }
    }
    this.netLog.debug(`received block ${key} peer=${peer.link.id}`);
    this.requests.markArriving(key);
    let result: { entry: BlockIndexEntry; isNew: boolean } | undefined;
    try {
      result = await this.sink.exclusive(() => m.processBlock(bytes));
    } catch (e) {
      if (!(e instanceof ValidationError)) throw e;
      this.punishForBlock(peer, e, e.result === 'mutated' ? 'mutated block' : 'invalid block received');
      return;
    } finally {
      this.requests.doneArriving(key);
    }
    if (result.isNew) {
      this.requests.remove(key);
      if (validityRank(result.entry.status.validity) < validityRank('scripts')) this.blockSource.set(result.entry, peer);
    }
    this.checkBlockSources();
  }

  /** Core's BlockChecked: a block that failed when connected marks its sender; connected ones are forgotten. */
  private checkBlockSources(): void {
    for (const [e, peer] of this.blockSource) {
      if (e.status.failure === 'failed') {
        this.blockSource.delete(e);
        if (this.peers.has(peer.link.id)) peer.link.misbehaving('invalid block received');
      } else if (e.status.failure || validityRank(e.status.validity) >= validityRank('scripts')) {
        this.blockSource.delete(e);
      }
    }
    // Each block either chainstate connected, whoever sent it (its peer may be gone), lets a raised stall
    // timeout decay by 15% toward its default (Core's BlockConnected, for every chainstate role).
    let connected = this.tipAdvance('active', this.sink.manager.active.tip) + this.tipAdvance('background', this.sink.manager.backgroundTip);
    for (; connected > 0 && this.stallTimeoutMs > this.defaultStallTimeoutMs; connected--) {
      this.stallTimeoutMs = Math.max(Math.floor((this.stallTimeoutMs * 0.85) / 1000) * 1000, this.defaultStallTimeoutMs);
      this.netLog.debug(`Decreased stalling timeout to ${Math.round(this.stallTimeoutMs / 1000)} seconds`);
    }
  }

  private readonly lastTips = new Map<'active' | 'background', BlockIndexEntry>();

  /** Blocks connected onto a chainstate's tip since the last look (0 the first time, or after a reorg down). */
  private tipAdvance(role: 'active' | 'background', tip: BlockIndexEntry | undefined): number {
    const last = this.lastTips.get(role);
    if (!tip) {
      this.lastTips.delete(role);
      return 0;
    }
    this.lastTips.set(role, tip);
    if (!last || last === tip) return 0;
    const fork = lastCommonAncestor(tip, last);
    return fork ? tip.height - fork.height : 0;
  }

  /** The periodic part of Core's SendMessages, for every peer, and tip announcements. */
  private tick(): void {
    if (this.stopped || this.ticking) return;
    this.ticking = true;
    try {
      this.checkBlockSources();
      this.announcer.announce();
      for (const peer of [...this.peers.values()]) this.sendMessages(peer);
    } catch (e) {
      this.sink.log.error({ err: e }, 'block sync: periodic check failed');
    } finally {
      this.ticking = false;
    }
  }

  /** Core's SendMessages for block sync: start headers sync, detect stalls and timeouts, request blocks. */
  private sendMessages(peer: PeerSyncState): void {
    if (this.stopped || !this.peers.has(peer.link.id)) return;
    const m = this.sink.manager;
    const index = m.storage.index;
    const now = this.now();
    const preferred = !peer.link.inbound || isNoban(peer.link);
    const preferredPeers = [...this.peers.values()].filter((p) => !p.link.inbound || isNoban(p.link)).length;
    const syncFromPeer = preferred || (peer.canServeBlocks && (preferredPeers === 0 || this.requests.size === 0));
    const bestHeader = index.bestHeader;
    const headersRecent = bestHeader.header.time * 1000 > now - DAY_MS;

    if (!peer.syncStarted && peer.canServeBlocks && ((this.syncStarted === 0 && syncFromPeer) || headersRecent)) {
      // One block before the best header, so the answer is never empty and sets the peer's best block.
      const start = bestHeader.prev ?? bestHeader;
      if (this.maybeSendGetheaders(peer, blockLocator(start))) {
        this.netLog.debug(`initial getheaders (${start.height}) to peer=${peer.link.id} (startheight:${peer.link.startingHeight})`);
        peer.syncStarted = true;
        const behind = Math.max(0, (now - bestHeader.header.time * 1000) / 1000 / this.sink.params.powTargetSpacing);
        peer.headersSyncTimeout = now + HEADERS_DOWNLOAD_TIMEOUT_BASE_MS + HEADERS_DOWNLOAD_TIMEOUT_PER_HEADER_MS * behind;
        this.syncStarted++;
      }
    }

    if (peer.stallingSince && peer.stallingSince < now - this.stallTimeoutMs) {
      this.netLog.info(`Peer is stalling block download, disconnecting peer=${peer.link.id}`);
      peer.link.disconnect('stalling block download');
      // The next staller gets longer, in case our own bandwidth is the problem.
      const next = Math.min(2 * this.stallTimeoutMs, BLOCK_STALLING_TIMEOUT_MAX_MS);
      if (next !== this.stallTimeoutMs) this.netLog.debug(`Increased stalling timeout temporarily to ${Math.round(next / 1000)} seconds`);
      this.stallTimeoutMs = next;
      this.dropPeer(peer);
      return;
    }
    if (peer.inFlight.length > 0) {
      const others = this.requests.peersDownloading - 1;
      const limit = this.sink.params.powTargetSpacing * 1000 * (BLOCK_DOWNLOAD_TIMEOUT_BASE + BLOCK_DOWNLOAD_TIMEOUT_PER_PEER * others);
      if (now > peer.downloadingSince + limit) {
        this.netLog.info(`Timeout downloading block ${peer.inFlight[0].key}, disconnecting peer=${peer.link.id}`);
        peer.link.disconnect('block download timeout');
        this.dropPeer(peer);
        return;
      }
    }
    if (peer.syncStarted && peer.headersSyncTimeout < Infinity) {
      if (!headersRecent) {
        if (now > peer.headersSyncTimeout && this.syncStarted === 1 && preferredPeers - (preferred ? 1 : 0) >= 1) {
          if (!isNoban(peer.link)) {
            this.netLog.info(`Timeout downloading headers, disconnecting peer=${peer.link.id}`);
            peer.link.disconnect('headers download timeout');
            this.dropPeer(peer);
            return;
          }
          // Its sync state is reset instead, so that another peer gets its chance.
          this.netLog.info(`Timeout downloading headers from noban peer, not disconnecting peer=${peer.link.id}`);
          peer.syncStarted = false;
          this.syncStarted--;
          peer.headersSyncTimeout = 0;
        }
      } else {
        peer.headersSyncTimeout = Infinity;
      }
    }
    if (considerEviction(this, peer)) return this.dropPeer(peer);

    const ibd = m.isInitialBlockDownload();
    if (peer.canServeBlocks && ((syncFromPeer && !peer.isLimited) || !ibd) && peer.inFlight.length < MAX_BLOCKS_IN_TRANSIT_PER_PEER) {
      const found = findBlocksToDownload({ manager: m, requests: this.requests, window: this.window }, peer, MAX_BLOCKS_IN_TRANSIT_PER_PEER - peer.inFlight.length);
      const wanted = found.blocks.filter((e) => this.requests.add(peer, e));
      this.sendGetdata(peer, wanted);
      if (peer.inFlight.length === 0 && found.staller && found.staller.stallingSince === 0) {
        found.staller.stallingSince = now;
        this.netLog.debug(`Stall started peer=${found.staller.link.id}`);
      }
    }
  }

  /** A peer we disconnected: forget it now rather than wait for peerGone, so its blocks move on at once. */
  private dropPeer(peer: PeerSyncState): void {
    this.peerGone(peer.link);
  }
}
