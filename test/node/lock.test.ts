/** The directory lock across real processes: a second holder is refused in Core's words, a SIGKILLed one never blocks. */
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { once } from 'node:events';
import path from 'node:path';
import { test } from 'node:test';
import { lockDataDirectories, lockDirectory } from '../../src/node/lock.js';
import { scratchDir } from '../helpers.js';

const HOLDER = path.resolve('dist/test/node/lock-holder.js');

/** Starts a holder and waits until it holds the lock. */
async function holder(dir: string): Promise<ChildProcess> {
  const child = spawn(process.execPath, [HOLDER, dir], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  child.stdout!.setEncoding('utf8');
  while (!out.includes('locked\n')) {
    const [chunk] = (await once(child.stdout!, 'data')) as [string];
    out += chunk;
  }
  return child;
}

function tryLock(dir: string) {
  const r = spawnSync(process.execPath, [HOLDER, dir], { encoding: 'utf8', timeout: 20_000, killSignal: 'SIGKILL' });
  return { status: r.status, stderr: r.stderr, stdout: r.stdout };
}

const refusal = (dir: string) => `Error: Cannot obtain a lock on directory ${dir}. chainsnap is probably already running.\n`;

test('a second process on the same directory is refused with Core\'s message', async () => {
  const dir = scratchDir();
  const first = await holder(dir);
  try {
    // The first process holds it; a second one is refused until the first ends.
    const second = spawn(process.execPath, [HOLDER, dir], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    second.stderr!.on('data', (d) => (stderr += d));
    const [code] = await once(second, 'exit');
    assert.equal(code, 1);
    assert.equal(stderr, refusal(dir));
    assert.ok(existsSync(path.join(dir, '.lock')));
    assert.equal(readFileSync(path.join(dir, '.lock'), 'utf8'), `${first.pid}\n`);
  } finally {
    first.kill('SIGTERM');
    await once(first, 'exit');
  }
  // Gone: the next one gets it.
  const next = await holder(dir);
  next.kill('SIGTERM');
  await once(next, 'exit');
});

test('a holder killed with SIGKILL never leaves a lock that blocks the next start', async () => {
  const dir = scratchDir();
  for (let round = 0; round < 2; round++) {
    const h = await holder(dir);
    assert.equal(tryLock(dir).stderr, refusal(dir));
    h.kill('SIGKILL');
    await once(h, 'exit');
  }
  const h = await holder(dir);
  h.kill('SIGKILL');
  await once(h, 'exit');
});

test('in one process: held twice is held once; release lets another take it; probing does not hold', async () => {
  const dir = scratchDir();
  const probe = await lockDirectory(dir, true);
  assert.equal(probe.dir, dir);
  const a = await lockDirectory(dir);
  const b = await lockDirectory(dir);
  assert.equal(a, b);
  assert.equal(tryLock(dir).status, 1);
  await a.release();
  const other = await holder(dir);
  await assert.rejects(lockDirectory(dir), { name: 'LockError', message: refusal(dir).slice('Error: '.length, -1) });
  other.kill('SIGKILL');
  await once(other, 'exit');
});

test('a directory where .lock cannot be created is refused as Core refuses it', async () => {
  const missing = path.join(scratchDir(), 'missing');
  await assert.rejects(lockDirectory(missing), { name: 'LockError', message: `Cannot write to directory '${missing}'; check permissions.` });
});

test('the network directory and its blocks directory are locked together, as Core locks both', async () => {
  const networkDir = scratchDir();
  const blocksDir = path.join(networkDir, 'blocks');
  mkdirSync(blocksDir);
  const both = await lockDataDirectories({ networkDir, blocksDir });
  assert.ok(existsSync(path.join(blocksDir, '.lock')));
  assert.equal(tryLock(blocksDir).stderr, refusal(blocksDir));
  assert.equal(tryLock(networkDir).stderr, refusal(networkDir));
  await both.release();
  for (const dir of [networkDir, blocksDir]) {
    const h = await holder(dir);
    h.kill('SIGKILL');
    await once(h, 'exit');
  }
});
