/**
 * Core's rpc/mining.cpp: generatetoaddress, generatetodescriptor, generateblock (and the retired generate),
 * getblocktemplate, submitblock, submitheader, getmininginfo and getnetworkhashps, with Core's argument
 * names, results and errors. Engine work runs inside ctx.exclusive; generate* take it once per block, so
 * other calls interleave between blocks as they do with Core's cs_main. The time is ctx.now() (mock time).
 */
import { DescriptorError, expandDescriptor, isRangeDescriptor, parseDescriptor } from '../script/descriptor.js';
import { decodeAddress } from '../script/address.js';
import type { ChainParams } from '../consensus/params.js';
import { blockHash, serializeBlock } from '../primitives/block.js';
import { toHex } from '../primitives/bytes.js';
import { hashToHex } from '../primitives/hash.js';
import { transactionFromHex, type Transaction } from '../primitives/transaction.js';
import { miningState, nextWorkRequired, updateTime } from '../mining/assembler.js';
import { blockTemplate, targetHex, TemplateRequestError } from '../mining/block-template.js';
import { BlockNotAcceptedError, DEFAULT_MAX_TRIES, generateBlock, GenerateBlockError, mineOne, type TryBudget } from '../mining/generate.js';
import { difficulty, HashrateArgumentError, networkHashPerSecond } from '../mining/hashrate.js';
import { checkProposal, decodeHexBlock, decodeHexHeader, isHex, submitBlock, submitHeader } from '../mining/submit.js';
import type { RpcContext } from './context.js';
import { RPC, RpcError } from './errors.js';
import { parseHashV } from './util.js';
import type { RpcMethod, RpcParams } from './method.js';
import { networkOf } from './net-control.js';

/**
 * How often a long-polling getblocktemplate looks at the tip. Core is woken by a tip notification; the
 * engine has none to offer, so the tip is polled (outside the exclusive section).
 */
const LONGPOLL_CHECK_MS = 100;

const int = (v: unknown, fallback: number): number => (v === undefined || v === null ? fallback : Math.trunc(Number(v)));

/** maxtries is a uint64 in Core: a negative int wraps to a huge budget. */
const maxTries = (v: unknown): number => {
  const n = int(v, DEFAULT_MAX_TRIES);
  return n < 0 ? Number.MAX_SAFE_INTEGER : n;
};

/**
 * Core's getScriptFromDescriptor: Core's parse error when it is no descriptor; RPC errors
 * for multipath, ranged and underivable ones. combo() yields P2WPKH (compressed key) or P2PKH.
 */
function scriptFromDescriptor(descriptor: string, params: ChainParams): Uint8Array | { error: string } {
  let descs;
  try {
    descs = parseDescriptor(descriptor, params, false);
  } catch (e) {
    if (e instanceof DescriptorError) return { error: e.message };
    throw e;
  }
  if (descs.length > 1) throw new RpcError(RPC.INVALID_PARAMETER, 'Multipath descriptor not accepted');
  if (isRangeDescriptor(descs[0])) throw new RpcError(RPC.INVALID_PARAMETER, 'Ranged descriptor not accepted. Maybe pass through deriveaddresses first?');
  const scripts = expandDescriptor(descs[0], 0);
  if (!scripts) throw new RpcError(RPC.INVALID_ADDRESS_OR_KEY, 'Cannot derive script without private keys');
  return scripts.length === 1 ? scripts[0] : scripts.length === 4 ? scripts[2] : scripts[1];
}

/** Core's generateBlocks: one exclusive section per template, a try budget shared by all of them. */
async function generateBlocks(ctx: RpcContext, script: Uint8Array, count: number, tries: number): Promise<string[]> {
  const budget: TryBudget = { left: tries };
  const hashes: string[] = [];
  // Core stops generating when the node is interrupted and returns what it mined.
  while (hashes.length < count && !ctx.shutdownSignal?.aborted) {
    let r;
    try {
      r = await ctx.exclusive(() => mineOne(ctx.manager, script, budget, { now: () => ctx.now(), blockVersion: ctx.blockVersion }));
    } catch (e) {
      if (e instanceof BlockNotAcceptedError) throw new RpcError(RPC.INTERNAL_ERROR, e.message);
      throw e;
    }
    if (r === 'out-of-tries') break;
    if (r !== 'retry') hashes.push(r);
  }
  return hashes;
}

