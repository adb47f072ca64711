/**
 * The node demo behind `npm start`: the assumeutxo lifecycle on the embedded regtest chain, driven the way a
 * user drives it. A real daemon on a fresh data directory learns the chain's headers, loads the shipped h200
 * snapshot (Core's own regtest parameters) over RPC, restarts with the shipped blocks as its block source,
 * follows the tip and validates the history in the background until the snapshot is validated. Then it keeps
 * serving until Ctrl-C (or ends, with --exit). The status page (-webport) is on throughout, on the same port.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { getChainParams } from '../consensus/params.js';
import { toHex } from '../primitives/bytes.js';
import { readFramedBlocks } from '../primitives/block.js';
import { onExit } from '../primitives/exit-cleanup.js';
import { makeTempDir } from '../primitives/temp-dirs.js';
import { RpcClient, RpcConnectionError } from '../rpc/client.js';

export interface NodeDemoOptions {
  root: string;
  /** End once the snapshot is validated, instead of serving until Ctrl-C. */
  exit: boolean;
  /** Keep the data directory afterwards, and say where it is. */
  keep: boolean;
  out: (line: string) => void;
}

interface ChainstatesReply {
  headers: number;
  chainstates: { blocks: number; validated: boolean; snapshot_blockhash?: string }[];
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

class DemoNode {
  readonly child: ChildProcess;
  readonly exited: Promise<number | null>;
  readonly client: RpcClient;
  stderr = '';

