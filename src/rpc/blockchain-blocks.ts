/**
 * Blocks and headers over RPC, as Core's rpc/blockchain.cpp: getblockheader and getblock (verbosity 0 to 3,
 * with undo data for fees and prevouts), and the header JSON other methods share.
 */
import { getAncestor, medianTimePast, type BlockIndexEntry } from '../chain/block-index.js';
import type { BlockUndo } from '../chain/undo.js';
import { parseBlock, serializeBlock, serializeHeader } from '../primitives/block.js';
import { toHex } from '../primitives/bytes.js';
import { hashToHex } from '../primitives/hash.js';
import { txid } from '../primitives/transaction.js';
import type { RpcContext } from './context.js';
import { txToUniv, type TxVerbosity } from './core-write.js';
import { RPC, RpcError } from './errors.js';
import type { RpcMethod } from './method.js';
import { coreReal, getBool, getDifficulty, hex32, optional, parseHashV, parseVerbosity, targetHex, uint256Hex } from './util.js';

/** Core's ComputeNextBlockAndDepth: confirmations (-1 off the active chain) and the next block on it. */
export function nextBlockAndDepth(tip: BlockIndexEntry, entry: BlockIndexEntry): { confirmations: number; next?: BlockIndexEntry } {
  const next = getAncestor(tip, entry.height + 1);
  if (next && next.prev === entry) return { confirmations: tip.height - entry.height + 1, next };
  return { confirmations: entry === tip ? 1 : -1 };
}

/** Core's blockheaderToJSON. */
export function blockHeaderToJson(tip: BlockIndexEntry, entry: BlockIndexEntry): Record<string, unknown> {
  const h = entry.header;
  const { confirmations, next } = nextBlockAndDepth(tip, entry);
  const out: Record<string, unknown> = {
    hash: entry.key,
    confirmations,
    height: entry.height,
    version: h.version,
    versionHex: hex32(h.version),
    merkleroot: hashToHex(h.merkleRoot),
    time: h.time,
    mediantime: medianTimePast(entry),
    nonce: h.nonce >>> 0,
    bits: hex32(h.bits),
    target: targetHex(h.bits),
    difficulty: coreReal(getDifficulty(h.bits)),
    chainwork: uint256Hex(entry.chainWork),
    nTx: entry.txCount,
  };
  if (entry.prev) out.previousblockhash = entry.prev.key;
  if (next) out.nextblockhash = next.key;
  return out;
}

/** LookupBlockIndex, or Core's "Block not found". */
export function lookupBlock(ctx: RpcContext, hash: Uint8Array): BlockIndexEntry {
  const entry = ctx.manager.storage.index.get(hash);
  if (!entry) throw new RpcError(RPC.INVALID_ADDRESS_OR_KEY, 'Block not found');
  return entry;
}

/** Core's CheckBlockDataAvailability + ReadRawBlock. chainsnap never prunes, so missing data was never downloaded. */
export async function rawBlockChecked(ctx: RpcContext, entry: BlockIndexEntry): Promise<Uint8Array> {
  if (!entry.status.haveData || !entry.dataPos) throw new RpcError(RPC.MISC_ERROR, 'Block not available (not fully downloaded)');
  try {
    return await ctx.manager.storage.store.readBlock(entry.dataPos);
  } catch (e) {
    ctx.log.error({ err: e, block: entry.key }, 'getblock: reading the block failed');
    throw new RpcError(RPC.MISC_ERROR, 'Block not found on disk');
  }
}

async function blockUndo(ctx: RpcContext, entry: BlockIndexEntry): Promise<BlockUndo | undefined> {
  if (!entry.status.haveUndo || !entry.undoPos) return undefined;
  try {
    return await ctx.manager.storage.readUndo(entry);
  } catch (e) {
    ctx.log.error({ err: e, block: entry.key }, 'getblock: reading the undo data failed');
    throw new RpcError(
      RPC.INTERNAL_ERROR,
      "Undo data expected but can't be read. This could be due to disk corruption or a conflict with a pruning event.",
    );
  }
}