/**
 * generatetoaddress and generatetodescriptor: the same arguments but for the names Core gives the first two,
 * and the same work once the destination is an output script (`toScript` throws Core's error otherwise).
 */
function generateTo(name: string, countArg: string, destination: 'address' | 'descriptor', toScript: (s: string, p: ChainParams) => Uint8Array): RpcMethod {
  return {
    name,
    category: 'hidden',
    description: `Mine to a specified ${destination} and return the block hashes.`,
    args: [
      { name: countArg, type: 'number', description: 'How many blocks are generated.' },
      { name: destination, type: 'string', description: `The ${destination} to send the newly generated bitcoin to.` },
      { name: 'maxtries', type: 'number', optional: true, default: DEFAULT_MAX_TRIES, description: 'How many iterations to try.' },
    ],
    result: '["blockhash", ...]  (hashes of blocks generated)',
    handler: async (params: RpcParams, ctx: RpcContext) => generateBlocks(ctx, toScript(String(params[1]), ctx.params), int(params[0], 0), maxTries(params[2])),
  };
}

const generatetoaddress = generateTo('generatetoaddress', 'nblocks', 'address', (address, params) => {
  const script = decodeAddress(address, params);
  if (!script) throw new RpcError(RPC.INVALID_ADDRESS_OR_KEY, 'Error: Invalid address');
  return script;
});

const generatetodescriptor = generateTo('generatetodescriptor', 'num_blocks', 'descriptor', (descriptor, params) => {
  const script = scriptFromDescriptor(descriptor, params);
  if (!(script instanceof Uint8Array)) throw new RpcError(RPC.INVALID_ADDRESS_OR_KEY, script.error);
  return script;
});

const GENERATE_MESSAGE = 'has been replaced by the -generate cli option. Refer to -help for more information.';

const generate: RpcMethod = {
  name: 'generate',
  category: 'hidden',
  description: GENERATE_MESSAGE,
  args: [],
  handler: () => {
    // Core answers with the method's help text: name, blank line, description.
    throw new RpcError(RPC.METHOD_NOT_FOUND, `generate\n\n${GENERATE_MESSAGE}\n`);
  },
};

/** generateblock's transactions: 64 hex digits are a txid (looked up in the mempool, which is empty here). */
function parseBlockTransactions(list: unknown): Transaction[] {
  if (!Array.isArray(list)) throw new RpcError(RPC.TYPE_ERROR, 'JSON value is not an array as expected');
  return list.map((item) => {
    const s = String(item);
    if (/^[0-9a-fA-F]{64}$/.test(s)) throw new RpcError(RPC.INVALID_ADDRESS_OR_KEY, `Transaction ${s} not in mempool.`);
    try {
      if (isHex(s)) return transactionFromHex(s, true);
    } catch {
      // Core's DecodeHexTx refuses it the same way.
    }
    throw new RpcError(RPC.DESERIALIZATION_ERROR, `Transaction decode failed for ${s}. Make sure the tx has at least one input.`);
  });
}

