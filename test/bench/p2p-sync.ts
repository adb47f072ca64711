/**
 * P2P sync throughput (blocks/s and MB/s of raw blocks) over loopback from local chainsnap peers, on the
 * generated regtest chain with many transactions that node-sync.bench uses: first with one serving peer,
 * then with three. Each serving daemon reads the chain from its blk directory first; the syncing daemon
 * starts empty with -connect to the servers and is timed from its first RPC answer to the tip. Its clock is
 * set (-mocktime) just after the chain's last block, so the headers count as recent and every peer is asked
 * for them, as on a live network; otherwise Core's rules keep an old chain's download to one peer.
 * `node dist/test/bench/p2p-sync.js [blocks]` (default 2000).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { freePort } from '../node/fixtures/free-port.js';
import { startBenchDaemon, type BenchDaemon } from './node-rpc.bench.js';
import { benchChain } from './node-sync.bench.js';

const REGTEST_GENESIS_TIME = 1296688602;

export interface P2PSyncBenchResult {
  peers: number;
  blocks: number;
  seconds: number;
  blocksPerSec: number;
  mbPerSec: number;
}

async function waitForTip(node: BenchDaemon, tip: number): Promise<number> {
  const start = performance.now();
  while ((await node.call<number>('getblockcount')) < tip) await new Promise((r) => setTimeout(r, 20));
  return (performance.now() - start) / 1000;
}

const p2pArgs = (port: number, connect: number[]) => [
  '-listen=1',
  '-bind=127.0.0.1',
  `-port=${port}`,
  '-dnsseed=0',
  '-fixedseeds=0',
  ...(connect.length ? connect.map((p) => `-connect=127.0.0.1:${p}`) : ['-connect=0']),
];

/** Syncs a fresh node from 1 and then from 3 local chainsnap peers; checks the UTXO set each time. */
export async function benchP2PSync(blocks = 2000): Promise<P2PSyncBenchResult[]> {
  const chain = benchChain(blocks);
  const bytes = chain.blockSizes.reduce((a, b) => a + b, 0);
  const dirs: string[] = [];
  const nodes: BenchDaemon[] = [];
  const dir = () => {
    const d = mkdtempSync(path.join(tmpdir(), 'chainsnap-p2p-bench-'));
    dirs.push(d);
    return d;
  };
  try {
    const ports = [await freePort(), await freePort(), await freePort()];
    const servers = await Promise.all(ports.map((p) => startBenchDaemon(dir(), [`-source-blocks=${chain.blkDir}`, ...p2pArgs(p, [])])));
    nodes.push(...servers);
    await Promise.all(servers.map((s) => waitForTip(s, chain.tip.height)));
    // The generator stamps block h with the regtest genesis time + h.
    const mocktime = `-mocktime=${REGTEST_GENESIS_TIME + chain.tip.height + 60}`;
    const results: P2PSyncBenchResult[] = [];
    for (const peers of [1, 3]) {
      const node = await startBenchDaemon(dir(), [mocktime, ...p2pArgs(await freePort(), ports.slice(0, peers))]);
      nodes.push(node);
      const seconds = await waitForTip(node, chain.tip.height);
      const stats = await node.call<{ hash_serialized_3: string }>('gettxoutsetinfo');
      if (stats.hash_serialized_3 !== chain.tip.hashSerialized3) throw new Error("the synced UTXO set differs from the generator's");
      results.push({ peers, blocks: chain.tip.height, seconds, blocksPerSec: chain.tip.height / seconds, mbPerSec: bytes / 1e6 / seconds });
    }
    return results;
  } finally {
    for (const n of nodes.reverse()) await n.stop().catch(() => {});
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  }
}

if (process.argv[1]?.endsWith('p2p-sync.js')) {
  const blocks = Number(process.argv[2] ?? 2000);
  for (const r of await benchP2PSync(blocks)) {
    console.log(`p2p sync    ${r.blocksPerSec.toFixed(0)} blocks/s, ${r.mbPerSec.toFixed(1)} MB/s from ${r.peers} chainsnap peer${r.peers > 1 ? 's' : ''} over loopback (${r.blocks} blocks in ${r.seconds.toFixed(1)} s)`);
  }
}
