/** A plain RpcContext over a real ChainstateManager, for calling method handlers directly. */
import { pino } from 'pino';
import type { ChainstateManager } from '../../src/chain/chainstate-manager.js';
import type { RpcContext } from '../../src/rpc/context.js';
import { RpcError } from '../../src/rpc/errors.js';
import type { RpcMethod } from '../../src/rpc/method.js';
import { Operations } from '../../src/rpc/operations.js';
import { blockchainMethods } from '../../src/rpc/blockchain.js';
import { writeJson } from '../../src/rpc/request.js';
import assert from 'node:assert/strict';

export interface TestContext extends RpcContext {
  /** Calls a method by name and returns its result as a client sees it (JSON round trip). */
  call(method: string, ...params: unknown[]): Promise<unknown>;
  /** Asserts that the call fails with Core's code and message. */
  rejects(code: number, message: string | RegExp, method: string, ...params: unknown[]): Promise<void>;
}

export function testContext(manager: ChainstateManager, networkDir: string): TestContext {
  const methods = new Map<string, RpcMethod>(blockchainMethods.map((m) => [m.name, m]));
  let queue: Promise<unknown> = Promise.resolve();
  const ctx: TestContext = {
    manager,
    params: manager.params,
    networkDir,
    log: pino({ level: 'silent' }),
    startTime: Math.floor(Date.now() / 1000),
    mockTime: 0,
    now: () => (ctx.mockTime || Math.floor(Date.now() / 1000)),
    networkActive: true,
    exclusive<T>(fn: () => Promise<T> | T): Promise<T> {
      const run = queue.then(fn, fn);
      queue = run.catch(() => undefined);
      return run;
    },
    operations: new Operations(),
    methods,
    activeCommands: () => [],
    logPath: '',
    logging: { categories: () => ({}), update: () => {} },
    requestShutdown: () => {},
    async call(method, ...params) {
      const m = methods.get(method);
      if (!m) throw new Error(`no method ${method}`);
      return JSON.parse(writeJson(await m.handler(params, ctx)));
    },
    async rejects(code, message, method, ...params) {
      await assert.rejects(ctx.call(method, ...params), (e: unknown) => {
        assert.ok(e instanceof RpcError, `${method}: expected an RpcError, got ${String(e)}`);
        assert.equal(e.code, code, `${method}: code (${e.message})`);
        if (typeof message === 'string') assert.equal(e.message, message);
        else assert.match(e.message, message);
        return true;
      });
    },
  };
  return ctx;
}
