/**
 * getblockstats, as Core's rpc/blockchain.cpp: per-block fee, size, weight and UTXO-set statistics, from the
 * block and its undo data (the coins it spent), with Core's integer arithmetic and error strings.
 */
import { getAncestor, medianTimePast, type BlockIndexEntry } from '../chain/block-index.js';
import { isBIP30Repeat } from '../chain/connect-block.js';
import type { BlockUndo } from '../chain/undo.js';
import { blockSubsidy } from '../consensus/params.js';
import { txWeight } from '../consensus/tx-checks.js';
import { parseBlock } from '../primitives/block.js';
import { compactSizeLength } from '../primitives/bytes.js';
import { isUnspendable } from '../primitives/script.js';
import { hasWitness, isCoinbase, serializeTransaction, type TxOut } from '../primitives/transaction.js';
import { lookupBlock, rawBlockChecked } from './blockchain-blocks.js';
import type { RpcContext } from './context.js';
import { RPC, RpcError } from './errors.js';
import type { RpcMethod } from './method.js';
import { getInt, getStr, isNull, parseHashV } from './util.js';

const MAX_MONEY = 21_000_000 * 100_000_000;
const MAX_BLOCK_SERIALIZED_SIZE = 4_000_000;
const WITNESS_SCALE_FACTOR = 4;
/** sizeof(COutPoint) + sizeof(uint32_t) + sizeof(bool): what Core counts per UTXO beyond the txout. */
const PER_UTXO_OVERHEAD = 36 + 4 + 1;

/** Core's ParseHashOrHeight: a number is a height on the active chain, anything else a block hash. */
export function parseHashOrHeight(ctx: RpcContext, v: unknown): BlockIndexEntry {
  if (typeof v === 'number') {
    const height = getInt(v);
    if (height < 0) throw new RpcError(RPC.INVALID_PARAMETER, `Target block height ${height} is negative`);
    const tip = ctx.manager.active.tip;
    if (height > tip.height) throw new RpcError(RPC.INVALID_PARAMETER, `Target block height ${height} after current tip ${tip.height}`);
    return getAncestor(tip, height)!;
  }
  return lookupBlock(ctx, parseHashV(v, 'hash_or_height').hash);
}

/** Core's GetUndoChecked (genesis has none; chainsnap never prunes). */
async function undoChecked(ctx: RpcContext, entry: BlockIndexEntry): Promise<BlockUndo> {
  if (entry.height === 0) return [];
  if (!entry.status.haveUndo || !entry.undoPos) throw new RpcError(RPC.MISC_ERROR, 'Undo data not available');
  try {
    return await ctx.manager.storage.readUndo(entry);
  } catch {
    throw new RpcError(RPC.MISC_ERROR, "Can't read undo data from disk");
  }
}

function txOutSize(out: TxOut): number {
  return 8 + compactSizeLength(out.script.length) + out.script.length + PER_UTXO_OVERHEAD;
}

/** Core's CalculateTruncatedMedian: the mean of the middle two, truncated, for an even count. */
function truncatedMedian(scores: number[]): number {
  if (scores.length === 0) return 0;
  scores.sort((a, b) => a - b);
  const mid = scores.length >> 1;
  return scores.length % 2 === 0 ? Math.trunc((scores[mid - 1] + scores[mid]) / 2) : scores[mid];
}

/** Core's CalculatePercentilesByWeight: the feerates at the 10/25/50/75/90th percentile weight unit. */
function percentilesByWeight(scores: [number, number][], totalWeight: number): number[] {
  const result = [0, 0, 0, 0, 0];
  if (scores.length === 0) return result;
  scores.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  const weights = [totalWeight / 10, totalWeight / 4, totalWeight / 2, (totalWeight * 3) / 4, (totalWeight * 9) / 10];
  let next = 0;
  let cumulative = 0;
  for (const [feerate, weight] of scores) {
    cumulative += weight;
    while (next < weights.length && cumulative >= weights[next]) result[next++] = feerate;
  }
  for (; next < weights.length; next++) result[next] = scores[scores.length - 1][0];
  return result;
}

