/**
 * Applying a block to a UTXO view and taking it back off: Core's ConnectBlock (BIP30, CheckTxInputs, BIP68
 * sequence locks, sigop cost, coinbase amount, spend inputs into undo data, add outputs), DisconnectBlock
 * with ApplyTxInUndo's semantics, and GetBlockScriptFlags. Scripts go to the caller's check queue session
 * (connectBlockChecked) or to a plain `scriptChecks` call-back; without either they are not run.
 * A refused block leaves the view untouched: changes are staged in an overlay and written on commit.
 */
import type { Coin } from '../coins/coin.js';
import { outpointKey, type CoinsView, type CoinsViewCache, type OutpointKey } from '../coins/view.js';
import { checkBlock, contextualCheckBlock } from '../consensus/block-checks.js';
import { blockSubsidy, type ChainParams } from '../consensus/params.js';
import * as F from '../consensus/sigops.js';
import { moneyRange } from '../consensus/tx-checks.js';
import { calculateSequenceLocks, checkTxInputs, evaluateSequenceLocks, LOCKTIME_VERIFY_SEQUENCE } from '../consensus/tx-verify.js';
import { invalid, ValidationError } from '../consensus/validation-error.js';
import { blockHash, type Block } from '../primitives/block.js';
import { equalBytes } from '../primitives/bytes.js';
import { hashToHex, ZERO_HASH } from '../primitives/hash.js';
import { isUnspendable } from '../primitives/script.js';
import { isCoinbase, txid, type Transaction } from '../primitives/transaction.js';
import type { ScriptChecks } from './check-queue.js';
import type { BlockUndo, TxUndo } from './undo.js';

/** Where the block goes: its height and what Core would read from the block index. */
export interface BlockContext {
  height: number;
  /** Parent hash, internal order; the view's best block must equal it. */
  prevHash: Uint8Array;
  /** Median time past of the parent. */
  prevMedianTimePast: number;
  /** Median time past of the block at `height` (≤ this block's height − 1) on this block's chain. */
  ancestorMedianTimePast(height: number): number;
  /** Hash of this chain's block at `height`; lets BIP30 be skipped past BIP34 as Core does. Absent: enforced. */
  ancestorHash?(height: number): Uint8Array | undefined;
  params: ChainParams;
}

/** Receives each non-coinbase transaction with the coins it spends; may throw ValidationError (checks run inline). */
export type ScriptCheckSink = (tx: Transaction, spent: readonly Coin[], flags: number, txIndex: number) => void;

export interface ConnectOptions {
  /** Where the block's script checks go; absent: scripts are not run. */
  scriptChecks?: ScriptCheckSink;
  /** The caller already ran checkBlock and contextualCheckBlock on this block. */
  skipChecks?: boolean;
  /** Scripts are known valid (Core's assumevalid, decided by the caller): no script checks. */
  assumeValid?: boolean;
  /** Write straight into `view`, e.g. a throwaway child cache; a refused block then leaves it dirty. */
  inPlace?: boolean;
}

export interface ConnectResult {
  hash: Uint8Array;
  undo: BlockUndo;
  fees: number;
  sigopCost: number;
  /** Inputs of all transactions, coinbase included (Core's nInputs). */
  inputs: number;
  scriptFlags: number;
}

/** A block that passed every check but is not yet written to the view. */
export interface StagedBlock {
  result: ConnectResult;
  /** Writes the block's changes into the view and makes it the view's best block. */
  commit(): void;
}

export type DisconnectResult = 'ok' | 'unclean' | 'failed';

/** Core's BIP34_IMPLIES_BIP30_LIMIT: from here BIP34 no longer rules out duplicate coinbases. */
const BIP34_IMPLIES_BIP30_LIMIT = 1_983_702;
/** Core's MAX_BLOCK_WEIGHT / MIN_TRANSACTION_OUTPUT_WEIGHT, the vout bound of AccessByTxid. */
const MAX_OUTPUTS_PER_BLOCK = Math.floor(F.MAX_BLOCK_WEIGHT / (F.WITNESS_SCALE_FACTOR * 9));

/** Core's IsBIP30Repeat: the two mainnet blocks whose coinbases duplicate earlier ones. */
export function isBIP30Repeat(height: number, hashHex: string): boolean {
  return (
    (height === 91842 && hashHex === '00000000000a4d0a398161ffc163c503763b1f4360639393e0e4c8e300e0caec') ||
    (height === 91880 && hashHex === '00000000000743f190a18c5577a3c2d2a1f610ae9601ac046a38084ccb7cd721')
  );
}

