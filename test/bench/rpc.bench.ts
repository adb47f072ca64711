/**
 * RPC requests/s: 50 concurrent keep-alive clients on loopback calling one method for a few seconds.
 * `node dist/test/bench/rpc.bench.js [method] [seconds] [clients]` starts its own server in a child process
 * (control/net/mempool methods; default method getconnectioncount) and measures it; with RPC_URL
 * (http://user:password@127.0.0.1:18443/) and RPC_PARAMS (a JSON array) it measures that node instead,
 * e.g. a real chainsnap node with getblockcount or gettxout. Or import benchRpc.
 */
import { fork } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { pino } from 'pino';
import type { ChainstateManager } from '../../src/chain/chainstate-manager.js';
import { getChainParams } from '../../src/consensus/params.js';
import type { RpcContext } from '../../src/rpc/context.js';
import { controlMethods } from '../../src/rpc/control.js';
import { mempoolMethods } from '../../src/rpc/mempool.js';
import type { RpcMethod } from '../../src/rpc/method.js';
import { netMethods } from '../../src/rpc/net.js';
import { nodeMethods } from '../../src/rpc/node-methods.js';
import { Operations } from '../../src/rpc/operations.js';
import { RpcServer } from '../../src/rpc/server.js';

export interface RpcBenchOptions {
  url: string;
  method: string;
  params?: unknown[];
  clients?: number;
  seconds?: number;
}

export interface RpcBenchResult {
  method: string;
  clients: number;
  requests: number;
  seconds: number;
  requestsPerSec: number;
  /** Median and 99th percentile latency, milliseconds. */
  p50Ms: number;
  p99Ms: number;
  errors: number;
  /** Own server only: its CPU time (user + system) per request, microseconds: load-independent. */
  serverCpuMicrosPerRequest?: number;
}

/** Each client sends its next request as soon as the previous reply arrived, over one kept-alive socket. */
export async function benchRpc(o: RpcBenchOptions): Promise<RpcBenchResult> {
  const clients = o.clients ?? 50;
  const url = new URL(o.url);
  const auth = 'Basic ' + Buffer.from(`${decodeURIComponent(url.username)}:${decodeURIComponent(url.password)}`).toString('base64');
  const body = JSON.stringify({ jsonrpc: '1.0', id: 'bench', method: o.method, params: o.params ?? [] });
  const agent = new http.Agent({ keepAlive: true, maxSockets: clients });
  const latencies: number[] = [];
  let errors = 0;
  const one = () =>
    new Promise<void>((resolve) => {
      const start = performance.now();
      const req = http.request(
        { host: url.hostname, port: url.port, path: '/', method: 'POST', agent, headers: { Authorization: auth, 'Content-Type': 'application/json' } },
        (res) => {
          res.on('data', () => {});
          res.on('end', () => {
            if (res.statusCode !== 200) errors++;
            latencies.push(performance.now() - start);
            resolve();
          });
        },
      );
      req.on('error', () => {
        errors++;
        resolve();
      });
      req.end(body);
    });
  // A short warm-up so sockets are open and the code is compiled before the clock starts.
  const warmEnd = performance.now() + 500;
  await Promise.all(Array.from({ length: clients }, async () => { while (performance.now() < warmEnd) await one(); }));
  latencies.length = 0;
  errors = 0;
  const start = performance.now();
  const end = start + (o.seconds ?? 5) * 1000;
  await Promise.all(Array.from({ length: clients }, async () => { while (performance.now() < end) await one(); }));
  const seconds = (performance.now() - start) / 1000;
  agent.destroy();
  latencies.sort((a, b) => a - b);
  const at = (q: number) => Math.round(latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))]! * 100) / 100;
  return { method: o.method, clients, requests: latencies.length, seconds, requestsPerSec: Math.round(latencies.length / seconds), p50Ms: at(0.5), p99Ms: at(0.99), errors };
}

