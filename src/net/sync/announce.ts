/**
 * Announcing our new tips (Core's UpdatedBlockTip and the announcement part of SendMessages): to a peer
 * that sent sendheaders, the headers it lacks when they connect to what it has; otherwise an inv of the
 * tip, unless the peer already has it. Nothing is announced during initial block download.
 */
import { getAncestor, lastCommonAncestor, type BlockIndexEntry } from '../../chain/block-index.js';
import { MSG_BLOCK } from '../peer-link.js';
import { MAX_BLOCKS_TO_ANNOUNCE } from './constants.js';
import { peerHasHeader } from './headers.js';
import type { PeerSyncState } from './peer-sync-state.js';
import type { SyncCore } from './sync-core.js';

export class TipAnnouncer {
  private last: BlockIndexEntry | undefined;

  constructor(private readonly core: SyncCore) {}

  /** Announces the blocks the active tip gained since the last call. */
  announce(): void {
    const m = this.core.sink.manager;
    const tip = m.active.tip;
    const old = this.last;
    this.last = tip;
    if (!old || tip === old || m.isInitialBlockDownload()) return;
    const fork = lastCommonAncestor(tip, old);
    const blocks: BlockIndexEntry[] = [];
    for (let e: BlockIndexEntry | undefined = tip; e && e !== fork && blocks.length < MAX_BLOCKS_TO_ANNOUNCE; e = e.prev) blocks.unshift(e);
    for (const peer of this.core.peers.values()) this.announceTo(peer, blocks);
  }

  private announceTo(peer: PeerSyncState, all: BlockIndexEntry[]): void {
    const active = this.core.sink.manager.active;
    const joined = peer.joinedAt;
    const blocks = joined ? all.filter((e) => getAncestor(joined, e.height) !== e) : all;
    if (peer.link.preferHeaders) {
      const headers: BlockIndexEntry[] = [];
      let revert = false;
      let prev: BlockIndexEntry | undefined;
      for (const e of blocks) {
        if (!active.contains(e) || (prev && e.prev !== prev)) {
          revert = true;
          break;
        }
        prev = e;
        if (headers.length > 0) headers.push(e);
        else if (peerHasHeader(peer, e)) continue;
        else if (!e.prev || peerHasHeader(peer, e.prev)) headers.push(e);
        else {
          revert = true;
          break;
        }
      }
      if (!revert && headers.length > 0) {
        peer.link.send({ command: 'headers', headers: headers.map((e) => e.header) });
        peer.bestHeaderSent = headers[headers.length - 1];
        return;
      }
    }
    const tip = blocks[blocks.length - 1];
    if (tip && !peerHasHeader(peer, tip)) peer.link.send({ command: 'inv', items: [{ type: MSG_BLOCK, hash: tip.hash }] });
  }
}
