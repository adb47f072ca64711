/**
 * The manager's internal queue: a snapshot load holds it only for its flush and its state switch, so
 * blocks are processed while the coins load and in-memory reads answer; a second load is refused while
 * the first is under way; periodic flushes run while background validation works.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { after, test } from 'node:test';
import { buildH200Chain } from '../../contrib/chaingen/spec-chains.js';
import { getChainParams } from '../../src/consensus/params.js';
import { hashToHex } from '../../src/primitives/hash.js';
import { ChainstateManager } from '../../src/chain/chainstate-manager.js';
import { scratchDir } from '../helpers.js';

const params = getChainParams('regtest');
const SNAPSHOT = path.resolve('snapshots/regtest-h200.dat');
const skip = existsSync(SNAPSHOT) ? false : 'no snapshots/regtest-h200.dat';
const far = () => 2_000_000_000;
const chain = buildH200Chain(210);
const open = new Set<ChainstateManager>();
after(async () => {
  for (const m of open) await m.close().catch(() => {});
});

test('blocks are processed while a snapshot loads; a second load is refused meanwhile', { skip }, async () => {
  const m = await ChainstateManager.open({ datadir: scratchDir('chainsnap-concurrency-'), params, background: 'in-process', now: far });
  open.add(m);
  for (const b of chain.blocks) m.processHeader(b.block.header);
  const order: string[] = [];
  let during: Promise<unknown> | undefined;
  let second: Promise<unknown> | undefined;
  const load = m
    .loadSnapshot(SNAPSHOT, () => {
      if (during) return;
      // Called while the coins are being stored: in-memory reads answer, and a block queued now is done
      // before the load switches chainstates (the queue is free during population).
      assert.deepEqual(m.chainstates().map((c) => c.role), ['normal']);
      during = m.processBlock(chain.blocks[0].bytes).then(() => order.push('block'));
      second = m.loadSnapshot(SNAPSHOT).then(
        () => assert.fail('a second load went through'),
        (e: Error) => e,
      );
    })
    .then(() => order.push('load'));
  await load;
  await during;
  assert.deepEqual(order, ['block', 'load']);
  const refused = (await second) as Error;
  assert.deepEqual([refused.name, refused.message], ['SnapshotActivationError', "Can't activate a snapshot-based chainstate more than once"]);
  assert.deepEqual(m.chainstates().map((c) => [c.role, c.tip.height]), [['background', 1], ['snapshot', 200]]);

  // Periodic flushes between blocks while the background chainstate works on this thread.
  const flushes: Promise<void>[] = [];
  for (const b of chain.blocks.slice(1)) {
    void m.processBlock(b.bytes);
    flushes.push(m.flush());
  }
  await Promise.all(flushes);
  await m.backgroundIdle();
  assert.equal(m.validity, 'validated');
  assert.equal(m.active.tip.height, 210);
  assert.equal(hashToHex(m.active.db.bestBlock()!), m.active.tip.key, 'the last flush came after the last block');
  open.delete(m);
  await m.close();
});
