#!/usr/bin/env node
// Thin launcher: the compiled CLI lives in dist/ (npm test, npm start and npm run build compile it).
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const entry = new URL('../dist/src/cli/main.js', import.meta.url);
if (!existsSync(fileURLToPath(entry))) {
  process.stderr.write('chainsnap: not built yet: run `npm run build` in the chainsnap directory first\n');
  process.exit(1);
}
const { hideBin } = await import('yargs/helpers');
const { main } = await import(entry.href);
await main(hideBin(process.argv));
