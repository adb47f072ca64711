/**
 * Script validation in the real daemon: with -par=1 (checks inline) and -par=2 (a script-check worker
 * thread) a regtest chain of real signed spends of every kind connects through submitblock, and the same
 * chain with one bad signature at height 110 is refused there with Core's reason. -assumevalid=0 and
 * -assumevalid=<hash> each log their startup line; with the hash, two weeks of headers on top make Core's rule
 * skip the scripts, so the bad block connects, as in Core.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { assembleBlock, makeCoinbase } from '../../contrib/chaingen/blocks.js';
import { toHex } from '../../src/primitives/bytes.js';
import { serializeHeader } from '../../src/primitives/block.js';
import { hashToHex } from '../../src/primitives/hash.js';
import { scratchDir } from '../helpers.js';
import { scriptChain, tamperedChain } from '../chain/script-chain.js';
import { DaemonProcess } from './daemon-process.js';

const BAD = 110;
const log = (d: DaemonProcess) => readFileSync(path.join(d.networkDir, 'debug.log'), 'utf8');

async function submit(d: DaemonProcess, bytes: Uint8Array): Promise<string | null> {
  return d.call<string | null>('submitblock', toHex(bytes));
}

for (const par of [1, 2]) {
  test(`-par=${par}: a signed chain connects; a bad signature at ${BAD} is refused with Core's reason`, { timeout: 600_000 }, async () => {
    const good = scriptChain().blocks;
    const bad = tamperedChain(BAD).blocks;
    const d = await DaemonProcess.start({ datadir: scratchDir(), args: [`-par=${par}`, `-assumevalid=0`] });
    try {
      assert.match(log(d), new RegExp(`Script verification uses ${par - 1} additional threads`));
      // The tampered chain is the honest one below BAD.
      for (const b of bad.slice(0, BAD - 1)) assert.equal(await submit(d, b.bytes), null);
      const reason = await submit(d, bad[BAD - 1].bytes);
      assert.match(String(reason), /^block-script-verify-flag-failed \(/);
      assert.equal(await d.call('getblockcount'), BAD - 1);
      for (const b of good.slice(BAD - 1)) assert.equal(await submit(d, b.bytes), null);
      assert.equal(await d.call('getblockcount'), good.length);
      assert.equal(await d.call('getbestblockhash'), hashToHex(good[good.length - 1].hash));
      assert.match(log(d), /Validating signatures for all blocks\./);
    } finally {
      await d.stop();
    }
  });
}

test('-assumevalid=0 and -assumevalid=<hash>: the startup line of each; scripts checked, or skipped under Core\'s rule', { timeout: 600_000 }, async () => {
  const bad = tamperedChain(BAD).blocks;
  const tip = bad[bad.length - 1];
  const avHash = hashToHex(tip.hash);
  // Two weeks of regtest headers (2016 blocks at ten minutes), and a few more, past the assumed-valid block.
  const headers: string[] = [];
  let prev = tip;
  for (let h = tip.height + 1; h <= tip.height + 2030; h++) {
    prev = assembleBlock({ height: h, prevHash: prev.hash, time: prev.block.header.time + 1, version: 0x20000000, coinbase: makeCoinbase({ height: h, outputs: [{ value: 0, script: Uint8Array.of(0x51) }] }) });
    headers.push(toHex(serializeHeader(prev.block.header)));
  }

  const all = await DaemonProcess.start({ datadir: scratchDir(), args: ['-assumevalid=0'] });
  try {
    assert.match(log(all), /Validating signatures for all blocks\./);
    assert.doesNotMatch(log(all), /Assuming ancestors of block/);
    for (const b of bad.slice(0, BAD - 1)) assert.equal(await submit(all, b.bytes), null);
    assert.match(String(await submit(all, bad[BAD - 1].bytes)), /^block-script-verify-flag-failed \(/);
    assert.equal(await all.call('getblockcount'), BAD - 1);
  } finally {
    await all.stop();
  }

  const assumed = await DaemonProcess.start({ datadir: scratchDir(), args: [`-assumevalid=${avHash}`] });
  try {
    assert.match(log(assumed), new RegExp(`Assuming ancestors of block ${avHash} have valid signatures\\.`));
    for (const b of bad) await assumed.call('submitheader', toHex(serializeHeader(b.block.header)));
    for (const h of headers) await assumed.call('submitheader', h);
    for (const b of bad) assert.equal(await submit(assumed, b.bytes), null);
    assert.equal(await assumed.call('getblockcount'), tip.height);
    assert.match(log(assumed), new RegExp(`Disabling script verification at block #1 \\(${hashToHex(bad[0].hash)}\\)\\.`));
  } finally {
    await assumed.stop();
  }
});
