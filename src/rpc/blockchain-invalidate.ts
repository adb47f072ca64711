/**
 * invalidateblock, reconsiderblock and preciousblock (Core's rpc/blockchain.cpp): the user's overrides of
 * chain selection. Argument and error handling as Core's: "Block not found" (-5) for an unknown hash, the
 * engine's failure as RPC_DATABASE_ERROR (-20), null on success.
 */
import type { BlockIndexEntry } from '../chain/block-index.js';
import type { RpcContext } from './context.js';
import { RPC, RpcError } from './errors.js';
import type { RpcMethod, RpcParams } from './method.js';
import { parseHashV } from './util.js';

/** Looks the block up and runs the engine call in the node's exclusive section. */
async function withBlock(params: RpcParams, ctx: RpcContext, run: (entry: BlockIndexEntry) => Promise<void>): Promise<null> {
  const { hex: hash } = parseHashV(params[0], 'blockhash');
  await ctx.exclusive(async () => {
    const entry = ctx.manager.storage.index.get(hash);
    if (!entry) throw new RpcError(RPC.INVALID_ADDRESS_OR_KEY, 'Block not found');
    try {
      await run(entry);
    } catch (e) {
      if (e instanceof RpcError) throw e;
      throw new RpcError(RPC.DATABASE_ERROR, (e as Error).message);
    }
  });
  return null;
}

const blockhashArg = (what: string) => [{ name: 'blockhash', type: 'hex' as const, description: `the hash of the block to ${what}` }];

export const invalidateMethods: RpcMethod[] = [
  {
    name: 'invalidateblock',
    category: 'blockchain',
    description: 'Permanently marks a block as invalid, as if it violated a consensus rule.',
    args: blockhashArg('mark as invalid'),
    result: 'null',
    examples: ['chainsnap rpc invalidateblock "blockhash"'],
    handler: (params, ctx) => withBlock(params, ctx, (entry) => ctx.manager.invalidateBlock(entry)),
  },
  {
    name: 'reconsiderblock',
    category: 'blockchain',
    description:
      'Removes invalidity status of a block, its ancestors and its descendants, reconsider them for activation.\n' +
      'This can be used to undo the effects of invalidateblock.',
    args: blockhashArg('reconsider'),
    result: 'null',
    examples: ['chainsnap rpc reconsiderblock "blockhash"'],
    handler: (params, ctx) => withBlock(params, ctx, (entry) => ctx.manager.reconsiderBlock(entry)),
  },
  {
    name: 'preciousblock',
    category: 'blockchain',
    description:
      'Treats a block as if it were received before others with the same work.\n\n' +
      'A later preciousblock call can override the effect of an earlier one.\n\n' +
      'The effects of preciousblock are not retained across restarts.',
    args: blockhashArg('mark as precious'),
    result: 'null',
    examples: ['chainsnap rpc preciousblock "blockhash"'],
    handler: (params, ctx) => withBlock(params, ctx, (entry) => ctx.manager.preciousBlock(entry)),
  },
];
