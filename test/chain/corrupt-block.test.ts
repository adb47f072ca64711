/**
 * Issue 11 item 4: a block read back from disk is checked as Core's ReadBlock and ConnectBlock do. A stored
 * block whose bytes changed after it was accepted (a flipped byte in blk00000.dat) must stop the node with
 * Core's fatal error, and nothing of it may enter the UTXO set:
 *   - a coinbase output byte: the header still hashes to the index entry, the merkle root no longer
 *     matches (CheckBlock: BLOCK_MUTATED) → "Corrupt block found indicating potential hardware failure."
 *   - a header byte: the hash differs from the index entry's (ReadBlock fails) → "Failed to read block."
 * The next start meets the same block and stops the same way (Core needs -reindex; chainsnap has none).
 * In the background chainstate such a block stops the node too, and is never taken for a bad snapshot.
 */
import assert from 'node:assert/strict';
import { existsSync, openSync, readSync, writeSync, closeSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { buildH200Chain, P2WSH_OP_TRUE } from '../../contrib/chaingen/spec-chains.js';
import { getChainParams } from '../../src/consensus/params.js';
import { BlockStorage } from '../../src/chain/block-storage.js';
import { ChainstateManager, FatalError } from '../../src/chain/chainstate-manager.js';
import { invalidSnapshotDir } from '../../src/chain/chainstate-dirs.js';
import { CoinsDB } from '../../src/coins/coins-db.js';
import { outpointKey } from '../../src/coins/view.js';
import { hashToHex } from '../../src/primitives/hash.js';
import { txid } from '../../src/primitives/transaction.js';
import { parseBlock } from '../../src/primitives/block.js';
import { scratchDir } from '../helpers.js';

const params = getChainParams('regtest');
const now = () => 2_000_000_000;
const chain = buildH200Chain(200);
const SNAPSHOT = path.resolve('snapshots/regtest-h200.dat');

/** Stores blocks 1..n without connecting them (as if the node crashed before its coins flush). */
async function storeBlocks(datadir: string, n: number): Promise<void> {
  const storage = await BlockStorage.open(datadir, params, { now });
  for (const b of chain.blocks.slice(0, n)) await storage.acceptBlock(b.bytes);
  await storage.close();
}

/** Flips one byte of the stored block at `height`; `where` picks the byte. Returns the corrupted block's bytes. */
async function flipStoredByte(datadir: string, height: number, where: (block: Uint8Array) => number): Promise<Uint8Array> {
  const storage = await BlockStorage.open(datadir, params, { now });
  const pos = storage.index.get(chain.blocks[height - 1].hash)!.dataPos!;
  await storage.close();
  const file = path.join(datadir, 'blocks', `blk${String(pos.file).padStart(5, '0')}.dat`);
  const size = chain.blocks[height - 1].bytes.length;
  const fd = openSync(file, 'r+');
  try {
    const bytes = new Uint8Array(size);
    readSync(fd, bytes, 0, size, pos.offset);
    const at = where(bytes);
    bytes[at] ^= 0x01;
    writeSync(fd, bytes.subarray(at, at + 1), 0, 1, pos.offset + at);
    return bytes;
  } finally {
    closeSync(fd);
  }
}

const coinbaseScriptByte = (block: Uint8Array) => Buffer.from(block).indexOf(Buffer.from(P2WSH_OP_TRUE)) + P2WSH_OP_TRUE.length - 1;
const headerTimeByte = () => 68;

async function openFails(datadir: string, message: string): Promise<void> {
  await assert.rejects(ChainstateManager.open({ datadir, params, now, background: 'in-process' }), (e: Error) => {
    assert.ok(e instanceof FatalError, `a FatalError, got ${e.name}: ${e.message}`);
    assert.equal(e.message, message);
    return true;
  });
}

/** The block the chainstate's UTXO set was last flushed at. */
async function coinsBest(datadir: string): Promise<string> {
  const db = await CoinsDB.open(path.join(datadir, 'chainstate'));
  try {
    return hashToHex(db.bestBlock()!);
  } finally {
    await db.close();
  }
}

test('a flipped byte in a stored coinbase output: Core\'s "Corrupt block" fatal error, and the bad output never enters the UTXO set', async () => {
  const datadir = scratchDir('chainsnap-corrupt-cb-');
  await storeBlocks(datadir, 12);
  const corrupted = parseBlock(await flipStoredByte(datadir, 10, coinbaseScriptByte));
  await openFails(datadir, 'Corrupt block found indicating potential hardware failure.');
  assert.equal(await coinsBest(datadir), hashToHex(chain.blocks[8].hash), 'the UTXO set stays at block 9');
  const db = await CoinsDB.open(path.join(datadir, 'chainstate'));
  try {
    assert.equal(db.getCoin(outpointKey(txid(corrupted.txs[0]), 0)), undefined, 'the corrupted output is not in the UTXO set');
  } finally {
    await db.close();
  }
  // The next start meets the same block: the same error, the UTXO set still at block 9.
  await openFails(datadir, 'Corrupt block found indicating potential hardware failure.');
  assert.equal(await coinsBest(datadir), hashToHex(chain.blocks[8].hash));
});

test('a flipped byte in a stored block header: Core\'s "Failed to read block." fatal error, at every start', async () => {
  const datadir = scratchDir('chainsnap-corrupt-hdr-');
  await storeBlocks(datadir, 12);
  await flipStoredByte(datadir, 10, headerTimeByte);
  await openFails(datadir, 'Failed to read block.');
  assert.equal(await coinsBest(datadir), hashToHex(chain.blocks[8].hash), 'the UTXO set stays at block 9');
  await openFails(datadir, 'Failed to read block.');
  assert.equal(await coinsBest(datadir), hashToHex(chain.blocks[8].hash));
});

test('a corrupt block below the snapshot base stops background validation with the fatal error, not as a bad snapshot', { skip: existsSync(SNAPSHOT) ? false : 'no snapshots/regtest-h200.dat' }, async () => {
  const datadir = scratchDir('chainsnap-corrupt-bg-');
  let m = await ChainstateManager.open({ datadir, params, now, background: 'in-process' });
  for (const b of chain.blocks) m.processHeader(b.block.header);
  await m.loadSnapshot(SNAPSHOT);
  await m.close();
  await storeBlocks(datadir, 199);
  await flipStoredByte(datadir, 50, coinbaseScriptByte);
  m = await ChainstateManager.open({ datadir, params, now, background: 'in-process' });
  try {
    await m.backgroundIdle();
    assert.equal(m.fatal?.message, 'Corrupt block found indicating potential hardware failure.');
    assert.equal(m.validity, 'unvalidated', 'the snapshot is not judged');
    assert.equal(m.backgroundTip?.height, 49, 'the background chainstate stopped before the corrupt block');
    assert.ok(!existsSync(invalidSnapshotDir(datadir)), 'the snapshot chainstate is not set aside as invalid');
  } finally {
    await m.close();
  }
});
