/**
 * The mining RPC methods called as the server calls them (params, ctx), on a real regtest ChainstateManager
 * with a mock time: Core's errors and results from rpc_generate.py and mining_basic.py, generateblock with
 * raw transactions, submitblock / submitheader results, getblocktemplate (template, proposal, long poll)
 * and getmininginfo.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { blockHash, parseBlock, serializeBlock, serializeHeader, type Block } from '../../src/primitives/block.js';
import { fromHex, toHex } from '../../src/primitives/bytes.js';
import { hashToHex, hexToHash } from '../../src/primitives/hash.js';
import { serializeTransaction, txid, type Transaction } from '../../src/primitives/transaction.js';
import { RpcError } from '../../src/rpc/errors.js';
import { createCoinbase } from '../../src/mining/coinbase.js';
import { searchNonce } from '../../src/mining/generate.js';
import { miningNode } from './mining-context.js';

const GENESIS_TIME = 1296688602;
const NODE0 = 'mjTkW3DjgyZck4KbiRusZsqTgaYTxdSz6z';

async function rejects(p: Promise<unknown>, code: number, message: string): Promise<void> {
  await assert.rejects(p, (e: unknown) => {
    assert.ok(e instanceof RpcError, String(e));
    assert.equal(e.message, message);
    assert.equal(e.code, code);
    return true;
  });
}

/** Spends output `vout` of `from` to a bare OP_TRUE, paying `fee`. */
function spend(from: Transaction, vout: number, fee: number): Transaction {
  return {
    version: 2,
    inputs: [{ prevout: { txid: txid(from), vout }, scriptSig: new Uint8Array(0), sequence: 0xffffffff, witness: [] }],
    outputs: [{ value: from.outputs[vout].value - fee, script: Uint8Array.of(0x51) }],
    lockTime: 0,
  };
}

test('generatetoaddress and generatetodescriptor: Core errors, blocks at mock time, maxtries', async () => {
  const node = await miningNode(GENESIS_TIME + 1);
  try {
    await rejects(node.call('generatetoaddress', 1, '3J98t1WpEZ73CNmQviecrnyiWrnqRhWNLy'), -5, 'Error: Invalid address');
    const hashes = (await node.call('generatetoaddress', 3, NODE0)) as string[];
    assert.equal(hashes.length, 3);
    assert.equal(node.ctx.manager.active.tip.key, hashes[2]);
    // setmocktime is static: each block takes median time past + 1.
    assert.deepEqual([1, 2, 3].map((h) => node.ctx.manager.active.at(h)!.header.time), [GENESIS_TIME + 1, GENESIS_TIME + 2, GENESIS_TIME + 2]);
    // A budget of 0 tries mines nothing and is not an error (Core breaks out of generateBlocks).
    assert.deepEqual(await node.call('generatetoaddress', 2, NODE0, 0), []);

    const tpub = 'tpubD6NzVbkrYhZ4XgiXtGrdW5XDAPFCL9h7we1vwNCpn8tGbBcgfVYjXyhWo4E1xkh56hjod1RhGjxbaTLV3X4FyWuejifB9jusQ46QzG87VKp';
    await rejects(node.call('generatetodescriptor', 1, `pkh(${tpub}/0/*)`), -8, 'Ranged descriptor not accepted. Maybe pass through deriveaddresses first?');
    await rejects(node.call('generatetodescriptor', 1, `pkh(${tpub}/0'/0)`), -5, 'Cannot derive script without private keys');
    await rejects(node.call('generatetodescriptor', 1, `pkh(${tpub}/<0;1>)`), -8, 'Multipath descriptor not accepted');
    await rejects(node.call('generatetodescriptor', 1, 'raw(51)#00000000'), -5, "Provided checksum '00000000' does not match computed checksum '8lvh9jxk'");
    await rejects(node.call('generatetodescriptor', 1, 'foo'), -5, "'foo' is not a valid descriptor function");
    const [h] = (await node.call('generatetodescriptor', 1, 'combo(0279be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798)')) as string[];
    const block = await node.ctx.manager.storage.readBlock(node.ctx.manager.storage.index.get(h)!);
    assert.equal(toHex(block.txs[0].outputs[0].script), '0014751e76e8199196d454941c45d1b3a323f1433bd6');

    const hidden = node.call('generate');
    await rejects(hidden, -32601, 'generate\n\nhas been replaced by the -generate cli option. Refer to -help for more information.\n');
  } finally {
    await node.close();
  }
});

