/**
 * dumptxoutset benchmark (child process):
 *   node engine-dump.bench.js COINS DATADIR OUTFILE
 * Opens DATADIR (where engine-load.bench.js loaded the synthetic COINS-coin snapshot), runs
 * dumptxoutset 'latest' into OUTFILE and prints one JSON line; the dump must reproduce the snapshot's
 * coin count and hash_serialized_3.
 */
import { rmSync } from 'node:fs';
import { ChainstateManager } from '../../src/chain/chainstate-manager.js';
import { fixtureParams, rssMB, syntheticHeaders, syntheticSnapshot } from './engine-fixture.js';

export interface DumpBenchResult {
  coins: number;
  seconds: number;
  coinsPerSec: number;
  peakRssMB: number;
  hashMatches: boolean;
}

async function dump(coins: number, datadir: string, out: string): Promise<DumpBenchResult> {
  const f = await syntheticSnapshot(coins);
  const m = await ChainstateManager.open({ datadir, params: fixtureParams(f), background: 'in-process', now: () => 2_000_000_000 });
  // The block index persisted the headers at load time; re-feeding them is a no-op if so.
  for (const h of syntheticHeaders()) m.processHeader(h);
  rmSync(out, { force: true });
  const t = performance.now();
  const r = await m.dumpTxoutSet(out, 'latest');
  const seconds = (performance.now() - t) / 1000;
  await m.close();
  rmSync(out, { force: true });
  return { coins: r.coins_written, seconds, coinsPerSec: r.coins_written / seconds, peakRssMB: rssMB(), hashMatches: r.txoutset_hash === f.hashSerialized3 && r.coins_written === f.coins };
}

if (process.argv[1]?.endsWith('engine-dump.bench.js')) {
  const [coins, datadir, out] = process.argv.slice(2);
  if (!out) {
    process.stderr.write('usage: engine-dump.bench.js COINS DATADIR OUTFILE\n');
    process.exit(2);
  }
  process.stdout.write(`${JSON.stringify(await dump(Number(coins), datadir, out))}\n`);
}
