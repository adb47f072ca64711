/**
 * Sync throughput of the real daemon (blocks/s and MB/s of raw blocks) on a generated regtest chain with
 * many transactions: first from a blk directory (-source-blocks), then from that node over JSON-RPC
 * (-source-rpc). Timed from the moment the syncing node's RPC answers to the moment it reaches the tip.
 * `node dist/test/bench/node-sync.bench.js [blocks]` (default 2000; the chain is generated once and cached
 * in the OS temp dir).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { generatedChain, type GeneratedChain } from '../node/fixtures/generated-chain.js';
import { startBenchDaemon, type BenchDaemon } from './node-rpc.bench.js';

export interface SyncBenchResult {
  source: 'blocks-dir' | 'rpc';
  blocks: number;
  seconds: number;
  blocksPerSec: number;
  mbPerSec: number;
}

export function benchChain(blocks: number): GeneratedChain {
  return generatedChain({ seed: 'node-sync-bench', blocks, txsPerBlock: 3, fanoutTxsPerBlock: 2, outputsPerTx: 100, snapshotHeight: Math.floor(blocks / 2) });
}

async function timeToTip(node: BenchDaemon, tip: number): Promise<number> {
  const start = performance.now();
  while ((await node.call<number>('getblockcount')) < tip) await new Promise((r) => setTimeout(r, 20));
  return (performance.now() - start) / 1000;
}

export async function benchNodeSync(blocks = 2000): Promise<{ chain: GeneratedChain; results: SyncBenchResult[] }> {
  const chain = benchChain(blocks);
  const bytes = chain.blockSizes.reduce((a, b) => a + b, 0);
  const result = (source: SyncBenchResult['source'], seconds: number): SyncBenchResult => ({
    source,
    blocks: chain.tip.height,
    seconds,
    blocksPerSec: chain.tip.height / seconds,
    mbPerSec: bytes / 1e6 / seconds,
  });
  const dirs = [mkdtempSync(path.join(tmpdir(), 'chainsnap-sync-bench-')), mkdtempSync(path.join(tmpdir(), 'chainsnap-sync-bench-'))];
  const nodes: BenchDaemon[] = [];
  try {
    const fromFiles = await startBenchDaemon(dirs[0], [`-source-blocks=${chain.blkDir}`]);
    nodes.push(fromFiles);
    const results = [result('blocks-dir', await timeToTip(fromFiles, chain.tip.height))];
    const fromRpc = await startBenchDaemon(dirs[1], [`-source-rpc=${fromFiles.url}`]);
    nodes.push(fromRpc);
    results.push(result('rpc', await timeToTip(fromRpc, chain.tip.height)));
    for (const n of [fromFiles, fromRpc]) {
      const stats = await n.call<{ hash_serialized_3: string }>('gettxoutsetinfo');
      if (stats.hash_serialized_3 !== chain.tip.hashSerialized3) throw new Error('the synced UTXO set differs from the generator\'s');
    }
    return { chain, results };
  } finally {
    for (const n of nodes.reverse()) await n.stop();
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  }
}

if (process.argv[1]?.endsWith('node-sync.bench.js')) {
  const started = performance.now();
  const blocks = Number(process.argv[2] ?? 2000);
  const chain = benchChain(blocks);
  const mb = chain.blockSizes.reduce((a, b) => a + b, 0) / 1e6;
  console.log(`node sync   chain: ${chain.tip.height} blocks, ${mb.toFixed(1)} MB (ready in ${((performance.now() - started) / 1000).toFixed(1)} s)`);
  const { results } = await benchNodeSync(blocks);
  for (const r of results) {
    console.log(`node sync   ${r.blocksPerSec.toFixed(0)} blocks/s, ${r.mbPerSec.toFixed(1)} MB/s from ${r.source === 'rpc' ? 'a chainsnap node (-source-rpc)' : 'a blk directory (-source-blocks)'} (${r.blocks} blocks in ${r.seconds.toFixed(1)} s)`);
  }
}
