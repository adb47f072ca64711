/**
 * An RpcContext over a real ChainstateManager on a scratch regtest datadir, for calling the mining methods
 * directly: a fixed mock time (setmocktime) shared with the manager's clock, and `exclusive` as a real
 * serialising queue.
 */
import { pino } from 'pino';
import { ChainstateManager } from '../../src/chain/chainstate-manager.js';
import { getChainParams } from '../../src/consensus/params.js';
import type { RpcContext } from '../../src/rpc/context.js';
import type { RpcMethod } from '../../src/rpc/method.js';
import { miningMethods } from '../../src/rpc/mining.js';
import { Operations } from '../../src/rpc/operations.js';
import { scratchDir } from '../helpers.js';

export interface MiningNode {
  ctx: RpcContext;
  call(method: string, ...params: unknown[]): Promise<unknown>;
  close(): Promise<void>;
}

export async function miningNode(mockTime: number): Promise<MiningNode> {
  const params = getChainParams('regtest');
  const datadir = scratchDir();
  const clock = { mock: mockTime };
  const manager = await ChainstateManager.open({ datadir, params, background: 'in-process', now: () => clock.mock });
  let queue: Promise<unknown> = Promise.resolve();
  const methods = new Map<string, RpcMethod>(miningMethods.map((m) => [m.name, m]));
  const ctx: RpcContext = {
    manager,
    params,
    networkDir: datadir,
    log: pino({ level: 'silent' }),
    startTime: mockTime,
    now: () => clock.mock,
    get mockTime() {
      return clock.mock;
    },
    set mockTime(t: number) {
      clock.mock = t;
    },
    networkActive: true,
    exclusive<T>(fn: () => Promise<T> | T): Promise<T> {
      const run = queue.then(fn, fn);
      queue = run.catch(() => undefined);
      return run;
    },
    operations: new Operations(),
    methods,
    activeCommands: () => [],
    logPath: `${datadir}/debug.log`,
    logging: { categories: () => ({}), update: () => undefined },
    requestShutdown: () => undefined,
  };
  return {
    ctx,
    call: async (method, ...p) => methods.get(method)!.handler(p, ctx),
    close: () => manager.close(),
  };
}
