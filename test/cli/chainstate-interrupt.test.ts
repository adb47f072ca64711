/**
 * `chainstate stats` opens a private copy of the chainstate in $TMPDIR/chainsnap-ro-<pid>-*: the real CLI
 * in child processes, interrupted by SIGINT and SIGTERM in the middle of its scan, leaves no copy behind
 * and exits with the shell's status; a copy a dead process left is removed by the next run, and one of a
 * live process is left alone.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { before, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { CoinsDB, type CoinChange } from '../../src/coins/coins-db.js';
import { outpointKey } from '../../src/coins/view.js';
import { processAlive } from '../../src/primitives/exit-cleanup.js';
import { runCli, scratchDir } from '../helpers.js';

const work = scratchDir();
const chainstate = path.join(work, 'chainstate');
const COINS = 100_000;

before(async () => {
  // Large enough that hashing it (MuHash on one worker) takes a good fraction of a second.
  const db = await CoinsDB.open(chainstate, { create: true });
  for (let start = 0; start < COINS; start += 50_000) {
    const changes: CoinChange[] = [];
    for (let i = start; i < start + 50_000; i++) {
      const txid = new Uint8Array(32);
      new DataView(txid.buffer).setUint32(0, i * 2654435761);
      new DataView(txid.buffer).setUint32(4, i);
      changes.push([outpointKey(txid, i % 3), { height: 1 + (i % 500), coinbase: i % 7 === 0, value: 1000 + i, script: txid.subarray(0, 22) }]);
    }
    await db.writeBatch(changes, new Uint8Array(32).fill(9));
  }
  await db.close();
});

/** A fresh $TMPDIR for one child, so what it leaves there is all there is. */
function tmpEnv(name: string): { tmp: string; env: NodeJS.ProcessEnv } {
  const tmp = path.join(work, name);
  mkdirSync(tmp);
  return { tmp, env: { ...process.env, TMPDIR: tmp } };
}

function exited(child: ChildProcess): Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }> {
  let stderr = '';
  child.stderr!.on('data', (d) => (stderr += d));
  return new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal, stderr })));
}

/** The link directory of the scan running inside the child's private copy, if any. */
function scanDir(tmp: string, pid: number): string | undefined {
  for (const copy of readdirSync(tmp).filter((n) => n.startsWith(`chainsnap-ro-${pid}-`))) {
    try {
      const inner = readdirSync(path.join(tmp, copy)).find((n) => n.startsWith(`chainsnap-scan-${pid}-`));
      if (inner) return path.join(tmp, copy, inner);
    } catch {
      // The copy was removed between the two reads.
    }
  }
  return undefined;
}

/**
 * Runs `chainstate stats` and signals it while its scan runs. The child is stopped (SIGSTOP) before the
 * check that its scan is under way, so the signal lands mid-scan however busy the machine is; a child
 * that finished before it could be stopped is run again.
 */
async function interruptedStats(signal: NodeJS.Signals, tmp: string, env: NodeJS.ProcessEnv) {
  for (let attempt = 0; attempt < 10; attempt++) {
    const child = spawn(process.execPath, [path.resolve('bin/chainsnap.js'), 'chainstate', 'stats', chainstate, '--muhash', '--threads', '1'], {
      env,
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    const done = exited(child);
    let running = true;
    void done.then(() => (running = false));
    while (running && scanDir(tmp, child.pid!) === undefined) await sleep(2);
    if (running) {
      child.kill('SIGSTOP');
      const midScan = scanDir(tmp, child.pid!) !== undefined;
      if (midScan) child.kill(signal);
      child.kill('SIGCONT');
      if (midScan) return done;
    }
    const r = await done;
    assert.equal(r.code, 0, r.stderr);
  }
  throw new Error('the scan always finished before the child could be stopped');
}

for (const [signal, status] of [['SIGINT', 130], ['SIGTERM', 143]] as const) {
  test(`chainstate stats interrupted by ${signal} mid-scan leaves no private copy and exits ${status}`, async () => {
    const { tmp, env } = tmpEnv(signal);
    const r = await interruptedStats(signal, tmp, env);
    assert.equal(r.signal, null, `ends by exiting, not by the signal: ${r.stderr}`);
    assert.equal(r.code, status, r.stderr);
    assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
    assert.deepEqual(readdirSync(tmp), [], 'nothing left in $TMPDIR');
    assert.deepEqual(readdirSync(chainstate).filter((n) => n.startsWith('chainsnap-')), [], 'nothing left in the chainstate');
  });
}

test("a private copy left by a dead process is removed at the next run; a live process's is left alone", () => {
  const { tmp, env } = tmpEnv('stale');
  const gone = spawnSync(process.execPath, ['-e', '0']).pid!;
  assert.ok(!processAlive(gone));
  const stale = path.join(tmp, `chainsnap-ro-${gone}-AbC123`);
  const alive = path.join(tmp, `chainsnap-ro-${process.pid}-XyZ789`);
  const other = path.join(tmp, 'chainsnap-ro-notapid');
  for (const d of [stale, alive, other]) {
    mkdirSync(d);
    writeFileSync(path.join(d, '000005.ldb'), 'x');
  }
  const r = runCli(['chainstate', 'stats', chainstate, '--json'], env);
  assert.equal(r.status, 0, r.stderr);
  assert.equal(JSON.parse(r.stdout).txouts, COINS);
  assert.ok(!existsSync(stale), "the dead process's copy is removed");
  assert.deepEqual(readdirSync(tmp).sort(), [path.basename(other), path.basename(alive)].sort(), 'the live copy and foreign names stay');
});