/** The child: a server with the control, node, net and mempool methods; sends its URL to the parent. */
async function serve(): Promise<void> {
  const dir = mkdtempSync(path.join(tmpdir(), 'chainsnap-rpcbench-'));
  const methods = new Map<string, RpcMethod>([...controlMethods, ...nodeMethods, ...netMethods, ...mempoolMethods].map((m) => [m.name, m]));
  let server!: RpcServer;
  const ctx: RpcContext = {
    manager: undefined as unknown as ChainstateManager, // none of these methods reads the chain
    params: getChainParams('regtest'),
    networkDir: dir,
    log: pino({ level: 'silent' }),
    startTime: Math.floor(Date.now() / 1000),
    now: () => Date.now() / 1000,
    mockTime: 0,
    networkActive: true,
    exclusive: async (fn) => fn(),
    operations: new Operations(),
    methods,
    activeCommands: () => server.activeCommands(),
    logPath: path.join(dir, 'debug.log'),
    logging: { categories: () => ({}), update: () => {} },
    requestShutdown: () => {},
  };
  server = await RpcServer.start(
    {
      binds: [{ host: '127.0.0.1', port: 0 }],
      allowIps: [],
      auth: { cookieFile: path.join(dir, '.cookie') },
      threads: 16,
      workQueue: 64,
      serverTimeoutSeconds: 30,
      log: pino({ level: 'silent' }),
    },
    methods,
    ctx,
  );
  server.setWarmupFinished();
  const cookie = readFileSync(path.join(dir, '.cookie'), 'utf8');
  const [user, password] = cookie.split(':');
  process.send!({ url: `http://${user}:${password}@127.0.0.1:${server.addresses()[0]!.port}/` });
  process.on('message', () => {
    const { user, system } = process.cpuUsage();
    process.send!({ cpuMicros: user + system });
  });
  process.on('disconnect', () => {
    void server.close().then(() => {
      rmSync(dir, { recursive: true, force: true });
      process.exit(0);
    });
  });
}

/** Benchmarks our own server, run in a child process so clients and server do not share an event loop. */
export async function benchOwnServer(method = 'getconnectioncount', seconds = 5, clients = 50): Promise<RpcBenchResult> {
  const child = fork(fileURLToPath(import.meta.url), ['serve'], { execArgv: process.env.RPC_BENCH_PROF ? ['--cpu-prof', '--cpu-prof-dir=/tmp/rpcprof'] : [], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  try {
    const { url } = await new Promise<{ url: string }>((resolve, reject) => {
      child.once('message', (m) => resolve(m as { url: string }));
      child.once('exit', (code) => reject(new Error(`bench server exited with ${code}`)));
    });
    const cpu = () =>
      new Promise<number>((resolve) => {
        child.once('message', (m) => resolve((m as { cpuMicros: number }).cpuMicros));
        child.send('cpu');
      });
    const before = await cpu();
    const r = await benchRpc({ url, method, seconds, clients });
    // The warm-up's requests are not counted in r.requests, so measure CPU around the whole run and scale.
    const used = (await cpu()) - before;
    return { ...r, serverCpuMicrosPerRequest: Math.round(used / (r.requests * (1 + 0.5 / r.seconds))) };
  } finally {
    child.disconnect();
  }
}

if (path.basename(process.argv[1] ?? '') === 'rpc.bench.js') {
  const [mode, seconds, clients] = process.argv.slice(2);
  if (mode === 'serve') await serve();
  else {
    const r = process.env.RPC_URL
      ? await benchRpc({
          url: process.env.RPC_URL,
          method: mode ?? 'getblockcount',
          params: JSON.parse(process.env.RPC_PARAMS ?? '[]') as unknown[],
          seconds: Number(seconds ?? 5),
          clients: Number(clients ?? 50),
        })
      : await benchOwnServer(mode, Number(seconds ?? 5), Number(clients ?? 50));
    console.log(
      `rpc         ${r.requestsPerSec.toLocaleString('en-US')} requests/s for ${r.method} with ${r.clients} keep-alive clients ` +
        `(p50 ${r.p50Ms} ms, p99 ${r.p99Ms} ms, ${r.errors} errors, ${r.requests.toLocaleString('en-US')} requests in ${r.seconds.toFixed(1)} s` +
        (r.serverCpuMicrosPerRequest ? `; server CPU ${r.serverCpuMicrosPerRequest} µs/request` : '') + ')',
    );
  }
}
