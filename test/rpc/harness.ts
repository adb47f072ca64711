/**
 * A real RpcServer on 127.0.0.1 (random free port) with the control, node, net and mempool methods, and a
 * plain RpcContext object; plus raw HTTP helpers. The methods served here never touch the chainstate
 * manager, so `manager` is left out (protocol-level tests only).
 */
import http from 'node:http';
import path from 'node:path';
import { after } from 'node:test';
import { pino } from 'pino';
import type { ChainstateManager } from '../../src/chain/chainstate-manager.js';
import { getChainParams } from '../../src/consensus/params.js';
import { type RpcAuthConfig } from '../../src/rpc/auth.js';
import type { RpcContext } from '../../src/rpc/context.js';
import { controlMethods } from '../../src/rpc/control.js';
import { RPC, RpcError } from '../../src/rpc/errors.js';
import { mempoolMethods } from '../../src/rpc/mempool.js';
import type { RpcMethod } from '../../src/rpc/method.js';
import { netMethods } from '../../src/rpc/net.js';
import { LOG_CATEGORIES, nodeMethods } from '../../src/rpc/node-methods.js';
import { Operations } from '../../src/rpc/operations.js';
import { RpcServer, type RpcServerOptions } from '../../src/rpc/server.js';
import { scratchDir } from '../helpers.js';

export interface Harness {
  server: RpcServer;
  ctx: RpcContext;
  port: number;
  dir: string;
  /** Basic credentials that work. */
  auth: string;
  shutdowns: number;
  /** Calls of the test method `waitforgate` wait here until released. */
  gate: Gate;
}

export class Gate {
  readonly waiting: (() => void)[] = [];
  releaseAll(): void {
    for (const r of this.waiting.splice(0)) r();
  }
}

/** Polls a condition (no fixed sleeps racing the work): resolves once it holds, fails after `ms`. */
export async function waitFor(cond: () => boolean | Promise<boolean>, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error('condition not reached in time');
    await new Promise((r) => setTimeout(r, 5));
  }
}

export function basic(user: string, password: string): string {
  return 'Basic ' + Buffer.from(`${user}:${password}`).toString('base64');
}

/** Methods for tests only: a call that blocks until released, a stand-in getblockhash, a plain throw. */
function testMethods(gate: Gate): RpcMethod[] {
  return [
    {
      name: 'waitforgate',
      category: 'hidden',
      description: 'test: blocks until the gate is released',
      args: [],
      handler: () => new Promise<string>((resolve) => gate.waiting.push(() => resolve('released'))),
    },
    {
      name: 'getblockhash',
      category: 'blockchain',
      description: 'test stand-in with one required number',
      args: [{ name: 'height', type: 'number', description: 'The height index' }],
      handler: ([height]) => {
        if (height !== 0) throw new RpcError(RPC.INVALID_PARAMETER, 'Block height out of range');
        return '0f9188f13cb7b2c71f2a335e3a4fc328bf5beb436012afca590b1a11466e2206';
      },
    },
    { name: 'throwplain', category: 'hidden', description: 'test', args: [], handler: () => { throw new Error('plain failure'); } },
  ];
}

export async function startHarness(
  opts: Partial<RpcServerOptions> & { auth?: RpcAuthConfig; warm?: boolean } = {},
): Promise<Harness> {
  const dir = scratchDir('chainsnap-rpc-');
  const categories: Record<string, boolean> = Object.fromEntries(LOG_CATEGORIES.map((c) => [c, false]));
  const h = { shutdowns: 0, gate: new Gate() } as Harness;
  const methods = new Map<string, RpcMethod>();
  for (const m of [...controlMethods, ...nodeMethods, ...netMethods, ...mempoolMethods, ...testMethods(h.gate)]) methods.set(m.name, m);
  const ctx: RpcContext = {
    manager: undefined as unknown as ChainstateManager,
    params: getChainParams('regtest'),
    networkDir: dir,
    log: pino({ level: 'silent' }),
    startTime: Math.floor(Date.now() / 1000),
    now() {
      return this.mockTime || Date.now() / 1000;
    },
    mockTime: 0,
    networkActive: true,
    exclusive: async (fn) => fn(),
    operations: new Operations(),
    methods,
    activeCommands: () => h.server.activeCommands(),
    logPath: path.join(dir, 'debug.log'),
    logging: {
      categories: () => ({ ...categories }),
      update(include, exclude) {
        for (const [names, on] of [[include, true], [exclude, false]] as const) {
          for (const c of names) {
            if (c === 'all' || c === '1') for (const k of Object.keys(categories)) categories[k] = on;
            else if (c in categories) categories[c] = on;
            else throw new RpcError(RPC.INVALID_PARAMETER, `unknown logging category ${c}`);
          }
        }
      },
    },
    requestShutdown: () => void h.shutdowns++,
  };
  const server = await RpcServer.start(
    {
      binds: [{ host: '127.0.0.1', port: 0 }],
      allowIps: [],
      auth: opts.auth ?? { cookieFile: path.join(dir, '.cookie') },
      threads: 4,
      workQueue: 16,
      serverTimeoutSeconds: 30,
      log: pino({ level: 'silent' }),
      authFailDelayMs: 10,
      ...opts,
    },
    methods,
    ctx,
  );
  after(() => server.close());
  if (opts.warm !== false) server.setWarmupFinished();
  Object.assign(h, { server, ctx, port: server.addresses()[0]!.port, dir });
  return h;
}

export interface RawReply {
  status: number;
  headers: http.IncomingHttpHeaders;
  text: string;
  json?: unknown;
}

/** One HTTP request; `auth` is the Authorization header (omit for none). */
export function request(
  port: number,
  body: string | Buffer | undefined,
  o: { auth?: string; method?: string; path?: string; headers?: http.OutgoingHttpHeaders; agent?: http.Agent } = {},
): Promise<RawReply> {
  return new Promise((resolve, reject) => {
    const headers: http.OutgoingHttpHeaders = { ...o.headers };
    if (o.auth) headers.Authorization = o.auth;
    const req = http.request({ host: '127.0.0.1', port, method: o.method ?? 'POST', path: o.path ?? '/', headers, agent: o.agent ?? false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let json: unknown;
        try {
          json = text ? JSON.parse(text) : undefined;
        } catch {
          json = undefined;
        }
        resolve({ status: res.statusCode!, headers: res.headers, text, json });
      });
    });
    req.on('error', reject);
    req.end(body);
  });
}
