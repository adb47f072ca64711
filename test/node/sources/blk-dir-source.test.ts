/**
 * --source-blocks: real mainnet blk files (blocks 0..599) into a real mainnet chainstate, and a generated
 * regtest chain written shuffled across obfuscated (xor.dat) files, fed to a snapshot chainstate first and
 * then to background validation.
 */
import assert from 'node:assert/strict';
import { copyFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { buildH200Chain } from '../../../contrib/chaingen/spec-chains.js';
import { frameBlocks } from '../../../contrib/chaingen/framing.js';
import { Prng } from '../../../contrib/chaingen/prng.js';
import { getChainParams } from '../../../src/consensus/params.js';
import { blockHash, parseBlock, readFramedBlocks } from '../../../src/primitives/block.js';
import { hashToHex } from '../../../src/primitives/hash.js';
import { ChainstateManager } from '../../../src/chain/chainstate-manager.js';
import { BlkDirSource } from '../../../src/node/sources/blk-dir-source.js';
import { NO_VECTORS, scratchDir, vector } from '../../helpers.js';
import { makeSink } from './sink.js';

test('mainnet blk00000/blk00001 (blocks 0..599) sync a mainnet chainstate', { skip: NO_VECTORS }, async () => {
  const params = getChainParams('main');
  const coreDir = scratchDir();
  mkdirSync(path.join(coreDir, 'blocks'));
  for (const f of ['blk00000.dat', 'blk00001.dat']) copyFileSync(vector('mainnet', f), path.join(coreDir, 'blocks', f));
  const all = [...readFramedBlocks(readFileSync(vector('mainnet', 'blocks-0-599.dat')), params.messageStart)];
  const tipHash = hashToHex(blockHash(parseBlock(all[599].bytes).header));

  const m = await ChainstateManager.open({ datadir: scratchDir(), params, dbcache: 1 << 20 });
  const source = new BlkDirSource(makeSink(m), coreDir);
  await source.start();
  await source.finished;
  assert.equal(source.status().state, 'done');
  assert.equal(m.active.tip.height, 599);
  assert.equal(m.active.tip.key, tipHash);
  assert.equal(source.status().blocksReceived, 599);
  await source.stop();
  await m.close();
});

/** Writes the blocks shuffled across `files` blk files with Core 28+ obfuscation, in a Core regtest layout. */
function writeCoreBlocksDir(root: string, blocks: Uint8Array[], files: number, magic: Uint8Array): string {
  const dir = path.join(root, 'regtest', 'blocks');
  mkdirSync(dir, { recursive: true });
  const prng = new Prng('blk-dir-shuffle');
  const order = blocks.map((b, i) => ({ b, k: prng.u32() + i / blocks.length })).sort((x, y) => x.k - y.k).map((x) => x.b);
  const key = Uint8Array.from([0x5a, 0x01, 0xf3, 0x77, 0x00, 0x9c, 0x42, 0xe8]);
  writeFileSync(path.join(dir, 'xor.dat'), key);
  const per = Math.ceil(order.length / files);
  for (let f = 0; f < files; f++) {
    // Core preallocates blk files: zeros after the last block must be skipped.
    const bytes = Buffer.concat([frameBlocks(order.slice(f * per, (f + 1) * per), magic), Buffer.alloc(4096)]);
    for (let i = 0; i < bytes.length; i++) bytes[i] ^= key[i & 7];
    writeFileSync(path.join(dir, `blk${String(f).padStart(5, '0')}.dat`), bytes);
  }
  return dir;
}

const SNAPSHOT = path.resolve('snapshots/regtest-h200.dat');

test('shuffled, obfuscated regtest blk files: the snapshot chainstate first, then background validation to the base', { skip: existsSync(SNAPSHOT) ? false : 'no snapshots/regtest-h200.dat' }, async () => {
  const params = getChainParams('regtest');
  const chain = buildH200Chain(215);
  const root = scratchDir();
  writeCoreBlocksDir(root, chain.blocks.map((b) => b.bytes), 3, params.messageStart);

  const m = await ChainstateManager.open({ datadir: scratchDir(), params, background: 'worker', now: () => 2_000_000_000 });
  for (const b of chain.blocks) m.processHeader(b.block.header);
  await m.loadSnapshot(SNAPSHOT);
  // A small window makes the source wait for background validation to move before feeding more.
  const source = new BlkDirSource(makeSink(m), root, { window: 16, batchBytes: 4096 });
  await source.start();
  await source.finished;
  assert.equal(source.status().state, 'done');
  await m.backgroundIdle();
  assert.equal(m.validity, 'validated');
  assert.equal(m.active.tip.height, 215);
  assert.equal(m.active.tip.key, hashToHex(chain.blocks[214].hash));
  // Blocks take a sequence number on arrival: every block above the base came before any below it.
  const seq = (h: number) => m.storage.index.get(chain.blocks[h - 1].hash)!.sequenceId;
  const above = Array.from({ length: 15 }, (_, i) => seq(201 + i));
  const below = Array.from({ length: 200 }, (_, i) => seq(1 + i));
  assert.ok(Math.max(...above) < Math.min(...below), 'snapshot chainstate served first');
  await source.stop();
  await m.close();
});

const SHIPPED_BLOCKS = path.resolve('snapshots/regtest-h200-blocks.dat');

test('one framed file (the demo\'s shipped blocks 1..210) is a source too', { skip: existsSync(SHIPPED_BLOCKS) ? false : 'no snapshots/regtest-h200-blocks.dat' }, async () => {
  const params = getChainParams('regtest');
  const m = await ChainstateManager.open({ datadir: scratchDir(), params, now: () => 2_000_000_000 });
  const source = new BlkDirSource(makeSink(m), SHIPPED_BLOCKS);
  await source.start();
  await source.finished;
  assert.equal(source.status().state, 'done');
  assert.equal(m.active.tip.height, 210);
  assert.equal(m.active.tip.key, hashToHex(buildH200Chain(210).blocks[209].hash));
  await source.stop();
  await m.close();
});
