/**
 * The BIP9 state machine against the transitions Core's versionbits.cpp makes, on chains of plain blocks:
 * regtest's testdummy (period 144, threshold 108, start 0) through started, locked_in and active; too few
 * signals; timeout; a minimum activation height; per-fork caching; statistics and getdeploymentinfo's view.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { getChainParams } from '../../src/consensus/params.js';
import {
  ALWAYS_ACTIVE,
  NEVER_ACTIVE,
  NO_TIMEOUT,
  VersionBitsCache,
  VERSIONBITS_TOP_BITS,
  type Bip9Deployment,
  type VersionBitsBlock,
  type VersionBitsDeployments,
} from '../../src/consensus/versionbits.js';

interface B extends VersionBitsBlock {
  readonly prev: B | undefined;
}

const SIGNAL = VERSIONBITS_TOP_BITS | (1 << 28);

/** A chain from genesis (time t0, one second apart); `version(h)` for every block after genesis. */
function chain(length: number, version: (h: number) => number, from?: B, t0 = 1_000): B[] {
  const out: B[] = [];
  let prev = from;
  const start = from ? from.height + 1 : 0;
  for (let h = start; h < start + length; h++) {
    const b: B = { height: h, header: { version: h === 0 ? 1 : version(h), time: t0 + h }, prev };
    out.push(b);
    prev = b;
  }
  return out;
}

function ancestor(b: B, height: number): B | undefined {
  if (height < 0 || height > b.height) return undefined;
  let e: B | undefined = b;
  while (e && e.height > height) e = e.prev;
  return e;
}

function deployments(testdummy: Partial<Bip9Deployment>): VersionBitsDeployments {
  const regtest = getChainParams('regtest').versionBits;
  return { testdummy: { ...regtest.testdummy, ...testdummy }, taproot: regtest.taproot };
}

test('regtest testdummy: defined until 143, started from 144, locked in at 288, active at 432', () => {
  const params = getChainParams('regtest');
  const blocks = chain(600, () => 0);
  // Mine as Core does: each block's version is ComputeBlockVersion of its parent.
  const cache = new VersionBitsCache<B>(params.versionBits, ancestor);
  const mined: B[] = [blocks[0]];
  for (let h = 1; h < 600; h++) {
    const prev = mined[h - 1];
    mined.push({ height: h, header: { version: cache.computeBlockVersion(prev), time: 1_000 + h }, prev });
  }
  const version = (h: number) => mined[h].header.version;
  assert.equal(version(1), 0x20000000);
  assert.equal(version(143), 0x20000000);
  assert.equal(version(144), 0x30000000);
  assert.equal(version(431), 0x30000000);
  assert.equal(version(432), 0x20000000);
  const state = (h: number) => cache.stateFor(mined[h - 1], 'testdummy');
  assert.deepEqual([state(143), state(144), state(287), state(288), state(431), state(432)], ['defined', 'started', 'started', 'locked_in', 'locked_in', 'active']);
  assert.equal(cache.stateFor(undefined, 'testdummy'), 'defined');
  assert.equal(cache.stateFor(mined[10], 'taproot'), 'active');
  assert.equal(cache.stateSinceHeightFor(mined[300], 'testdummy'), 288);
  assert.equal(cache.stateSinceHeightFor(mined[500], 'testdummy'), 432);
  assert.equal(cache.stateSinceHeightFor(mined[100], 'testdummy'), 0);
  assert.equal(cache.stateSinceHeightFor(mined[100], 'taproot'), 0);

  // getdeploymentinfo at block 200: started since 144, 57 of 57 so far signalled.
  const info = cache.info(mined[200], 'testdummy');
  assert.equal(info.currentState, 'started');
  assert.equal(info.nextState, 'started');
  assert.equal(info.since, 144);
  assert.deepEqual(info.stats, { period: 144, threshold: 108, elapsed: 57, count: 57, possible: true });
  assert.equal(info.signallingBlocks.length, 57);
  assert.equal(info.activeSince, undefined);
  // The last block of the locking period: next is active, threshold reported as 0 while locked in.
  const last = cache.info(mined[431], 'testdummy');
  assert.equal(last.currentState, 'locked_in');
  assert.equal(last.nextState, 'active');
  assert.equal(last.activeSince, 432);
  assert.equal(last.stats!.threshold, 0);
  assert.equal(last.stats!.possible, false);

  const gbt = cache.gbtStatus(mined[200]);
  assert.deepEqual([...gbt.signalling.keys()], ['testdummy']);
  assert.deepEqual(gbt.signalling.get('testdummy'), { bit: 28, mask: 0x10000000, gbtOptionalRule: true });
  assert.deepEqual([...gbt.active.keys()], ['taproot']);
});

