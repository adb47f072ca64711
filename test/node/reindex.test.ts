/**
 * -reindex-chainstate's wipe (src/node/reindex.ts) on a real datadir: the coins databases go, the block
 * index and block files stay, and the engine opened afterwards connects every stored block again from
 * genesis, so the assumevalid decision is logged again from block 1 (feature_assumevalid.py relies on it).
 */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync } from 'node:fs';
import { after, test } from 'node:test';
import { pino } from 'pino';
import { chainstateDir, snapshotChainstateDir } from '../../src/chain/chainstate-dirs.js';
import { ChainstateManager } from '../../src/chain/chainstate-manager.js';
import { getChainParams } from '../../src/consensus/params.js';
import { hashToHex } from '../../src/primitives/hash.js';
import { wipeChainstates } from '../../src/node/reindex.js';
import { scratchDir } from '../helpers.js';
import { scriptChain } from '../chain/script-chain.js';

const params = getChainParams('regtest');
const far = () => 2_000_000_000;

const live = new Set<ChainstateManager>();
after(async () => {
  for (const m of live) await m.close().catch(() => {});
});

function capture(): { log: pino.Logger; lines: string[] } {
  const lines: string[] = [];
  return { log: pino({ level: 'info' }, { write: (s: string) => void lines.push(JSON.parse(s).msg as string) }), lines };
}

test('-reindex-chainstate: both chainstates are wiped and the stored blocks are connected again from genesis', async () => {
  const { blocks } = scriptChain();
  const datadir = scratchDir();
  const m = await ChainstateManager.open({ datadir, params, now: far, scriptThreads: 1, assumeValid: '0'.repeat(64), background: 'in-process' });
  live.add(m);
  for (const b of blocks) await m.processBlock(b.bytes);
  await m.close();
  live.delete(m);
  // A leftover snapshot chainstate goes too, as in Core ("[snapshot] deleting snapshot chainstate due to reindexing").
  mkdirSync(snapshotChainstateDir(datadir));

  const { log, lines } = capture();
  wipeChainstates(datadir, log);
  assert.ok(!existsSync(snapshotChainstateDir(datadir)));
  assert.ok(!existsSync(chainstateDir(datadir)));
  assert.ok(lines.includes('[snapshot] deleting snapshot chainstate due to reindexing'));
  assert.ok(lines.includes(`Wiping LevelDB in ${chainstateDir(datadir)}`));

  const again = await ChainstateManager.open({ datadir, params, now: far, scriptThreads: 1, assumeValid: '1234567890abcdef'.repeat(4), background: 'in-process', log });
  live.add(again);
  assert.equal(again.active.height, blocks.length);
  assert.ok(lines.includes(`Enabling script verification at block #1 (${hashToHex(blocks[0].hash)}): assumevalid hash not in headers.`));
});
