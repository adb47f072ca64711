/**
 * Core's AttemptToEvictConnection, simplified: protect noban peers, the 8 with the best ping, the 4 that
 * most recently sent a block and the longest-connected half; from the network group with most of the
 * rest, pick its youngest peer.
 */
import { netGroup } from './netaddr.js';
import type { Peer } from './peer.js';

export function selectInboundToEvict(inbound: Peer[], isNoban: (p: Peer) => boolean): Peer | undefined {
  let candidates = inbound.filter((p) => !isNoban(p));
  const protect = (sorted: Peer[], n: number) => {
    const keep = new Set(sorted.slice(0, n));
    candidates = candidates.filter((p) => !keep.has(p));
  };
  protect([...candidates].sort((a, b) => (a.minPingMicros ?? Infinity) - (b.minPingMicros ?? Infinity)), 8);
  protect([...candidates].sort((a, b) => b.lastBlockTime - a.lastBlockTime), 4);
  protect([...candidates].sort((a, b) => a.connectedMicros - b.connectedMicros), Math.floor(candidates.length / 2));
  if (candidates.length === 0) return undefined;
  const groups = new Map<string, Peer[]>();
  for (const p of candidates) groups.set(netGroup(p.remote), [...(groups.get(netGroup(p.remote)) ?? []), p]);
  const biggest = [...groups.values()].sort((a, b) => b.length - a.length)[0]!;
  return biggest.sort((a, b) => b.connectedMicros - a.connectedMicros)[0];
}
