/**
 * An RpcContext over a real ChainstateManager on a scratch regtest datadir, for calling the mining methods
 * directly, with a fixed mock time (setmocktime) that the manager's clock follows.
 */
import { ChainstateManager } from '../../src/chain/chainstate-manager.js';
import { getChainParams } from '../../src/consensus/params.js';
import type { RpcContext } from '../../src/rpc/context.js';
import type { RpcMethod } from '../../src/rpc/method.js';
import { miningMethods } from '../../src/rpc/mining.js';
import { scratchDir } from '../helpers.js';
import { nodeContext } from './context.js';

export interface MiningNode {
  ctx: RpcContext;
  call(method: string, ...params: unknown[]): Promise<unknown>;
  close(): Promise<void>;
}

export async function miningNode(mockTime: number): Promise<MiningNode> {
  const params = getChainParams('regtest');
  const datadir = scratchDir();
  const methods = new Map<string, RpcMethod>(miningMethods.map((m) => [m.name, m]));
  const ctx = nodeContext(params, datadir, methods, mockTime);
  const manager = await ChainstateManager.open({ datadir, params, background: 'in-process', now: () => ctx.now() });
  ctx.attach(manager);
  return {
    ctx,
    call: async (method, ...p) => methods.get(method)!.handler(p, ctx),
    close: () => manager.close(),
  };
}
