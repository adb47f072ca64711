/**
 * Core's outbound chain-sync eviction (ConsiderEviction, and the protection UpdatePeerStateForReceivedHeaders
 * grants): an outbound peer whose best known block has less work than our tip gets CHAIN_SYNC_TIMEOUT to
 * catch up, then one getheaders and HEADERS_RESPONSE_TIME to answer it, then is disconnected. Up to four
 * full-relay outbound peers that once showed a chain with our tip's work are exempt for good.
 */
import { blockLocator } from '../../chain/locator.js';
import type { BlockIndexEntry } from '../../chain/block-index.js';
import type { PeerLink } from '../peer-link.js';
import type { PeerSyncState } from './peer-sync-state.js';
import type { SyncCore } from './sync-core.js';

/** Seconds, as Core's (net_processing.cpp). */
export const CHAIN_SYNC_TIMEOUT_S = 20 * 60;
export const HEADERS_RESPONSE_TIME_S = 2 * 60;
export const MAX_OUTBOUND_PEERS_TO_PROTECT_FROM_DISCONNECT = 4;

/** Core's ChainSyncTimeoutState. */
export interface ChainSyncTimeout {
  /** Node time in seconds when the peer must have caught up (0 = no deadline). */
  timeout: number;
  /** Our tip when the deadline was set: the work the peer must reach. */
  workHeader: BlockIndexEntry | undefined;
  sentGetheaders: boolean;
  protect: boolean;
}

export const newChainSyncTimeout = (): ChainSyncTimeout => ({ timeout: 0, workHeader: undefined, sentGetheaders: false, protect: false });

const connType = (link: PeerLink) => link.connType;

/** Core's IsOutboundOrBlockRelayConn: the connections this logic judges. */
const isOutboundOrBlockRelay = (link: PeerLink) => connType(link) === 'outbound-full-relay' || connType(link) === 'block-relay-only';

/** Core's ConsiderEviction, run with every SendMessages. Returns whether the peer was disconnected. */
export function considerEviction(core: SyncCore, peer: PeerSyncState): boolean {
  const state = peer.chainSync;
  if (state.protect || !isOutboundOrBlockRelay(peer.link) || !peer.syncStarted) return false;
  const now = Math.floor(core.now() / 1000);
  const tip = core.sink.manager.active.tip;
  const best = peer.bestKnown;
  if (best && best.chainWork >= tip.chainWork) {
    if (state.timeout !== 0) Object.assign(state, { timeout: 0, workHeader: undefined, sentGetheaders: false });
  } else if (state.timeout === 0 || (state.workHeader && best && best.chainWork >= state.workHeader.chainWork)) {
    // Behind, noticed for the first time or caught up with the tip the last deadline was set for: a new deadline.
    Object.assign(state, { timeout: now + CHAIN_SYNC_TIMEOUT_S, workHeader: tip, sentGetheaders: false });
  } else if (state.timeout > 0 && now > state.timeout) {
    if (state.sentGetheaders) {
      core.netLog.info(`Outbound peer has old chain, best known block = ${best ? best.key : '<none>'}, disconnecting peer=${peer.link.id}`);
      peer.link.disconnect('outbound peer has old chain');
      return true;
    }
    const from = state.workHeader!.prev ?? state.workHeader!;
    // Assumed sent: if one is already in flight, its answer reveals the peer's chain just as well.
    core.maybeSendGetheaders(peer, blockLocator(from));
    core.netLog.debug(`sending getheaders to outbound peer=${peer.link.id} to verify chain work (current best known block:${best ? best.key : '<none>'}, benchmark blockhash: ${state.workHeader!.key})`);
    state.sentGetheaders = true;
    state.timeout = now + HEADERS_RESPONSE_TIME_S;
  }
  return false;
}

/**
 * Core's protection in UpdatePeerStateForReceivedHeaders: a full-relay outbound peer whose best block has
 * our tip's work is spared while fewer than four are. Returns whether this peer became protected.
 */
export function maybeProtect(core: SyncCore, peer: PeerSyncState): boolean {
  const best = peer.bestKnown;
  if (connType(peer.link) !== 'outbound-full-relay' || !best || peer.chainSync.protect) return false;
  if (core.protectedOutbound >= MAX_OUTBOUND_PEERS_TO_PROTECT_FROM_DISCONNECT) return false;
  if (best.chainWork < core.sink.manager.active.tip.chainWork) return false;
  core.netLog.debug(`Protecting outbound peer=${peer.link.id} from eviction`);
  peer.chainSync.protect = true;
  core.protectedOutbound++;
  return true;
}
