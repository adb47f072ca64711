/**
 * `npm start` (the demo) interrupted while its node runs: it takes the node down with it and leaves
 * nothing in $TMPDIR, exiting with the shell's status. The real demo and daemon in child processes.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { processAlive } from '../../src/primitives/exit-cleanup.js';
import { scratchDir } from '../helpers.js';

/** Alive and not a zombie waiting for a reaper. */
function running(pid: number): boolean {
  if (!processAlive(pid)) return false;
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}

for (const [signal, status] of [['SIGINT', 130], ['SIGTERM', 143]] as const) {
  test(`the demo interrupted by ${signal} stops its node and removes its data directory`, { timeout: 180_000 }, async () => {
    const tmp = path.join(scratchDir(), 'tmp');
    mkdirSync(tmp);
    const demo = spawn(process.execPath, [path.resolve('dist/src/cli/demo.js')], { env: { ...process.env, TMPDIR: tmp }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    demo.stdout.on('data', (d) => (out += d));
    demo.stderr.on('data', (d) => (out += d));
    const exited = new Promise<{ code: number | null; signal: string | null }>((resolve) => demo.once('exit', (code, sig) => resolve({ code, signal: sig })));
    let ended = false;
    void exited.then(() => (ended = true));
    while (!ended && !out.includes('1. the daemon is up')) await sleep(20);
    assert.ok(!ended, out);
    const datadir = /data directory (\S+) \(regtest\)/.exec(out)![1];
    const nodePid = Number(readFileSync(path.join(datadir, 'regtest', 'bitcoind.pid'), 'utf8'));
    assert.ok(processAlive(nodePid));
    demo.kill(signal); // the demo only, as a supervisor would (a terminal's Ctrl-C reaches the node too)
    const r = await exited;
    assert.deepEqual(r, { code: status, signal: null }, out);
    while (running(nodePid)) await sleep(20); // killed, so it goes at once; the test timeout bounds this
    assert.deepEqual(readdirSync(tmp), [], 'nothing left in $TMPDIR');
  });
}