test('generateblock: raw transactions, submit=false then submitblock, Core errors', async () => {
  const node = await miningNode(GENESIS_TIME + 1);
  try {
    await node.call('generatetodescriptor', 101, 'raw(51)');
    const m = node.ctx.manager;
    const coinbase1 = (await m.storage.readBlock(m.active.at(1)!)).txs[0];
    const tx1 = spend(coinbase1, 0, 10_000);
    const tx2 = spend(tx1, 0, 10_000);

    const out = (await node.call('generateblock', NODE0, [toHex(serializeTransaction(tx1))], false)) as { hash: string; hex: string };
    assert.equal(m.active.height, 101, 'not submitted');
    const block = parseBlock(fromHex(out.hex));
    assert.equal(hashToHex(blockHash(block.header)), out.hash);
    assert.equal(block.txs.length, 2);
    // Transactions join after the template was made: the coinbase leaves their fee unclaimed, as in Core.
    assert.equal(block.txs[0].outputs[0].value, 5_000_000_000);
    assert.equal(await node.call('submitblock', out.hex), null);
    assert.equal(m.active.tip.key, out.hash);
    assert.equal(await node.call('submitblock', out.hex), 'duplicate');

    const tx3 = spend(tx2, 0, 1);
    await rejects(
      node.call('generateblock', NODE0, [toHex(serializeTransaction(tx3)), toHex(serializeTransaction(tx2))]),
      -25,
      `TestBlockValidity failed: bad-txns-inputs-missingorspent, CheckTxInputs: inputs missing/spent in transaction ${hashToHex(txid(tx3))}`,
    );
    const missing = '0'.repeat(64);
    await rejects(node.call('generateblock', NODE0, [missing]), -5, `Transaction ${missing} not in mempool.`);
    await rejects(node.call('generateblock', NODE0, ['0000']), -22, 'Transaction decode failed for 0000. Make sure the tx has at least one input.');
    await rejects(node.call('generateblock', '1234', []), -5, 'Error: Invalid address or descriptor');
    const { hash } = (await node.call('generateblock', `addr(${NODE0})`, [toHex(serializeTransaction(tx2))])) as { hash: string };
    assert.equal(m.active.tip.key, hash);
  } finally {
    await node.close();
  }
});

/** A block on the tip from getblocktemplate's answer, as an external miner builds it (coinbase to OP_TRUE). */
function blockFromTemplate(t: Record<string, unknown>): Block {
  const coinbase = createCoinbase(t.height as number, Uint8Array.of(0x51), t.coinbasevalue as number);
  coinbase.outputs.push({ value: 0, script: fromHex(t.default_witness_commitment as string) });
  coinbase.inputs[0].witness = [new Uint8Array(32)];
  return {
    header: {
      version: t.version as number,
      prevHash: hexToHash(t.previousblockhash as string),
      merkleRoot: new Uint8Array(32),
      time: t.curtime as number,
      bits: Number.parseInt(t.bits as string, 16),
      nonce: 0,
    },
    txs: [coinbase],
  };
}

