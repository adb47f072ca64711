/** getblockstats over a real regtest chain: fees and sizes from the undo data, selection, Core's errors. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { toHex } from '../../src/primitives/bytes.js';
import { serializeTransaction, txid, type Transaction } from '../../src/primitives/transaction.js';
import { blockchainStatsMethods } from '../../src/rpc/blockchain-stats.js';
import { RpcError } from '../../src/rpc/errors.js';
import { miningNode } from './mining-context.js';

const getblockstats = blockchainStatsMethods[0];

/** Spends output 0 of `from` to a bare OP_TRUE and an OP_RETURN, paying `fee`. */
function spend(from: Transaction, fee: number): Transaction {
  return {
    version: 2,
    inputs: [{ prevout: { txid: txid(from), vout: 0 }, scriptSig: new Uint8Array(0), sequence: 0xffffffff, witness: [] }],
    outputs: [
      { value: from.outputs[0].value - fee, script: Uint8Array.of(0x51) },
      { value: 0, script: Uint8Array.of(0x6a, 0x01, 0x21) },
    ],
    lockTime: 0,
  };
}

test('getblockstats: fees, sizes and UTXO deltas of a block, selected stats, Core errors', async () => {
  const node = await miningNode(1296688603);
  try {
    await node.call('generatetodescriptor', 101, 'raw(51)');
    const m = node.ctx.manager;
    const tx = spend((await m.storage.readBlock(m.active.at(1)!)).txs[0], 12_345);
    const size = serializeTransaction(tx).length;
    await node.call('generateblock', 'raw(51)', [toHex(serializeTransaction(tx))]);
    const stats = (await getblockstats.handler([102], node.ctx)) as Record<string, unknown>;
    assert.equal(stats.height, 102);
    assert.equal(stats.txs, 2);
    assert.equal(stats.ins, 1);
    assert.equal(stats.outs, 2 + 2, 'the coinbase has its witness commitment');
    assert.deepEqual([stats.totalfee, stats.minfee, stats.maxfee, stats.medianfee, stats.avgfee], [12_345, 12_345, 12_345, 12_345, 12_345]);
    assert.equal(stats.total_size, size);
    assert.equal(stats.total_weight, size * 4);
    assert.equal(stats.avgfeerate, Math.trunc(12_345 / size));
    assert.deepEqual(stats.feerate_percentiles, Array(5).fill(Math.trunc(12_345 / size)));
    assert.equal(stats.swtxs, 0);
    assert.equal(stats.total_out, 5_000_000_000 - 12_345);
    // Outputs minus inputs; the OP_RETURN outputs (ours and the commitment) never enter the UTXO set.
    assert.equal(stats.utxo_increase, 3);
    assert.equal(stats.utxo_increase_actual, 1);
    assert.equal(stats.blockhash, m.active.tip.key);
    assert.deepEqual(await getblockstats.handler([m.active.tip.key, ['minfee', 'height', 'minfee']], node.ctx), { height: 102, minfee: 12_345 });
    const genesis = (await getblockstats.handler([0], node.ctx)) as Record<string, unknown>;
    assert.deepEqual([genesis.utxo_increase, genesis.utxo_size_inc, genesis.utxo_increase_actual], [1, 117, 0]);
    const rpcError = (code: number, message: string) => (e: unknown) => e instanceof RpcError && e.code === code && e.message === message;
    await assert.rejects(async () => getblockstats.handler([103], node.ctx), rpcError(-8, 'Target block height 103 after current tip 102'));
    await assert.rejects(async () => getblockstats.handler([-1], node.ctx), rpcError(-8, 'Target block height -1 is negative'));
    await assert.rejects(async () => getblockstats.handler([1, ['minfee', 'zz', 'aa']], node.ctx), rpcError(-8, "Invalid selected statistic 'aa'"));
    await assert.rejects(async () => getblockstats.handler(['11'.repeat(32)], node.ctx), rpcError(-5, 'Block not found'));
  } finally {
    await node.close();
  }
});
