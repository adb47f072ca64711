/**
 * Script validation in the engine, with the real interpreter: a generated regtest chain with real signatures
 * (P2PKH, P2PK compressed and uncompressed, bare multisig, P2SH-P2WPKH, P2WPKH, P2WSH, P2TR key path)
 * connects under -assumevalid=0 with checks inline (-par=1) and on a worker thread (-par=2); the same chain
 * with one bad signature at height N stops at N-1 with Core's reason, N marked invalid; assumevalid skips
 * that block only under Core's conditions; a script-check worker killed in the middle of a block fails the
 * block with an internal error (not invalid), and the next attempt connects it.
 */
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { pino, type Logger } from 'pino';
import { assembleBlock, makeCoinbase } from '../../contrib/chaingen/blocks.js';
import { ChainstateManager } from '../../src/chain/chainstate-manager.js';
import { isFailed } from '../../src/chain/block-status.js';
import { CheckQueue, CheckQueueError } from '../../src/chain/check-queue.js';
import { connectBlockChecked } from '../../src/chain/connect-block.js';
import { computeChainstateStats } from '../../src/coins/coins-stats.js';
import { getChainParams } from '../../src/consensus/params.js';
import { blockHash } from '../../src/primitives/block.js';
import { hashToHex } from '../../src/primitives/hash.js';
import { txid, wtxid } from '../../src/primitives/transaction.js';
import { scratchDir } from '../helpers.js';
import { ChainDriver } from './map-view.js';
import { scriptChain, tamperedChain } from './script-chain.js';

const params = getChainParams('regtest');
const far = () => 2_000_000_000;
const VERIFY_ALL = '0'.repeat(64);
const BAD = 110;
const EVAL_FALSE = 'block-script-verify-flag-failed (Script evaluated without error but finished with a false/empty top stack element)';

const live = new Set<ChainstateManager | CheckQueue>();
after(async () => {
  for (const x of live) await x.close().catch(() => {});
});

function capture(): { log: Logger; lines: string[] } {
  const lines: string[] = [];
  return { log: pino({ level: 'info' }, { write: (s: string) => void lines.push(JSON.parse(s).msg as string) }), lines };
}

async function open(scriptThreads: number, assumeValid: string | undefined, log?: Logger, p = params): Promise<ChainstateManager> {
  const m = await ChainstateManager.open({ datadir: scratchDir(), params: p, now: far, scriptThreads, assumeValid, log, background: 'in-process' });
  live.add(m);
  return m;
}

async function utxoHash(m: ChainstateManager): Promise<string> {
  await m.flush();
  return hashToHex((await computeChainstateStats(m.active.db)).hashSerialized3);
}

for (const threads of [1, 2]) {
  test(`-par=${threads}: a signed chain of every spend kind validates with -assumevalid=0`, async () => {
    const chain = scriptChain();
    assert.ok(chain.counts.signedInputs > 100);
    const { log, lines } = capture();
    const m = await open(threads, VERIFY_ALL, log);
    for (const b of chain.blocks) await m.processBlock(b.bytes);
    assert.equal(m.active.height, chain.blocks.length);
    assert.equal(await utxoHash(m), hashToHex(chain.utxo.stats().hashSerialized3));
    assert.ok(lines.includes('Validating signatures for all blocks.'));
    assert.ok(lines.includes(`Script verification uses ${threads - 1} additional threads`));
    assert.ok(lines.includes(`Enabling script verification at block #1 (${hashToHex(chain.blocks[0].hash)}): assumevalid=0 (always verify).`));
  });

  test(`-par=${threads}: a bad signature at height ${BAD} is refused with Core's reason; the chain stays at ${BAD - 1}`, async () => {
    const bad = tamperedChain(BAD);
    const { log, lines } = capture();
    // Regtest's default is Core's: nothing is assumed valid.
    const m = await open(threads, undefined, log);
    for (const b of bad.blocks.slice(0, BAD)) await m.processBlock(b.bytes);
    assert.equal(m.active.height, BAD - 1);
    await assert.rejects(m.processBlock(bad.blocks[BAD].bytes), { reason: 'bad-prevblk' });
    const entry = m.storage.index.get(bad.blocks[BAD - 1].hash)!;
    assert.ok(isFailed(entry.status));
    const tx = bad.blocks[BAD - 1].block.txs[bad.txIndex];
    const p = tx.inputs[bad.inputIndex].prevout;
    const debug = `input ${bad.inputIndex} of ${hashToHex(txid(tx))} (wtxid ${hashToHex(wtxid(tx))}), spending ${hashToHex(p.txid)}:${p.vout}`;
    // Core's lines, in its order: ConnectBlock's, InvalidChainFound's, ConnectTip's.
    const at = lines.indexOf(`Block validation error: ${EVAL_FALSE}, ${debug}`);
    assert.ok(at >= 0, lines.join('\n'));
    assert.ok(lines[at + 1].startsWith(`InvalidChainFound: invalid block=${entry.key}  height=${entry.height}  log2_work=`), lines[at + 1]);
    assert.ok(lines[at + 2].startsWith(`InvalidChainFound:  current best=${entry.prev!.key}  height=${BAD - 1}  log2_work=`), lines[at + 2]);
    assert.equal(lines[at + 3], `ConnectTip: ConnectBlock ${entry.key} failed, ${EVAL_FALSE}, ${debug}`);
  });
}

