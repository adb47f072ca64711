/** -daemon and -daemonwait with real processes: the parent returns once the daemon runs, or prints why not. */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { test } from 'node:test';
import { scratchDir } from '../helpers.js';

const FIXTURE = path.resolve('dist/test/node/daemon-fixture.js');

function start(...argv: string[]) {
  return spawnSync(process.execPath, [FIXTURE, ...argv], { encoding: 'utf8', timeout: 30_000, killSignal: 'SIGKILL' });
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function until(what: string, cond: () => boolean): Promise<void> {
  const end = Date.now() + 20_000;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

async function stop(pid: number): Promise<void> {
  process.kill(pid, 'SIGTERM');
  await until(`daemon ${pid} to exit`, () => !alive(pid));
}

test('-daemonwait returns 0 once the daemon has started; the daemon holds the lock and its pid file', async () => {
  const dir = scratchDir();
  const r = start(`-datadir=${dir}`, '-regtest', '-daemonwait');
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stdout, 'chainsnap starting\n');
  assert.equal(r.stderr, '');
  const pidFile = path.join(dir, 'regtest', 'bitcoind.pid');
  // -daemonwait waited for initialisation, so the pid file is already there.
  const pid = Number(readFileSync(pidFile, 'utf8'));
  assert.ok(pid !== process.pid && alive(pid));
  assert.match(readFileSync(path.join(dir, 'regtest', 'debug.log'), 'utf8'), /init message: Done loading/);

  // A second one on the same directory: the daemon reports the lock error through the parent.
  const second = start(`-datadir=${dir}`, '-regtest', '-daemonwait');
  assert.equal(second.status, 1);
  assert.equal(second.stdout, 'chainsnap starting\n');
  assert.equal(
    second.stderr,
    `Error: Cannot obtain a lock on directory ${path.join(dir, 'regtest')}. chainsnap is probably already running.\n` +
      'Error during initialization - check debug.log for details\n',
  );
  await stop(pid);
  assert.ok(!existsSync(pidFile));
});

test('-daemon returns at once, as Core\'s does, and the daemon runs on', async () => {
  const dir = scratchDir();
  const r = start(`-datadir=${dir}`, '-regtest', '-daemon');
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stdout, 'chainsnap starting\n');
  const pidFile = path.join(dir, 'regtest', 'bitcoind.pid');
  await until('the pid file', () => existsSync(pidFile) && readFileSync(pidFile, 'utf8').endsWith('\n'));
  const pid = Number(readFileSync(pidFile, 'utf8'));
  assert.ok(alive(pid));
  await stop(pid);
});

test('a daemon that fails to start: the parent prints its error and exits 1', () => {
  const dir = scratchDir();
  const r = start(`-datadir=${dir}`, '-regtest', '-daemonwait', `-pid=${path.join(dir, 'no', 'such', 'x.pid')}`);
  assert.equal(r.status, 1);
  assert.match(r.stderr, /^Error: Unable to create the PID file '.*x\.pid': .*\nError during initialization - check debug\.log for details\n$/);
});

test('a daemon that dies before saying anything is a failed start', () => {
  const dir = scratchDir();
  const r = start(`-datadir=${dir}`, '-regtest', '-daemonwait', '-source-rpc=crash');
  assert.equal(r.status, 1);
  assert.equal(r.stderr, 'Error during initialization - check debug.log for details\n');
});
