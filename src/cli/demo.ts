/**
 * `npm start`: the main job on the embedded regtest default, for a newcomer. Until the node exists that
 * job is the offline one: check the snapshot shipped in snapshots/ against Core's own assumeutxo
 * parameters and show its statistics, exactly as `chainsnap snapshot verify` does.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { engineDemo } from './engine-demo.js';
import { main } from './main.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const file = path.join(root, 'snapshots', 'regtest-h200.dat');

if (!existsSync(file)) {
  process.stderr.write(`chainsnap: error: the embedded snapshot ${file} is missing (regenerate it: see contrib/chaingen)\n`);
  process.exit(1);
}

const rel = path.relative(process.cwd(), file);
process.stdout.write(
  `chainsnap demo: the regtest UTXO snapshot at height 200 shipped in snapshots/ (built by contrib/chaingen,\n` +
    `byte-identical to Bitcoin Core's dumptxoutset), checked against Core's built-in assumeutxo parameters.\n\n` +
    `$ chainsnap snapshot info ${rel}\n`,
);
await main(['snapshot', 'info', rel]);
process.stdout.write(`\n$ chainsnap snapshot verify ${rel} --muhash\n`);
await main(['snapshot', 'verify', rel, '--muhash']);
if (process.exitCode === 0) {
  process.stdout.write('\nThe engine, on the same chain (snapshots/regtest-h200-blocks.dat holds blocks 1..210):\n');
  await engineDemo(file, path.join(root, 'snapshots', 'regtest-h200-blocks.dat'), (line) => process.stdout.write(`  ${line}\n`));
  process.stdout.write(
    `\nTry: node bin/chainsnap.js snapshot export ${rel} --format jsonl | head\n` +
      'or node bin/chainsnap.js --help. The docs are in docs/.\n',
  );
}
