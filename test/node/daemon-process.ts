/**
 * A real chainsnap daemon process for whole-node tests: started with bitcoind's arguments on a scratch
 * data directory and a free loopback port, reached over HTTP with its cookie, stopped or killed.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { after } from 'node:test';
import { freePort } from './fixtures/free-port.js';

const ROOT = process.cwd();
const DAEMON = path.join(ROOT, 'bin', 'chainsnapd.js');

/** Daemons still running when a test file ends (a failed assertion) are killed, never left behind. */
const live = new Set<DaemonProcess>();
after(() => {
  for (const d of live) d.child.kill('SIGKILL');
});

export class RpcCallError extends Error {
  constructor(
    readonly code: number,
    message: string,
  ) {
    super(message);
  }
}

export { freePort };

export interface DaemonOptions {
  datadir: string;
  args?: string[];
  /** Lines for bitcoin.conf (written when the file does not exist yet). */
  conf?: string[];
  /** regtest (the default) or main, whose files live in the data directory itself. */
  network?: 'regtest' | 'main';
}

export class DaemonProcess {
  readonly child: ChildProcess;
  stdout = '';
  stderr = '';
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;

  private constructor(
    readonly datadir: string,
    readonly port: number,
    args: string[],
    readonly network: 'regtest' | 'main' = 'regtest',
  ) {
    this.child = spawn(process.execPath, ['--no-warnings', DAEMON, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    this.child.stdout!.on('data', (d) => (this.stdout += d));
    this.child.stderr!.on('data', (d) => (this.stderr += d));
    live.add(this);
    this.exited = new Promise((resolve) =>
      this.child.once('exit', (code, signal) => {
        live.delete(this);
        resolve({ code, signal });
      }),
    );
  }

  /** Starts a daemon (regtest unless told otherwise) and waits until its RPC answers outside warm-up. */
  static async start(opts: DaemonOptions): Promise<DaemonProcess> {
    mkdirSync(opts.datadir, { recursive: true });
    const port = await freePort();
    const network = opts.network ?? 'regtest';
    const conf = path.join(opts.datadir, 'bitcoin.conf');
    if (!existsSync(conf)) writeFileSync(conf, [network === 'regtest' ? 'regtest=1' : 'chain=main', ...(opts.conf ?? [])].join('\n') + '\n');
    // A test that says nothing of the network gets none: no listening on the shared default port, no
    // DNS seeds, no peers from outside (Core's framework writes connect=0 for the same reason).
    const networkSaid = [...(opts.conf ?? []), ...(opts.args ?? []), readFileSync(conf, 'utf8')].some((a) => /(^|\n|^-)(connect|addnode|seednode|listen|bind)=/.test(a));
    const d = new DaemonProcess(opts.datadir, port, [`-datadir=${opts.datadir}`, `-rpcport=${port}`, ...(networkSaid ? [] : ['-connect=0']), ...(opts.args ?? [])], network);
    await d.waitForRpc();
    return d;
  }

  get networkDir(): string {
    return this.network === 'main' ? this.datadir : path.join(this.datadir, 'regtest');
  }

  private cookie(): string | undefined {
    const file = path.join(this.networkDir, '.cookie');
    return existsSync(file) ? readFileSync(file, 'utf8').trim() : undefined;
  }

  async waitForRpc(timeoutMs = 60_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const exited = await Promise.race([this.exited, new Promise<undefined>((r) => setTimeout(() => r(undefined), 50))]);
      if (exited) throw new Error(`daemon exited (${exited.code ?? exited.signal}) before its RPC answered:\n${this.stderr}`);
      try {
        await this.call('getblockcount');
        return;
      } catch (e) {
        if (Date.now() > deadline) {
          this.child.kill('SIGKILL');
          throw new Error(`daemon RPC did not answer in time: ${(e as Error).message}`);
        }
      }
    }
  }

  /** One JSON-RPC 1.0 call, as bitcoin-cli makes it. */
  async call<T = unknown>(method: string, ...params: unknown[]): Promise<T> {
    const cookie = this.cookie();
    if (!cookie) throw new Error('no cookie yet');
    const res = await fetch(`http://127.0.0.1:${this.port}/`, {
      method: 'POST',
      headers: { authorization: `Basic ${Buffer.from(cookie).toString('base64')}`, 'content-type': 'application/json' },
      body: JSON.stringify({ jsonrpc: '1.0', id: 1, method, params }),
    });
    const body = (await res.json()) as { result: T; error: { code: number; message: string } | null };
    if (body.error) throw new RpcCallError(body.error.code, body.error.message);
    return body.result;
  }

  async stop(): Promise<number | null> {
    await this.call('stop');
    return (await this.exited).code;
  }

  kill(signal: NodeJS.Signals = 'SIGKILL'): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
    this.child.kill(signal);
    return this.exited;
  }
}
