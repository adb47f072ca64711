/**
 * Issue 11 item 3: an error in background validation is never silent. A block record the background
 * chainstate cannot read back (a flipped magic byte in blk00000.dat) is Core's fatal "Failed to read
 * block.": logged, shown in backgroundStatus(), and every later call refuses — with the worker and in-process.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, openSync, readSync, writeSync, closeSync } from 'node:fs';
import path from 'node:path';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { buildH200Chain } from '../../contrib/chaingen/spec-chains.js';
import { getChainParams } from '../../src/consensus/params.js';
import { BlockStorage } from '../../src/chain/block-storage.js';
import { ChainstateManager, FatalError } from '../../src/chain/chainstate-manager.js';
import { scratchDir } from '../helpers.js';

const params = getChainParams('regtest');
const SNAPSHOT = path.resolve('snapshots/regtest-h200.dat');
const skip = existsSync(SNAPSHOT) ? false : 'no snapshots/regtest-h200.dat';
const far = () => 2_000_000_000;
const chain = buildH200Chain(200);

/** A logger whose lines the test can read. */
function capture(): { log: pino.Logger; lines: string[] } {
  const lines: string[] = [];
  const stream = new Writable({ write: (chunk, _enc, done) => (lines.push(String(chunk)), done()) });
  return { log: pino({ level: 'info' }, stream), lines };
}

for (const background of ['worker', 'in-process'] as const) {
  test(`a block the background chainstate cannot read is fatal, logged and shown in its status (${background})`, { skip }, async () => {
    const datadir = scratchDir('chainsnap-bg-error-');
    // The snapshot is active with every header but no block yet.
    let m = await ChainstateManager.open({ datadir, params, background, now: far });
    for (const b of chain.blocks) m.processHeader(b.block.header);
    await m.loadSnapshot(SNAPSHOT);
    await m.close();
    // Blocks 1..200 stored without a manager, so none is connected yet; block 100's record is damaged.
    const storage = await BlockStorage.open(datadir, params, { now: far });
    for (const b of chain.blocks) await storage.acceptBlock(b.bytes);
    const pos = storage.index.get(chain.blocks[99].hash)!.dataPos!;
    await storage.close();
    const blk = path.join(datadir, 'blocks', `blk${String(pos.file).padStart(5, '0')}.dat`);
    const fd = openSync(blk, 'r+');
    const byte = Buffer.alloc(1);
    readSync(fd, byte, 0, 1, pos.offset - 8);
    byte[0] ^= 0xff;
    writeSync(fd, byte, 0, 1, pos.offset - 8);
    closeSync(fd);

    const { log, lines } = capture();
    m = await ChainstateManager.open({ datadir, params, background, now: far, log });
    try {
      await m.backgroundIdle();
      assert.ok(m.fatal instanceof FatalError, 'the node stops');
      assert.equal(m.fatal.message, 'Failed to read block.');
      const status = m.backgroundStatus();
      assert.equal(status?.error, 'Failed to read block.');
      assert.equal(status?.height, 99, 'validated up to the damaged block');
      assert.ok(lines.some((l) => l.includes('*** Failed to read block.') && l.includes('Block magic mismatch')), 'logged with its cause');
      await assert.rejects(m.processBlock(chain.blocks[0].bytes), FatalError);
    } finally {
      await m.close();
    }
  });
}
