/**
 * The malformed-file cases of Core's feature_assumeutxo.py (spec §8), applied to a snapshot built here:
 * each gives Core's message, at the right byte offset, and nothing else.
 */
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { getChainParams } from '../../src/consensus/params.js';
import { ByteWriter, concatBytes, writeU32LE } from '../../src/primitives/bytes.js';
import { sha256 } from '../../src/primitives/hash.js';
import { compressAmount, MAX_MONEY } from '../../src/coins/compressor.js';
import { encodeRecord } from '../../src/coins/coin-record.js';
import { SnapshotError } from '../../src/snapshot/errors.js';
import { SnapshotReader } from '../../src/snapshot/reader.js';
import { SnapshotWriter } from '../../src/snapshot/writer.js';
import { scratchDir } from '../helpers.js';

const regtest = getChainParams('regtest');
const main = getChainParams('main');
const BASE_HEIGHT = 120;
const dir = scratchDir();

/** 30 coins over 10 txids, the first txid with one coin at height 100 (a 2-byte VARINT code). */
function buildSnapshot(): Uint8Array {
  const file = path.join(dir, 'good.dat');
  const w = new SnapshotWriter(file, { messageStart: regtest.messageStart, baseHash: sha256(Uint8Array.of(1)) });
  const txids = Array.from({ length: 10 }, (_, i) => sha256(Uint8Array.of(2, i))).sort(Buffer.compare);
  txids.forEach((txid, i) => {
    const outputs = i === 0 ? 1 : i === 1 ? 5 : 3;
    for (let vout = 0; vout < outputs; vout++) {
      const script = concatBytes(Uint8Array.of(0x00, 0x14), sha256(Uint8Array.of(i, vout)).subarray(0, 20));
      const rec = encodeRecord({ txid, vout, height: 100 + i, coinbase: vout === 0, value: 1000 * (vout + 1), script });
      w.addRecords(rec, rec.length);
    }
  });
  w.commit();
  return readFileSync(file);
}

const good = buildSnapshot();
const COINS = 1 + 5 + 8 * 3;

async function read(bytes: Uint8Array, opts: { expected?: Uint8Array; chunkBytes?: number } = {}): Promise<number> {
  const file = path.join(dir, 'case.dat');
  writeFileSync(file, bytes);
  const r = SnapshotReader.open(file, { expectedMessageStart: opts.expected ?? regtest.messageStart, baseHeight: BASE_HEIGHT, chunkBytes: opts.chunkBytes });
  try {
    return await r.readCoins(() => {});
  } finally {
    r.close();
  }
}

function patch(offset: number, bytes: Uint8Array | number[], from = good): Uint8Array {
  const copy = Uint8Array.from(from);
  copy.set(Uint8Array.from(bytes), offset);
  return copy;
}

function withCount(n: number): Uint8Array {
  const copy = Uint8Array.from(good);
  writeU32LE(copy, 43, n);
  return copy;
}

async function rejects(bytes: Uint8Array, message: string, offset?: number, opts?: { expected?: Uint8Array }) {
  await assert.rejects(read(bytes, opts), (e: unknown) => {
    assert.ok(e instanceof SnapshotError, String(e));
    assert.equal(e.message, message);
    if (offset !== undefined) assert.equal(e.offset, offset, `offset of "${message}"`);
    return true;
  });
}

test('the unmodified snapshot reads', async () => {
  assert.equal(await read(good), COINS);
  assert.equal(await read(good, { chunkBytes: 1 }), COINS);
});

test('header: magic, version, network, truncation', async () => {
  await rejects(patch(0, [0x75, 0x74, 0x78, 0x6f, 0xfe]), 'Invalid UTXO set snapshot magic bytes. Please check if this is indeed a snapshot file or if you are using an outdated snapshot format.', 0);
  for (const v of [0, 1, 3]) await rejects(patch(5, [v, 0]), `Version of snapshot ${v} does not match any of the supported versions.`, 5);
  await rejects(patch(7, main.messageStart), 'The network of the snapshot (main) does not match the network of this node (regtest).', 7);
  await rejects(good, 'The network of the snapshot (regtest) does not match the network of this node (test).', 7, { expected: getChainParams('testnet3').messageStart });
  await rejects(patch(7, [1, 2, 3, 4]), 'This snapshot has been created for an unrecognized network. This could be a custom signet, a new testnet or possibly caused by data corruption.', 7);
  await rejects(good.subarray(0, 40), 'AutoFile::read: end of file');
});

