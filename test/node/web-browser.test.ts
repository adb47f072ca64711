/**
 * The status page in a real browser (Debian's headless Chromium driven by puppeteer-core) through the demo's
 * lifecycle: a node learns the h200 chain's headers, loads the h200 snapshot, then validates the history in
 * the background. The blocks are handed over in batches so that the page is seen at each stage: the bars
 * move, two chainstates become one when the snapshot is validated, and screenshots are kept as artifacts.
 * Skipped, with a message, where no Chromium is installed.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import puppeteer, { type Page } from 'puppeteer-core';
import { getChainParams } from '../../src/consensus/params.js';
import { toHex } from '../../src/primitives/bytes.js';
import { readFramedBlocks } from '../../src/primitives/block.js';
import { scratchDir } from '../helpers.js';
import { DaemonProcess, freePort } from './daemon-process.js';

const CHROMIUM = process.env.CHROMIUM ?? '/usr/bin/chromium';
const NO_CHROMIUM = existsSync(CHROMIUM) ? false : `no Chromium at ${CHROMIUM} (apt-get install chromium, or set CHROMIUM)`;
const ARTIFACTS = process.env.CHAINSNAP_ARTIFACTS ?? path.join(tmpdir(), 'chainsnap-artifacts');
const BLOCKS_FILE = path.resolve('snapshots/regtest-h200-blocks.dat');
const SNAPSHOT = path.resolve('snapshots/regtest-h200.dat');

interface Seen {
  count: number;
  bars: Record<string, number>;
  heights: Record<string, number>;
}

/** What the page shows now: the chainstate count, and each chainstate's bar and height by role (run in the page). */
const SEEN = `(() => {
  const box = document.getElementById('chainstates');
  const bars = {}, heights = {};
  for (const el of box.querySelectorAll('.chainstate')) {
    bars[el.dataset.role] = Number(el.querySelector('.bar').dataset.progress);
    heights[el.dataset.role] = Number(el.dataset.height);
  }
  return { count: Number(box.dataset.count), bars, heights };
})()`;

function seen(page: Page): Promise<Seen> {
  return page.evaluate(SEEN) as Promise<Seen>;
}

/** Waits until the page shows a background chainstate at `height` or more (the page updates every second). */
async function backgroundAt(page: Page, height: number): Promise<void> {
  await page.waitForFunction(`Number(document.querySelector('.chainstate[data-role="background"]')?.dataset.height ?? -1) >= ${height}`, { timeout: 120_000, polling: 100 });
}

test('the page in Chromium: bars move through background validation and two chainstates become one', { skip: NO_CHROMIUM, timeout: 600_000 }, async (t) => {
  const params = getChainParams('regtest');
  const blocks = [...readFramedBlocks(readFileSync(BLOCKS_FILE), params.messageStart)].map((f) => toHex(f.bytes));
  const webPort = await freePort();
  const node = await DaemonProcess.start({ datadir: scratchDir(), args: [`-webport=${webPort}`] });
  const browser = await puppeteer.launch({
    executablePath: CHROMIUM,
    headless: true,
    // A shared, busy machine: Chromium may take a while to come up.
    timeout: 120_000,
    protocolTimeout: 180_000,
    userDataDir: scratchDir('chainsnap-chromium-'),
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  mkdirSync(ARTIFACTS, { recursive: true });
  const shot = async (page: Page, name: string) => {
    const file = path.join(ARTIFACTS, name);
    await page.screenshot({ path: file, fullPage: true });
    t.diagnostic(`screenshot: ${file}`);
  };
  try {
    const page = await browser.newPage();
    page.setDefaultTimeout(120_000);
    const pageErrors: string[] = [];
    page.on('pageerror', (e) => pageErrors.push(String(e)));
    await page.setViewport({ width: 1200, height: 900 });
    await page.goto(`http://127.0.0.1:${webPort}/`);
    await page.waitForSelector('#live.on');
    await page.waitForSelector('#chainstates[data-count="1"]');

    for (const hex of blocks) await node.call('submitheader', hex.slice(0, 160));
    await node.call('loadtxoutset', SNAPSHOT);
    await page.waitForSelector('#chainstates[data-count="2"]', { timeout: 60_000 });
    await page.waitForSelector('.operation[data-kind="loadtxoutset"][data-state="done"]');
    const counts = [1, 2];

    // The history, in batches: the background bar moves with each.
    const progress: number[] = [(await seen(page)).bars.background];
    for (const end of [60, 120, 180]) {
      for (const hex of blocks.slice(end - 60, end)) await node.call('submitblock', hex);
      await backgroundAt(page, end);
      const s = await seen(page);
      assert.equal(s.count, 2);
      progress.push(s.bars.background);
      if (end === 120) await shot(page, 'status-page-background-validation.png');
    }
    for (let i = 1; i < progress.length; i++) assert.ok(progress[i] > progress[i - 1], `the background bar moved: ${progress.join(' → ')}`);
    const snapshotBar = (await seen(page)).bars.snapshot;

    // The rest: the snapshot chainstate reaches the tip, the background one the base, and one chainstate remains.
    for (const hex of blocks.slice(180)) await node.call('submitblock', hex);
    await page.waitForSelector('#chainstates[data-count="1"]', { timeout: 120_000 });
    counts.push(1);
    await page.waitForFunction(`document.querySelector('.chainstate')?.dataset.height === '${blocks.length}'`, { timeout: 60_000, polling: 100 });
    const end = await seen(page);
    assert.deepEqual(counts, [1, 2, 1]);
    assert.equal(end.bars.normal, 1);
    assert.ok(end.bars.normal > snapshotBar, 'the active bar moved to the tip');
    assert.match(await page.$eval('.chainstate', (el) => el.textContent ?? ''), /validated/);
    assert.ok((await page.$$('#chart polyline[data-series="background-height"]')).length >= 1, 'the chart drew the background height');
    assert.match(await page.$eval('#disk', (el) => el.textContent ?? ''), /blocks\//);
    await shot(page, 'status-page-validated.png');
    assert.deepEqual(pageErrors, []);
  } finally {
    await browser.close();
    assert.equal(await node.stop(), 0);
  }
});
