/**
 * Standard output that fails: a full disk is one line naming standard output and status 1 (not an
 * unhandled 'error' event with a stack trace); a reader that goes away ends the command quietly. The
 * real CLI in child processes.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, openSync, closeSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { CoinsDB } from '../../src/coins/coins-db.js';
import { outpointKey } from '../../src/coins/view.js';
import { assertOneLineError, scratchDir } from '../helpers.js';

const H200 = path.resolve('snapshots/regtest-h200.dat');
const CLI = path.resolve('bin/chainsnap.js');
const dir = scratchDir();

test('stdout on a full device: one line, status 1, for every offline command', { skip: existsSync('/dev/full') ? false : 'no /dev/full here' }, async () => {
  const chainstate = path.join(dir, 'chainstate');
  const db = await CoinsDB.open(chainstate, { create: true });
  await db.writeBatch([[outpointKey(new Uint8Array(32).fill(1), 0), { height: 1, coinbase: false, value: 5, script: new Uint8Array([0x51]) }]], new Uint8Array(32).fill(2));
  await db.close();
  for (const args of [['snapshot', 'info', H200], ['snapshot', 'verify', H200, '--json'], ['snapshot', 'export', H200], ['chainstate', 'stats', chainstate]]) {
    const full = openSync('/dev/full', 'w');
    try {
      const r = spawnSync(process.execPath, [CLI, ...args], { stdio: ['ignore', full, 'pipe'], encoding: 'utf8', env: { ...process.env, HOME: dir } });
      assert.equal(r.status, 1, `${args.join(' ')}: ${r.stderr}`);
      assertOneLineError(r.stderr, /^chainsnap: error: standard output: no space left on device$/);
    } finally {
      closeSync(full);
    }
  }
});

test('a reader that closes the pipe ends the command quietly, status 0', async () => {
  for (const args of [['snapshot', 'info', H200], ['snapshot', 'export', H200, '--format', 'jsonl']]) {
    const child = spawn(process.execPath, [CLI, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, HOME: dir } });
    child.stdout.destroy();
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    const code = await new Promise((resolve) => child.once('close', resolve));
    assert.equal(code, 0, stderr);
    assert.equal(stderr, '');
  }
});
