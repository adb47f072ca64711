/**
 * Background validation benchmark (child process):
 *   node engine-background.bench.js MODE BLOCKS TXS_PER_BLOCK FANOUTS OUTPUTS_PER_FANOUT DATADIR [SCRIPTS]
 * MODE is 'in-process' or 'worker'. SCRIPTS is 'scripts' (the default: -assumevalid=0, every input's scripts
 * run) or 'no-scripts' (-assumevalid at the base, with two weeks of headers past it so that Core's rule skips
 * every script below it). A rich regtest chain (real signed spends, engine-fixture.ts) is
 * snapshotted at its tip; the snapshot is loaded, then the blocks are stored from the tip down so the
 * background chainstate cannot start before the last one (height 1) arrives. Timed from that block to
 * the background chainstate reaching the base (connect phase: blocks/s, inputs/s) and to the snapshot
 * being validated (including the final UTXO hash).
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { assembleBlock, makeCoinbase } from '../../contrib/chaingen/blocks.js';
import { ChainstateManager } from '../../src/chain/chainstate-manager.js';
import type { BlockHeader } from '../../src/primitives/block.js';
import { hashToHex } from '../../src/primitives/hash.js';
import type { BackgroundProgress } from '../../src/chain/background-validation.js';
import { fixtureParams, richBlocks, richFixture, rssMB, type RichOptions } from './engine-fixture.js';

/** Whether a worker-thread runner exists in this build (the manager falls back to in-process otherwise). */
export function workerRunnerExists(): boolean {
  const dir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../src/chain');
  return existsSync(path.join(dir, 'background-worker.js'));
}

export type ScriptMode = 'scripts' | 'no-scripts';

export interface BackgroundResult {
  mode: string;
  scripts: ScriptMode;
  blocks: number;
  inputs: number;
  transactions: number;
  connectSeconds: number;
  blocksPerSec: number;
  inputsPerSec: number;
  totalSeconds: number;
  validity: string;
  storeSeconds: number;
  peakRssMB: number;
}

/** Core's two-week buffer at regtest's ten-minute spacing (2016 blocks), and a few more. */
const TWO_WEEKS_OF_HEADERS = 2030;

/** Headers (no blocks) past the base, so that assumevalid at the base is deep enough for Core's rule. */
function headersPast(base: BlockHeader, baseHash: Uint8Array, baseHeight: number): BlockHeader[] {
  const out: BlockHeader[] = [];
  let prev = { hash: baseHash, time: base.time };
  for (let h = baseHeight + 1; h <= baseHeight + TWO_WEEKS_OF_HEADERS; h++) {
    const next = assembleBlock({ height: h, prevHash: prev.hash, time: prev.time + 1, version: 0x20000000, coinbase: makeCoinbase({ height: h, outputs: [{ value: 0, script: Uint8Array.of(0x51) }] }) });
    out.push(next.block.header);
    prev = { hash: next.hash, time: next.block.header.time };
  }
  return out;
}

async function run(mode: 'in-process' | 'worker', o: RichOptions, datadir: string, scripts: ScriptMode): Promise<BackgroundResult> {
  const f = await richFixture(o);
  const blocks = richBlocks(f);
  const { parseBlock, blockHash } = await import('../../src/primitives/block.js');
  const params = fixtureParams(f);
  const tip = parseBlock(blocks[blocks.length - 1]).header;
  const assumeValid = scripts === 'scripts' ? '0'.repeat(64) : hashToHex(blockHash(tip));
  const extra = scripts === 'scripts' ? [] : headersPast(tip, blockHash(tip), f.height);
  const m0 = await ChainstateManager.open({ datadir, params, background: 'in-process', now: () => 2_000_000_000, assumeValid });
  for (const b of blocks) m0.processHeader(parseBlock(b).header);
  for (const h of extra) m0.processHeader(h);
  await m0.loadSnapshot(f.file);
  const ts = performance.now();
  for (let i = blocks.length - 1; i >= 1; i--) await m0.processBlock(blocks[i]);
  await m0.backgroundIdle();
  const storeSeconds = (performance.now() - ts) / 1000;
  if (m0.backgroundProgress) throw new Error('background validation started before block 1 was stored');
  await m0.close();
  // Blocks stored with an in-process runner (a worker's backgroundIdle waits for the end of validation).
  // Restarted: a chainstate that becomes the background one at runtime reports no progress (onConnected
  // is only wired when it is opened in the background role), so the connect phase could not be timed.
  const m = await ChainstateManager.open({ datadir, params, background: mode, now: () => 2_000_000_000, assumeValid });
  const seen: { last: BackgroundProgress | undefined; at: number } = { last: undefined, at: 0 };
  Object.defineProperty(m, 'backgroundProgress', {
    configurable: true,
    get: () => seen.last,
    set: (p: BackgroundProgress) => {
      seen.last = p;
      seen.at = performance.now();
    },
  });
  const t = performance.now();
  await m.processBlock(blocks[0]);
  const deadline = Date.now() + 3_600_000;
  while (m.validity === 'unvalidated' && Date.now() < deadline) {
    await m.backgroundIdle();
    if (m.validity === 'unvalidated') await new Promise((r) => setTimeout(r, 5));
  }
  const totalSeconds = (performance.now() - t) / 1000;
  const connectSeconds = ((seen.at || performance.now()) - t) / 1000;
  const reached = (seen as { last?: BackgroundProgress }).last?.height;
  if (reached !== f.height) throw new Error(`background stopped at ${reached} (validity ${m.validity}), base is ${f.height}`);
  await m.close();
  return {
    mode,
    scripts,
    blocks: f.blocks,
    inputs: f.inputs,
    transactions: f.transactions,
    connectSeconds,
    blocksPerSec: f.blocks / connectSeconds,
    inputsPerSec: f.inputs / connectSeconds,
    totalSeconds,
    validity: m.validity,
    storeSeconds,
    peakRssMB: rssMB(),
  };
}

if (process.argv[1]?.endsWith('engine-background.bench.js')) {
  const [mode, blocks, txs, fanouts, outputs, datadir, scripts = 'scripts'] = process.argv.slice(2);
  if (!datadir || (mode !== 'in-process' && mode !== 'worker') || (scripts !== 'scripts' && scripts !== 'no-scripts')) {
    process.stderr.write('usage: engine-background.bench.js in-process|worker BLOCKS TXS_PER_BLOCK FANOUTS OUTPUTS_PER_FANOUT DATADIR [scripts|no-scripts]\n');
    process.exit(2);
  }
  const o = { blocks: Number(blocks), txsPerBlock: Number(txs), fanoutTxsPerBlock: Number(fanouts), outputsPerTx: Number(outputs) };
  process.stdout.write(`${JSON.stringify(await run(mode, o, datadir, scripts))}\n`);
}
