/**
 * How network RPC methods reach the P2P layer: the daemon attaches its Connman to the RPC context once it
 * runs. Without one (P2P not started, or a context built by tests), the read-only methods report no
 * peers and the others fail as Core's do without a connection manager.
 */
import type { Connman } from '../net/connman.js';
import type { RpcContext } from './context.js';
import { RPC, RpcError } from './errors.js';

const attached = new WeakMap<object, Connman>();

export function attachNetwork(ctx: RpcContext, net: Connman | undefined): void {
  if (net) attached.set(ctx, net);
  else attached.delete(ctx);
}

export function networkOf(ctx: RpcContext): Connman | undefined {
  return attached.get(ctx);
}

/** Core's EnsureConnman / EnsureBanman. */
export function ensureNetwork(ctx: RpcContext): Connman {
  const net = attached.get(ctx);
  if (!net) throw new RpcError(RPC.CLIENT_P2P_DISABLED, 'Error: Peer-to-peer functionality missing or disabled');
  return net;
}
