/**
 * The chain-state methods of Core's rpc/blockchain.cpp: heights and hashes, difficulty, getblockchaininfo
 * (with `backgroundvalidation` while a snapshot is being validated), chain tips, chain transaction
 * statistics, and the UTXO set (gettxout, gettxoutsetinfo). Block and snapshot methods live in
 * blockchain-blocks.ts and blockchain-snapshot.ts; `blockchainMethods` gathers all three.
 *
 * Methods that only read in-memory state run without ctx.exclusive: JavaScript runs them in one step, so
 * they never see the engine half-way through a change, and they keep answering while a long operation
 * (snapshot load, dump) holds the engine.
 */
import { readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { getAncestor, medianTimePast, type BlockIndexEntry } from '../chain/block-index.js';
import { isValid } from '../chain/block-status.js';
import { computeChainstateStats } from '../coins/coins-stats.js';
import { outpointKey } from '../coins/view.js';
import { hashToHex } from '../primitives/hash.js';
import { blockchainBlockMethods, lookupBlock } from './blockchain-blocks.js';
import { blockchainSnapshotMethods } from './blockchain-snapshot.js';
import type { RpcContext } from './context.js';
import { scriptToUniv } from './core-write.js';
import { RPC, RpcError } from './errors.js';
import type { RpcMethod } from './method.js';
import {
  getBool,
  coreReal,
  getDifficulty,
  getInt,
  getStr,
  hex32,
  isNull,
  optional,
  parseHashV,
  targetHex,
  uint256Hex,
  valueFromAmount,
  verificationProgress,
} from './util.js';

/** Core's CalculateCurrentUsage: the bytes of the blk and rev files. */
function blockFilesSize(ctx: RpcContext): number {
  const dir = ctx.manager.storage.dir;
  let total = 0;
  for (const name of readdirSync(dir)) if (/^(blk|rev)\d{5}\.dat$/.test(name)) total += statSync(path.join(dir, name)).size;
  return total;
}

const getblockcount: RpcMethod = {
  name: 'getblockcount',
  category: 'blockchain',
  description: 'Returns the height of the most-work fully-validated chain.\nThe genesis block has height 0.',
  args: [],
  result: 'n (the current block count)',
  examples: ['getblockcount'],
  handler: (_p, ctx) => ctx.manager.active.height,
};

const getbestblockhash: RpcMethod = {
  name: 'getbestblockhash',
  category: 'blockchain',
  description: 'Returns the hash of the best (tip) block in the most-work fully-validated chain.',
  args: [],
  result: '"hex" (the block hash, hex-encoded)',
  examples: ['getbestblockhash'],
  handler: (_p, ctx) => ctx.manager.active.tip.key,
};

const getblockhash: RpcMethod = {
  name: 'getblockhash',
  category: 'blockchain',
  description: 'Returns hash of block in best-block-chain at height provided.',
  args: [{ name: 'height', type: 'number', description: 'The height index' }],
  result: '"hex" (the block hash)',
  examples: ['getblockhash 1000'],
  handler: ([heightArg], ctx) => {
    const height = getInt(heightArg);
    const active = ctx.manager.active;
    if (height < 0 || height > active.height) throw new RpcError(RPC.INVALID_PARAMETER, 'Block height out of range');
    return active.at(height)!.key;
  },
};

const getdifficulty: RpcMethod = {
  name: 'getdifficulty',
  category: 'blockchain',
  description: 'Returns the proof-of-work difficulty as a multiple of the minimum difficulty.',
  args: [],
  result: 'n (the proof-of-work difficulty as a multiple of the minimum difficulty)',
  examples: ['getdifficulty'],
  handler: (_p, ctx) => coreReal(getDifficulty(ctx.manager.active.tip.header.bits)),
};

const getblockchaininfo: RpcMethod = {
  name: 'getblockchaininfo',
  category: 'blockchain',
  description: 'Returns an object containing various state info regarding blockchain processing.',
  args: [],
  result:
    '{chain, blocks, headers, bestblockhash, bits, target, difficulty, time, mediantime, verificationprogress, initialblockdownload, chainwork, size_on_disk, pruned, signet_challenge?, backgroundvalidation?, warnings}',
  examples: ['getblockchaininfo'],
  handler: (_p, ctx) => {
    const m = ctx.manager;
    const tip = m.active.tip;
    const out: Record<string, unknown> = {
      chain: ctx.params.coreName,
      blocks: tip.height,
      headers: m.storage.index.bestHeader.height,
      bestblockhash: tip.key,
      bits: hex32(tip.header.bits),
      target: targetHex(tip.header.bits),
      difficulty: coreReal(getDifficulty(tip.header.bits)),
      time: tip.header.time,
      mediantime: medianTimePast(tip),
      verificationprogress: coreReal(verificationProgress(ctx, tip)),
      initialblockdownload: m.isInitialBlockDownload(),
      chainwork: uint256Hex(tip.chainWork),
      size_on_disk: blockFilesSize(ctx),
      pruned: false,
    };
    if (ctx.params.name === 'signet') out.signet_challenge = Buffer.from(ctx.params.signetChallenge).toString('hex');
    const bg = m.backgroundStatus();
    if (bg) {
      out.backgroundvalidation = {
        snapshotheight: bg.baseHeight,
        blocks: bg.height,
        bestblockhash: bg.tip.key,
        mediantime: medianTimePast(bg.tip),
        chainwork: uint256Hex(bg.tip.chainWork),
        verificationprogress: coreReal(bg.progress),
      };
    }
    out.warnings = m.fatal ? [m.fatal.message] : [];
    return out;
  },
};

/** Core's CChain::FindFork: the last block of the active chain that `entry` descends from. */
function findFork(ctx: RpcContext, entry: BlockIndexEntry): BlockIndexEntry | undefined {
  const active = ctx.manager.active;
  let e: BlockIndexEntry | undefined = entry.height > active.height ? getAncestor(entry, active.height) : entry;
  while (e && !active.contains(e)) e = e.prev;
  return e;
}

const getchaintips: RpcMethod = {
  name: 'getchaintips',
  category: 'blockchain',
  description: 'Return information about all known tips in the block tree, including the main chain as well as orphaned branches.',
  args: [],
  result: '[{height, hash, branchlen, status: active|valid-fork|valid-headers|headers-only|invalid}, ...]',
  examples: ['getchaintips'],
  handler: (_p, ctx) => {
    const active = ctx.manager.active;
    // Core's algorithm: blocks off the active chain that no other such block builds on, plus the active tip.
    const orphans: BlockIndexEntry[] = [];
    const prevs = new Set<BlockIndexEntry | undefined>();
    for (const e of ctx.manager.storage.index.entries()) {
      if (!active.contains(e)) {
        orphans.push(e);
        prevs.add(e.prev);
      }
    }
    const tips = orphans.filter((e) => !prevs.has(e));
    tips.push(active.tip);
    tips.sort((a, b) => b.height - a.height || a.sequenceId - b.sequenceId);
    return tips.map((e) => {
      let status: string;
      if (active.contains(e)) status = 'active';
      else if (e.status.failure !== undefined) status = 'invalid';
      else if (e.chainTxCount === 0) status = 'headers-only';
      // BLOCK_VALID_SCRIPTS: a chainstate connected it once (scripts checked or assumed valid).
      else if (isValid(e.status, 'scripts')) status = 'valid-fork';
      else status = 'valid-headers';
      return { height: e.height, hash: e.key, branchlen: e.height - (findFork(ctx, e)?.height ?? 0), status };
    });
  },
};

const getchaintxstats: RpcMethod = {
  name: 'getchaintxstats',
  category: 'blockchain',
  description: 'Compute statistics about the total number and rate of transactions in the chain.',
  args: [
    { name: 'nblocks', type: 'number', optional: true, default: 'one month', description: 'Size of the window in number of blocks' },
    { name: 'blockhash', type: 'hex', optional: true, default: 'chain tip', description: 'The hash of the block that ends the window.' },
  ],
  result: '{time, txcount?, window_final_block_hash, window_final_block_height, window_block_count, window_interval?, window_tx_count?, txrate?}',
  examples: ['getchaintxstats', 'getchaintxstats 2016'],
  handler: ([nblocksArg, hashArg], ctx) => {
    const active = ctx.manager.active;
    let entry: BlockIndexEntry;
    if (isNull(hashArg)) entry = active.tip;
    else {
      entry = lookupBlock(ctx, parseHashV(hashArg, 'blockhash').hash);
      if (!active.contains(entry)) throw new RpcError(RPC.INVALID_PARAMETER, 'Block is not in main chain');
    }
    let count = Math.trunc((30 * 24 * 60 * 60) / ctx.params.powTargetSpacing);
    if (isNull(nblocksArg)) count = Math.max(0, Math.min(count, entry.height - 1));
    else {
      count = getInt(nblocksArg);
      if (count < 0 || (count > 0 && count >= entry.height)) {
        throw new RpcError(RPC.INVALID_PARAMETER, "Invalid block count: should be between 0 and the block's height - 1");
      }
    }
    const past = getAncestor(entry, entry.height - count)!;
    const interval = medianTimePast(entry) - medianTimePast(past);
    const out: Record<string, unknown> = { time: entry.header.time };
    if (entry.chainTxCount) out.txcount = entry.chainTxCount;
    out.window_final_block_hash = entry.key;
    out.window_final_block_height = entry.height;
    out.window_block_count = count;
    if (count > 0) {
      out.window_interval = interval;
      if (entry.chainTxCount !== 0 && past.chainTxCount !== 0) {
        const txs = entry.chainTxCount - past.chainTxCount;
        out.window_tx_count = txs;
        if (interval > 0) out.txrate = coreReal(txs / interval);
      }
    }
    return out;
  },
};

const gettxout: RpcMethod = {
  name: 'gettxout',
  category: 'blockchain',
  description: 'Returns details about an unspent transaction output.',
  args: [
    { name: 'txid', type: 'string', description: 'The transaction id' },
    { name: 'n', type: 'number', description: 'vout number' },
    {
      name: 'include_mempool',
      type: 'boolean',
      optional: true,
      default: true,
      description: "Whether to include the mempool. Note that an unspent output that is spent in the mempool won't appear.",
    },
  ],
  result: 'null, or {bestblock, confirmations, value, scriptPubKey: {asm, desc, hex, address?, type}, coinbase}',
  examples: ['gettxout "txid" 1'],
  handler: ([txidArg, nArg, mempoolArg], ctx) => {
    const { hash } = parseHashV(txidArg, 'txid');
    const n = getInt(nArg, 'uint32');
    // The mempool is always empty on this node: with or without it the answer is the chainstate's.
    optional(mempoolArg, getBool, true);
    const cs = ctx.manager.active;
    const coin = cs.cache.getCoin(outpointKey(hash, n));
    if (!coin) return null;
    // The block the coins view is at, as Core reads it (it can be ahead of the tip while a block is connected).
    const best = cs.cache.bestBlock();
    const at = (best && ctx.manager.storage.index.get(best)) || cs.tip;
    return {
      bestblock: at.key,
      confirmations: at.height - coin.height + 1,
      value: valueFromAmount(coin.value),
      scriptPubKey: scriptToUniv(coin.script, ctx.params),
      coinbase: coin.coinbase,
    };
  },
};

const gettxoutsetinfo: RpcMethod = {
  name: 'gettxoutsetinfo',
  category: 'blockchain',
  description: 'Returns statistics about the unspent transaction output set.\nNote this call may take some time if you are not using coinstatsindex.',
  args: [
    {
      name: 'hash_type',
      type: 'string',
      optional: true,
      default: 'hash_serialized_3',
      description: "Which UTXO set hash should be calculated. Options: 'hash_serialized_3' (the legacy algorithm), 'muhash', 'none'.",
    },
    {
      name: 'hash_or_height',
      type: 'any',
      optional: true,
      default: 'the current best block',
      description: 'The block hash or height of the target height (only available with coinstatsindex).',
    },
    { name: 'use_index', type: 'boolean', optional: true, default: true, description: 'Use coinstatsindex, if available.' },
  ],
  result: '{height, bestblock, txouts, bogosize, hash_serialized_3 | muhash, total_amount, transactions, disk_size}',
  examples: ['gettxoutsetinfo', 'gettxoutsetinfo "none"', '-named gettxoutsetinfo hash_type=\'muhash\' use_index=\'false\''],
  handler: async ([typeArg, hashOrHeight, useIndexArg], ctx) => {
    const hashType = optional(typeArg, getStr, 'hash_serialized_3');
    if (hashType !== 'hash_serialized_3' && hashType !== 'muhash' && hashType !== 'none') {
      throw new RpcError(RPC.INVALID_PARAMETER, `'${hashType}' is not a valid hash_type`);
    }
    optional(useIndexArg, getBool, true);
    // There is no coinstatsindex.
    if (!isNull(hashOrHeight)) throw new RpcError(RPC.INVALID_PARAMETER, 'Querying specific block heights requires coinstatsindex');
    // Core's ForceFlushStateToDisk, then statistics of the database: the scan reads one consistent state
    // with its best block, so blocks may connect meanwhile.
    const db = await ctx.exclusive(async () => {
      await ctx.manager.active.flush(true);
      return ctx.manager.active.db;
    });
    let stats;
    try {
      // Only the hash asked for, as Core computes it.
      stats = await computeChainstateStats(db, { muhash: hashType === 'muhash', hashSerialized3: hashType === 'hash_serialized_3' });
    } catch (e) {
      ctx.log.error({ err: e }, 'gettxoutsetinfo: reading the UTXO set failed');
      throw new RpcError(RPC.INTERNAL_ERROR, 'Unable to read UTXO set');
    }
    const at = stats.bestBlock && ctx.manager.storage.index.get(stats.bestBlock);
    if (!at) throw new RpcError(RPC.INTERNAL_ERROR, 'Unable to read UTXO set');
    const out: Record<string, unknown> = { height: at.height, bestblock: at.key, txouts: stats.txouts, bogosize: stats.bogosize };
    if (hashType === 'hash_serialized_3') out.hash_serialized_3 = hashToHex(stats.hashSerialized3!);
    if (hashType === 'muhash') out.muhash = hashToHex(stats.muhash!);
    // Core asserts the sum fits an amount; a set whose total overflows int64 cannot exist on a real chain.
    if (stats.totalAmount !== null) out.total_amount = valueFromAmount(stats.totalAmount);
    out.transactions = stats.transactions;
    out.disk_size = stats.diskSize;
    return out;
  },
};

/** Every blockchain method (Core's RegisterBlockchainRPCCommands, the parts chainsnap has). */
export const blockchainMethods: RpcMethod[] = [
  getblockchaininfo,
  getchaintxstats,
  getbestblockhash,
  getblockcount,
  ...blockchainBlockMethods,
  getblockhash,
  getchaintips,
  getdifficulty,
  gettxout,
  gettxoutsetinfo,
  ...blockchainSnapshotMethods,
];
