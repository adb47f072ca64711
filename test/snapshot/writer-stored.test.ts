/**
 * SnapshotWriter.addStoredCoin writes each transaction straight into its output buffer (dumptxoutset's
 * path): the file must be byte for byte what the general path (addCoin, any order within a transaction)
 * writes — across output buffers, for counts that need 1, 3 and 5 bytes, and for a transaction larger
 * than a buffer — and coins out of key order must be refused, not written.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { writeCompressedCoin, MAX_COMPRESSED_COIN } from '../../src/coins/coin.js';
import { voutKey } from '../../src/coins/vout-order.js';
import { getChainParams } from '../../src/consensus/params.js';
import { sha256 } from '../../src/primitives/hash.js';
import { SnapshotWriter } from '../../src/snapshot/writer.js';
import { scratchDir } from '../helpers.js';

const dir = scratchDir();
const opts = { messageStart: getChainParams('regtest').messageStart, baseHash: sha256(Uint8Array.of(3)) };

interface Tx {
  txid: Uint8Array;
  vouts: number[];
}

/** Outputs per transaction: one byte of count, the edges of three, five (70,000 coins, over 1 MiB), and many small ones. */
function transactions(): Tx[] {
  const sizes = [1, 3, 252, 253, 300, 65_535, 70_000, ...Array.from({ length: 3_000 }, (_, i) => 1 + (i % 40))];
  const txids = sizes.map((_, i) => sha256(Uint8Array.of(7, i & 0xff, i >> 8))).sort(Buffer.compare);
  return sizes.map((n, i) => ({ txid: txids[i]!, vouts: Array.from({ length: n }, (_, v) => v) }));
}

function script(tx: number, vout: number): Uint8Array {
  // P2WPKH and a bare script of a few bytes, so coins differ in length.
  return vout % 3 === 0 ? Uint8Array.of(0x51, vout & 0xff) : Uint8Array.of(0x00, 0x14, ...sha256(Uint8Array.of(tx & 0xff, vout & 0xff)).subarray(0, 20));
}

test('stored coins in key order give the same file as the general path', () => {
  const txs = transactions();
  const general = new SnapshotWriter(path.join(dir, 'general.dat'), opts);
  const stored = new SnapshotWriter(path.join(dir, 'stored.dat'), opts);
  const coin = Buffer.alloc(MAX_COMPRESSED_COIN + 64);
  txs.forEach((tx, t) => {
    // The general path gets numeric order (it re-sorts); stored coins come in key order, as a chainstate holds them.
    for (const v of tx.vouts) {
      const s = script(t, v);
      general.addCoin(tx.txid, v, 100 + t, v === 0, 1000 + v, s, 0, s.length);
    }
    for (const v of [...tx.vouts].sort((a, b) => voutKey(a) - voutKey(b))) {
      const s = script(t, v);
      const n = writeCompressedCoin(coin, 0, 100 + t, v === 0, 1000 + v, s, 0, s.length);
      stored.addStoredCoin(tx.txid, 0, v, coin, n);
    }
  });
  const coins = txs.reduce((n, tx) => n + tx.vouts.length, 0);
  assert.equal(general.commit(), coins);
  assert.equal(stored.commit(), coins);
  const a = readFileSync(path.join(dir, 'general.dat'));
  const b = readFileSync(path.join(dir, 'stored.dat'));
  assert.ok(a.length > 3 << 20, 'the file spans several output buffers');
  assert.ok(a.equals(b));
});

test('stored coins out of key order, or a transaction again, are refused', () => {
  const coin = Buffer.alloc(MAX_COMPRESSED_COIN + 8);
  const n = writeCompressedCoin(coin, 0, 1, false, 5, Uint8Array.of(0x51), 0, 1);
  const [t1, t2] = [sha256(Uint8Array.of(1)), sha256(Uint8Array.of(2))].sort(Buffer.compare);
  const w = new SnapshotWriter(path.join(dir, 'refused.dat'), opts);
  w.addStoredCoin(t1!, 0, 300, coin, n);
  // 16,512 sorts before 300 by key (VARINT 0x80 0x80 0x00 < 0x81 0x2c).
  assert.throws(() => w.addStoredCoin(t1!, 0, 16_512, coin, n), /key order/);
  assert.throws(() => w.addStoredCoin(t1!, 0, 300, coin, n), /key order/);
  w.addStoredCoin(t2!, 0, 0, coin, n);
  assert.throws(() => w.addStoredCoin(t1!, 0, 400, coin, n), /ascending txid order/);
  assert.throws(() => w.addCoin(t2!, 1, 1, false, 5, Uint8Array.of(0x51), 0, 1), /ascending txid order/);
  w.abort();
});
