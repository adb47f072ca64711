/**
 * What block sync remembers per peer (Core's CNodeState and the sync half of Peer): the best block it is
 * known to have, where its chain and ours last had every block, the blocks we asked it for, and the
 * timers behind stall and timeout detection.
 */
import type { BlockIndexEntry } from '../../chain/block-index.js';
import type { PeerLink } from '../peer-link.js';
import { NODE_NETWORK, NODE_NETWORK_LIMITED } from './constants.js';
import type { LowWorkHeadersSync } from './low-work-headers.js';
import { newChainSyncTimeout } from './chain-sync-eviction.js';

export class PeerSyncState {
  /** Core's pindexBestKnownBlock: the most-work block we know the peer has. */
  bestKnown: BlockIndexEntry | undefined;
  /** Core's hashLastUnknownBlock: announced, but its header is not in our index yet (display hex). */
  lastUnknownHash: string | undefined;
  /** Core's pindexLastCommonBlock, per chainstate role of the download it bounds. */
  lastCommon: BlockIndexEntry | undefined;
  /** Blocks requested from this peer, oldest first (Core's vBlocksInFlight). */
  readonly inFlight: BlockIndexEntry[] = [];
  /** When the oldest request in flight started to count (ms; Core's m_downloading_since). */
  downloadingSince = 0;
  /** When this peer began holding up the download window (ms; 0 = not stalling). */
  stallingSince = 0;
  /** Initial headers sync started with this peer (Core's fSyncStarted). */
  syncStarted = false;
  headersSyncTimeout = 0;
  /** When our last unanswered getheaders went out (ms; 0 = none). */
  lastGetheaders = 0;
  /**
   * Our active tip when the peer became ready: blocks up to it were connected before the peer was there,
   * so, as in Core (whose UpdatedBlockTip queues announcements for the peers it has), they are not announced.
   */
  joinedAt: BlockIndexEntry | undefined;
  /** Core's pindexBestHeaderSent: the best header we announced to it. */
  bestHeaderSent: BlockIndexEntry | undefined;
  /** A getheaders prompted by an inv was sent before initial sync started with this peer. */
  invTriggeredGetheaders = false;
  lowWork: LowWorkHeadersSync | undefined;
  /** Core's m_chain_sync: the deadline for an outbound peer to show our tip's work. */
  readonly chainSync = newChainSyncTimeout();
  /** Blocks the peer answered notfound for: not asked of it again. */
  readonly notFound = new Set<string>();
  /** Messages handled in order: a block is processed before the next one is looked at. */
  queue: Promise<void> = Promise.resolve();

  constructor(readonly link: PeerLink) {}

  /** Core's CanServeBlocks. */
  get canServeBlocks(): boolean {
    return (this.link.services & (NODE_NETWORK | NODE_NETWORK_LIMITED)) !== 0n;
  }

  /** Core's IsLimitedPeer: only the last 288 blocks. */
  get isLimited(): boolean {
    return (this.link.services & NODE_NETWORK) === 0n && (this.link.services & NODE_NETWORK_LIMITED) !== 0n;
  }
}
