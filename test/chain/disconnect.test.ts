/**
 * Issue 11 item 6: DisconnectTip as Core's. The block is undone on a child view of the chainstate's cache and
 * committed only when DisconnectBlock returns OK; anything else (FAILED, and UNCLEAN too: Core's DisconnectTip
 * takes any result but DISCONNECT_OK as failure) is Core's fatal "Failed to disconnect block." with the
 * chainstate's cache untouched, so the flush at close writes the state before the attempt.
 * And a flush asked for while a block is being connected waits for it, so coins at block X never reach disk
 * before X's undo data and index entry do.
 */
import assert from 'node:assert/strict';
import { cpSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { assembleBlock, makeCoinbase, type GeneratedBlock } from '../../contrib/chaingen/blocks.js';
import { P2WSH_OP_TRUE } from '../../contrib/chaingen/spec-chains.js';
import { blockSubsidy, getChainParams } from '../../src/consensus/params.js';
import { hashToHex } from '../../src/primitives/hash.js';
import { txid, type Transaction } from '../../src/primitives/transaction.js';
import { BlockStorage, StorageSource } from '../../src/chain/block-storage.js';
import { Chainstate } from '../../src/chain/chainstate.js';
import { ChainstateManager, FatalError } from '../../src/chain/chainstate-manager.js';
import { CoinsDB } from '../../src/coins/coins-db.js';
import { outpointKey } from '../../src/coins/view.js';
import { scratchDir } from '../helpers.js';
import { branch } from './fixtures/forks.js';

const params = getChainParams('regtest');
const now = () => 2_000_000_000;

/** 102 coinbase-only blocks, then block 103 spending block 1's coinbase (now mature). */
function chainWithSpend(): { blocks: GeneratedBlock[]; spend: Transaction } {
  const blocks = branch(undefined, 1, 102, 0);
  const spend: Transaction = {
    version: 2,
    inputs: [{ prevout: { txid: txid(blocks[0].block.txs[0]), vout: 0 }, scriptSig: new Uint8Array(0), sequence: 0xffffffff, witness: [Uint8Array.of(0x51)] }],
    outputs: [{ value: blockSubsidy(1, params) - 1000, script: P2WSH_OP_TRUE }],
    lockTime: 0,
  };
  blocks.push(
    assembleBlock({
      height: 103,
      prevHash: blocks[101].hash,
      time: 1296688602 + 103,
      version: 4,
      coinbase: makeCoinbase({ height: 103, outputs: [{ value: blockSubsidy(103, params) + 1000, script: P2WSH_OP_TRUE }] }),
      txs: [spend],
    }),
  );
  return { blocks, spend };
}

const { blocks, spend } = chainWithSpend();
const tip = blocks[102];
const spendOut = outpointKey(txid(spend), 0);
const spentCoinbase = outpointKey(txid(blocks[0].block.txs[0]), 0);
const tipCoinbase = outpointKey(txid(tip.block.txs[0]), 0);

async function syncedManager(datadir: string): Promise<ChainstateManager> {
  const m = await ChainstateManager.open({ datadir, params, now, background: 'in-process' });
  for (const b of blocks) await m.processBlock(b.bytes);
  assert.equal(m.active.tip.key, hashToHex(tip.hash));
  return m;
}

async function assertDiskAtTip(datadir: string): Promise<void> {
  const db = await CoinsDB.open(path.join(datadir, 'chainstate'));
  try {
    assert.equal(hashToHex(db.bestBlock()!), hashToHex(tip.hash), 'the UTXO set on disk is at block 103');
    assert.ok(db.getCoin(spendOut), "block 103's spend output is there");
    assert.equal(db.getCoin(spentCoinbase), undefined, "the coin block 103 spent is still spent");
  } finally {
    await db.close();
  }
}

async function disconnectFails(m: ChainstateManager): Promise<void> {
  await assert.rejects(m.invalidateBlock(m.storage.index.get(tip.hash)!), (e: Error) => {
    assert.ok(e instanceof FatalError, `a FatalError, got ${e.name}: ${e.message}`);
    assert.equal(e.message, 'Failed to disconnect block.');
    return true;
  });
  assert.equal(m.fatal?.message, 'Failed to disconnect block.', 'the node stops');
  assert.equal(m.active.tip.key, hashToHex(tip.hash), 'the tip is still block 103');
  assert.ok(m.getCoin(txid(spend), 0), 'the cache still holds what block 103 created');
}

test('DISCONNECT_FAILED half way through a block: fatal, the cache untouched, and close() writes the state before it', async () => {
  const datadir = scratchDir('chainsnap-disconnect-failed-');
  const m = await syncedManager(datadir);
  // Undo data that passes its checksum but lists no spent coin for block 103's spend: DisconnectBlock
  // spends the transaction's outputs, then finds the mismatch.
  await m.storage.writeUndo(m.storage.index.get(tip.hash)!, [[]]);
  await disconnectFails(m);
  await m.close();
  await assertDiskAtTip(datadir);
});

test('DISCONNECT_UNCLEAN (an output of the block already gone from the set): fatal as in Core\'s DisconnectTip', async () => {
  const datadir = scratchDir('chainsnap-disconnect-unclean-');
  const m = await syncedManager(datadir);
  // A UTXO set that lost one of the block's outputs: Core's DisconnectBlock says UNCLEAN.
  m.active.cache.spendCoin(tipCoinbase);
  await disconnectFails(m);
  await m.close();
});

test('a flush asked for while a block is being connected waits for it: coins at X never reach disk before X\'s undo data', async () => {
  const datadir = scratchDir('chainsnap-flush-order-');
  const storage = await BlockStorage.open(datadir, params, { now });
  const few = blocks.slice(0, 5);
  for (const b of few) await storage.acceptBlock(b.bytes);
  const cs = await Chainstate.open({ role: 'normal', dir: path.join(datadir, 'chainstate'), source: new StorageSource(storage), params, cacheBytes: 1 << 30 });
  const entries = few.map((b) => storage.index.get(b.hash)!);
  for (const e of entries.slice(0, 4)) await cs.connectTip(e);
  const last = entries[4];
  const connecting = cs.connectTip(last);
  // The tip moves with the coins, before the undo data is written: flush right then.
  while (cs.tip !== last) await new Promise((r) => setImmediate(r));
  await cs.flush(true);
  // What a crash right after the flush leaves behind.
  const crashed = scratchDir('chainsnap-flush-order-copy-');
  cpSync(datadir, crashed, { recursive: true });
  await connecting;
  await cs.close();
  await storage.close();

  const after = await BlockStorage.open(crashed, params, { now });
  const db = await CoinsDB.open(path.join(crashed, 'chainstate'));
  try {
    const best = after.index.get(db.bestBlock()!)!;
    assert.ok(best.height >= 1, 'the flush wrote coins');
    assert.ok(best.undoPos, `coins are at block ${best.height}, whose undo data must be durable too`);
  } finally {
    await db.close();
    await after.close();
  }
});