/** Core's IsBIP30Unspendable: the blocks whose coinbases were overwritten by those repeats. */
export function isBIP30Unspendable(height: number, hashHex: string): boolean {
  return (
    (height === 91722 && hashHex === '00000000000271a2dc26e7667f8419f2e15416dc6955e5a6c6cdf3f2574dd08e') ||
    (height === 91812 && hashHex === '00000000000af0aed4792b1acee3d966af36cf5def14935db8de83d6f9306f2f')
  );
}

/** Core's GetBlockScriptFlags for the block `hash` (internal order) at `height`. */
export function blockScriptFlags(height: number, hash: Uint8Array, params: ChainParams): number {
  let flags = F.SCRIPT_VERIFY_P2SH | F.SCRIPT_VERIFY_WITNESS | F.SCRIPT_VERIFY_TAPROOT;
  const hex = hashToHex(hash);
  const exception = params.scriptFlagExceptions.find((e) => e.blockHash === hex);
  if (exception) {
    flags = 0;
    for (const f of exception.flags) flags |= f === 'P2SH' ? F.SCRIPT_VERIFY_P2SH : F.SCRIPT_VERIFY_WITNESS;
  }
  if (height >= params.bip66Height) flags |= F.SCRIPT_VERIFY_DERSIG;
  if (height >= params.bip65Height) flags |= F.SCRIPT_VERIFY_CHECKLOCKTIMEVERIFY;
  if (height >= params.csvHeight) flags |= F.SCRIPT_VERIFY_CHECKSEQUENCEVERIFY;
  if (height >= params.segwitHeight) flags |= F.SCRIPT_VERIFY_NULLDUMMY;
  return flags;
}

interface Staged {
  coin: Coin | undefined;
  /** The parent view holds an unspent coin at this key. */
  inParent: boolean;
  overwrite: boolean;
}

/** The block's changes over `parent`, written there only once the whole block has been accepted. */
class Overlay implements CoinsViewCache {
  readonly changes = new Map<OutpointKey, Staged>();
  constructor(private readonly parent: CoinsViewCache) {}
  getCoin(key: OutpointKey): Coin | undefined {
    const s = this.changes.get(key);
    return s ? s.coin : this.parent.getCoin(key);
  }
  haveCoin(key: OutpointKey): boolean {
    const s = this.changes.get(key);
    return s ? s.coin !== undefined : this.parent.haveCoin(key);
  }
  bestBlock(): Uint8Array | undefined {
    return this.parent.bestBlock();
  }
  spendCoin(key: OutpointKey): Coin | undefined {
    const s = this.changes.get(key);
    if (s) {
      const coin = s.coin;
      s.coin = undefined;
      return coin;
    }
    const coin = this.parent.getCoin(key);
    if (coin) this.changes.set(key, { coin: undefined, inParent: true, overwrite: false });
    return coin;
  }
  addCoin(key: OutpointKey, coin: Coin, possibleOverwrite: boolean): void {
    const s = this.changes.get(key);
    if (s) {
      s.coin = coin;
      s.overwrite ||= possibleOverwrite;
    } else {
      this.changes.set(key, { coin, inParent: possibleOverwrite && this.parent.haveCoin(key), overwrite: possibleOverwrite });
    }
  }
  setBestBlock(): void {}
  flush(hash: Uint8Array): void {
    for (const [key, s] of this.changes) {
      if (s.coin) this.parent.addCoin(key, s.coin, s.overwrite || s.inParent);
      else if (s.inParent) this.parent.spendCoin(key);
    }
    this.parent.setBestBlock(hash);
  }
}

function txFailure(e: unknown, tx: Transaction): never {
  if (!(e instanceof ValidationError)) throw e;
  throw invalid(e.reason, `${e.debug} in transaction ${hashToHex(txid(tx))}`);
}

/**
 * Core's ConnectBlock, scripts through `opts.scriptChecks`. Throws ValidationError with Core's reason when the
 * block is invalid; `view` is then unchanged (unless `inPlace`). On success the view's best block is the block.
 */
export function connectBlock(block: Block, ctx: BlockContext, view: CoinsViewCache, opts: ConnectOptions = {}): ConnectResult {
  const staged = stageConnectBlock(block, ctx, view, opts);
  staged.commit();
  return staged.result;
}

