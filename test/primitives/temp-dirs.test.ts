/**
 * Temporary directories in real child processes: removed on an uncaught exception and on process.exit;
 * when the process has its own SIGINT handler (the daemon's orderly shutdown), a signal leaves the
 * directory to that handler's exit.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { pathToFileURL } from 'node:url';
import { scratchDir } from '../helpers.js';

const MODULE = pathToFileURL(path.resolve('dist/src/primitives/temp-dirs.js')).href;

function child(body: string, parent: string) {
  return [`--input-type=module`, '-e', `import { makeTempDir } from '${MODULE}'; const parent = ${JSON.stringify(parent)};\n${body}`];
}

test('a temporary directory is removed on an uncaught exception and on process.exit', () => {
  const parent = scratchDir();
  const thrown = spawnSync(process.execPath, child(`makeTempDir(parent, 'x-'); throw new Error('boom');`, parent), { encoding: 'utf8' });
  assert.equal(thrown.status, 1);
  assert.match(thrown.stderr, /boom/);
  const exited = spawnSync(process.execPath, child(`makeTempDir(parent, 'x-'); setTimeout(() => process.exit(3), 10);`, parent));
  assert.equal(exited.status, 3);
  assert.deepEqual(readdirSync(parent), []);
});

test("with the process's own SIGINT handler, the directory outlives the signal until that handler exits", async () => {
  const parent = scratchDir();
  const body = `
    const d = makeTempDir(parent, 'x-');
    process.on('SIGINT', () => { console.log(fs.existsSync(d.path) ? 'kept' : 'removed'); setTimeout(() => process.exit(0), 10); });
    console.log('ready');
    setInterval(() => {}, 1000);`;
  const c = spawn(process.execPath, child(`import fs from 'node:fs';${body}`, parent), { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  c.stdout.on('data', (d) => (out += d));
  while (!out.includes('ready')) await sleep(5);
  c.kill('SIGINT');
  const code = await new Promise((resolve) => c.once('exit', resolve));
  assert.equal(code, 0);
  assert.match(out, /kept/, 'still there while the handler runs');
  assert.deepEqual(readdirSync(parent), [], 'removed when the process exits');
});
