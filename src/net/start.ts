/** Starting the P2P layer from its options: the connection manager, and block sync behind it when given. */
import type { BlockSync, SyncSink } from './peer-link.js';
import { Connman, type P2POptions } from './connman.js';

export interface NetworkStartOptions {
  sink: SyncSink;
  networkDir: string;
  now(): number;
  mockTime(): number;
  userAgent: string;
  /** Builds block sync over the same sink; without it peers are served but nothing is downloaded. */
  createSync?: (sink: SyncSink) => BlockSync;
}

export async function startNetwork(opts: P2POptions, deps: NetworkStartOptions): Promise<Connman> {
  const sync = deps.createSync?.(deps.sink);
  const net = new Connman(opts, { sink: deps.sink, networkDir: deps.networkDir, now: deps.now, mockTime: deps.mockTime, userAgent: deps.userAgent, sync });
  try {
    await net.start();
  } catch (e) {
    await net.stop();
    throw e;
  }
  return net;
}
