/**
 * Serving other nodes (Core's getheaders, getblocks and ProcessGetData handlers): headers from the active
 * chain after the locator's fork point, and blocks we hold. A block we do not hold — history under an
 * unvalidated snapshot — is answered with notfound, so the peer asks someone else at once.
 */
import { parseBlock, serializeBlock, type BlockHeader } from '../primitives/block.js';
import { equalBytes } from '../primitives/bytes.js';
import { hashToHex, ZERO_HASH } from '../primitives/hash.js';
import type { BlockIndexEntry } from '../chain/block-index.js';
import type { Chainstate } from '../chain/chainstate.js';
import { isValid } from '../chain/block-status.js';
import { blockProof } from '../consensus/pow.js';
import { MSG_BLOCK, MSG_CMPCT_BLOCK, MSG_WITNESS_FLAG, type InvItem } from './peer-link.js';
import type { Connman } from './connman.js';
import type { Peer } from './peer.js';
import { decodeLocator } from './messages.js';
import { MAX_HEADERS_RESULTS, MAX_LOCATOR_SZ } from './protocol.js';

/** Core's FindForkInGlobalIndex: the first locator entry on the active chain (or whose descendant is its tip). */
function findFork(net: Connman, chain: Chainstate, locator: Uint8Array[]): BlockIndexEntry | undefined {
  const index = net.sink.manager.storage.index;
  for (const hash of locator) {
    const e = index.get(hash);
    if (!e) continue;
    if (chain.contains(e)) return e;
    let walk: BlockIndexEntry | undefined = e;
    while (walk && walk.height > chain.height) walk = walk.prev;
    if (walk === chain.tip) return chain.tip;
  }
  return chain.at(0);
}

/** Core's STALE_RELAY_AGE_LIMIT: stale blocks older than this are not served (fingerprinting). */
const STALE_RELAY_AGE_LIMIT = 30 * 24 * 60 * 60;

/**
 * Core's BlockRequestAllowed: on the active chain, or a stale block that was connected once and is within a
 * month of the best header both by time and by the work built on top of it.
 */
function requestAllowed(net: Connman, chain: Chainstate, e: BlockIndexEntry): boolean {
  if (chain.contains(e)) return true;
  if (!isValid(e.status, 'scripts')) return false;
  const best = net.sink.manager.storage.index.bestHeader;
  const proofTime = ((best.chainWork - e.chainWork) * BigInt(net.sink.params.powTargetSpacing)) / (blockProof(best.header.bits) || 1n);
  return best.header.time - e.header.time < STALE_RELAY_AGE_LIMIT && proofTime < BigInt(STALE_RELAY_AGE_LIMIT);
}

export async function serveGetHeaders(net: Connman, peer: Peer, payload: Uint8Array): Promise<void> {
  const { locator, stop } = decodeLocator(payload);
  if (locator.length > MAX_LOCATOR_SZ) {
    peer.log.debug(`getheaders locator size ${locator.length} > ${MAX_LOCATOR_SZ}, disconnecting peer=${peer.id}`);
    return peer.disconnect('locator too large');
  }
  const headers = await net.sink.exclusive((): BlockHeader[] | undefined => {
    const manager = net.sink.manager;
    const chain = manager.active;
    // Core v30: below the minimum chain work the answer is empty, so the peer does not take us for an IBD source.
    if (chain.tip.chainWork < net.sink.params.minimumChainWork && !net.hasDownloadPermission(peer)) {
      peer.log.debug(`Ignoring getheaders from peer=${peer.id} because active chain has too little work; sending empty response`);
      return [];
    }
    let e: BlockIndexEntry | undefined;
    if (locator.length === 0) {
      e = manager.storage.index.get(stop);
      if (!e) return undefined;
      if (!requestAllowed(net, chain, e)) {
        peer.log.debug(`ProcessMessage: ignoring request from peer=${peer.id} for old block header that isn't in the main chain`);
        return undefined;
      }
    } else {
      const fork = findFork(net, chain, locator);
      e = fork && chain.at(fork.height + 1);
    }
    const isNullStop = equalBytes(stop, ZERO_HASH);
    peer.log.debug(`getheaders ${e ? e.height : -1} to ${isNullStop ? 'end' : hashToHex(stop)} from peer=${peer.id}`);
    const out: BlockHeader[] = [];
    for (; e; e = chain.at(e.height + 1)) {
      out.push(e.header);
      if (out.length >= MAX_HEADERS_RESULTS || equalBytes(e.hash, stop)) break;
      if (!chain.contains(e)) break;
    }
    return out;
  });
  if (headers) peer.send({ command: 'headers', headers });
}

export async function serveGetBlocks(net: Connman, peer: Peer, payload: Uint8Array): Promise<void> {
  const { locator, stop } = decodeLocator(payload);
  if (locator.length > MAX_LOCATOR_SZ) {
    peer.log.debug(`getblocks locator size ${locator.length} > ${MAX_LOCATOR_SZ}, disconnecting peer=${peer.id}`);
    return peer.disconnect('locator too large');
  }
  const items = await net.sink.exclusive(() => {
    const chain = net.sink.manager.active;
    const fork = findFork(net, chain, locator);
    const out: InvItem[] = [];
    for (let e = fork && chain.at(fork.height + 1); e; e = chain.at(e.height + 1)) {
      if (equalBytes(e.hash, stop)) break;
      out.push({ type: MSG_BLOCK, hash: e.hash });
      if (out.length >= 500) break;
    }
    return out;
  });
  if (items.length > 0) peer.send({ command: 'inv', items });
}

/** Blocks in request order; transactions (we keep none) and blocks we lack go back in one notfound. */
export async function serveGetData(net: Connman, peer: Peer, items: InvItem[]): Promise<void> {
  const notFound: InvItem[] = [];
  for (const inv of items) {
    if (peer.disconnecting) return;
    const base = inv.type & ~MSG_WITNESS_FLAG;
    if (base !== MSG_BLOCK && base !== MSG_CMPCT_BLOCK) {
      if (base === 1 || base === 5) notFound.push(inv);
      continue;
    }
    const bytes = await net.sink.exclusive(async () => {
      const manager = net.sink.manager;
      const e = manager.storage.index.get(inv.hash);
      if (!e) return undefined;
      if (!requestAllowed(net, manager.active, e)) {
        peer.log.debug(`ProcessGetBlockData: ignoring request from peer=${peer.id} for old block that isn't in the main chain`);
        return null;
      }
      if (!e.status.haveData || !e.dataPos) return undefined;
      return manager.readRawBlock(e);
    });
    if (bytes === null) continue;
    if (bytes === undefined) {
      notFound.push(inv);
      continue;
    }
    // A plain MSG_BLOCK asks for the block without witnesses; compact blocks are not offered, so the full block goes.
    const withWitness = (inv.type & MSG_WITNESS_FLAG) !== 0 || base === MSG_CMPCT_BLOCK;
    peer.send({ command: 'block', bytes: withWitness ? bytes : serializeBlock(parseBlock(bytes), false) });
  }
  if (notFound.length > 0) peer.send({ command: 'notfound', items: notFound });
}