const generateblock: RpcMethod = {
  name: 'generateblock',
  category: 'hidden',
  description: 'Mine a set of ordered transactions to a specified address or descriptor and return the block hash.',
  args: [
    { name: 'output', type: 'string', description: 'The address or descriptor to send the newly generated bitcoin to.' },
    { name: 'transactions', type: 'array', description: 'An array of hex strings which are either txids or raw transactions.' },
    { name: 'submit', type: 'boolean', optional: true, default: true, description: 'Whether to submit the block before the RPC call returns or to return it as hex.' },
  ],
  result: '{"hash": "hex", "hex": "hex" (only when submit=false)}',
  handler: async (params: RpcParams, ctx: RpcContext) => {
    const output = String(params[0]);
    let script = scriptFromDescriptor(output, ctx.params);
    if (!(script instanceof Uint8Array)) {
      const decoded = decodeAddress(output, ctx.params);
      if (!decoded) throw new RpcError(RPC.INVALID_ADDRESS_OR_KEY, 'Error: Invalid address or descriptor');
      script = decoded;
    }
    const coinbaseScript = script;
    const txs = parseBlockTransactions(params[1]);
    const submit = params[2] === undefined || params[2] === null ? true : Boolean(params[2]);
    const block = await ctx.exclusive(async () => {
      try {
        return await generateBlock(ctx.manager, coinbaseScript, txs, submit, ctx.now(), ctx.blockVersion);
      } catch (e) {
        if (e instanceof GenerateBlockError) throw new RpcError(e.kind === 'invalid' ? RPC.VERIFY_ERROR : RPC.MISC_ERROR, e.message);
        if (e instanceof BlockNotAcceptedError) throw new RpcError(RPC.INTERNAL_ERROR, e.message);
        throw e;
      }
    });
    const result: Record<string, string> = { hash: hashToHex(blockHash(block.header)) };
    if (!submit) result.hex = toHex(serializeBlock(block));
    return result;
  },
};

const submitblock: RpcMethod = {
  name: 'submitblock',
  category: 'mining',
  description: 'Attempts to submit new block to network.\nSee https://en.bitcoin.it/wiki/BIP_0022 for full specification.',
  args: [
    { name: 'hexdata', type: 'hex', description: 'the hex-encoded block data to submit' },
    { name: 'dummy', type: 'string', optional: true, default: 'ignored', description: 'dummy value, for compatibility with BIP22. This value is ignored.' },
  ],
  result: 'null when accepted, otherwise a BIP22 result string',
  handler: async (params: RpcParams, ctx: RpcContext) => {
    const block = decodeHexBlock(String(params[0]));
    if (!block) throw new RpcError(RPC.DESERIALIZATION_ERROR, 'Block decode failed');
    return ctx.exclusive(() => submitBlock(ctx.manager, block, ctx.now()));
  },
};

const submitheader: RpcMethod = {
  name: 'submitheader',
  category: 'mining',
  description: 'Decode the given hexdata as a header and submit it as a candidate chain tip if valid.\nThrows when the header is invalid.',
  args: [{ name: 'hexdata', type: 'hex', description: 'the hex-encoded block header data' }],
  result: 'null',
  handler: async (params: RpcParams, ctx: RpcContext) => {
    const header = decodeHexHeader(String(params[0]));
    if (!header) throw new RpcError(RPC.DESERIALIZATION_ERROR, 'Block header decode failed');
    const r = await ctx.exclusive(() => submitHeader(ctx.manager, header));
    if (r.ok) return null;
    if ('missingPrev' in r) throw new RpcError(RPC.VERIFY_ERROR, `Must submit previous header (${r.missingPrev}) first`);
    throw new RpcError(RPC.VERIFY_ERROR, r.reason);
  },
};

/** Core's getnetworkhashps body, shared with getmininginfo. */
function hashesPerSecond(ctx: RpcContext, nblocks: number, height: number): number {
  const active = ctx.manager.active;
  if (height < -1 || height > active.height) throw new RpcError(RPC.INVALID_PARAMETER, 'Block does not exist at specified height');
  try {
    return networkHashPerSecond(nblocks, height >= 0 ? active.at(height)! : active.tip, ctx.params);
  } catch (e) {
    if (e instanceof HashrateArgumentError) throw new RpcError(RPC.INVALID_PARAMETER, e.message);
    throw e;
  }
}

const getnetworkhashps: RpcMethod = {
  name: 'getnetworkhashps',
  category: 'mining',
  description:
    'Returns the estimated network hashes per second based on the last n blocks.\nPass in [blocks] to override # of blocks, -1 specifies since last difficulty change.\nPass in [height] to estimate the network speed at the time when a certain block was found.',
  args: [
    { name: 'nblocks', type: 'number', optional: true, default: 120, description: 'The number of previous blocks to calculate estimate from, or -1 for blocks since last difficulty change.' },
    { name: 'height', type: 'number', optional: true, default: -1, description: 'To estimate at the time of the given height.' },
  ],
  result: 'n  (Hashes per second estimated)',
  handler: (params: RpcParams, ctx: RpcContext) => ctx.exclusive(() => hashesPerSecond(ctx, int(params[0], 120), int(params[1], -1))),
};

