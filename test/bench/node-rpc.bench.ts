/**
 * RPC requests/s of the real daemon process: 50 concurrent keep-alive clients on loopback calling
 * getblockcount and gettxout (a coinbase output of a mined regtest chain).
 * `node dist/test/bench/node-rpc.bench.js [seconds] [clients]`. Also exports the bare daemon launcher the
 * node benchmarks share (the test helper registers node:test hooks, which a benchmark must not).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { freePort } from '../node/fixtures/free-port.js';
import type { RpcBenchOptions, RpcBenchResult } from './rpc.bench.js';

export interface BenchDaemon {
  child: ChildProcess;
  port: number;
  /** With the cookie's credentials. */
  url: string;
  call<T = unknown>(method: string, ...params: unknown[]): Promise<T>;
  stop(): Promise<void>;
}

/** Starts `bin/chainsnapd.js` on a regtest data directory and waits for its RPC. */
export async function startBenchDaemon(datadir: string, args: string[] = []): Promise<BenchDaemon> {
  mkdirSync(datadir, { recursive: true });
  const conf = path.join(datadir, 'bitcoin.conf');
  if (!existsSync(conf)) writeFileSync(conf, 'regtest=1\n');
  const port = await freePort();
  const child = spawn(process.execPath, ['--no-warnings', path.resolve('bin/chainsnapd.js'), `-datadir=${datadir}`, `-rpcport=${port}`, ...args], { stdio: ['ignore', 'ignore', 'inherit'] });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const cookieFile = path.join(datadir, 'regtest', '.cookie');
  let auth = '';
  const call = async <T>(method: string, ...params: unknown[]): Promise<T> => {
    const res = await fetch(`http://127.0.0.1:${port}/`, { method: 'POST', headers: { authorization: auth }, body: JSON.stringify({ jsonrpc: '1.0', id: 1, method, params }) });
    const body = (await res.json()) as { result: T; error: { message: string } | null };
    if (body.error) throw new Error(`${method}: ${body.error.message}`);
    return body.result;
  };
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error('the daemon exited during startup');
    try {
      if (existsSync(cookieFile)) {
        auth = `Basic ${Buffer.from(readFileSync(cookieFile, 'utf8').trim()).toString('base64')}`;
        await call('getblockcount');
        break;
      }
    } catch (e) {
      if (Date.now() > deadline) throw e;
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  const cookie = readFileSync(cookieFile, 'utf8').trim();
  return {
    child,
    port,
    url: `http://${cookie}@127.0.0.1:${port}/`,
    call,
    stop: async () => {
      await call('stop');
      await exited;
    },
  };
}

/**
 * rpc.bench.js runs its own benchmark when argv[1] ends with 'rpc.bench.js', which this file's name also
 * does: import it with argv[1] hidden for the moment.
 */
async function benchRpc(o: RpcBenchOptions): Promise<RpcBenchResult> {
  const script = process.argv[1];
  process.argv[1] = '';
  try {
    return (await import('./rpc.bench.js')).benchRpc(o);
  } finally {
    process.argv[1] = script;
  }
}

export async function benchNodeRpc(seconds = 5, clients = 50): Promise<RpcBenchResult[]> {
  const dir = mkdtempSync(path.join(tmpdir(), 'chainsnap-node-rpc-bench-'));
  const node = await startBenchDaemon(dir);
  try {
    await node.call('generatetoaddress', 200, 'mjTkW3DjgyZck4KbiRusZsqTgaYTxdSz6z');
    const block = await node.call<{ tx: string[] }>('getblock', await node.call<string>('getblockhash', 50), 1);
    const results = [await benchRpc({ url: node.url, method: 'getblockcount', seconds, clients })];
    results.push(await benchRpc({ url: node.url, method: 'gettxout', params: [block.tx[0], 0], seconds, clients }));
    return results;
  } finally {
    await node.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[1]?.endsWith('node-rpc.bench.js')) {
  const [seconds, clients] = process.argv.slice(2);
  for (const r of await benchNodeRpc(Number(seconds ?? 5), Number(clients ?? 50))) {
    console.log(
      `node rpc    ${r.requestsPerSec.toLocaleString('en-US')} requests/s for ${r.method} with ${r.clients} keep-alive clients against the daemon ` +
        `(p50 ${r.p50Ms} ms, p99 ${r.p99Ms} ms, ${r.errors} errors, ${r.requests.toLocaleString('en-US')} requests in ${r.seconds.toFixed(1)} s)`,
    );
  }
}
