/**
 * An in-process node for sync tests over real loopback sockets: a real ChainstateManager, netwire's
 * connection manager (listening on a free port), and HeadersFirstSync behind it.
 */
import path from 'node:path';
import type { ChainParams } from '../../../src/consensus/params.js';
import { ChainstateManager } from '../../../src/chain/chainstate-manager.js';
import { startNetwork } from '../../../src/net/start.js';
import type { Connman, P2POptions } from '../../../src/net/connman.js';
import { HeadersFirstSync, type HeadersFirstSyncOptions } from '../../../src/net/sync/headers-first-sync.js';
import { scratchDir } from '../../helpers.js';
import { freePort } from '../../node/fixtures/free-port.js';
import { syncSink } from './scripted-peer.js';

export interface LoopbackNode {
  manager: ChainstateManager;
  net: Connman;
  sync: HeadersFirstSync | undefined;
  port: number;
  datadir: string;
  stop(): Promise<void>;
}

export interface LoopbackOptions {
  params: ChainParams;
  datadir?: string;
  /** Peers to connect to (host:port); none = listen only. */
  connect?: string[];
  /** Without block sync: serves, downloads nothing. */
  noSync?: boolean;
  syncOptions?: HeadersFirstSyncOptions;
  background?: 'worker' | 'in-process';
  /** Node clock, seconds. */
  now?: () => number;
}

export async function startLoopbackNode(o: LoopbackOptions): Promise<LoopbackNode> {
  const datadir = o.datadir ?? scratchDir();
  const now = o.now ?? (() => Math.floor(Date.now() / 1000));
  const manager = await ChainstateManager.open({ datadir, params: o.params, background: o.background, now });
  const port = await freePort();
  const opts: P2POptions = {
    listen: true,
    binds: [{ net: 'ipv4', bytes: Uint8Array.of(127, 0, 0, 1), port }],
    port,
    connect: o.connect ?? [],
    connectOnly: true,
    addnode: [],
    seednode: [],
    maxConnections: 125,
    connectTimeoutMs: 5000,
    reachable: ['ipv4', 'ipv6'],
    dnsseed: false,
    fixedSeeds: false,
    networkActive: true,
    peerTimeout: 60,
    banTime: 24 * 60 * 60,
    whitelist: [],
    deterministicAddrman: true,
  };
  let sync: HeadersFirstSync | undefined;
  const sink = syncSink(manager);
  const net = await startNetwork(opts, {
    sink,
    networkDir: path.join(datadir),
    now,
    mockTime: () => 0,
    userAgent: '/chainsnap-test/',
    createSync: o.noSync ? undefined : (s) => (sync = new HeadersFirstSync(s, o.syncOptions)),
  });
  return {
    manager,
    net,
    sync,
    port,
    datadir,
    async stop() {
      // Close the connections first: Connman.stop waits for its listening sockets, which wait for them.
      for (const p of net.peers.values()) p.destroy();
      await net.stop();
      await sync?.stop();
      await manager.close();
    },
  };
}
