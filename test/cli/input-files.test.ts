/**
 * A snapshot command given something that is not a regular file (a device, a pipe) says so in one line
 * that names it, instead of a raw read or seek error. The real CLI in child processes.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { test } from 'node:test';
import { assertOneLineError, runCli, scratchDir } from '../helpers.js';

const dir = scratchDir();
const run = (...args: string[]) => runCli(args, { ...process.env, HOME: dir });

test('a device or a pipe given as the snapshot file is named and refused, status 1', () => {
  const fifo = path.join(dir, 'coins.fifo');
  execFileSync('mkfifo', [fifo]);
  const cases: [string[], RegExp][] = [
    [['snapshot', 'info', '/dev/null'], /^chainsnap: error: \/dev\/null is a device, not a snapshot file \(give a regular file\)$/],
    [['snapshot', 'verify', fifo], /coins\.fifo is a pipe, not a snapshot file/],
    [['snapshot', 'export', fifo, '-o', path.join(dir, 'out.csv')], /coins\.fifo is a pipe, not a snapshot file/],
  ];
  for (const [args, re] of cases) {
    const r = run(...args);
    assert.equal(r.status, 1, r.stderr);
    assert.equal(r.stdout, '');
    assertOneLineError(r.stderr, re);
  }
});
