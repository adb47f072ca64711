/**
 * waitfornewblock, waitforblock, waitforblockheight (Core's rpc/blockchain.cpp): block the call until the
 * active tip changes as asked, the timeout passes, or the node shuts down; each returns the tip then.
 */
import type { RpcContext } from './context.js';
import { RPC, RpcError } from './errors.js';
import type { RpcMethod } from './method.js';
import { getInt, isNull, parseHashV } from './util.js';

/** How often a waiting call looks at the tip; the tip moves by whole blocks, so this is plenty. */
const POLL_MS = 20;

interface BlockRef {
  hash: string;
  height: number;
}

function tipRef(ctx: RpcContext): BlockRef {
  const tip = ctx.manager.active.tip;
  return { hash: tip.key, height: tip.height };
}

function timeoutArg(v: unknown): number {
  const timeout = isNull(v) ? 0 : getInt(v, 'int');
  if (timeout < 0) throw new RpcError(RPC.MISC_ERROR, 'Negative timeout');
  return timeout;
}

/** Waits until `done(tip)` holds, `timeoutMs` (0: no limit) passes, or shutdown begins; returns the tip then. */
async function waitForTip(ctx: RpcContext, timeoutMs: number, done: (tip: BlockRef) => boolean): Promise<BlockRef> {
  const deadline = timeoutMs ? Date.now() + timeoutMs : Infinity;
  let tip = tipRef(ctx);
  while (!done(tip) && !ctx.shutdownSignal?.aborted && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, Math.min(POLL_MS, Math.max(1, deadline - Date.now()))));
    tip = tipRef(ctx);
  }
  return tip;
}

const RESULT = '{ "hash": "hex" (the blockhash), "height": n (block height) }';

const waitfornewblock: RpcMethod = {
  name: 'waitfornewblock',
  category: 'blockchain',
  description: 'Waits for any new block and returns useful info about it.\n\nReturns the current block on timeout or exit.',
  args: [
    { name: 'timeout', type: 'number', optional: true, default: 0, description: 'Time in milliseconds to wait for a response. 0 indicates no timeout.' },
    { name: 'current_tip', type: 'hex', optional: true, description: 'Method waits for the chain tip to differ from this.' },
  ],
  result: RESULT,
  handler: async ([timeout, currentTip], ctx) => {
    const ms = timeoutArg(timeout);
    const from = isNull(currentTip) ? tipRef(ctx).hash : parseHashV(currentTip, 'current_tip').hex;
    return waitForTip(ctx, ms, (tip) => tip.hash !== from);
  },
};

const waitforblock: RpcMethod = {
  name: 'waitforblock',
  category: 'blockchain',
  description: 'Waits for a specific new block and returns useful info about it.\n\nReturns the current block on timeout or exit.',
  args: [
    { name: 'blockhash', type: 'hex', description: 'Block hash to wait for.' },
    { name: 'timeout', type: 'number', optional: true, default: 0, description: 'Time in milliseconds to wait for a response. 0 indicates no timeout.' },
  ],
  result: RESULT,
  handler: async ([blockhash, timeout], ctx) => {
    const { hex } = parseHashV(blockhash, 'blockhash');
    return waitForTip(ctx, timeoutArg(timeout), (tip) => tip.hash === hex);
  },
};

const waitforblockheight: RpcMethod = {
  name: 'waitforblockheight',
  category: 'blockchain',
  description: 'Waits for (at least) block height and returns the height and hash\nof the current tip.\n\nReturns the current block on timeout or exit.',
  args: [
    { name: 'height', type: 'number', description: 'Block height to wait for.' },
    { name: 'timeout', type: 'number', optional: true, default: 0, description: 'Time in milliseconds to wait for a response. 0 indicates no timeout.' },
  ],
  result: RESULT,
  handler: async ([height, timeout], ctx) => {
    const target = getInt(height, 'int');
    return waitForTip(ctx, timeoutArg(timeout), (tip) => tip.height >= target);
  },
};

export const waitMethods: RpcMethod[] = [waitfornewblock, waitforblock, waitforblockheight];
