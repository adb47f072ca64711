/**
 * A worker pool keeps the process alive exactly while work is in flight: a worker ended from outside while
 * its acknowledgements wait on the main thread must not let the event loop end under the caller's awaits
 * (Worker.terminate() holds the worker until it exits; the pool once let a late acknowledgement undo that,
 * and a test file ended with its last three tests cancelled). In a child process, so that an early exit is
 * seen as one.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

const FIXTURE = fileURLToPath(new URL('./fixtures/pool-liveness.js', import.meta.url));

test('a MuHashPool whose worker is ended from outside: the awaits after it still run, round after round', () => {
  const r = spawnSync(process.execPath, [FIXTURE, '40'], { encoding: 'utf8', timeout: 120_000 });
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stdout.trim(), 'done 40', `the process ended early: ${r.stdout}${r.stderr}`);
});