/** Core's DEFAULT_BLOCK_MIN_TX_FEE: CFeeRate{1}, one satoshi per kvB, shown in BTC/kvB. */
const BLOCK_MIN_TX_FEE_BTC_PER_KVB = 0.00000001;

const getmininginfo: RpcMethod = {
  name: 'getmininginfo',
  category: 'mining',
  description: 'Returns a json object containing mining-related information.',
  args: [],
  result: '{"blocks", "currentblockweight", "currentblocktx", "bits", "difficulty", "target", "networkhashps", "pooledtx", "blockmintxfee", "chain", "next": {...}, "warnings"}',
  handler: (_params: RpcParams, ctx: RpcContext) =>
    ctx.exclusive(() => {
      const tip = ctx.manager.active.tip;
      const state = miningState(ctx.manager);
      const out: Record<string, unknown> = { blocks: tip.height };
      if (state.lastBlockWeight !== undefined) out.currentblockweight = state.lastBlockWeight;
      if (state.lastBlockTxs !== undefined) out.currentblocktx = state.lastBlockTxs;
      out.bits = (tip.header.bits >>> 0).toString(16).padStart(8, '0');
      out.difficulty = difficulty(tip.header.bits);
      out.target = targetHex(tip.header.bits);
      out.networkhashps = hashesPerSecond(ctx, 120, -1);
      out.pooledtx = 0;
      out.blockmintxfee = BLOCK_MIN_TX_FEE_BTC_PER_KVB;
      out.chain = ctx.params.coreName;
      // Core's NextEmptyBlockIndex: a header with time 0 moved up by UpdateTime, then the next bits.
      const next = { version: 0, prevHash: tip.hash, merkleRoot: new Uint8Array(32), time: 0, bits: 0, nonce: 0 };
      updateTime(next, tip, ctx.params, ctx.now());
      next.bits = nextWorkRequired(tip, next.time, ctx.params);
      const bitsHex = (next.bits >>> 0).toString(16).padStart(8, '0');
      out.next = { height: tip.height + 1, bits: bitsHex, difficulty: difficulty(next.bits), target: targetHex(next.bits) };
      if (ctx.params.signetBlocks) out.signet_challenge = toHex(ctx.params.signetChallenge);
      out.warnings = [];
      return out;
    }),
};

/** Waits up to `ms` for the active tip to differ from `watched`; true when it does. */
async function tipChanged(ctx: RpcContext, watched: string, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  for (;;) {
    if (ctx.manager.active.tip.key !== watched || ctx.manager.fatal) return true;
    if (ctx.shutdownSignal?.aborted) throw new RpcError(RPC.CLIENT_NOT_CONNECTED, 'Shutting down');
    if (Date.now() >= deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, LONGPOLL_CHECK_MS));
  }
}

/**
 * BIP22 long polling as Core does it: wait until the tip moves away from the longpollid's block (a string
 * that is not a known block returns at once); the mempool part of the id (its update counter) can only
 * differ from ours (always 0: no mempool) when it was made up, and then Core gives up after the first minute.
 */
async function longPoll(ctx: RpcContext, lp: unknown): Promise<void> {
  let watched = ctx.manager.active.tip.key;
  let counter = 0;
  if (typeof lp === 'string') {
    watched = parseHashV(lp.slice(0, 64), 'longpollid').hex;
    counter = Number.parseInt(lp.slice(64), 10) || 0;
  }
  let waitMs = 60_000;
  while (!(await tipChanged(ctx, watched, waitMs)) && counter === 0) waitMs = 10_000;
}

function jsonType(v: unknown): string {
  return v === null ? 'null' : Array.isArray(v) ? 'array' : typeof v === 'number' ? 'number' : typeof v === 'boolean' ? 'bool' : typeof v;
}