  constructor(root: string, datadir: string, port: number, extra: string[]) {
    this.child = spawn(process.execPath, ['--no-warnings', path.join(root, 'bin', 'chainsnapd.js'), `-datadir=${datadir}`, `-rpcport=${port}`, ...extra], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    this.child.stderr!.on('data', (d) => (this.stderr += d));
    this.exited = new Promise((resolve) => this.child.once('exit', (code) => resolve(code)));
    this.client = new RpcClient({ host: '127.0.0.1', port, cookieFile: path.join(datadir, 'regtest', '.cookie'), timeoutMs: 0 });
  }

  /** Waits until the node answers outside warm-up (as bitcoin-cli -rpcwait). */
  async ready(): Promise<void> {
    const deadline = Date.now() + 60_000;
    for (;;) {
      try {
        await this.client.call('getblockcount');
        return;
      } catch (e) {
        const starting = e instanceof RpcConnectionError || (e as { code?: number }).code === -28 || /cookie/i.test((e as Error).message);
        if (!starting || Date.now() > deadline) throw new Error(`the node did not start: ${(e as Error).message}\n${this.stderr}`);
        if (this.child.exitCode !== null) throw new Error(`the node exited at start:\n${this.stderr}`);
        await sleep(100);
      }
    }
  }

  call<T>(method: string, ...params: unknown[]): Promise<T> {
    return this.client.call<T>(method, params);
  }

  async stop(): Promise<void> {
    await this.call('stop');
    const code = await this.exited;
    this.client.close();
    if (code !== 0) throw new Error(`the node exited with status ${code}:\n${this.stderr}`);
  }
}

export async function nodeDemo(opts: NodeDemoOptions): Promise<void> {
  const { root, out } = opts;
  const snapshot = path.join(root, 'snapshots', 'regtest-h200.dat');
  const blocksFile = path.join(root, 'snapshots', 'regtest-h200-blocks.dat');
  const params = getChainParams('regtest');
  const blocks = [...readFramedBlocks(readFileSync(blocksFile), params.messageStart)].map((f) => f.bytes);
  // A throwaway directory is removed on every way out, Ctrl-C included; a kept one is named so that the
  // next run never takes it for a dead run's leftovers.
  const temp = opts.keep ? undefined : makeTempDir(tmpdir(), 'chainsnap-demo-');
  const work = temp?.path ?? mkdtempSync(path.join(tmpdir(), 'chainsnap-demo-kept-'));
  const datadir = path.join(work, 'datadir');
  const source = path.join(work, 'source-blocks');
  mkdirSync(datadir);
  mkdirSync(source);
  copyFileSync(blocksFile, path.join(source, 'blk00000.dat'));
  writeFileSync(path.join(datadir, 'bitcoin.conf'), 'regtest=1\n');
  const port = await freePort();
  const webPort = await freePort();
  const web = [`-webport=${webPort}`];
  let node: DemoNode | undefined;
  // Interrupted before the end, the demo takes its node down with it (registered after the directory, so
  // it runs first): a kept directory gets an orderly stop, a throwaway one is about to be deleted.
  const stopNode = onExit(() => {
    if (node && node.child.exitCode === null) node.child.kill(opts.keep ? 'SIGTERM' : 'SIGKILL');
  });
  const cleanup = () => {
    stopNode();
    temp?.remove();
  };
  try {
    out(`data directory ${datadir} (regtest), RPC on 127.0.0.1:${port}`);
    node = new DemoNode(root, datadir, port, web);
    await node.ready();
    out('1. the daemon is up (chainsnapd, bitcoind\'s command line and JSON-RPC)');
    out(`   status page: http://127.0.0.1:${webPort}/ (Prometheus metrics: http://127.0.0.1:${webPort}/metrics)`);
    for (const b of blocks) await node.call('submitheader', toHex(b.subarray(0, 80)));
    out(`2. headers 1..${blocks.length} submitted (submitheader); blocks: ${await node.call<number>('getblockcount')}`);
    const t = performance.now();
    const loaded = await node.call<{ coins_loaded: number; tip_hash: string; base_height: number }>('loadtxoutset', snapshot);
    out(`3. loadtxoutset ${path.relative(process.cwd(), snapshot)}: ${loaded.coins_loaded} coins, base ${loaded.tip_hash.slice(0, 16)}… (height ${loaded.base_height}) in ${(performance.now() - t).toFixed(0)} ms`);
    out(`   ${describe(await node.call<ChainstatesReply>('getchainstates'))}`);
    await node.stop();
    out('4. restart with the shipped blocks as the block source (-source-blocks): the snapshot chainstate is served first');
    node = new DemoNode(root, datadir, port, [...web, `-source-blocks=${source}`]);
    await node.ready();
    let last = '';
    for (;;) {
      const cs = await node.call<ChainstatesReply>('getchainstates');
      const line = describe(cs);
      if (line !== last) out(`   ${line}`);
      last = line;
      if (cs.chainstates.length === 1 && cs.chainstates[0].validated && cs.chainstates[0].blocks === blocks.length) break;
      await sleep(50);
    }
    const info = await node.call<{ hash_serialized_3: string; height: number }>('gettxoutsetinfo');
    out(`5. the snapshot is validated: one chainstate at height ${info.height}, hash_serialized_3 ${info.hash_serialized_3.slice(0, 16)}…`);
    if (opts.exit) {
      await node.stop();
      node = undefined;
      if (opts.keep) out(`kept: ${datadir} (try: node bin/chainsnap.js chainstate stats ${path.join(datadir, 'regtest', 'chainstate')})`);
      return;
    }
    const cli = `node bin/chainsnap.js rpc -datadir=${datadir} -rpcport=${port}`;
    out('');
    out(`The node keeps serving; its status page is at http://127.0.0.1:${webPort}/. In another terminal:`);
    out(`  ${cli} getchainstates`);
    out(`  ${cli} getblockchaininfo`);
    out(`  ${cli} generatetoaddress 1 bcrt1qjqmxmkpmxt80xz4y3746zgt0q3u3ferr34acd5`);
    out('Ctrl-C stops it.');
    const stopped = node.exited;
    await new Promise<void>((resolve) => {
      const onSignal = () => resolve();
      process.once('SIGINT', onSignal);
      process.once('SIGTERM', onSignal);
      void stopped.then(() => resolve());
    });
    if (node.child.exitCode === null) {
      node.child.kill('SIGINT');
      await node.exited;
    }
    node = undefined;
    out(opts.keep ? `stopped; data directory kept at ${datadir}` : 'stopped');
  } finally {
    if (node && node.child.exitCode === null) {
      node.child.kill('SIGKILL');
      await node.exited;
    }
    cleanup();
  }
}

function describe(cs: ChainstatesReply): string {
  const parts = cs.chainstates.map((c, i) => {
    const role = cs.chainstates.length === 2 ? (i === 0 ? 'background' : 'snapshot') : 'one chainstate';
    return `${role} at ${c.blocks}${c.validated ? '' : ' (unvalidated)'}`;
  });
  return `headers ${cs.headers}; ${parts.join(', ')}`;
}
