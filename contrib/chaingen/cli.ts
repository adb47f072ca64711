/**
 * Command line for the chain generators:
 *   node dist/contrib/chaingen/cli.js --chain h200|h110|rich --blocks N [--seed S] --out blocks.dat
 *        [--snapshot FILE --snapshot-height H] [rich knobs: --txs-per-block --fanout-txs --outputs-per-tx
 *        --coinbase-outputs --huge-tx-outputs --reorg-depth]
 * Blocks are written blk-framed in arrival order (for rich chains the losing branch comes before the rest
 * of the best chain, so importing them makes a node reorganise).
 */
import { parseArgs } from 'node:util';
import { MemoryUtxoSet } from '../../src/coins/memory-utxo-set.js';
import { formatBtc } from '../../src/coins/utxo-stats.js';
import { getChainParams } from '../../src/consensus/params.js';
import { hashToHex } from '../../src/primitives/hash.js';
import type { GeneratedBlock } from './blocks.js';
import { writeFramedBlocks } from './framing.js';
import { buildRichChain } from './rich-chain.js';
import { writeSnapshotOf } from './snapshot.js';
import { buildH110Chain, buildH200Chain } from './spec-chains.js';

const { values: a } = parseArgs({
  options: {
    chain: { type: 'string', default: 'rich' },
    blocks: { type: 'string' },
    seed: { type: 'string', default: 'chainsnap' },
    out: { type: 'string' },
    snapshot: { type: 'string' },
    'snapshot-height': { type: 'string' },
    'txs-per-block': { type: 'string' },
    'fanout-txs': { type: 'string' },
    'outputs-per-tx': { type: 'string' },
    'coinbase-outputs': { type: 'string' },
    'huge-tx-outputs': { type: 'string' },
    'reorg-depth': { type: 'string' },
  },
});

function num(name: string, v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) throw new Error(`--${name} must be a non-negative integer, got "${v}"`);
  return n;
}

function main(): void {
  const started = Date.now();
  const tip = num('blocks', a.blocks);
  let best: GeneratedBlock[];
  let order: GeneratedBlock[];
  let tipUtxo: MemoryUtxoSet;
  if (a.chain === 'h200' || a.chain === 'h110') {
    const c = a.chain === 'h200' ? buildH200Chain(tip ?? 200) : buildH110Chain(tip ?? 110);
    best = order = c.blocks;
    tipUtxo = c.utxo;
  } else if (a.chain === 'rich') {
    const c = buildRichChain({
      seed: a.seed!,
      blocks: tip ?? 120,
      txsPerBlock: num('txs-per-block', a['txs-per-block']),
      fanoutTxsPerBlock: num('fanout-txs', a['fanout-txs']),
      outputsPerTx: num('outputs-per-tx', a['outputs-per-tx']),
      coinbaseOutputs: num('coinbase-outputs', a['coinbase-outputs']),
      hugeTxOutputs: num('huge-tx-outputs', a['huge-tx-outputs']),
      reorgDepth: num('reorg-depth', a['reorg-depth']),
    });
    best = c.blocks;
    order = c.arrivalOrder;
    tipUtxo = c.utxo;
  } else {
    throw new Error(`unknown --chain "${a.chain}" (h200, h110 or rich)`);
  }
  const built = Date.now();
  const params = getChainParams('regtest');
  if (a.out) writeFramedBlocks(a.out, order.map((b) => b.bytes), params.messageStart);

  const summary: Record<string, unknown> = {
    chain: a.chain,
    tip: best.length,
    tipHash: hashToHex(best[best.length - 1].hash),
    blocksWritten: a.out ? order.length : 0,
    utxos: tipUtxo.size,
    buildSeconds: (built - started) / 1000,
  };
  if (a.snapshot) {
    const h = num('snapshot-height', a['snapshot-height']) ?? best.length;
    if (h < 1 || h > best.length) throw new Error(`--snapshot-height must be within 1..${best.length}`);
    let utxo = tipUtxo;
    if (h !== best.length) {
      utxo = new MemoryUtxoSet();
      for (const b of best.slice(0, h)) utxo.applyBlock(b.block, b.height);
    }
    const stats = utxo.stats();
    summary.snapshot = {
      path: a.snapshot,
      height: h,
      baseHash: hashToHex(best[h - 1].hash),
      coins: writeSnapshotOf(utxo, a.snapshot, params.messageStart, best[h - 1].hash),
      hashSerialized3: hashToHex(stats.hashSerialized3),
      totalAmount: stats.totalAmount === null ? null : formatBtc(stats.totalAmount),
    };
  }
  summary.totalSeconds = (Date.now() - started) / 1000;
  console.log(JSON.stringify(summary, null, 2));
}

try {
  main();
} catch (e) {
  console.error(`chaingen: ${(e as Error).message}`);
  process.exit(1);
}
