/**
 * A generated rich chain (every spend kind, a reorg branch) connects through connectBlock, the script seam
 * sees every input with Core's flags, and blocks breaking a UTXO-dependent rule are refused with Core's
 * reason and debug text while the view stays exactly as it was.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { assembleBlock, makeCoinbase } from '../../contrib/chaingen/blocks.js';
import { buildRichChain } from '../../contrib/chaingen/rich-chain.js';
import type { ScriptCheckSink } from '../../src/chain/connect-block.js';
import type { Coin } from '../../src/coins/coin.js';
import { parseOutpointKey } from '../../src/coins/view.js';
import { blockSubsidy, getChainParams } from '../../src/consensus/params.js';
import { ValidationError } from '../../src/consensus/validation-error.js';
import type { Block } from '../../src/primitives/block.js';
import { hashToHex } from '../../src/primitives/hash.js';
import { txid, type Transaction } from '../../src/primitives/transaction.js';
import { ChainDriver } from './map-view.js';

const params = getChainParams('regtest');
const OP_TRUE = Uint8Array.of(0x51);

interface Spendable {
  txid: Uint8Array;
  vout: number;
  coin: Coin;
}

function spendTx(coins: Spendable[], outValue: number, over: Partial<Transaction> = {}): Transaction {
  return {
    version: 2,
    inputs: coins.map((c) => ({ prevout: { txid: c.txid, vout: c.vout }, scriptSig: new Uint8Array(0), sequence: 0xfffffffd, witness: [] })),
    outputs: [{ value: outValue, script: OP_TRUE }],
    lockTime: 0,
    ...over,
  };
}

function nextBlock(chain: ChainDriver, txs: Transaction[], fees: number, extra = 0): Block {
  const height = chain.height + 1;
  const coinbase = makeCoinbase({ height, outputs: [{ value: blockSubsidy(height, params) + fees + extra, script: OP_TRUE }] });
  return assembleBlock({ height, prevHash: chain.hashes[chain.height], time: chain.times[chain.height] + 1, version: 0x20000000, coinbase, txs }).block;
}

test('a rich generated chain connects; invalid blocks are refused with Core reasons and change nothing', () => {
  const rich = buildRichChain({ seed: 'connect-block', blocks: 112, outputsPerTx: 20, reorgDepth: 3 });
  const chain = new ChainDriver(params);
  chain.connect(params.genesis);
  const checks: { tx: Transaction; txIndex: number; inputIndex: number; spent: Coin; flags: number }[] = [];
  const scriptChecks: ScriptCheckSink = (tx, spent, flags, txIndex) => spent.forEach((c, inputIndex) => checks.push({ tx, txIndex, inputIndex, spent: c, flags }));
  for (const gb of rich.blocks.slice(0, rich.forkHeight)) chain.connect(gb.block, { scriptChecks });
  // The losing branch connects, is disconnected, and the winning one follows: Core's reorganisation steps.
  for (const gb of rich.staleBlocks) chain.connect(gb.block);
  for (const _ of rich.staleBlocks) assert.equal(chain.disconnect(), 'ok');
  for (const gb of rich.blocks.slice(rich.forkHeight)) chain.connect(gb.block, { scriptChecks });
  assert.equal(hashToHex(chain.view.stats().hashSerialized3), hashToHex(rich.utxo.stats().hashSerialized3));

  const spentInputs = rich.blocks.reduce((n, gb) => n + gb.block.txs.slice(1).reduce((m, tx) => m + tx.inputs.length, 0), 0);
  assert.ok(spentInputs > 50);
  assert.equal(checks.length, spentInputs);
  // P2SH | DERSIG | NULLDUMMY | CLTV | CSV | WITNESS | TAPROOT: every buried deployment is active on regtest.
  assert.ok(checks.every((c) => c.flags === 0x20e15));
  assert.ok(checks.every((c) => c.tx === rich.blocks.find((gb) => gb.block.txs.includes(c.tx))!.block.txs[c.txIndex]));
  assert.equal(chain.connect(nextBlock(chain, [], 0), { assumeValid: true, scriptChecks: () => assert.fail('assumed valid') }).undo.length, 0);

  const tip = chain.height;
  const all = [...chain.view.coins].map(([k, coin]) => ({ ...parseOutpointKey(k), coin }));
  const mature = all.filter((c) => !c.coin.coinbase && c.coin.script.length > 0 && c.coin.script.length < 100);
  const [a, b] = mature;
  const immature = all.find((c) => c.coin.coinbase && tip + 1 - c.coin.height < 100)!;
  const p2wsh = all.find((c) => c.coin.script.length === 34 && c.coin.script[0] === 0 && c.coin.script[1] === 32)!;
  assert.ok(a && b && immature && p2wsh);
  const before = hashToHex(chain.view.stats().hashSerialized3);

  const refuse = (block: Block, reason: string, debug?: string) => {
    try {
      chain.connect(block);
    } catch (e) {
      if (!(e instanceof ValidationError)) throw e;
      assert.equal(e.reason, reason);
      if (debug !== undefined) assert.equal(e.debug, debug);
      assert.equal(chain.height, tip);
      assert.equal(hashToHex(chain.view.bestBlock()!), hashToHex(chain.hashes[tip]));
      assert.equal(hashToHex(chain.view.stats().hashSerialized3), before, `view unchanged after ${reason}`);
      return;
    }
    assert.fail(`block accepted, expected ${reason}`);
  };
  const inTx = (tx: Transaction) => ` in transaction ${hashToHex(txid(tx))}`;

  // Double spend across two transactions of one block: the second finds the coin gone.
  const first = spendTx([a], a.coin.value - 1000);
  const second = spendTx([a], a.coin.value - 2000);
  refuse(nextBlock(chain, [first, second], 3000), 'bad-txns-inputs-missingorspent', `CheckTxInputs: inputs missing/spent${inTx(second)}`);
  const ghost = spendTx([{ ...a, vout: 999 }], 1);
  refuse(nextBlock(chain, [ghost], 0), 'bad-txns-inputs-missingorspent');

  const over = spendTx([a], a.coin.value + 1);
  const fmt = (v: number) => (v / 1e8).toFixed(8).replace(/(\.\d\d\d*?)0+$/, '$1');
  refuse(nextBlock(chain, [over], 0), 'bad-txns-in-belowout', `value in (${fmt(a.coin.value)}) < value out (${fmt(a.coin.value + 1)})${inTx(over)}`);

  const early = spendTx([immature], 1000);
  refuse(nextBlock(chain, [early], 0), 'bad-txns-premature-spend-of-coinbase', `tried to spend coinbase at depth ${tip + 1 - immature.coin.height}${inTx(early)}`);

  // The coinbase may claim subsidy + fees, not one satoshi more; this fails after every spend was staged.
  const paying = spendTx([a, b], a.coin.value + b.coin.value - 1500);
  const limit = blockSubsidy(tip + 1, params) + 1500;
  refuse(nextBlock(chain, [paying], 1500, 1), 'bad-cb-amount', `coinbase pays too much (actual=${limit + 1} vs limit=${limit})`);

  // BIP30: a transaction already in the chain whose outputs are still unspent may not appear again.
  const old = rich.blocks.flatMap((gb) => gb.block.txs.slice(1)).find((tx) => all.some((c) => hashToHex(c.txid) === hashToHex(txid(tx))))!;
  refuse(nextBlock(chain, [old], 0), 'bad-txns-BIP30', 'tried to overwrite transaction');

  // BIP68: a relative height lock one block short of the coin's age.
  const age = tip + 1 - a.coin.height;
  const locked = spendTx([a], a.coin.value - 1000, { inputs: [{ ...spendTx([a], 0).inputs[0], sequence: age + 1 }] });
  refuse(nextBlock(chain, [locked], 1000), 'bad-txns-nonfinal', `contains a non-BIP68-final transaction ${hashToHex(txid(locked))}`);

  // Witness sigops count in ConnectBlock only: a P2WSH witness script of 80,001 CHECKSIGs.
  const heavy = spendTx([p2wsh], p2wsh.coin.value - 1000, { inputs: [{ ...spendTx([p2wsh], 0).inputs[0], witness: [new Uint8Array(80_001).fill(0xac)] }] });
  refuse(nextBlock(chain, [heavy], 1000), 'bad-blk-sigops', 'too many sigops');

  // The same spends, done right, connect: lock exactly met, coinbase exactly at the limit.
  const ok = spendTx([a], a.coin.value - 1000, { inputs: [{ ...spendTx([a], 0).inputs[0], sequence: age }] });
  const r = chain.connect(nextBlock(chain, [ok], 1000));
  assert.equal(r.fees, 1000);
  assert.deepEqual(r.undo, [[a.coin]]);
  assert.equal(chain.disconnect(), 'ok');
  assert.equal(hashToHex(chain.view.stats().hashSerialized3), before);
});
