/**
 * A deterministic regtest chain with everything a chainstate must get right: coinbases to the generator's
 * wallet, then really signed spends of every standard kind (see wallet.ts), OP_RETURN / zero-value /
 * 10,000-byte / oversized outputs, large fan-outs for scale (optionally one transaction with vouts past
 * 16,511) and a fork whose second branch overtakes the first, forcing a reorganisation.
 * Same options → same bytes: all choices come from a seeded PRNG.
 */
import { MemoryUtxoSet } from '../../src/coins/memory-utxo-set.js';
import { blockSubsidy, getChainParams } from '../../src/consensus/params.js';
import { hexToHash } from '../../src/primitives/hash.js';
import { opReturn, pushData } from '../../src/primitives/script.js';
import { Transaction, TxOut, txid } from '../../src/primitives/transaction.js';
import { assembleBlock, GeneratedBlock, legacySigOps, makeCoinbase, MAX_BLOCK_SIGOPS_COST, MAX_BLOCK_WEIGHT, txWeight } from './blocks.js';
import { Prng } from './prng.js';
import { COIN_KINDS, CoinKind, FANOUT_KINDS, Wallet, WalletCoin } from './wallet.js';

export interface RichChainOptions {
  seed: string | number;
  /** Height of the final best chain's tip; spends start at 101 (coinbase maturity). */
  blocks: number;
  /** Small signed transactions (1–3 inputs, 1–3 outputs) per block. */
  txsPerBlock?: number;
  /** Fan-out transactions per block, each spending one matured coinbase output. */
  fanoutTxsPerBlock?: number;
  /** Outputs of each fan-out transaction (the scale knob: most UTXOs come from here). */
  outputsPerTx?: number;
  /** Wallet outputs of each coinbase (each can fund one fan-out 100 blocks later). */
  coinbaseOutputs?: number;
  /** When > 0, one transaction with this many outputs in the first spending block (e.g. 17,001). */
  hugeTxOutputs?: number;
  /** Best-chain blocks above the fork point (0: no fork). */
  reorgDepth?: number;
  /** Blocks of the losing branch (fewer than reorgDepth, so the other branch has more work). */
  staleLength?: number;
  /** Most wallet coins tracked for spending. */
  walletPoolCap?: number;
}

export interface RichChain {
  /** The final best chain: blocks[i] has height i + 1. */
  blocks: GeneratedBlock[];
  /** The branch that was best for a while and then lost (heights forkHeight + 1 ...). */
  staleBlocks: GeneratedBlock[];
  /** Last block shared by both branches (0: no fork). */
  forkHeight: number;
  /** The order a node would receive them so that it reorganises: common, stale branch, rest of best chain. */
  arrivalOrder: GeneratedBlock[];
  /** UTXO set at the tip of the best chain. */
  utxo: MemoryUtxoSet;
  counts: { transactions: number; signedInputs: number; outputs: number };
}

const GENESIS_TIME = 1296688602;
const TX_FEE = 1_000;
/** Room left in each block for the coinbase. */
const COINBASE_RESERVE_WEIGHT = 8_000;
/** Fan-outs stop at these shares of the block limits, leaving room for the signed small transactions. */
const FANOUT_WEIGHT_BUDGET = (MAX_BLOCK_WEIGHT * 3) / 4;
const FANOUT_SIGOPS_BUDGET = MAX_BLOCK_SIGOPS_COST / 2;
const SPECIALS = ['op-return', 'zero-value', 'max-size', 'oversized'] as const;
type Special = (typeof SPECIALS)[number];

interface Branch {
  wallet: Wallet;
  prng: Prng;
  prevHash: Uint8Array;
  /** Special outputs still owed (each appears at least once per branch). */
  specials: Special[];
  hugeDone: boolean;
  kindCounter: number;
  coinbaseTag: Uint8Array;
}

/** An output paying the wallet, to be tracked once its transaction's id is known. */
interface Owned {
  vout: number;
  kind: CoinKind;
  key: number;
}

interface PendingTx {
  tx: Transaction;
  owned: Owned[];
}

