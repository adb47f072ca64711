#!/usr/bin/env node
// chainsnapd: the chainsnap daemon with bitcoind's command line (the same as `chainsnap node`).
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const entry = new URL('../dist/src/node/main.js', import.meta.url);
if (!existsSync(fileURLToPath(entry))) {
  process.stderr.write('chainsnapd: not built yet: run `npm run build` in the chainsnap directory first\n');
  process.exit(1);
}
const { daemonMain } = await import(entry.href);
await daemonMain(process.argv.slice(2));
