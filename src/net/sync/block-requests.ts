/**
 * The blocks in flight across all peers (Core's mapBlocksInFlight with each peer's vBlocksInFlight), and
 * Core's FindNextBlocksToDownload / TryDownloadingHistoricalBlocks / FindNextBlocks: which blocks to ask a
 * peer for next, the snapshot chainstate's first, the background chainstate's history with what is left,
 * inside the moving window, and which peer holds the window up when nothing can be asked for.
 */
import type { ChainstateManager } from '../../chain/chainstate-manager.js';
import { getAncestor, lastCommonAncestor, type BlockIndexEntry } from '../../chain/block-index.js';
import { isValid } from '../../chain/block-status.js';
import type { Chainstate } from '../../chain/chainstate.js';
import { BLOCK_DOWNLOAD_WINDOW, NODE_NETWORK_LIMITED_MIN_BLOCKS } from './constants.js';
import type { PeerSyncState } from './peer-sync-state.js';

export class BlockRequests {
  /** Block key → the peer it was asked of. */
  private readonly byKey = new Map<string, PeerSyncState>();
  /** Blocks received and being processed: still "requested", so nobody asks for them again meanwhile. */
  private readonly arriving = new Set<string>();
  /** Peers with at least one block in flight (Core's m_peers_downloading_from). */
  peersDownloading = 0;

  constructor(private readonly now: () => number) {}

  get size(): number {
    return this.byKey.size;
  }

  /** Core's IsBlockRequested. */
  isRequested(key: string): boolean {
    return this.byKey.has(key) || this.arriving.has(key);
  }

  requestedFrom(key: string): PeerSyncState | undefined {
    return this.byKey.get(key);
  }

  /** Core's BlockRequested: false if this peer already has it in flight. */
  add(peer: PeerSyncState, entry: BlockIndexEntry): boolean {
    const holder = this.byKey.get(entry.key);
    if (holder === peer) return false;
    if (holder) this.remove(entry.key, holder);
    peer.inFlight.push(entry);
    if (peer.inFlight.length === 1) {
      peer.downloadingSince = this.now();
      this.peersDownloading++;
    }
    this.byKey.set(entry.key, peer);
    return true;
  }

  /** Core's RemoveBlockRequest: from `from` only when given, else from whoever has it. */
  remove(key: string, from?: PeerSyncState): void {
    const peer = this.byKey.get(key);
    if (!peer || (from && from !== peer)) return;
    const i = peer.inFlight.findIndex((e) => e.key === key);
    // The first block arrived: the next one's clock starts now.
    if (i === 0) peer.downloadingSince = Math.max(peer.downloadingSince, this.now());
    if (i >= 0) peer.inFlight.splice(i, 1);
    if (peer.inFlight.length === 0) this.peersDownloading--;
    peer.stallingSince = 0;
    this.byKey.delete(key);
  }

  /** A vanished peer's requests go back to the pool. */
  removePeer(peer: PeerSyncState): void {
    for (const e of [...peer.inFlight]) this.remove(e.key, peer);
  }

  markArriving(key: string): void {
    this.arriving.add(key);
  }

  doneArriving(key: string): void {
    this.arriving.delete(key);
  }
}

/** What FindNextBlocks needs besides the peer. */
export interface FindContext {
  manager: ChainstateManager;
  requests: BlockRequests;
  window?: number;
}

export interface FindResult {
  blocks: BlockIndexEntry[];
  /** The peer whose in-flight block holds up the window (Core's nodeStaller). */
  staller: PeerSyncState | undefined;
}

/**
 * Core's FindNextBlocksToDownload followed, while a snapshot is being validated and the peer keeps full
 * history, by TryDownloadingHistoricalBlocks: up to `count` blocks to ask `peer` for.
 */
export function findBlocksToDownload(ctx: FindContext, peer: PeerSyncState, count: number): FindResult {
  const out: FindResult = { blocks: [], staller: undefined };
  if (count <= 0) return out;
  const m = ctx.manager;
  const window = ctx.window ?? BLOCK_DOWNLOAD_WINDOW;
  const best = peer.bestKnown;
  const active = m.active;
  const base = m.snapshotBase;
  const usable = best && best.chainWork >= active.tip.chainWork && best.chainWork >= m.params.minimumChainWork;
  // A peer whose best chain does not hold the snapshot base cannot help: we could not reorg to it.
  if (usable && !(base && getAncestor(best, base.height) !== base)) {
    const fork = lastCommonAncestor(best, active.tip)!;
    const lc = peer.lastCommon;
    if (!lc || fork.chainWork > lc.chainWork || getAncestor(best, lc.height) !== lc) peer.lastCommon = fork;
    if (peer.lastCommon !== best) {
      findNextBlocks(ctx, peer, out, peer.lastCommon!, count, peer.lastCommon!.height + window, active);
    }
  }
  const bgTip = m.backgroundTip;
  if (bgTip && base && !peer.isLimited && out.blocks.length < count) {
    if (best && getAncestor(best, base.height) === base) {
      const from = lastCommonAncestor(bgTip, base)!;
      findNextBlocks(ctx, peer, out, from, count, Math.min(from.height + window, base.height), undefined);
    }
  }
  return out;
}

/** Core's FindNextBlocks: walks the peer's best chain up from `walk`, collecting blocks to fetch. */
function findNextBlocks(ctx: FindContext, peer: PeerSyncState, out: FindResult, walk: BlockIndexEntry, count: number, windowEnd: number, chain: Chainstate | undefined): void {
  const best = peer.bestKnown!;
  const maxHeight = Math.min(best.height, windowEnd + 1);
  let waitingFor: PeerSyncState | undefined;
  let firstSeen = false;
  while (walk.height < maxHeight) {
    const n = Math.min(maxHeight - walk.height, Math.max(count - out.blocks.length, 128));
    const last = getAncestor(best, walk.height + n)!;
    const toFetch = new Array<BlockIndexEntry>(n);
    toFetch[n - 1] = last;
    for (let i = n - 1; i > 0; i--) toFetch[i - 1] = toFetch[i].prev!;
    walk = last;
    for (const e of toFetch) {
      // The peer's chain is invalid from here on.
      if (!isValid(e.status, 'header')) return;
      if (e.status.haveData || (chain && chain.contains(e))) {
        if (chain && e.chainTxCount > 0) peer.lastCommon = e;
        continue;
      }
      if (ctx.requests.isRequested(e.key)) {
        // The first block in flight decides who holds the window; one being processed right now holds nothing.
        if (!firstSeen) {
          firstSeen = true;
          waitingFor = ctx.requests.requestedFrom(e.key);
        }
        continue;
      }
      if (e.height > windowEnd) {
        // Nothing to ask for, but there would be with a window one larger: whoever has the first block holds it up.
        if (chain && out.blocks.length === 0 && waitingFor && waitingFor !== peer) out.staller = waitingFor;
        return;
      }
      // A limited peer keeps only the last 288 blocks (two less, for races).
      if (peer.isLimited && best.height - e.height >= NODE_NETWORK_LIMITED_MIN_BLOCKS - 2) continue;
      if (peer.notFound.has(e.key)) continue;
      out.blocks.push(e);
      if (out.blocks.length === count) return;
    }
  }
}
