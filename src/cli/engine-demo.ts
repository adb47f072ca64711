/**
 * The assumeutxo lifecycle, shown on the embedded regtest chain: load the h200 snapshot (Core's own
 * parameters), sync blocks 201..210, validate 1..200 in a background worker, restart into one chainstate.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ChainstateManager } from '../chain/chainstate-manager.js';
import { getChainParams } from '../consensus/params.js';
import { parseBlock, readFramedBlocks } from '../primitives/block.js';

export async function engineDemo(snapshot: string, blocksFile: string, out: (line: string) => void): Promise<void> {
  const params = getChainParams('regtest');
  const blocks = [...readFramedBlocks(readFileSync(blocksFile), params.messageStart)].map((f) => f.bytes);
  const datadir = mkdtempSync(path.join(tmpdir(), 'chainsnap-demo-'));
  // Regtest blocks carry 2011 timestamps: a clock just after the last one keeps the header time rule honest.
  const last = parseBlock(blocks[blocks.length - 1]).header.time;
  const now = () => last + 3600;
  const show = (m: ChainstateManager) =>
    m.chainstates().map((c) => `${c.role} chainstate at height ${c.tip.height}${c.snapshotBase ? ` (from the snapshot at ${c.snapshotBase.height})` : ''}`).join(', ');
  try {
    let m = await ChainstateManager.open({ datadir, params, now });
    for (const b of blocks) m.processHeader(parseBlock(b).header);
    out(`headers 1..${blocks.length} known; best header ${m.storage.index.bestHeader.height}`);
    const t = performance.now();
    const loaded = await m.loadSnapshot(snapshot);
    out(`loadtxoutset: ${loaded.coinsLoaded} coins, base ${loaded.base.key} (height ${loaded.base.height}) in ${(performance.now() - t).toFixed(0)} ms`);
    for (const b of blocks.slice(loaded.base.height)) await m.processBlock(b);
    out(`synced past the base: ${show(m)}`);
    for (const b of blocks.slice(0, loaded.base.height)) await m.processBlock(b);
    await m.backgroundIdle();
    out(`background validation (worker thread) reached the base: snapshot ${m.validity}; ${show(m)}`);
    await m.close();
    m = await ChainstateManager.open({ datadir, params, now });
    out(`restart: ${show(m)} (the background chainstate was removed, the snapshot chainstate renamed into place)`);
    await m.close();
  } finally {
    rmSync(datadir, { recursive: true, force: true });
  }
}
