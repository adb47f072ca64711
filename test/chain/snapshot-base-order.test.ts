/**
 * Issue 11 item 8: `base_blockhash` is written only once Core's final work check passed, and a snapshot
 * directory that cannot be removed after a refusal is fatal (Core's cleanup_bad_snapshot). The removal
 * is made to fail for real: `chainstate_snapshot/base_blockhash` is made an immutable directory (chattr +i,
 * which works for root; the test skips where chattr is refused). Writing base_blockhash there fails too,
 * so a write that came before the check would show as a different refusal.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { buildH200Chain } from '../../contrib/chaingen/spec-chains.js';
import { getChainParams } from '../../src/consensus/params.js';
import { ChainstateManager, FatalError } from '../../src/chain/chainstate-manager.js';
import { snapshotChainstateDir } from '../../src/chain/chainstate-dirs.js';
import { SnapshotActivationError } from '../../src/chain/snapshot-activation.js';
import { scratchDir } from '../helpers.js';

const params = getChainParams('regtest');
const SNAPSHOT = path.resolve('snapshots/regtest-h200.dat');
const far = () => 2_000_000_000;
const chain = buildH200Chain(200);

function chattrWorks(): boolean {
  const dir = scratchDir('chainsnap-chattr-');
  const probe = path.join(dir, 'probe');
  mkdirSync(probe);
  const ok = spawnSync('chattr', ['+i', probe]).status === 0;
  if (ok) spawnSync('chattr', ['-i', probe]);
  return ok;
}

const skip = !existsSync(SNAPSHOT) ? 'no snapshots/regtest-h200.dat' : !chattrWorks() ? 'chattr +i is not available here' : false;

test('final work check before base_blockhash; a snapshot dir that cannot be removed is fatal', { skip }, async () => {
  const datadir = scratchDir('chainsnap-base-order-');
  const m = await ChainstateManager.open({ datadir, params, background: 'in-process', now: far });
  const dir = snapshotChainstateDir(datadir);
  const pin = path.join(dir, 'base_blockhash');
  try {
    for (const b of chain.blocks) m.processHeader(b.block.header);
    const connecting: Array<Promise<unknown>> = [];
    const load = m.loadSnapshot(SNAPSHOT, () => {
      if (connecting.length) return;
      // While the coins load, the active chain reaches the base: the final check must refuse. These
      // blocks are queued before the activation step, so they are connected when it runs.
      mkdirSync(pin);
      execFileSync('chattr', ['+i', pin]);
      for (const b of chain.blocks) connecting.push(m.processBlock(b.bytes));
    });
    await assert.rejects(load, (e: unknown) => {
      assert.ok(e instanceof SnapshotActivationError);
      assert.equal(e.message, 'work does not exceed active chainstate');
      return true;
    });
    await Promise.all(connecting);
    assert.ok(m.fatal instanceof FatalError, 'a directory left behind stops the node');
    assert.equal(m.fatal.message, `Failed to remove snapshot chainstate dir (${dir}). Manually remove it before restarting.`);
    assert.ok(existsSync(dir), 'the directory is still there');
    await assert.rejects(m.processBlock(chain.blocks[0].bytes), FatalError);
  } finally {
    spawnSync('chattr', ['-i', pin]);
    await m.close();
  }
  // The operator removes the directory as told; the next start is on the node's own chain.
  rmSync(dir, { recursive: true, force: true });
  const again = await ChainstateManager.open({ datadir, params, background: 'in-process', now: far });
  try {
    assert.equal(again.active.height, 200);
    assert.equal(again.snapshotBase, undefined);
  } finally {
    await again.close();
  }
});
