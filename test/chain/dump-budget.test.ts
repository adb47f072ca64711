/**
 * Issue 11 item 2: a rollback dump keeps its coins cache within the budget (Core's DisconnectTip with
 * FlushStateToDisk(IF_NEEDED)), and a dump that fails leaves no temp_utxo_<height> copy behind.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, truncateSync, statSync } from 'node:fs';
import path from 'node:path';
import { assembleBlock, makeCoinbase, type GeneratedBlock } from '../../contrib/chaingen/blocks.js';
import { getChainParams } from '../../src/consensus/params.js';
import { hexToHash } from '../../src/primitives/hash.js';
import { ChainstateManager } from '../../src/chain/chainstate-manager.js';
import { DumpError } from '../../src/chain/dump.js';
import { scratchDir } from '../helpers.js';

const params = getChainParams('regtest');
const far = () => 2_000_000_000;
const BLOCKS = 60;
const OUTPUTS = 3000;
const BUDGET = 1 << 20;

/** Blocks whose coinbases each create OUTPUTS coins: undoing them touches BLOCKS × OUTPUTS outpoints. */
function wideChain(): GeneratedBlock[] {
  const out: GeneratedBlock[] = [];
  let prev = hexToHash(params.genesisHash);
  for (let h = 1; h <= BLOCKS; h++) {
    const outputs = Array.from({ length: OUTPUTS }, () => ({ value: 0, script: Uint8Array.of(0x51) }));
    const b = assembleBlock({ height: h, prevHash: prev, time: params.genesis.header.time + h, version: 4, coinbase: makeCoinbase({ height: h, outputs }), commitment: 'never' });
    out.push(b);
    prev = b.hash;
  }
  return out;
}

const chain = wideChain();

async function node(datadir: string): Promise<ChainstateManager> {
  const m = await ChainstateManager.open({ datadir, params, dbcache: BUDGET, background: 'in-process', now: far });
  for (const b of chain) await m.processBlock(b.bytes);
  assert.equal(m.active.height, BLOCKS);
  return m;
}

const temps = (datadir: string) => readdirSync(datadir).filter((f) => f.startsWith('temp_utxo_'));

test('a rollback over many outpoints flushes as it goes and stays within the cache budget', async () => {
  const datadir = scratchDir('chainsnap-dump-budget-');
  const m = await node(datadir);
  try {
    let peak = 0;
    const r = await m.dumpTxoutSet(path.join(datadir, 'rolled.dat'), 'rollback', 1, (_d, _t, phase, bytes) => {
      if (phase === 'rolling-back') peak = Math.max(peak, bytes ?? Infinity);
    });
    assert.equal(r.base_height, 1);
    assert.equal(r.coins_written, OUTPUTS, 'only block 1 coinbase outputs are left');
    // One block's worth of coins may come on top of the budget before the flush that follows it.
    assert.ok(peak <= BUDGET * 1.5, `rollback cache peaked at ${peak} bytes with a budget of ${BUDGET}`);
    assert.deepEqual(temps(datadir), []);
  } finally {
    await m.close();
  }
});

test('a rollback that fails (undo data cut short) removes its temporary copy', async () => {
  const datadir = scratchDir('chainsnap-dump-fail-');
  const m = await node(datadir);
  try {
    const rev = path.join(datadir, 'blocks', 'rev00000.dat');
    truncateSync(rev, Math.floor(statSync(rev).size / 2));
    await assert.rejects(m.dumpTxoutSet(path.join(datadir, 'rolled.dat'), 'rollback', 1), (e: Error) => {
      assert.ok(!(e instanceof DumpError) || e.code === -1, e.message);
      return true;
    });
    assert.deepEqual(temps(datadir), []);
    assert.deepEqual(readdirSync(datadir).filter((f) => f.startsWith('rolled.dat')), []);
  } finally {
    await m.close();
  }
});