/**
 * Core's ConnectBlock with a check queue: the checks run while the rest of the block is checked, and their
 * verdict comes last, after any other failure (Core reports a failed check only when the block is otherwise
 * valid). Without threads the session checks inline, so the first bad input stops the block at once, as in
 * Core. Throws ValidationError or CheckQueueError; the caller commits the staged block when it is ready to
 * move its tip, in the same tick.
 */
export async function connectBlockChecked(block: Block, ctx: BlockContext, view: CoinsViewCache, checks: ScriptChecks | undefined, opts: ConnectOptions = {}): Promise<StagedBlock> {
  let staged: StagedBlock;
  try {
    staged = stageConnectBlock(block, ctx, view, { ...opts, scriptChecks: checks && ((tx, spent, flags) => checks.add(tx, spent, flags)) });
  } catch (e) {
    checks?.cancel();
    throw e;
  }
  await checks?.complete();
  return staged;
}

/** connectBlock up to, not including, writing the view. */
export function stageConnectBlock(block: Block, ctx: BlockContext, view: CoinsViewCache, opts: ConnectOptions = {}): StagedBlock {
  const { height, params } = ctx;
  const hash = blockHash(block.header);
  if (!opts.skipChecks) {
    checkBlock(block, params, { checkPow: true, checkMerkle: true });
    contextualCheckBlock(block, { height, prevMedianTimePast: ctx.prevMedianTimePast, params });
  }
  if (!equalBytes(ctx.prevHash, view.bestBlock() ?? ZERO_HASH) || !equalBytes(ctx.prevHash, block.header.prevHash)) {
    throw new Error(`connectBlock: view is at ${hashToHex(view.bestBlock() ?? ZERO_HASH)}, block ${hashToHex(hash)} builds on ${hashToHex(block.header.prevHash)}`);
  }
  const scriptFlags = blockScriptFlags(height, hash, params);
  const result: ConnectResult = { hash, undo: [], fees: 0, sigopCost: 0, inputs: 0, scriptFlags };
  // The genesis coinbase is unspendable by fiat: Core never adds its outputs.
  if (hashToHex(hash) === params.genesisHash) return { result, commit: () => view.setBestBlock(hash) };

  // BIP30: no transaction may recreate outputs that are still unspent, except in the two historical repeats.
  // After BIP34 on the known chain duplicates are impossible (until BIP34's indicated heights run out).
  let enforceBIP30 = !isBIP30Repeat(height, hashToHex(hash));
  if (height - 1 >= params.bip34Height) {
    const h34 = height - 1 === params.bip34Height ? ctx.prevHash : ctx.ancestorHash?.(params.bip34Height);
    if (h34 && hashToHex(h34) === params.bip34Hash) enforceBIP30 = false;
  }
  if (enforceBIP30 || height >= BIP34_IMPLIES_BIP30_LIMIT) {
    for (const tx of block.txs) {
      const id = txid(tx);
      for (let o = 0; o < tx.outputs.length; o++) {
        if (view.haveCoin(outpointKey(id, o))) throw invalid('bad-txns-BIP30', 'tried to overwrite transaction');
      }
    }
  }

  const lockTimeFlags = height >= params.csvHeight ? LOCKTIME_VERIFY_SEQUENCE : 0;
  const checks = opts.assumeValid ? undefined : opts.scriptChecks;
  const work: CoinsViewCache = opts.inPlace ? view : new Overlay(view);
  const spent: Coin[] = [];
  const prevHeights: number[] = [];
  for (let i = 0; i < block.txs.length; i++) {
    const tx = block.txs[i];
    const coinbase = i === 0;
    result.inputs += tx.inputs.length;
    if (!coinbase) {
      let fee: number;
      try {
        fee = checkTxInputs(tx, work, height, spent);
      } catch (e) {
        txFailure(e, tx);
      }
      result.fees += fee;
      if (!moneyRange(result.fees)) throw invalid('bad-txns-accumulated-fee-outofrange', 'accumulated fee in the block out of range');
      // BIP68 needs the heights of the coins spent, so it is checked here rather than with the block rules.
      prevHeights.length = 0;
      for (const c of spent) prevHeights.push(c.height);
      const lock = calculateSequenceLocks(tx, lockTimeFlags, prevHeights, ctx.ancestorMedianTimePast);
      if (!evaluateSequenceLocks(height, ctx.prevMedianTimePast, lock)) {
        throw invalid('bad-txns-nonfinal', `contains a non-BIP68-final transaction ${hashToHex(txid(tx))}`);
      }
    } else {
      spent.length = 0;
    }
    result.sigopCost += F.transactionSigOpCost(tx, spent, scriptFlags);
    if (result.sigopCost > F.MAX_BLOCK_SIGOPS_COST) throw invalid('bad-blk-sigops', 'too many sigops');

    if (!coinbase) {
      checks?.(tx, spent, scriptFlags, i);
      const txUndo: TxUndo = [];
      for (const input of tx.inputs) txUndo.push(work.spendCoin(outpointKey(input.prevout.txid, input.prevout.vout))!);
      result.undo.push(txUndo);
    }
    // Core's AddCoins: a coinbase may overwrite (the pre-BIP30 duplicates); unspendable outputs never enter.
    // Scripts are copied: a parsed script is a view into the block's bytes and would keep the block alive.
    const id = txid(tx);
    for (let o = 0; o < tx.outputs.length; o++) {
      const out = tx.outputs[o];
      if (isUnspendable(out.script)) continue;
      work.addCoin(outpointKey(id, o), { height, coinbase, value: out.value, script: out.script.slice() }, coinbase);
    }
  }

  let coinbaseOut = 0;
  for (const o of block.txs[0].outputs) coinbaseOut += o.value;
  const limit = result.fees + blockSubsidy(height, params);
  if (coinbaseOut > limit) throw invalid('bad-cb-amount', `coinbase pays too much (actual=${coinbaseOut} vs limit=${limit})`);

  const commit = () => (work instanceof Overlay ? work.flush(hash) : view.setBestBlock(hash));
  return { result, commit };
}

