/**
 * `npm start`: the main job on the embedded regtest default, for a newcomer. First the offline check of the
 * shipped snapshot (`chainsnap snapshot info` and `verify` against Core's own assumeutxo parameters), then the
 * node: a real daemon that loads it over RPC, syncs, validates in the background, and keeps serving, with
 * its status page on (the URL is printed) to watch it happen in a browser.
 *   npm start -- --exit   end once the snapshot is validated (for scripts)
 *   npm start -- --keep   keep the demo's data directory and say where it is
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { main } from './main.js';
import { nodeDemo } from './node-demo.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const file = path.join(root, 'snapshots', 'regtest-h200.dat');
const flags = new Set(process.argv.slice(2));
for (const f of flags) {
  if (f !== '--exit' && f !== '--keep') {
    process.stderr.write(`chainsnap demo: unknown option ${f} (known: --exit, --keep)\n`);
    process.exit(2);
  }
}

if (!existsSync(file)) {
  process.stderr.write(`chainsnap: error: the embedded snapshot ${file} is missing (regenerate it: see contrib/chaingen)\n`);
  process.exit(1);
}

const rel = path.relative(process.cwd(), file);
process.stdout.write(
  `chainsnap demo: the regtest UTXO snapshot at height 200 shipped in snapshots/ (built by contrib/chaingen,\n` +
    `byte-identical to Bitcoin Core's dumptxoutset), checked against Core's built-in assumeutxo parameters.\n\n` +
    `$ chainsnap snapshot verify ${rel}\n`,
);
await main(['snapshot', 'verify', rel]);
if (process.exitCode === 0) {
  process.stdout.write('\nThe node, on the same chain (snapshots/regtest-h200-blocks.dat holds blocks 1..210):\n');
  try {
    await nodeDemo({ root, exit: flags.has('--exit'), keep: flags.has('--keep'), out: (line) => process.stdout.write(`${line ? '  ' : ''}${line}\n`) });
  } catch (e) {
    process.stderr.write(`chainsnap demo: ${(e as Error).message}\n`);
    process.exitCode = 1;
  }
}