export function buildRichChain(opts: RichChainOptions): RichChain {
  const o = {
    txsPerBlock: 6,
    fanoutTxsPerBlock: 1,
    outputsPerTx: 100,
    coinbaseOutputs: 4,
    hugeTxOutputs: 0,
    reorgDepth: 3,
    walletPoolCap: 50_000,
    // Knobs given as undefined (e.g. absent command-line flags) keep their defaults.
    ...Object.fromEntries(Object.entries(opts).filter(([, v]) => v !== undefined)),
  } as Required<RichChainOptions>;
  const staleLength = opts.staleLength ?? Math.max(1, o.reorgDepth - 1);
  const forkHeight = o.reorgDepth > 0 ? o.blocks - o.reorgDepth : o.blocks;
  if (o.reorgDepth > 0 && (staleLength >= o.reorgDepth || forkHeight < 1)) throw new Error('need staleLength < reorgDepth < blocks');

  const params = getChainParams('regtest');
  const seed = String(o.seed);
  const utxo = new MemoryUtxoSet();
  const counts = { transactions: 0, signedInputs: 0, outputs: 0 };
  const newBranch = (wallet: Wallet, prng: Prng, prevHash: Uint8Array, tag: string): Branch => ({
    wallet,
    prng,
    prevHash,
    specials: [...SPECIALS],
    hugeDone: false,
    kindCounter: 0,
    coinbaseTag: tag ? pushData(new TextEncoder().encode(tag)) : Uint8Array.of(0),
  });

  const buildBlock = (b: Branch, height: number): GeneratedBlock => {
    const { wallet, prng } = b;
    wallet.advanceTo(height);
    const pending: PendingTx[] = [];
    let weight = COINBASE_RESERVE_WEIGHT;
    let sigopCost = 4 * 4 * o.coinbaseOutputs;
    let fees = 0;
    const pick = (n: number) => prng.int(n);
    const nextKind = (kinds: readonly CoinKind[]) => kinds[b.kindCounter++ % kinds.length];

    const fanOut = (coin: WalletCoin, n: number): void => {
      const outputs: TxOut[] = [];
      const owned: Owned[] = [];
      const each = Math.floor((coin.value - TX_FEE) / n);
      for (let v = 0; v < n; v++) {
        const kind = FANOUT_KINDS[v % FANOUT_KINDS.length];
        const r = wallet.receive(kind);
        outputs.push({ value: each, script: r.script });
        owned.push({ vout: v, kind, key: r.key });
      }
      outputs[0].value += coin.value - TX_FEE - each * n;
      pending.push({ tx: spend([coin], outputs), owned });
      fees += TX_FEE;
    };

    const spend = (coins: WalletCoin[], outputs: TxOut[]): Transaction => {
      const tx: Transaction = {
        version: 2,
        inputs: coins.map((c) => ({ prevout: { txid: c.txid, vout: c.vout }, scriptSig: new Uint8Array(0), sequence: 0xfffffffd, witness: [] })),
        outputs,
        lockTime: 0,
      };
      wallet.sign(tx, coins);
      counts.signedInputs += coins.length;
      return tx;
    };

    // Fan-outs first, sized against the budgets up front (≈40 bytes per output, P2PKH's one sigop per 5).
    const fanoutWeight = (n: number) => 4 * (n * 40 + 300);
    if (!b.hugeDone && o.hugeTxOutputs > 0 && wallet.fundingCount > 0) {
      const coin = wallet.takeFunding(pick)!;
      fanOut(coin, o.hugeTxOutputs);
      weight += fanoutWeight(o.hugeTxOutputs);
      sigopCost += 4 * Math.ceil(o.hugeTxOutputs / FANOUT_KINDS.length);
      b.hugeDone = true;
    }
    for (let j = 0; j < o.fanoutTxsPerBlock; j++) {
      const w = fanoutWeight(o.outputsPerTx);
      const s = 4 * Math.ceil(o.outputsPerTx / FANOUT_KINDS.length);
      if (weight + w > FANOUT_WEIGHT_BUDGET || sigopCost + s > FANOUT_SIGOPS_BUDGET) break;
      const coin = wallet.takeFunding(pick);
      if (!coin) break;
      fanOut(coin, o.outputsPerTx);
      weight += w;
      sigopCost += s;
    }

    for (let j = 0; j < o.txsPerBlock; j++) {
      const coins: WalletCoin[] = [];
      const nIn = 1 + prng.int(3);
      for (let k = 0; k < nIn; k++) {
        const c = wallet.take(nextKind(COIN_KINDS), pick);
        if (c) coins.push(c);
      }
      if (coins.length === 0) break;
      const total = coins.reduce((s, c) => s + c.value, 0);
      const fee = Math.min(TX_FEE, total);
      const outputs: TxOut[] = [];
      const owned: Owned[] = [];
      const special = b.specials.shift() ?? (prng.chance(0.15) ? SPECIALS[prng.int(SPECIALS.length)] : undefined);
      if (special) outputs.push(specialOutput(special, prng, wallet, Math.min(546, total - fee)));
      let left = total - fee - outputs.reduce((s, x) => s + x.value, 0);
      const nOut = 1 + prng.int(3);
      for (let k = 0; k < nOut; k++) {
        const kind = nextKind(COIN_KINDS);
        const r = wallet.receive(kind);
        const value = k === nOut - 1 ? left : Math.floor(left / 2);
        left -= value;
        owned.push({ vout: outputs.length, kind, key: r.key });
        outputs.push({ value, script: r.script });
      }
      const tx = spend(coins, outputs);
      const w = txWeight(tx);
      const s = 4 * legacySigOps(tx);
      if (weight + w > MAX_BLOCK_WEIGHT || sigopCost + s > MAX_BLOCK_SIGOPS_COST) throw new Error(`block ${height}: over budget; lower outputsPerTx or fanoutTxsPerBlock`);
      weight += w;
      sigopCost += s;
      fees += fee;
      pending.push({ tx, owned });
    }

    // Coinbase: subsidy plus fees, split over wallet outputs that later fund fan-outs.
    const reward = blockSubsidy(height, params) + fees;
    const cbOwned: Owned[] = [];
    const cbOutputs: TxOut[] = [];
    const share = Math.floor(reward / o.coinbaseOutputs);
    for (let v = 0; v < o.coinbaseOutputs; v++) {
      const kind = COIN_KINDS[(height + v) % COIN_KINDS.length];
      const r = wallet.receive(kind);
      cbOutputs.push({ value: v === 0 ? reward - share * (o.coinbaseOutputs - 1) : share, script: r.script });
      cbOwned.push({ vout: v, kind, key: r.key });
    }
    const coinbase = makeCoinbase({ height, outputs: cbOutputs, extraScriptSig: b.coinbaseTag });
    const gb = assembleBlock({
      height,
      prevHash: b.prevHash,
      time: GENESIS_TIME + height,
      version: 0x20000000,
      coinbase,
      txs: pending.map((p) => p.tx),
    });
    for (const [i, p] of [{ tx: coinbase, owned: cbOwned }, ...pending].entries()) {
      const id = txid(p.tx);
      for (const w of p.owned) {
        const out = p.tx.outputs[w.vout];
        wallet.track({ txid: id, vout: w.vout, value: out.value, kind: w.kind, key: w.key, script: out.script, height, coinbase: i === 0 });
      }
      counts.outputs += p.tx.outputs.length;
    }
    counts.transactions += gb.block.txs.length;
    b.prevHash = gb.hash;
    return gb;
  };

  const genesis = hexToHash(params.genesisHash);
  const main = newBranch(Wallet.create(seed, { poolCap: o.walletPoolCap }), new Prng(seed), genesis, '');
  const blocks: GeneratedBlock[] = [];
  const grow = (b: Branch, from: number, to: number, out: GeneratedBlock[], apply: boolean) => {
    for (let h = from; h <= to; h++) {
      const gb = buildBlock(b, h);
      if (apply) utxo.applyBlock(gb.block, h);
      out.push(gb);
    }
  };
  grow(main, 1, forkHeight, blocks, true);
  const staleBlocks: GeneratedBlock[] = [];
  if (o.reorgDepth > 0) {
    // The losing branch spends from a copy of the wallet with its own random stream.
    const stale = newBranch(main.wallet.clone(), main.prng.derive('stale'), main.prevHash, 'stale');
    grow(stale, forkHeight + 1, forkHeight + staleLength, staleBlocks, false);
    grow(main, forkHeight + 1, o.blocks, blocks, true);
  }
  const arrivalOrder = [...blocks.slice(0, forkHeight), ...staleBlocks, ...blocks.slice(forkHeight)];
  return { blocks, staleBlocks, forkHeight: o.reorgDepth > 0 ? forkHeight : 0, arrivalOrder, utxo, counts };
}

function specialOutput(kind: Special, prng: Prng, wallet: Wallet, value: number): TxOut {
  switch (kind) {
    case 'op-return':
      return { value: 0, script: opReturn(prng.bytes(prng.int(81))) };
    case 'zero-value':
      return { value: 0, script: wallet.receive('p2wpkh').script };
    // Exactly MAX_SCRIPT_SIZE: stored in the UTXO set (and as an uncompressed script in snapshots).
    case 'max-size':
      return { value, script: pushData(prng.bytes(10_000 - 3)) };
    // Longer than MAX_SCRIPT_SIZE: provably unspendable, never enters the UTXO set.
    case 'oversized':
      return { value, script: pushData(prng.bytes(10_001 - 3 + prng.int(50))) };
  }
}
