/**
 * Validity levels in the block index, as Core's ConnectBlock leaves them: every block a chainstate connects
 * is raised to BLOCK_VALID_SCRIPTS, whether its scripts ran or assumevalid skipped them; the genesis block
 * (skipped by ConnectBlock) stays BLOCK_VALID_TRANSACTIONS; a snapshot's blocks at and below its base are not
 * raised until background validation connects them. The level is in the stored nStatus bits and survives
 * a restart.
 */
import assert from 'node:assert/strict';
import path from 'node:path';
import { after, test } from 'node:test';
import { pino } from 'pino';
import { assembleBlock, makeCoinbase, type GeneratedBlock } from '../../contrib/chaingen/blocks.js';
import { writeSnapshotOf } from '../../contrib/chaingen/snapshot.js';
import { BLOCK_VALID_MASK, BLOCK_VALID_SCRIPTS, BLOCK_VALID_TRANSACTIONS, encodeStatus } from '../../src/chain/block-status.js';
import { ChainstateManager } from '../../src/chain/chainstate-manager.js';
import { getChainParams, type ChainParams } from '../../src/consensus/params.js';
import { hashToHex } from '../../src/primitives/hash.js';
import { scratchDir } from '../helpers.js';
import { scriptChain, utxoAt } from './script-chain.js';

const regtest = getChainParams('regtest');
const far = () => 2_000_000_000;
const VERIFY_ALL = '0'.repeat(64);
const BASE = 120;

const live = new Set<ChainstateManager>();
after(async () => {
  for (const m of live) await m.close().catch(() => {});
});

async function open(datadir: string, assumeValid: string, opts: { params?: ChainParams; background?: 'in-process' | 'worker'; lines?: string[] } = {}): Promise<ChainstateManager> {
  const lines = opts.lines;
  const log = lines && pino({ level: 'info' }, { write: (s: string) => void lines.push(JSON.parse(s).msg as string) });
  const m = await ChainstateManager.open({ datadir, params: opts.params ?? regtest, now: far, scriptThreads: 1, assumeValid, log, background: opts.background ?? 'in-process' });
  live.add(m);
  return m;
}

async function close(m: ChainstateManager): Promise<void> {
  await m.close();
  live.delete(m);
}

/** The stored validity bits (Core's nStatus & BLOCK_VALID_MASK) of each block, by height (0: genesis). */
function levels(m: ChainstateManager, blocks: GeneratedBlock[]): number[] {
  const index = m.storage.index;
  return [index.genesis, ...blocks.map((b) => index.get(b.hash)!)].map((e) => encodeStatus(e.status) & BLOCK_VALID_MASK);
}

function expected(n: number, from: number, level: number): number[] {
  return Array.from({ length: n + 1 }, (_, h) => (h === 0 ? BLOCK_VALID_TRANSACTIONS : h >= from ? level : BLOCK_VALID_TRANSACTIONS));
}

test('connected blocks are BLOCK_VALID_SCRIPTS with -assumevalid=0, the genesis block stays TRANSACTIONS, and both survive a restart', async () => {
  const { blocks } = scriptChain();
  const datadir = scratchDir();
  const m = await open(datadir, VERIFY_ALL);
  for (const b of blocks) await m.processBlock(b.bytes);
  assert.equal(m.active.height, blocks.length);
  assert.deepEqual(levels(m, blocks), expected(blocks.length, 1, BLOCK_VALID_SCRIPTS));
  await close(m);

  const again = await open(datadir, VERIFY_ALL);
  assert.equal(again.active.height, blocks.length);
  assert.deepEqual(levels(again, blocks), expected(blocks.length, 1, BLOCK_VALID_SCRIPTS));
});

test('blocks whose scripts assumevalid skipped are raised to BLOCK_VALID_SCRIPTS too (Core raises unconditionally)', async () => {
  const { blocks } = scriptChain();
  const tip = blocks[blocks.length - 1];
  const lines: string[] = [];
  const m = await open(scratchDir(), hashToHex(tip.hash), { lines });
  for (const b of blocks) m.processHeader(b.block.header);
  // Two weeks of regtest work past the assumevalid block: its ancestors' scripts are skipped.
  let prev = tip;
  for (let h = tip.height + 1; h <= tip.height + 2030; h++) {
    const next = assembleBlock({ height: h, prevHash: prev.hash, time: prev.block.header.time + 1, version: 0x20000000, coinbase: makeCoinbase({ height: h, outputs: [{ value: 0, script: Uint8Array.of(0x51) }] }) });
    m.processHeader(next.block.header);
    prev = next;
  }
  for (const b of blocks) await m.processBlock(b.bytes);
  assert.equal(m.active.height, blocks.length);
  assert.ok(lines.includes(`Disabling script verification at block #1 (${hashToHex(blocks[0].hash)}).`));
  assert.deepEqual(levels(m, blocks), expected(blocks.length, 1, BLOCK_VALID_SCRIPTS));
});

for (const background of ['in-process', 'worker'] as const) {
  test(`${background}: a snapshot's blocks up to its base are raised only when background validation connects them`, async () => {
    const { blocks } = scriptChain();
    const datadir = scratchDir();
    const { utxo, hash, chainTxCount } = utxoAt(blocks, BASE);
    const file = path.join(datadir, 'snapshot.dat');
    writeSnapshotOf(utxo, file, regtest.messageStart, blocks[BASE - 1].hash);
    const params = getChainParams('regtest', { assumeutxo: [`${BASE}:${hashToHex(blocks[BASE - 1].hash)}:${hash}:${chainTxCount}`] });
    const m = await open(datadir, VERIFY_ALL, { params, background });
    for (const b of blocks) m.processHeader(b.block.header);
    await m.loadSnapshot(file);
    for (const b of blocks.slice(BASE)) await m.processBlock(b.bytes);
    assert.equal(m.active.height, blocks.length);
    const snapshotOnly = levels(m, blocks);
    assert.ok(snapshotOnly.slice(1, BASE + 1).every((l) => l < BLOCK_VALID_SCRIPTS), `below the base: ${snapshotOnly.slice(1, BASE + 1)}`);
    assert.deepEqual(snapshotOnly.slice(BASE + 1), blocks.slice(BASE).map(() => BLOCK_VALID_SCRIPTS));

    for (const b of blocks.slice(0, BASE)) await m.processBlock(b.bytes);
    await m.backgroundIdle();
    assert.equal(m.validity, 'validated');
    assert.deepEqual(levels(m, blocks), expected(blocks.length, 1, BLOCK_VALID_SCRIPTS));
    await close(m);

    const again = await open(datadir, VERIFY_ALL, { params, background });
    assert.deepEqual(levels(again, blocks), expected(blocks.length, 1, BLOCK_VALID_SCRIPTS));
  });
}