/** Core's blockToJSON: the header fields, sizes and weight, then txids (1) or transactions (2, 3). */
export async function blockToJson(ctx: RpcContext, raw: Uint8Array, tip: BlockIndexEntry, entry: BlockIndexEntry, verbosity: 1 | TxVerbosity): Promise<Record<string, unknown>> {
  const block = parseBlock(raw);
  const out = blockHeaderToJson(tip, entry);
  const stripped = serializeBlock(block, false).length;
  out.strippedsize = stripped;
  out.size = raw.length;
  out.weight = stripped * 3 + raw.length;
  if (verbosity === 1) {
    out.tx = block.txs.map((tx) => hashToHex(txid(tx)));
    return out;
  }
  const undo = await blockUndo(ctx, entry);
  // The coinbase has no undo data; transaction i spends undo[i - 1].
  out.tx = block.txs.map((tx, i) => txToUniv(tx, ctx.params, { includeHex: true, spent: undo && i > 0 ? undo[i - 1] : undefined, verbosity }));
  return out;
}

const getblockheader: RpcMethod = {
  name: 'getblockheader',
  category: 'blockchain',
  description:
    "If verbose is false, returns a string that is serialized, hex-encoded data for blockheader 'hash'.\nIf verbose is true, returns an Object with information about blockheader <hash>.",
  args: [
    { name: 'blockhash', type: 'hex', description: 'The block hash' },
    { name: 'verbose', type: 'boolean', optional: true, default: true, description: 'true for a json object, false for the hex-encoded data' },
  ],
  result: '{hash, confirmations, height, version, versionHex, merkleroot, time, mediantime, nonce, bits, target, difficulty, chainwork, nTx, previousblockhash, nextblockhash} or hex',
  examples: ['getblockheader "00000000c937983704a73af28acdec37b049d214adbda81d7e2a3dd146f6ed09"'],
  handler: ([hashArg, verboseArg], ctx) => {
    const { hash } = parseHashV(hashArg, 'hash');
    const verbose = optional(verboseArg, getBool, true);
    const entry = lookupBlock(ctx, hash);
    const tip = ctx.manager.active.tip;
    if (!verbose) return toHex(serializeHeader(entry.header));
    return blockHeaderToJson(tip, entry);
  },
};

const getblock: RpcMethod = {
  name: 'getblock',
  category: 'blockchain',
  description:
    "If verbosity is 0, returns a string that is serialized, hex-encoded data for block 'hash'.\n" +
    'If verbosity is 1, returns an Object with information about block <hash>.\n' +
    'If verbosity is 2, returns an Object with information about block <hash> and information about each transaction.\n' +
    'If verbosity is 3, returns an Object with information about block <hash> and information about each transaction, including prevout information for inputs (only for unpruned blocks in the current best chain).',
  args: [
    { name: 'blockhash', type: 'hex', description: 'The block hash' },
    {
      name: 'verbosity|verbose',
      // Core skips the type check: ParseVerbosity takes a number or a boolean.
      type: 'any',
      optional: true,
      default: 1,
      description: '0 for hex-encoded data, 1 for a JSON object, 2 for JSON object with transaction data, and 3 for JSON object with transaction data including prevout information for inputs',
    },
  ],
  result: 'hex (0), or {hash, confirmations, ..., strippedsize, size, weight, tx} (1-3)',
  examples: ['getblock "00000000c937983704a73af28acdec37b049d214adbda81d7e2a3dd146f6ed09"'],
  handler: async ([hashArg, verbosityArg], ctx) => {
    const { hash } = parseHashV(hashArg, 'blockhash');
    const verbosity = parseVerbosity(verbosityArg, 1, true);
    const entry = lookupBlock(ctx, hash);
    const tip = ctx.manager.active.tip;
    const raw = await rawBlockChecked(ctx, entry);
    if (verbosity <= 0) return toHex(raw);
    return blockToJson(ctx, raw, tip, entry, verbosity === 1 ? 1 : verbosity === 2 ? 'details' : 'details-and-prevout');
  },
};

export const blockchainBlockMethods: RpcMethod[] = [getblock, getblockheader];
