/**
 * Core's ProcessHeadersMessage and its helpers: sanity checks (proof of work, continuity), the low-work
 * anti-DoS path, unconnecting headers (ask again from our best header), storing, asking for more after a
 * full batch, the peer's best known block, and direct fetch of blocks toward a new tip near ours.
 */
import { blockHash, type BlockHeader } from '../../primitives/block.js';
import { equalBytes } from '../../primitives/bytes.js';
import { hashToHex } from '../../primitives/hash.js';
import { blockProof, checkProofOfWork } from '../../consensus/pow.js';
import { ValidationError } from '../../consensus/validation-error.js';
import { blockLocator } from '../../chain/locator.js';
import { getAncestor, type BlockIndexEntry } from '../../chain/block-index.js';
import { isValid } from '../../chain/block-status.js';
import { MAX_BLOCKS_IN_TRANSIT_PER_PEER, MAX_HEADERS_RESULTS } from './constants.js';
import { LowWorkHeadersSync } from './low-work-headers.js';
import { maybeProtect } from './chain-sync-eviction.js';
import type { PeerSyncState } from './peer-sync-state.js';
import { isNoban, type SyncCore } from './sync-core.js';

export async function processHeaders(core: SyncCore, peer: PeerSyncState, received: BlockHeader[]): Promise<void> {
  const { manager, params } = core.sink;
  const index = manager.storage.index;
  const count = received.length;
  let headers = received;
  if (count === 0) {
    // The peer has nothing more (perhaps it reorganised to our chain): any low-work sync with it ends.
    peer.lowWork = undefined;
    peer.lastGetheaders = 0;
    return;
  }
  if (count > MAX_HEADERS_RESULTS) return peer.link.misbehaving(`headers message size = ${count}`);
  for (const h of headers) {
    if (!checkProofOfWork(blockHash(h), h.bits, params.powLimit)) return peer.link.misbehaving('header with invalid proof of work');
  }
  for (let i = 1; i < headers.length; i++) {
    if (!equalBytes(headers[i].prevHash, blockHash(headers[i - 1]))) return peer.link.misbehaving('non-continuous headers sequence');
  }

  let workValidated = false;
  let haveLowWorkSync = false;
  if (peer.lowWork) {
    const r = peer.lowWork.process(headers, count === MAX_HEADERS_RESULTS);
    if (r.success) peer.lastGetheaders = 0;
    if (r.requestMore) core.maybeSendGetheaders(peer, peer.lowWork.locator());
    if (r.abort) core.netLog.debug(`Initial headers sync aborted with peer=${peer.link.id}: ${r.abort}`);
    if (peer.lowWork.state === 'final') peer.lowWork = undefined;
    // Not a continuation (an announcement, say): the sync is over and the headers are judged as any others.
    if (r.success) {
      headers = r.headers;
      workValidated = true;
      if (headers.length === 0) return;
      haveLowWorkSync = peer.lowWork !== undefined;
    }
  }

  const start = index.get(headers[0].prevHash);
  if (!start) {
    // Maybe a BIP 130 announcement whose parent we lack: ask for what connects it.
    const best = index.bestHeader;
    if (core.maybeSendGetheaders(peer, blockLocator(best))) {
      core.netLog.debug(`received header ${hashToHex(blockHash(headers[0]))}: missing prev block, sending getheaders (${best.height}) to end (peer=${peer.link.id})`);
    }
    core.updateBlockAvailability(peer, blockHash(headers[headers.length - 1]));
    return;
  }
  peer.lastGetheaders = 0;

  const lastKnown = index.get(blockHash(headers[headers.length - 1]));
  if (lastKnown && core.isAncestorOfBestHeaderOrTip(lastKnown)) workValidated = true;
  if (!workValidated && isNoban(peer.link)) workValidated = true;
  if (!workValidated) {
    const total = start.chainWork + headers.reduce((w, h) => w + blockProof(h.bits), 0n);
    const threshold = core.antiDosWorkThreshold();
    if (total < threshold) {
      if (count === MAX_HEADERS_RESULTS) {
        peer.lowWork = new LowWorkHeadersSync(params, start, threshold);
        const r = peer.lowWork.process(headers, true);
        if (r.requestMore) core.maybeSendGetheaders(peer, peer.lowWork.locator());
        if (peer.lowWork.state === 'final') peer.lowWork = undefined;
      } else {
        core.netLog.debug(`Ignoring low-work chain (height=${start.height + headers.length}) from peer=${peer.link.id}`);
      }
      return;
    }
  }

  const receivedNew = lastKnown === undefined;
  let last: BlockIndexEntry | undefined;
  const failure = await core.sink.exclusive(() => {
    for (const h of headers) {
      try {
        last = manager.processHeader(h);
      } catch (e) {
        if (e instanceof ValidationError) return e;
        throw e;
      }
    }
    return undefined;
  });
  if (failure) {
    core.punishForBlock(peer, failure, 'invalid header received');
    return;
  }
  if (!last) return;
  if (receivedNew) core.logHeaderProgress(last);
  if (count === MAX_HEADERS_RESULTS && !haveLowWorkSync) {
    if (core.maybeSendGetheaders(peer, blockLocator(last))) {
      core.netLog.debug(`more getheaders (${last.height}) to end to peer=${peer.link.id} (startheight:${peer.link.startingHeight})`);
    }
  }
  core.updateBlockAvailability(peer, last.hash);
  // In initial download, an outbound peer whose whole chain lacks the minimum work cannot help.
  if (manager.isInitialBlockDownload() && count < MAX_HEADERS_RESULTS && peer.bestKnown && peer.bestKnown.chainWork < params.minimumChainWork && !peer.link.inbound) {
    core.netLog.info(`outbound peer headers chain has insufficient work, disconnecting peer=${peer.link.id}`);
    peer.link.disconnect('headers chain has insufficient work');
    return;
  }
  maybeProtect(core, peer);
  directFetch(core, peer, last);
}

/** Core's HeadersDirectFetchBlocks: near the tip, ask at once for the blocks toward a new best header. */
function directFetch(core: SyncCore, peer: PeerSyncState, last: BlockIndexEntry): void {
  const active = core.sink.manager.active;
  if (!core.canDirectFetch() || !isValid(last.status, 'header') || active.tip.chainWork > last.chainWork) return;
  const toFetch: BlockIndexEntry[] = [];
  let walk: BlockIndexEntry | undefined = last;
  while (walk && !active.contains(walk) && toFetch.length <= MAX_BLOCKS_IN_TRANSIT_PER_PEER) {
    if (!walk.status.haveData && !core.requests.isRequested(walk.key)) toFetch.push(walk);
    walk = walk.prev;
  }
  // Too deep a reorganisation to fetch directly: parallel download takes care of it.
  if (!walk || !active.contains(walk)) return;
  const wanted: BlockIndexEntry[] = [];
  for (const e of toFetch.reverse()) {
    if (peer.inFlight.length >= MAX_BLOCKS_IN_TRANSIT_PER_PEER) break;
    if (core.requests.add(peer, e)) wanted.push(e);
  }
  core.sendGetdata(peer, wanted);
}

/** Core's PeerHasHeader: the peer announced this block or an descendant, or we sent it the header. */
export function peerHasHeader(peer: PeerSyncState, e: BlockIndexEntry): boolean {
  if (peer.bestKnown && getAncestor(peer.bestKnown, e.height) === e) return true;
  return peer.bestHeaderSent !== undefined && getAncestor(peer.bestHeaderSent, e.height) === e;
}