test('getblocktemplate: rules, version bits, fields, a block built from it, proposals, long polling', async () => {
  const node = await miningNode(GENESIS_TIME + 1);
  try {
    const m = node.ctx.manager;
    await rejects(node.call('getblocktemplate', {}), -8, 'getblocktemplate must be called with the segwit rule set (call with {"rules": ["segwit"]})');
    await rejects(node.call('getblocktemplate', { mode: 'bogus', rules: ['segwit'] }), -8, 'Invalid mode');
    await rejects(node.call('getblocktemplate', { mode: 1 }), -8, 'Invalid mode');
    await rejects(node.call('getblocktemplate', { mode: 'proposal' }), -3, 'Missing data String key for proposal');
    await rejects(node.call('getblocktemplate', { mode: 'proposal', data: 'zz' }), -22, 'Block decode failed');

    let t = (await node.call('getblocktemplate', { rules: ['segwit'] })) as Record<string, unknown>;
    assert.deepEqual(Object.keys(t), [
      'capabilities', 'version', 'rules', 'vbavailable', 'vbrequired', 'previousblockhash', 'transactions', 'coinbaseaux',
      'coinbasevalue', 'longpollid', 'target', 'mintime', 'mutable', 'noncerange', 'sigoplimit', 'sizelimit', 'weightlimit',
      'curtime', 'bits', 'height', 'default_witness_commitment',
    ]);
    assert.equal(t.version, 0x20000000);
    assert.deepEqual(t.rules, ['csv', '!segwit', 'taproot']);
    assert.deepEqual(t.vbavailable, {});
    assert.equal(t.previousblockhash, m.params.genesisHash);
    assert.equal(t.coinbasevalue, 5_000_000_000);
    assert.equal(t.longpollid, `${m.params.genesisHash}0`);
    assert.equal(t.target, '7fffff0000000000000000000000000000000000000000000000000000000000');
    assert.equal(t.mintime, GENESIS_TIME + 1);
    assert.equal(t.curtime, GENESIS_TIME + 1);
    assert.equal(t.bits, '207fffff');
    assert.equal(t.height, 1);
    assert.equal(t.sigoplimit, 80000);
    assert.equal(t.weightlimit, 4000000);
    // The commitment of a coinbase-only block: SHA256d(64 zero bytes) behind the BIP141 prefix.
    assert.equal(t.default_witness_commitment, '6a24aa21a9ede2f61c3f71d1defd3fa999dfa36953755c690689799962b48bebd836974e8cf9');

    // An external miner's block from the template: proposal first, then submitblock.
    const block = blockFromTemplate(t);
    assert.equal(searchNonce(block, m.params, { left: 1_000_000 }), 'found');
    const hex = toHex(serializeBlock(block));
    assert.equal(await node.call('getblocktemplate', { mode: 'proposal', data: hex }), null);
    assert.equal(await node.call('submitblock', hex), null);
    assert.equal(await node.call('getblocktemplate', { mode: 'proposal', data: hex }), 'duplicate');

    // From height 144 the regtest testdummy deployment is started: the template signals bit 28.
    await node.call('generatetoaddress', 142, NODE0);
    t = (await node.call('getblocktemplate', { rules: ['segwit'] })) as Record<string, unknown>;
    assert.equal(t.height, 144);
    assert.equal(t.version, 0x30000000);
    assert.deepEqual(t.vbavailable, { testdummy: 28 });

    // Long polling returns once the tip moves; a made-up id returns at once.
    const lp = node.call('getblocktemplate', { rules: ['segwit'], longpollid: t.longpollid }) as Promise<Record<string, unknown>>;
    const [mined] = (await node.call('generatetoaddress', 1, NODE0)) as string[];
    assert.equal((await lp).previousblockhash, mined);
    const other = (await node.call('getblocktemplate', { rules: ['segwit'], longpollid: `${'11'.repeat(32)}0` })) as Record<string, unknown>;
    assert.equal(other.previousblockhash, mined);
    await rejects(node.call('getblocktemplate', { rules: ['segwit'], longpollid: 'abc' }), -8, "longpollid must be of length 64 (not 3, for 'abc')");

    // -blockversion (regtest): the daemon puts it in the context, every template takes it.
    Object.assign(node.ctx, { blockVersion: 1337 });
    assert.equal(((await node.call('getblocktemplate', { rules: ['segwit'] })) as Record<string, unknown>).version, 1337);
    const [v1337] = (await node.call('generatetoaddress', 1, NODE0)) as string[];
    assert.equal(m.storage.index.get(v1337)!.header.version, 1337);
  } finally {
    await node.close();
  }
});

