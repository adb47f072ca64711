/**
 * Block storage crash safety (the store behind every chainstate, spec assumeutxo.md §7 "Shutdown at any phase
 * must resume"): an index entry must never be made durable before the block data it points at. A child
 * process persists while a block is being stored and is SIGKILLed right after; on reopening, every block the
 * index says is stored must read back as itself, and storing the next block must not overwrite it.
 *
 * (Found by crash-lifecycle.test.ts: the in-process background chainstate flushes, i.e. persists, while the
 * main thread stores blocks.)
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { buildH200Chain } from '../../contrib/chaingen/spec-chains.js';
import { getChainParams } from '../../src/consensus/params.js';
import { blockHash } from '../../src/primitives/block.js';
import { hashToHex } from '../../src/primitives/hash.js';
import { BlockStorage } from '../../src/chain/block-storage.js';
import { scratchDir } from '../helpers.js';

const RUNNER = fileURLToPath(new URL('./fixtures/crash-persist-runner.js', import.meta.url));
const chain = buildH200Chain(3);

const RUNS = 10;

test('a block stored while the index is being persisted, then SIGKILL: no index entry points at data a later block overwrites', async (t) => {
  let interleaved = 0;
  for (let run = 1; run <= RUNS; run++) {
    const datadir = scratchDir('chainsnap-crash-persist-');
    const r = spawnSync(process.execPath, [RUNNER, datadir], { encoding: 'utf8', timeout: 30_000 });
    assert.equal(r.signal, 'SIGKILL', `the runner should die by SIGKILL: ${r.stderr}`);
    if (r.stdout.trim() === 'interleaved') interleaved++;
    await checkAfterCrash(datadir, `run ${run}`);
  }
  t.diagnostic(`block 2 was stored during the persist in ${interleaved} of ${RUNS} runs`);
  assert.ok(interleaved > 0, 'the runs never stored a block during a persist');
});

async function checkAfterCrash(datadir: string, run: string): Promise<void> {

  const params = getChainParams('regtest');
  const storage = await BlockStorage.open(datadir, params, { now: () => 2_000_000_000 });
  try {
    // Whatever the index kept must be intact, now and after more blocks are appended.
    const check = async (when: string) => {
      for (const b of chain.blocks.slice(0, 3)) {
        const e = storage.index.get(b.hash);
        if (!e?.status.haveData) continue;
        const got = hashToHex(blockHash((await storage.readBlock(e)).header));
        assert.equal(got, hashToHex(b.hash), `${run}, ${when}: the index says block ${b.height} is stored, but its position holds block ${got}`);
      }
    };
    await check('after the crash');
    // The node goes on: block 2 again if the index lost it, then block 3.
    for (const b of chain.blocks.slice(1, 3)) await storage.acceptBlock(b.bytes);
    await check('after storing the next blocks');
  } finally {
    await storage.close();
  }
}
