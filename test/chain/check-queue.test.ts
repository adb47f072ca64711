/**
 * The check queue on its own: Core's -par arithmetic, and the same verdicts inline and on workers for a
 * real mainnet block's inputs (all pass) and for the same block with one amount changed (which breaks the
 * BIP143/BIP341 signature hashes of that input): Core's reason, whatever the thread count or batch size;
 * -par's threads shared with a background chainstate, lent to it while the active one has no block, then
 * given back; and the wake-ups between a sleeping worker and a waiting caller.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { after, test } from 'node:test';
import { CONTROL_WORDS, Q_ACTIVE, Q_SLEEPING } from '../../src/chain/check-batch.js';
import { CheckQueue, scriptCheckWorkers } from '../../src/chain/check-queue.js';
import { blockScriptFlags } from '../../src/chain/connect-block.js';
import { getChainParams } from '../../src/consensus/params.js';
import { ValidationError } from '../../src/consensus/validation-error.js';
import { blockHash, parseBlock } from '../../src/primitives/block.js';
import { fromHex } from '../../src/primitives/bytes.js';
import type { TxOut } from '../../src/primitives/transaction.js';
import { splitScriptThreads } from '../../src/chain/worker-background.js';
import { vector } from '../helpers.js';

const HEIGHT = 866342;
const RAW = vector('mainnet', `block-${HEIGHT}.raw`);
const SPENT = vector('mainnet', `block-${HEIGHT}-spent.json`);
const skip = existsSync(RAW) && existsSync(SPENT) ? false : `mainnet block ${HEIGHT} and its spent outputs not found`;

test("-par: Core's meaning (0 = one thread per core, <0 = leave cores free, at most 15 workers)", () => {
  assert.equal(scriptCheckWorkers(0, 2), 1);
  assert.equal(scriptCheckWorkers(0, 8), 7);
  assert.equal(scriptCheckWorkers(1, 8), 0);
  assert.equal(scriptCheckWorkers(2, 8), 1);
  assert.equal(scriptCheckWorkers(-1, 8), 6);
  assert.equal(scriptCheckWorkers(-10, 8), 0);
  assert.equal(scriptCheckWorkers(64, 8), 15);
  assert.equal(scriptCheckWorkers(0, 64), 15);
});

const queues: CheckQueue[] = [];
after(async () => {
  for (const q of queues) await q.close();
});

function load(raw = RAW, spentJson = SPENT, height = HEIGHT) {
  const block = parseBlock(readFileSync(raw));
  const coins = (JSON.parse(readFileSync(spentJson, 'utf8')) as { txout: { value: number; script_pubkey: string } }[]).map((c) => ({ value: c.txout.value, script: fromHex(c.txout.script_pubkey) }));
  const spent: TxOut[][] = [];
  let k = 0;
  for (const tx of block.txs.slice(1)) spent.push(coins.slice(k, (k += tx.inputs.length)));
  return { block, spent, flags: blockScriptFlags(height, blockHash(block.header), getChainParams('main')) };
}

/** The block with a segwit input late in it spending one satoshi more than its output holds (which breaks its BIP143/BIP341 signature hash). */
function withBadAmount(b: ReturnType<typeof load>): { bad: ReturnType<typeof load>; changed: number } {
  let t = b.spent.length - 1;
  while (b.block.txs[t + 1].inputs[0].witness.length === 0) t--;
  return { bad: { ...b, spent: b.spent.map((s, i) => (i === t ? s.map((o, j) => (j === 0 ? { ...o, value: o.value + 1 } : o)) : s)) }, changed: t };
}

async function verdict(queue: CheckQueue, b: ReturnType<typeof load>): Promise<string | undefined> {
  const s = queue.session();
  try {
    b.block.txs.slice(1).forEach((tx, i) => s.add(tx, b.spent[i], b.flags));
    await s.complete();
    return undefined;
  } catch (e) {
    if (!(e instanceof ValidationError)) throw e;
    return `${e.reason} | ${e.debug}`;
  }
}

