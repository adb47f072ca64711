/**
 * Undo data: Core's TxInUndo bytes for each script compression case, Core's decoding errors, rev*.dat
 * framing and checksum, and DisconnectBlock's 'unclean' / 'failed' outcomes on real kernel-test blocks.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { frameUndoRecord, parseBlockUndo, readUndoRecord, serializeBlockUndo, type BlockUndo } from '../../src/chain/undo.js';
import type { Coin } from '../../src/coins/coin.js';
import { outpointKey } from '../../src/coins/view.js';
import { getChainParams } from '../../src/consensus/params.js';
import { parseBlock } from '../../src/primitives/block.js';
import { fromHex, toHex } from '../../src/primitives/bytes.js';
import { DeserializeError } from '../../src/primitives/errors.js';
import { p2pk, p2pkh, p2sh } from '../../src/primitives/script.js';
import { txid } from '../../src/primitives/transaction.js';
import { NO_VECTORS, vector } from '../helpers.js';
import { ChainDriver } from './map-view.js';

// secp256k1's generator: a valid key, so P2PK compresses (codes 2..5).
const G = fromHex('0479be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798483ada7726a3c4655da4fbfc0e1108a8fd17b448a68554199c47d08ffb10d4b8');

test('TxInUndo bytes: code, the dummy only above height 0, compressed amount and script', () => {
  const one = (coin: Coin) => toHex(serializeBlockUndo([[coin]]));
  // 50 BTC compresses to 0x32; P2PKH is code 0 + 20 bytes.
  assert.equal(one({ height: 1, coinbase: true, value: 50e8, script: p2pkh(new Uint8Array(20).fill(0xaa)) }), '0101' + '03' + '00' + '32' + '00' + 'aa'.repeat(20));
  // Height 0: no dummy byte.
  assert.equal(one({ height: 0, coinbase: false, value: 0, script: Uint8Array.of(0x51) }), '0101' + '00' + '00' + '07' + '51');
  // Height 300: VARINT(600) = 0x8358.
  assert.equal(one({ height: 300, coinbase: false, value: 1, script: p2sh(new Uint8Array(20)) }), '0101' + '8358' + '00' + '01' + '01' + '00'.repeat(20));

  const coins: Coin[] = [
    { height: 7, coinbase: false, value: 123_456_789, script: p2pk(G) },
    { height: 8, coinbase: true, value: 21e14, script: p2pk(Uint8Array.of(3, ...G.subarray(1, 33))) },
    { height: 9, coinbase: false, value: 0, script: new Uint8Array(10_000).fill(1) },
    { height: 200_000, coinbase: false, value: 546, script: new Uint8Array(0) },
  ];
  const undo: BlockUndo = [coins, [], [coins[0]]];
  assert.deepEqual(parseBlockUndo(serializeBlockUndo(undo)), undo);
  assert.deepEqual(parseBlockUndo(Uint8Array.of(0)), []);
});

test("parseBlockUndo: Core's decoding errors", () => {
  const fails = (hex: string, message: string) =>
    assert.throws(() => parseBlockUndo(fromHex(hex)), (e: unknown) => e instanceof DeserializeError && e.message === message, hex);
  fails('', 'DataStream::read(): end of data');
  fails('0101', 'DataStream::read(): end of data');
  fails('01010300', 'DataStream::read(): end of data');
  fails('fd0100', 'non-canonical ReadCompactSize()');
  fails('fe01000002', 'ReadCompactSize(): size too large');
  fails('0101' + 'ffffffffff7f', 'ReadVarInt(): size too large');
  fails('0101030032', 'DataStream::read(): end of data');
  fails('0100' + '00', 'unexpected data after block undo');
  // An oversized raw script (size 10,001 + 6) is skipped and kept as OP_RETURN, as Core does.
  const big = serializeBlockUndo([[{ height: 1, coinbase: false, value: 1, script: new Uint8Array(10_001).fill(0x51) }]]);
  assert.deepEqual(parseBlockUndo(big)[0][0].script, Uint8Array.of(0x6a));
});

test('rev*.dat records: framing and the checksum over the previous block hash', () => {
  const magic = getChainParams('main').messageStart;
  const undoBytes = serializeBlockUndo([[{ height: 5, coinbase: true, value: 50e8, script: p2pk(G) }]]);
  const prev = new Uint8Array(32).fill(3);
  const record = frameUndoRecord(magic, undoBytes, prev);
  assert.equal(toHex(record.subarray(0, 8)), toHex(magic) + toHex(Uint8Array.of(undoBytes.length, 0, 0, 0)));
  assert.equal(readUndoRecord(record, 8, prev)[0][0].height, 5);
  assert.throws(() => readUndoRecord(record, 8, new Uint8Array(32)), /Checksum mismatch/);
});

test('DisconnectBlock outcomes on real blocks: ok, unclean, failed, and height-0 undo records', { skip: NO_VECTORS }, () => {
  const params = getChainParams('regtest');
  const blocks = readFileSync(vector('regtest', 'core-kernel-blocks-1-206.hex'), 'utf8').split('\n').filter(Boolean).map((h) => parseBlock(fromHex(h.trim())));
  const chain = new ChainDriver(params);
  chain.connect(params.genesis);
  for (const b of blocks) chain.connect(b);
  while (chain.undos[chain.height].length === 0) chain.disconnect();
  const undo = chain.undos[chain.height];
  const block = chain.blocks[chain.height];

  // Undo data that does not fit the block: 'failed'.
  const copy = () => {
    const c = new ChainDriver(params, chain.view.clone());
    Object.assign(c, { hashes: [...chain.hashes], times: [...chain.times], mtps: [...chain.mtps], undos: [...chain.undos], blocks: [...chain.blocks] });
    return c;
  };
  assert.equal(copy().disconnect(undo.slice(1)), 'failed');
  assert.equal(copy().disconnect([...undo.slice(0, -1), [...undo.at(-1)!, undo.at(-1)![0]]]), 'failed');

  // An output of the block already gone from the view: the rest is still undone, reported 'unclean'.
  const missing = copy();
  missing.view.spendCoin(outpointKey(txid(block.txs[1]), 0));
  assert.equal(missing.disconnect(), 'unclean');

  // Height 0 in an undo record (pre-0.15 format): the metadata comes from another unspent output of the same
  // transaction (Core's AccessByTxid), or the disconnect fails.
  const last = undo.length - 1;
  const prevout = block.txs[last + 1].inputs[0].prevout;
  const real = undo[last][0];
  const legacy = undo.map((u, i) => (i === last ? [{ ...real, height: 0, coinbase: !real.coinbase }, ...u.slice(1)] : u));
  const prevKeys = (v: ChainDriver) => [...v.view.coins.keys()].filter((k) => k.startsWith(Buffer.from(prevout.txid).toString('latin1')));
  const orphan = copy();
  for (const k of prevKeys(orphan)) orphan.view.spendCoin(k);
  assert.equal(orphan.disconnect(legacy), 'failed');
  const sibling = copy();
  sibling.view.addCoin(outpointKey(prevout.txid, 60_000), { ...real, value: 1 }, false);
  assert.equal(sibling.disconnect(legacy), 'ok');
  assert.deepEqual(sibling.view.getCoin(outpointKey(prevout.txid, prevout.vout)), real);

  const normal = copy();
  assert.equal(normal.disconnect(), 'ok');
  assert.equal(chain.disconnect(parseBlockUndo(serializeBlockUndo(undo))), 'ok');
  assert.equal(toHex(chain.view.stats().hashSerialized3), toHex(normal.view.stats().hashSerialized3));
});