const getblocktemplate: RpcMethod = {
  name: 'getblocktemplate',
  category: 'mining',
  description:
    "If the request parameters include a 'mode' key, that is used to explicitly select between the default 'template' request or a 'proposal'.\nIt returns data needed to construct a block to work on.\nFor full specification, see BIPs 22, 23, 9, and 145.",
  args: [
    {
      name: 'template_request',
      type: 'object',
      description: 'Format of the template',
      options: [
        { name: 'mode', type: 'string', optional: true, description: 'This must be set to "template", "proposal" (see BIP 23), or omitted' },
        { name: 'capabilities', type: 'array', optional: true, description: "A list of strings: client side supported features, 'longpoll', 'coinbasevalue', 'proposal', 'serverlist', 'workid'" },
        { name: 'rules', type: 'array', description: 'A list of strings: "segwit" (required) and other client side supported softfork deployments' },
        { name: 'longpollid', type: 'string', optional: true, description: 'delay processing request until the result would vary significantly from the "longpollid" of a prior template' },
        { name: 'data', type: 'hex', optional: true, description: 'proposed block data to check, encoded in hexadecimal; valid only for mode="proposal"' },
      ],
    },
  ],
  result: 'the block template (BIP22), or for mode "proposal" null or a BIP22 result string',
  handler: async (params: RpcParams, ctx: RpcContext) => {
    let mode = 'template';
    let lp: unknown;
    const rules = new Set<string>();
    const request = params[0];
    if (request !== undefined && request !== null) {
      if (typeof request !== 'object' || Array.isArray(request)) throw new RpcError(RPC.TYPE_ERROR, `JSON value of type ${jsonType(request)} is not of expected type object`);
      const o = request as Record<string, unknown>;
      if (typeof o.mode === 'string') mode = o.mode;
      else if (o.mode !== undefined && o.mode !== null) throw new RpcError(RPC.INVALID_PARAMETER, 'Invalid mode');
      lp = o.longpollid;
      if (mode === 'proposal') {
        if (typeof o.data !== 'string') throw new RpcError(RPC.TYPE_ERROR, 'Missing data String key for proposal');
        const block = decodeHexBlock(o.data);
        if (!block) throw new RpcError(RPC.DESERIALIZATION_ERROR, 'Block decode failed');
        return ctx.exclusive(() => checkProposal(ctx.manager, block, ctx.now()));
      }
      if (Array.isArray(o.rules)) {
        for (const v of o.rules) {
          if (typeof v !== 'string') throw new RpcError(RPC.TYPE_ERROR, `JSON value of type ${jsonType(v)} is not of expected type string`);
          rules.add(v);
        }
      }
    }
    if (mode !== 'template') throw new RpcError(RPC.INVALID_PARAMETER, 'Invalid mode');
    // Core serves templates outside test chains only with peers, and not during initial block download.
    if (ctx.params.name === 'main') {
      const net = networkOf(ctx);
      if (!net || [...net.livePeers()].length === 0) throw new RpcError(RPC.CLIENT_NOT_CONNECTED, 'Bitcoin Core is not connected!');
      if (ctx.manager.isInitialBlockDownload()) throw new RpcError(RPC.CLIENT_IN_INITIAL_DOWNLOAD, 'Bitcoin Core is in initial sync and waiting for blocks...');
    }
    if (lp !== undefined && lp !== null) await longPoll(ctx, lp);
    return ctx.exclusive(() => {
      try {
        return blockTemplate(ctx.manager, rules, ctx.now(), ctx.blockVersion);
      } catch (e) {
        if (e instanceof TemplateRequestError) throw new RpcError(RPC.INVALID_PARAMETER, e.message);
        throw e;
      }
    });
  },
};

/** Every method of Core's rpc/mining.cpp that this node serves (prioritisetransaction needs a mempool). */
export const miningMethods: RpcMethod[] = [
  getnetworkhashps,
  getmininginfo,
  getblocktemplate,
  submitblock,
  submitheader,
  generatetoaddress,
  generatetodescriptor,
  generateblock,
  generate,
];
