#!/usr/bin/env node
// Thin launcher: the compiled CLI lives in dist/ (npm test, npm start and npm run build compile it).
import { hideBin } from 'yargs/helpers';
import { main } from '../dist/src/cli/main.js';

await main(hideBin(process.argv));