/** Core's ApplyTxInUndo: puts a spent coin back, reporting 'unclean' when something already sat there. */
function applyTxInUndo(coin: Coin, view: CoinsViewCache, prevTxid: Uint8Array, vout: number): DisconnectResult {
  const key = outpointKey(prevTxid, vout);
  const clean = !view.haveCoin(key);
  if (coin.height === 0) {
    // Very old undo records carried height and coinbase only with a transaction's last spent output.
    const alternate = accessByTxid(view, prevTxid);
    if (!alternate) return 'failed';
    coin = { ...coin, height: alternate.height, coinbase: alternate.coinbase };
  }
  if (!isUnspendable(coin.script)) view.addCoin(key, coin, !clean);
  return clean ? 'ok' : 'unclean';
}

function accessByTxid(view: CoinsView, id: Uint8Array): Coin | undefined {
  for (let n = 0; n < MAX_OUTPUTS_PER_BLOCK; n++) {
    const c = view.getCoin(outpointKey(id, n));
    if (c) return c;
  }
  return undefined;
}

/**
 * Core's DisconnectBlock for the block at `height` with its undo data. 'unclean' means the view did not
 * hold exactly what the block created (tolerated by Core when rolling back); after 'failed' the view is in
 * an indeterminate state, as in Core.
 */
export function disconnectBlock(block: Block, undo: BlockUndo, view: CoinsViewCache, height: number): DisconnectResult {
  if (undo.length + 1 !== block.txs.length) return 'failed';
  let clean = true;
  // The coinbases that the BIP30 repeats overwrote are not in the set any more when unwinding them.
  const bip30Exception = isBIP30Unspendable(height, hashToHex(blockHash(block.header)));
  for (let i = block.txs.length - 1; i >= 0; i--) {
    const tx = block.txs[i];
    const id = txid(tx);
    const coinbase = isCoinbase(tx);
    for (let o = 0; o < tx.outputs.length; o++) {
      const out = tx.outputs[o];
      if (isUnspendable(out.script)) continue;
      const coin = view.spendCoin(outpointKey(id, o));
      const same = coin && coin.value === out.value && equalBytes(coin.script, out.script) && coin.height === height && coin.coinbase === coinbase;
      if (!same && !(coinbase && bip30Exception)) clean = false;
    }
    if (i > 0) {
      const txUndo = undo[i - 1];
      if (txUndo.length !== tx.inputs.length) return 'failed';
      for (let j = tx.inputs.length - 1; j >= 0; j--) {
        const p = tx.inputs[j].prevout;
        const res = applyTxInUndo(txUndo[j], view, p.txid, p.vout);
        if (res === 'failed') return 'failed';
        if (res === 'unclean') clean = false;
      }
    }
  }
  view.setBestBlock(block.header.prevHash);
  return clean ? 'ok' : 'unclean';
}