test('a v26/v27 mainnet file (no magic) is named as such', async () => {
  const old = concatBytes(Uint8Array.from(Buffer.from('0000000000000000000320283a032748cef8227873ff4872689bf23f1cda83a5', 'hex')).reverse(), new Uint8Array(40));
  await assert.rejects(read(old), (e: unknown) => e instanceof SnapshotError && /Invalid UTXO set snapshot magic/.test(e.message) && /v26\/v27/.test(e.hint ?? ''));
});

test('a v26/v27 regtest file (base hash without leading zeros) is named by its coin count; garbage is not', async () => {
  const count = new Uint8Array(8);
  count[0] = 200;
  const h200 = Uint8Array.from(Buffer.from('7e0517ef3ea6ecbed9117ec5fde4d52e7d5a5c4bd16a1dfc5b1a8d6b8c3a9e1f', 'hex'));
  const hinted = (e: unknown) => e instanceof SnapshotError && /Invalid UTXO set snapshot magic/.test(e.message) && /v26\/v27/.test(e.hint ?? '');
  await assert.rejects(read(concatBytes(h200, count, new Uint8Array(40))), hinted);
  const garbage = Uint8Array.from({ length: 120 }, (_, i) => (i * 97 + 13) & 0xff);
  await assert.rejects(read(garbage), (e: unknown) => e instanceof SnapshotError && /magic/.test(e.message) && e.hint === undefined);
});

test('coin count off by one either way', async () => {
  await rejects(withCount(COINS + 1), `Bad snapshot format or truncated snapshot after deserializing ${COINS} coins`, good.length);
  // One fewer: the last group (3 coins) now claims more than is left.
  await rejects(withCount(COINS - 1), 'Mismatch in coins count in snapshot metadata and actual snapshot data');
  await rejects(concatBytes(good, Uint8Array.of(0)), `Bad snapshot - coins left over after deserializing ${COINS} coins`, good.length);
});

test("Core's overwritten-byte cases", async () => {
  // Group count 02 where the group has one coin: the next txid's bytes are read as a coin.
  await assert.rejects(read(patch(51 + 32, [2])), (e: unknown) => e instanceof SnapshotError && /after deserializing 1 coins/.test(e.message));
  await rejects(patch(51 + 32, [0xfd, 0xff, 0xff]), 'Mismatch in coins count in snapshot metadata and actual snapshot data', 51 + 32);
  // Height 364 above the base (code 84 58).
  await rejects(patch(51 + 34, [0x84, 0x58]), 'Bad snapshot data after deserializing 0 coins', 51 + 33);
  const value = new ByteWriter().writeVarInt(compressAmount(MAX_MONEY + 1)).writeVarInt(0).toBytes();
  await rejects(patch(51 + 32 + 1 + 1 + 2, value), 'Bad snapshot data after deserializing 0 coins - bad tx out value', 51 + 33);
  // A non-canonical CompactSize is a format error, like any decoding failure.
  await rejects(patch(51 + 32, [0xfd, 0x01, 0x00]), 'Bad snapshot format or truncated snapshot after deserializing 0 coins', 51 + 32);
});

test('truncation anywhere in the body is a format error with the coins read so far', async () => {
  for (const cut of [52, 51 + 32, 51 + 34, 51 + 40, good.length - 1]) {
    await assert.rejects(read(good.subarray(0, cut)), (e: unknown) => e instanceof SnapshotError && /^Bad snapshot format or truncated snapshot after deserializing \d+ coins$/.test(e.message), `cut at ${cut}`);
  }
});

test('an oversized script is skipped as Core does, even across read chunks', async () => {
  const txid = sha256(Uint8Array.of(9));
  const coin = new ByteWriter().writeVarInt(2 * 5).writeVarInt(compressAmount(1000)).writeVarInt(20_000 + 6).writeBytes(new Uint8Array(20_000).fill(0x51)).toBytes();
  const body = concatBytes(txid, Uint8Array.of(1, 0), coin);
  const head = Uint8Array.from(good.subarray(0, 51));
  writeU32LE(head, 43, 1);
  const file = concatBytes(head, body);
  assert.equal(await read(file), 1);
  assert.equal(await read(file, { chunkBytes: 1000 }), 1);
  await assert.rejects(read(file.subarray(0, file.length - 1), { chunkBytes: 1000 }), /truncated snapshot after deserializing 0 coins/);
});
