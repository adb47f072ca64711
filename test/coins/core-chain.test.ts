/**
 * The regtest chain a real Bitcoin Core node made (../shared/vectors/core-regtest-A): apply its blocks to the
 * simplest UTXO set and compare hash_serialized_3, MuHash and the statistics with Core's gettxoutsetinfo at
 * every height.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { getChainParams } from '../../src/consensus/params.js';
import { blockHash, parseBlock, readFramedBlocks } from '../../src/primitives/block.js';
import { hashToHex } from '../../src/primitives/hash.js';
import { encodeRecord } from '../../src/coins/coin-record.js';
import { MemoryUtxoSet } from '../../src/coins/memory-utxo-set.js';
import { MuHash3072 } from '../../src/coins/muhash.js';
import { formatBtc } from '../../src/coins/utxo-stats.js';
import { coreChain, HAVE_VECTORS, NO_VECTORS, vector } from '../helpers.js';

test('per-height UTXO hashes of Core regtest-A match Core', { skip: NO_VECTORS }, () => {
  assert.ok(HAVE_VECTORS);
  const chain = coreChain();
  const magic = getChainParams('regtest').messageStart;
  const blocks = [...readFramedBlocks(readFileSync(vector('core-regtest-A', 'blocks.dat')), magic)].map((f) => parseBlock(f.bytes));
  assert.equal(blocks.length, chain.main_chain.length);
  const utxo = new MemoryUtxoSet();
  const muhash = new MuHash3072();
  blocks.forEach((block, height) => {
    const core = chain.main_chain[height];
    assert.equal(hashToHex(blockHash(block.header)), core.hash, `block ${height}`);
    // Core never adds the genesis coinbase to the UTXO set.
    if (height > 0) {
      utxo.applyBlock(block, height, (change, txid, vout, coin) => {
        const record = encodeRecord({ txid, vout, ...coin });
        if (change === 'add') muhash.insert(record);
        else muhash.remove(record);
      });
    }
    const s = utxo.stats();
    assert.equal(hashToHex(s.hashSerialized3), core.hash_serialized_3, `hash_serialized_3 at ${height}`);
    assert.equal(hashToHex(muhash.clone().finalize()), core.muhash, `muhash at ${height}`);
    assert.equal(s.txouts, core.txouts, `txouts at ${height}`);
    assert.equal(s.transactions, core.transactions, `transactions at ${height}`);
    assert.equal(s.bogosize, core.bogosize, `bogosize at ${height}`);
    assert.equal(formatBtc(s.totalAmount!), core.total_amount.toFixed(8), `total_amount at ${height}`);
  });
});