test('assumevalid skips the bad block only with two weeks of work on top; otherwise Core says why not', async () => {
  const bad = tamperedChain(BAD);
  const tip = bad.blocks[bad.blocks.length - 1];
  const avHash = hashToHex(tip.hash);

  // Too recent: 130 blocks are far less than two weeks of regtest work.
  const first = capture();
  const m1 = await open(2, avHash, first.log);
  for (const b of bad.blocks) m1.processHeader(b.block.header);
  for (const b of bad.blocks.slice(0, BAD)) await m1.processBlock(b.bytes);
  assert.equal(m1.active.height, BAD - 1);
  assert.ok(first.lines.includes(`Assuming ancestors of block ${avHash} have valid signatures.`));
  assert.ok(first.lines.includes(`Enabling script verification at block #1 (${hashToHex(bad.blocks[0].hash)}): block too recent relative to best header.`));

  // 2016 headers (two weeks at ten minutes) past the block, plus one: now its scripts are skipped, as Core does.
  const second = capture();
  const m2 = await open(2, avHash, second.log);
  for (const b of bad.blocks) m2.processHeader(b.block.header);
  let prev = tip;
  for (let h = tip.height + 1; h <= tip.height + 2030; h++) {
    const next = assembleBlock({ height: h, prevHash: prev.hash, time: prev.block.header.time + 1, version: 0x20000000, coinbase: makeCoinbase({ height: h, outputs: [{ value: 0, script: Uint8Array.of(0x51) }] }) });
    m2.processHeader(next.block.header);
    prev = next;
  }
  for (const b of bad.blocks) await m2.processBlock(b.bytes);
  assert.equal(m2.active.height, tip.height);
  assert.ok(second.lines.includes(`Disabling script verification at block #1 (${hashToHex(bad.blocks[0].hash)}).`));
});

test('a script-check worker killed in the middle of a block: an internal error, the view unchanged, the retry connects', async () => {
  const chain = scriptChain();
  const driver = new ChainDriver(params);
  driver.connect(params.genesis);
  const target = chain.blocks.reduce((best, b) => (b.block.txs.length > best.block.txs.length ? b : best));
  for (const b of chain.blocks.slice(0, target.height - 1)) driver.connect(b.block);
  const inputs = target.block.txs.slice(1).reduce((n, tx) => n + tx.inputs.length, 0);
  assert.ok(inputs >= 8, `block ${target.height} has ${inputs} inputs`);

  // The worker exits as it is about to run its first batch, so it dies holding checks; the calling thread
  // leaves every batch to it (else it could finish the block alone before the worker ever woke).
  const queue = new CheckQueue({ workers: 1, batchSize: 2, exitOnBatch: 1, callerChecks: false });
  live.add(queue);
  const height = target.height;
  const ctx = {
    height,
    prevHash: driver.hashes[height - 1],
    prevMedianTimePast: driver.mtps[height - 1],
    ancestorMedianTimePast: (h: number) => driver.mtps[h],
    ancestorHash: (h: number) => driver.hashes[h],
    params,
  };
  const before = hashToHex(driver.view.stats().hashSerialized3);
  await assert.rejects(connectBlockChecked(target.block, ctx, driver.view, queue.session()), (e) => e instanceof CheckQueueError && /script check thread exited/.test(e.message));
  assert.equal(hashToHex(driver.view.stats().hashSerialized3), before);
  assert.equal(hashToHex(driver.view.bestBlock()!), hashToHex(driver.hashes[height - 1]));

  // The pool replaced its worker: the same block now connects.
  const staged = await connectBlockChecked(target.block, ctx, driver.view, queue.session());
  staged.commit();
  assert.equal(hashToHex(driver.view.bestBlock()!), hashToHex(blockHash(target.block.header)));
});