test(`mainnet block ${HEIGHT}: the same verdicts inline and on workers`, { skip }, async () => {
  const b = load();
  const { bad, changed } = withBadAmount(b);
  assert.ok(b.block.txs[changed + 1].inputs[0].witness.length > 0, 'the changed input spends a segwit output');
  const answers: (string | undefined)[][] = [];
  // deferInputs 2: every transaction of two inputs or more is sorted into batches late, inside later ones' batches.
  for (const [workers, batchSize, deferInputs] of [[0, 128, 4096], [1, 128, 4096], [2, 16, 4096], [1, 16, 2]]) {
    const q = new CheckQueue({ workers, batchSize, deferInputs });
    queues.push(q);
    answers.push([await verdict(q, b), await verdict(q, bad)]);
  }
  assert.equal(answers[0][0], undefined);
  assert.match(answers[0][1]!, /^block-script-verify-flag-failed \(.+\) \| input 0 of [0-9a-f]{64} \(wtxid [0-9a-f]{64}\), spending [0-9a-f]{64}:\d+$/);
  for (const a of answers.slice(1)) assert.deepEqual(a, answers[0]);
});

test("-par shared while a background chainstate runs: the active one keeps the larger half, and gets it all back", { skip }, async () => {
  assert.deepEqual(splitScriptThreads(0), { active: 0, background: 0 });
  assert.deepEqual(splitScriptThreads(1), { active: 0, background: 0 }); // -par=2: one thread each
  assert.deepEqual(splitScriptThreads(3), { active: 1, background: 1 }); // -par=4: two threads each
  assert.deepEqual(splitScriptThreads(4), { active: 2, background: 1 });
  assert.deepEqual(splitScriptThreads(15), { active: 7, background: 7 });

  const b = load();
  const q = new CheckQueue({ workers: 2 });
  queues.push(q);
  assert.equal(await verdict(q, b), undefined);
  q.setActiveWorkers(splitScriptThreads(q.workers).active);
  assert.equal(q.activeWorkers, 1);
  assert.equal(await verdict(q, b), undefined);
  q.setActiveWorkers(0);
  assert.equal(q.hasThreads, false, 'no worker left: the checks run inline');
  assert.equal(await verdict(q, b), undefined);
  q.setActiveWorkers(q.workers);
  assert.equal(q.activeWorkers, 2);
  assert.equal(await verdict(q, b), undefined);
});

test('session buffers reused block after block: a failed, a cancelled and an overlapping session leave no trace in the next verdicts', { skip }, async () => {
  const b = load();
  const { bad } = withBadAmount(b);
  const expected = await verdict(new CheckQueue({ workers: 0 }), bad);
  const q = new CheckQueue({ workers: 1, batchSize: 16 });
  queues.push(q);
  for (let round = 0; round < 3; round++) {
    assert.equal(await verdict(q, bad), expected);
    // Cancelled while the worker may still hold batches of it: its buffers must not serve the next block under it.
    const cancelled = q.session();
    b.block.txs.slice(1).forEach((tx, i) => cancelled.add(tx, b.spent[i], b.flags));
    cancelled.cancel();
    // Two blocks at once (two chainstates), each with its own buffers.
    const [good, worse] = await Promise.all([verdict(q, b), verdict(q, bad)]);
    assert.equal(good, undefined);
    assert.equal(worse, expected);
  }
});

test('the active queue lends its idle share to a background queue, and takes it back while it checks a block: the same verdicts lent, taken back, and taken back mid-block', { skip, timeout: 120_000 }, async () => {
  const b = load();
  const { bad } = withBadAmount(b);
  const expected = await verdict(new CheckQueue({ workers: 0 }), bad);
  // -par=2 while a background chainstate runs: each chainstate's own thread, and the background's one worker
  // takes work only while the active chainstate has no block to check.
  const control = new SharedArrayBuffer(CONTROL_WORDS * 4);
  const lent = new Int32Array(control);
  const active = new CheckQueue({ workers: 0 });
  active.lendIdleThreads({ control, whileBusy: 0, whileIdle: 1 });
  assert.equal(Atomics.load(lent, Q_ACTIVE), 1, 'set before the background queue exists');
  const background = new CheckQueue({ workers: 1, control });
  queues.push(active, background);
  assert.equal(Atomics.load(lent, Q_ACTIVE), 1, 'a queue on control words from elsewhere leaves their active count alone');

  // The active chainstate's blocks: its share comes back while each is checked, and goes out again after.
  const one = active.session();
  const two = active.session();
  assert.equal(Atomics.load(lent, Q_ACTIVE), 0);
  b.block.txs.slice(1).forEach((tx, i) => one.add(tx, b.spent[i], b.flags));
  await one.complete();
  assert.equal(Atomics.load(lent, Q_ACTIVE), 0, 'another block is still being checked');
  two.cancel();
  assert.equal(Atomics.load(lent, Q_ACTIVE), 1);
  assert.equal(await verdict(active, bad), expected);
  assert.equal(Atomics.load(lent, Q_ACTIVE), 1, 'a failed block ends its checks too');

  for (let round = 0; round < 3; round++) {
    // The background's blocks with its worker lent, taken back, and taken back in the middle of a block.
    for (const [block, answer] of [[b, undefined], [bad, expected]] as const) {
      assert.equal(await verdict(background, block), answer);
      const busy = active.session();
      assert.equal(await verdict(background, block), answer, 'the worker lent away: the calling thread checks everything');
      busy.cancel();
      const pending = verdict(background, block);
      const midway = active.session();
      assert.equal(Atomics.load(lent, Q_ACTIVE), 0);
      assert.equal(await pending, answer, 'taken back mid-block');
      midway.cancel();
    }
  }
  assert.equal(Atomics.load(lent, Q_ACTIVE), 1);
  active.stopLending(new SharedArrayBuffer(CONTROL_WORDS * 4));
  const still = active.session();
  assert.equal(Atomics.load(lent, Q_ACTIVE), 0, "another queue's lending ended, not this one's");
  still.cancel();
  assert.equal(Atomics.load(lent, Q_ACTIVE), 1);
  active.stopLending(control);
  const after = active.session();
  assert.equal(Atomics.load(lent, Q_ACTIVE), 1, 'lending ended: the active queue no longer sets it');
  after.cancel();
});

