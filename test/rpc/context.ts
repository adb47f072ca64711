/** A plain RpcContext over a real ChainstateManager, for calling method handlers directly. */
import { pino } from 'pino';
import type { ChainstateManager } from '../../src/chain/chainstate-manager.js';
import type { RpcContext } from '../../src/rpc/context.js';
import { RpcError } from '../../src/rpc/errors.js';
import type { RpcMethod } from '../../src/rpc/method.js';
import type { ChainParams } from '../../src/consensus/params.js';
import { NodeContext } from '../../src/node/node-context.js';
import { blockchainMethods } from '../../src/rpc/blockchain.js';
import { writeJson } from '../../src/rpc/request.js';
import assert from 'node:assert/strict';

export interface TestContext extends RpcContext {
  /** Calls a method by name and returns its result as a client sees it (JSON round trip). */
  call(method: string, ...params: unknown[]): Promise<unknown>;
  /** Asserts that the call fails with Core's code and message. */
  rejects(code: number, message: string | RegExp, method: string, ...params: unknown[]): Promise<void>;
}

/** The daemon's own context (serialising queue, mock time, operations) without a daemon around it. */
export function nodeContext(params: ChainParams, networkDir: string, methods: ReadonlyMap<string, RpcMethod>, mockTime = 0): NodeContext {
  return new NodeContext({
    params,
    networkDir,
    log: pino({ level: 'silent' }),
    logPath: '',
    logging: { categories: () => ({}), update: () => {} },
    methods,
    mockTime,
    networkActive: true,
    requestShutdown: () => {},
    activeCommands: () => [],
  });
}

export function testContext(manager: ChainstateManager, networkDir: string): TestContext {
  const methods = new Map<string, RpcMethod>(blockchainMethods.map((m) => [m.name, m]));
  const node = nodeContext(manager.params, networkDir, methods);
  node.attach(manager);
  const ctx: TestContext = Object.assign(node, {
    async call(method: string, ...params: unknown[]) {
      const m = methods.get(method);
      if (!m) throw new Error(`no method ${method}`);
      return JSON.parse(writeJson(await m.handler(params, ctx)));
    },
    async rejects(code: number, message: string | RegExp, method: string, ...params: unknown[]) {
      await assert.rejects(ctx.call(method, ...params), (e: unknown) => {
        assert.ok(e instanceof RpcError, `${method}: expected an RpcError, got ${String(e)}`);
        assert.equal(e.code, code, `${method}: code (${e.message})`);
        if (typeof message === 'string') assert.equal(e.message, message);
        else assert.match(e.message, message);
        return true;
      });
    },
  });
  return ctx;
}
