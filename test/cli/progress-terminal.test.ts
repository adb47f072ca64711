/**
 * The progress bar on a real terminal (a pty from script(1)): Ctrl-C in the middle of `snapshot verify`
 * must not leave the terminal with a hidden cursor or line wrapping turned off.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';

const H200 = path.resolve('snapshots/regtest-h200.dat');
const HAVE_SCRIPT = spawnSync('script', ['--version']).status === 0;
const SKIP = !existsSync(H200) ? 'snapshots/regtest-h200.dat not found' : !HAVE_SCRIPT ? 'script(1) not available for a pty' : false;

/** Whether the last of `set` comes after the last of `reset` (the mode is still on at the end). */
function leftOn(out: string, set: string, reset: string): boolean {
  return out.lastIndexOf(set) > out.lastIndexOf(reset);
}

test('Ctrl-C during verify on a terminal leaves the cursor shown and line wrapping on', { skip: SKIP }, async () => {
  const cli = `${JSON.stringify(process.execPath)} ${JSON.stringify(path.resolve('bin/chainsnap.js'))} snapshot verify ${JSON.stringify(H200)}`;
  const child = spawn('script', ['-qfec', cli, '/dev/null'], { stdio: ['pipe', 'pipe', 'pipe'] });
  let out = '';
  let sent = false;
  child.stdout.on('data', (d: Buffer) => {
    out += d.toString('latin1');
    // The bar is up: type Ctrl-C on the terminal, as a user would.
    if (!sent && out.includes('verifying [')) {
      sent = true;
      child.stdin.write('\x03');
    }
  });
  const status = await new Promise<number | null>((res) => child.on('close', (code) => res(code)));
  assert.ok(sent, `the progress bar was drawn:\n${JSON.stringify(out)}`);
  assert.ok(status === 130 || status === 0, `interrupted (130) or already done (0), got ${status}`);
  assert.ok(!leftOn(out, '\x1b[?25l', '\x1b[?25h'), 'cursor left hidden');
  // Whether the Ctrl-C landed mid-pass or not, the bar must never enter a mode a kill would leave behind.
  assert.ok(!out.includes('\x1b[?25l'), 'the bar never hides the cursor');
  assert.ok(!out.includes('\x1b[?7l'), 'the bar never turns line wrapping off');
  assert.ok(!leftOn(out, '\x1b[?7l', '\x1b[?7h'), 'line wrapping left off');
});