test('a worker asleep between blocks is woken by the next block, and the caller by its last batch or a failure (every batch on the worker)', { skip, timeout: 120_000 }, async () => {
  const b = load();
  const { bad } = withBadAmount(b);
  const expected = await verdict(new CheckQueue({ workers: 0 }), bad);
  // The caller takes no batch: a wake-up lost on either side would leave the block waiting for ever.
  const q = new CheckQueue({ workers: 1, callerChecks: false });
  queues.push(q);
  for (let round = 0; round < 3; round++) {
    for (const [block, answer] of [[b, undefined], [bad, expected]] as const) {
      if (round > 0) while (Atomics.load(q.control, Q_SLEEPING) === 0) await new Promise((r) => setTimeout(r, 1));
      assert.equal(await verdict(q, block), answer);
    }
  }
});

const BIG = 367891;
const BIG_RAW = vector('mainnet', `block-${BIG}.raw`);
const BIG_SPENT = vector('mainnet', `block-${BIG}-spent.json`);
const skipBig = existsSync(BIG_RAW) && existsSync(BIG_SPENT) ? false : `mainnet block ${BIG} and its spent outputs not found`;

test(`a transaction too large for a fresh copy of its spent outputs (block ${BIG}, 20,000 inputs): the copy kept between blocks never carries one block's outputs into another`, { skip: skipBig, timeout: 120_000 }, async () => {
  const b = load(BIG_RAW, BIG_SPENT, BIG);
  const t = b.block.txs.slice(1).findIndex((tx) => tx.inputs.length === 20_000);
  assert.ok(t >= 0, 'the block has its 20,000-input transaction');
  // Input 12,345 of it spends OP_RETURN instead of its empty script.
  const bad = { ...b, spent: b.spent.map((s, i) => (i === t ? s.map((o, j) => (j === 12_345 ? { ...o, script: Uint8Array.of(0x6a) } : o)) : s)) };
  const expected = await verdict(new CheckQueue({ workers: 0 }), bad);
  assert.match(expected!, /^block-script-verify-flag-failed \(OP_RETURN was encountered\) \| input 12345 of /);
  const q = new CheckQueue({ workers: 1 });
  queues.push(q);
  for (let round = 0; round < 3; round++) {
    assert.equal(await verdict(q, bad), expected);
    assert.equal(await verdict(q, b), undefined);
    // ConnectBlock reuses its array: the session's copy must not follow it.
    const s = q.session();
    b.block.txs.slice(1).forEach((tx, i) => {
      const reused = [...(i === t ? bad.spent[i] : b.spent[i])];
      s.add(tx, reused, b.flags);
      reused.fill(b.spent[i][0]);
    });
    await assert.rejects(s.complete(), (e: Error) => e instanceof ValidationError && `${e.reason} | ${e.debug}` === expected);
    // Two blocks at once (two chainstates), both added before either is checked: each its own copy.
    const [s1, s2] = [q.session(), q.session()];
    b.block.txs.slice(1).forEach((tx, i) => s1.add(tx, b.spent[i], b.flags));
    bad.block.txs.slice(1).forEach((tx, i) => s2.add(tx, bad.spent[i], bad.flags));
    await s1.complete();
    await assert.rejects(s2.complete(), (e: Error) => e instanceof ValidationError && `${e.reason} | ${e.debug}` === expected);
  }
});