/** Every statistic of one block, in Core's key order. */
async function blockStats(ctx: RpcContext, entry: BlockIndexEntry): Promise<Record<string, unknown>> {
  const block = parseBlock(await rawBlockChecked(ctx, entry));
  const undo = await undoChecked(ctx, entry);
  const bip30Repeat = isBIP30Repeat(entry.height, entry.key);
  let maxfee = 0, maxfeerate = 0, minfee = MAX_MONEY, minfeerate = MAX_MONEY;
  let totalOut = 0, totalfee = 0, inputs = 0, outputs = 0, maxtxsize = 0, mintxsize = MAX_BLOCK_SERIALIZED_SIZE;
  let swtotalSize = 0, swtotalWeight = 0, swtxs = 0, totalSize = 0, totalWeight = 0;
  let utxos = 0, utxoSizeInc = 0, utxoSizeIncActual = 0;
  const fees: number[] = [];
  const feerates: [number, number][] = [];
  const txSizes: number[] = [];
  block.txs.forEach((tx, i) => {
    outputs += tx.outputs.length;
    let txTotalOut = 0;
    for (const out of tx.outputs) {
      txTotalOut += out.value;
      const size = txOutSize(out);
      utxoSizeInc += size;
      // Genesis and the repeated BIP30 coinbases leave the UTXO set as it was.
      if (entry.height === 0 || (bip30Repeat && isCoinbase(tx))) continue;
      if (isUnspendable(out.script)) continue;
      utxos++;
      utxoSizeIncActual += size;
    }
    if (isCoinbase(tx)) return;
    inputs += tx.inputs.length;
    totalOut += txTotalOut;
    const txSize = serializeTransaction(tx, true).length;
    txSizes.push(txSize);
    maxtxsize = Math.max(maxtxsize, txSize);
    mintxsize = Math.min(mintxsize, txSize);
    totalSize += txSize;
    const weight = txWeight(tx);
    totalWeight += weight;
    if (hasWitness(tx)) {
      swtxs++;
      swtotalSize += txSize;
      swtotalWeight += weight;
    }
    let txTotalIn = 0;
    for (const coin of undo[i - 1]) {
      txTotalIn += coin.value;
      const size = txOutSize(coin);
      utxoSizeInc -= size;
      utxoSizeIncActual -= size;
    }
    const fee = txTotalIn - txTotalOut;
    fees.push(fee);
    maxfee = Math.max(maxfee, fee);
    minfee = Math.min(minfee, fee);
    totalfee += fee;
    // sat/vB from weight, truncated as Core's integer division.
    const feerate = weight ? Math.trunc((fee * WITNESS_SCALE_FACTOR) / weight) : 0;
    feerates.push([feerate, weight]);
    maxfeerate = Math.max(maxfeerate, feerate);
    minfeerate = Math.min(minfeerate, feerate);
  });
  const nonCoinbase = block.txs.length - 1;
  return {
    avgfee: nonCoinbase > 0 ? Math.trunc(totalfee / nonCoinbase) : 0,
    avgfeerate: totalWeight ? Math.trunc((totalfee * WITNESS_SCALE_FACTOR) / totalWeight) : 0,
    avgtxsize: nonCoinbase > 0 ? Math.trunc(totalSize / nonCoinbase) : 0,
    blockhash: entry.key,
    feerate_percentiles: percentilesByWeight(feerates, totalWeight),
    height: entry.height,
    ins: inputs,
    maxfee,
    maxfeerate,
    maxtxsize,
    medianfee: truncatedMedian(fees),
    mediantime: medianTimePast(entry),
    mediantxsize: truncatedMedian(txSizes),
    minfee: minfee === MAX_MONEY ? 0 : minfee,
    minfeerate: minfeerate === MAX_MONEY ? 0 : minfeerate,
    mintxsize: mintxsize === MAX_BLOCK_SERIALIZED_SIZE ? 0 : mintxsize,
    outs: outputs,
    subsidy: blockSubsidy(entry.height, ctx.params),
    swtotal_size: swtotalSize,
    swtotal_weight: swtotalWeight,
    swtxs,
    time: entry.header.time,
    total_out: totalOut,
    total_size: totalSize,
    total_weight: totalWeight,
    totalfee,
    txs: block.txs.length,
    utxo_increase: outputs - inputs,
    utxo_size_inc: utxoSizeInc,
    utxo_increase_actual: utxos - inputs,
    utxo_size_inc_actual: utxoSizeIncActual,
  };
}

const getblockstats: RpcMethod = {
  name: 'getblockstats',
  category: 'blockchain',
  description: "Compute per block statistics for a given window. All amounts are in satoshis.\nIt won't work for some heights with pruning.\n",
  args: [
    { name: 'hash_or_height', type: 'number', skipTypeCheck: true, description: 'The block hash or height of the target block' },
    {
      name: 'stats',
      type: 'array',
      optional: true,
      defaultHint: 'all values',
      oneline: 'stats',
      description: 'Values to plot (see result below)',
      inner: [
        { name: 'height', type: 'string', optional: true, description: 'Selected statistic' },
        { name: 'time', type: 'string', optional: true, description: 'Selected statistic' },
      ],
    },
  ],
  result:
    '{avgfee, avgfeerate, avgtxsize, blockhash, feerate_percentiles, height, ins, maxfee, maxfeerate, maxtxsize, medianfee, mediantime, mediantxsize, minfee, minfeerate, mintxsize, outs, subsidy, swtotal_size, swtotal_weight, swtxs, time, total_out, total_size, total_weight, totalfee, txs, utxo_increase, utxo_size_inc, utxo_increase_actual, utxo_size_inc_actual}',
  examples: [
    `getblockstats '"00000000c937983704a73af28acdec37b049d214adbda81d7e2a3dd146f6ed09"' '["minfeerate","avgfeerate"]'`,
    `getblockstats 1000 '["minfeerate","avgfeerate"]'`,
  ],
  handler: async ([hashOrHeight, statsArg], ctx) => {
    const entry = parseHashOrHeight(ctx, hashOrHeight);
    // Core's std::set: selected statistics come back sorted and once each.
    const selected = isNull(statsArg) ? [] : [...new Set((statsArg as unknown[]).map(getStr))].sort();
    const all = await blockStats(ctx, entry);
    if (selected.length === 0) return all;
    const out: Record<string, unknown> = {};
    for (const stat of selected) {
      if (!Object.hasOwn(all, stat)) throw new RpcError(RPC.INVALID_PARAMETER, `Invalid selected statistic '${stat}'`);
      out[stat] = all[stat];
    }
    return out;
  },
};

export const blockchainStatsMethods: RpcMethod[] = [getblockstats];