test('107 signals of 144 do not lock in; 108 do', () => {
  const params = getChainParams('regtest');
  // Period 144..287: the first n blocks signal.
  for (const [n, expected] of [[107, 'started'], [108, 'locked_in']] as const) {
    const blocks = chain(300, (h) => (h >= 144 && h < 144 + n ? SIGNAL : VERSIONBITS_TOP_BITS));
    const cache = new VersionBitsCache<B>(params.versionBits, ancestor);
    assert.equal(cache.stateFor(blocks[287], 'testdummy'), expected);
    const stats = cache.statistics(blocks[287], 'testdummy').stats;
    assert.equal(stats.count, n);
    assert.equal(stats.elapsed, 144);
    assert.equal(stats.possible, n >= 108);
  }
  // Top bits other than 001 do not count, whatever bit 28 says.
  const old = chain(300, (h) => (h >= 144 ? 0x50000000 : 4));
  assert.equal(new VersionBitsCache<B>(params.versionBits, ancestor).stateFor(old[287], 'testdummy'), 'started');
});

test('timeout fails a started deployment; a locked-in one waits for its minimum activation height', () => {
  // Times are 1000 + height; median time past of block h is 1000 + h - 5 once 11 blocks exist.
  const timedOut = new VersionBitsCache<B>(deployments({ timeout: 1_200 }), ancestor);
  const quiet = chain(600, () => VERSIONBITS_TOP_BITS);
  assert.equal(timedOut.stateFor(quiet[143], 'testdummy'), 'started');
  assert.equal(timedOut.stateFor(quiet[287], 'testdummy'), 'failed');
  assert.equal(timedOut.stateFor(quiet[575], 'testdummy'), 'failed');

  const delayed = new VersionBitsCache<B>(deployments({ minActivationHeight: 500 }), ancestor);
  const loud = chain(800, () => SIGNAL);
  assert.equal(delayed.stateFor(loud[287], 'testdummy'), 'locked_in');
  assert.equal(delayed.stateFor(loud[431], 'testdummy'), 'locked_in');
  assert.equal(delayed.stateFor(loud[575], 'testdummy'), 'active');
  assert.equal(delayed.stateSinceHeightFor(loud[700], 'testdummy'), 576);

  const late = new VersionBitsCache<B>(deployments({ startTime: 1_300 }), ancestor);
  assert.equal(late.stateFor(loud[287], 'testdummy'), 'defined');
  assert.equal(late.stateFor(loud[431], 'testdummy'), 'started');

  const never = new VersionBitsCache<B>(deployments({ startTime: NEVER_ACTIVE }), ancestor);
  assert.equal(never.stateFor(loud[500], 'testdummy'), 'failed');
  assert.equal(never.computeBlockVersion(loud[500]), VERSIONBITS_TOP_BITS);
  const always = new VersionBitsCache<B>(deployments({ startTime: ALWAYS_ACTIVE, timeout: NO_TIMEOUT }), ancestor);
  assert.equal(always.stateFor(undefined, 'testdummy'), 'active');
});

test('forks keep their own states in one cache', () => {
  const params = getChainParams('regtest');
  const trunk = chain(144, () => VERSIONBITS_TOP_BITS);
  const yes = chain(200, () => SIGNAL, trunk[143]);
  const no = chain(200, () => VERSIONBITS_TOP_BITS, trunk[143]);
  const cache = new VersionBitsCache<B>(params.versionBits, ancestor);
  const at = (branch: B[], h: number) => branch[h - 144];
  assert.equal(cache.stateFor(at(yes, 287), 'testdummy'), 'locked_in');
  assert.equal(cache.stateFor(at(no, 287), 'testdummy'), 'started');
  assert.equal(cache.computeBlockVersion(at(yes, 300)), 0x30000000);
  assert.equal(cache.stateFor(at(yes, 300), 'testdummy'), 'locked_in');
  assert.equal(cache.stateFor(at(no, 300), 'testdummy'), 'started');
});

test("every network's deployments are Core's", () => {
  const main = getChainParams('main').versionBits;
  assert.deepEqual(main.taproot, { bit: 2, startTime: 1619222400, timeout: 1628640000, minActivationHeight: 709632, threshold: 1815, period: 2016 });
  assert.equal(main.testdummy.startTime, NEVER_ACTIVE);
  assert.equal(getChainParams('testnet3').versionBits.taproot.threshold, 1512);
  assert.equal(getChainParams('testnet4').versionBits.taproot.startTime, ALWAYS_ACTIVE);
  assert.equal(getChainParams('signet').versionBits.taproot.startTime, ALWAYS_ACTIVE);
  assert.deepEqual(getChainParams('regtest').versionBits.testdummy, { bit: 28, startTime: 0, timeout: NO_TIMEOUT, minActivationHeight: 0, threshold: 108, period: 144 });
});