test('submitblock and submitheader: BIP22 results and Core errors', async () => {
  const node = await miningNode(GENESIS_TIME + 1);
  try {
    const m = node.ctx.manager;
    await rejects(node.call('submitblock', 'zz'), -22, 'Block decode failed');
    await rejects(node.call('submitheader', '00'), -22, 'Block header decode failed');
    await node.call('generatetoaddress', 2, NODE0);
    const t = (await node.call('getblocktemplate', { rules: ['segwit'] })) as Record<string, unknown>;

    // The coinbase witness is optional in a submission: submitblock adds the reserved value, as Core does.
    const good = blockFromTemplate(t);
    good.txs[0].inputs[0].witness = [];
    searchNonce(good, m.params, { left: 1_000_000 });

    // Unknown parent, then the parent arrives.
    const orphanHeader = { ...good.header, prevHash: new Uint8Array(32).fill(7) };
    await rejects(node.call('submitheader', toHex(serializeHeader(orphanHeader))), -25, `Must submit previous header (${'07'.repeat(32)}) first`);
    assert.equal(await node.call('submitheader', toHex(serializeHeader(good.header))), null);
    assert.ok(m.storage.index.get(blockHash(good.header)));
    const badBits = { ...good.header, bits: 0x207ffffe };
    await rejects(node.call('submitheader', toHex(serializeHeader(badBits))), -25, 'bad-diffbits');

    // Too much in the coinbase: the block is stored, fails to connect, and the reason comes back.
    const greedy = blockFromTemplate({ ...t, coinbasevalue: (t.coinbasevalue as number) + 1 });
    searchNonce(greedy, m.params, { left: 1_000_000 });
    assert.equal(await node.call('submitblock', toHex(serializeBlock(greedy))), 'bad-cb-amount');
    assert.equal(await node.call('submitblock', toHex(serializeBlock(greedy))), 'duplicate-invalid');

    assert.equal(await node.call('submitblock', toHex(serializeBlock(good))), null);
    assert.equal(m.active.tip.key, hashToHex(blockHash(good.header)));
    // A sibling of the tip with equal work is stored but not connected.
    const sibling = blockFromTemplate({ ...t, coinbasevalue: 1 });
    searchNonce(sibling, m.params, { left: 1_000_000 });
    assert.equal(await node.call('submitblock', toHex(serializeBlock(sibling))), 'inconclusive');
    // v30 has no "Block does not start with a coinbase" error: CheckBlock's reason comes back instead.
    const noCoinbase = blockFromTemplate(t);
    noCoinbase.txs = [spend(good.txs[0], 0, 0)];
    searchNonce(noCoinbase, m.params, { left: 1_000_000 });
    assert.equal(await node.call('submitblock', toHex(serializeBlock(noCoinbase))), 'bad-cb-missing');
    // Trailing bytes after a block are ignored, as Core's DecodeHexBlk does.
    assert.equal(await node.call('submitblock', toHex(serializeBlock(good)) + '00'), 'duplicate');
  } finally {
    await node.close();
  }
});

test('getmininginfo and getnetworkhashps', async () => {
  const node = await miningNode(GENESIS_TIME + 1);
  try {
    await node.call('generatetoaddress', 10, NODE0);
    const info = (await node.call('getmininginfo')) as Record<string, unknown>;
    assert.equal(info.blocks, 10);
    assert.equal(info.currentblockweight, 8000);
    assert.equal(info.currentblocktx, 0);
    assert.equal(info.bits, '207fffff');
    // Core prints doubles with 16 significant digits (UniValue); the value itself is the same double.
    assert.equal((info.difficulty as number).toPrecision(16), '4.656542373906925e-10');
    assert.equal(info.target, '7fffff0000000000000000000000000000000000000000000000000000000000');
    assert.equal(info.pooledtx, 0);
    assert.equal(info.blockmintxfee, 0.00000001);
    assert.equal(info.chain, 'regtest');
    assert.deepEqual(info.next, { height: 11, bits: '207fffff', difficulty: info.difficulty, target: '7fffff0000000000000000000000000000000000000000000000000000000000' });
    assert.deepEqual(info.warnings, []);
    // 10 blocks of work 2 each over the time they span (mock time: genesis+1 … genesis+6).
    const tip = node.ctx.manager.active.tip;
    const span = tip.header.time - GENESIS_TIME;
    assert.equal(info.networkhashps, Number(tip.chainWork - node.ctx.manager.active.at(0)!.chainWork) / span);
    assert.equal(await node.call('getnetworkhashps', 120, 0), 0);
    await rejects(node.call('getnetworkhashps', 0), -8, 'Invalid nblocks. Must be a positive number or -1.');
    await rejects(node.call('getnetworkhashps', 120, 11), -8, 'Block does not exist at specified height');
  } finally {
    await node.close();
  }
});
