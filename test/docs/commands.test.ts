/**
 * Every command shown in README.md and docs/cli.md runs, succeeds (or fails, where the docs show it
 * failing), and prints what the docs show (see doc-commands.ts for the convention). Each document runs in
 * a scratch checkout (bin, snapshots and node_modules linked, dist/src copied) with an empty HOME and
 * TMPDIR, beside a link to ../shared when the vectors exist; blocks that need ../shared skip without it.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { closeSync, cpSync, existsSync, mkdirSync, openSync, readdirSync, readFileSync, symlinkSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { scratchDir } from '../helpers.js';
import { docBlocks, outputMatches, showsError, type DocCommand } from './doc-commands.js';

const ROOT = process.cwd();
const SHARED = path.resolve(ROOT, '../shared');
const HAVE_SHARED = existsSync(path.join(SHARED, 'vectors'));
const DOCS = ['README.md', 'docs/cli.md'];

test('the convention: commands, continuations, output, wildcards', () => {
  const md = ['<!-- doc-test: skip (a daemon) -->', '```', '$ a \\', '    b', 'out 1', '...', '$ c', '```', '', '```sh', 'synopsis FILE', '```'].join('\n');
  const blocks = docBlocks(md);
  assert.equal(blocks.length, 1);
  assert.equal(blocks[0].skip, 'a daemon');
  assert.deepEqual(blocks[0].commands, [
    { command: 'a b', output: ['out 1', '...'], line: 3 },
    { command: 'c', output: [], line: 7 },
  ]);
  assert.ok(outputMatches(['x', '...', 'time … s'], ['x', '1', '2', 'time 0.5 s']));
  assert.ok(outputMatches(['...'], []));
  assert.ok(!outputMatches(['x'], ['x', 'y']));
  assert.ok(!outputMatches(['a.c'], ['abc']), 'only … is a wildcard');
});

/** A fresh checkout-like directory to run a document's commands in. */
function checkout(): { cwd: string; env: NodeJS.ProcessEnv; tmp: string } {
  const dir = scratchDir('chainsnap-doctest-');
  const cwd = path.join(dir, 'chainsnap');
  mkdirSync(cwd);
  for (const name of ['bin', 'snapshots', 'node_modules', 'package.json', 'contrib']) symlinkSync(path.join(ROOT, name), path.join(cwd, name));
  cpSync(path.join(ROOT, 'dist', 'src'), path.join(cwd, 'dist', 'src'), { recursive: true });
  if (HAVE_SHARED) symlinkSync(SHARED, path.join(dir, 'shared'));
  const home = path.join(dir, 'home');
  const tmp = path.join(dir, 'tmp');
  mkdirSync(home);
  mkdirSync(tmp);
  return { cwd, tmp, env: { ...process.env, HOME: home, TMPDIR: tmp, NO_COLOR: '1' } };
}

/** `npm start` builds then runs the demo; dist/ is built already (and rebuilding it would pull it from under the tests). */
function asRun(command: string): string {
  return command.replace(/^npm start(?: --)?(?=\s|$)/, 'node dist/src/cli/demo.js');
}

function run(c: DocCommand, where: { cwd: string; env: NodeJS.ProcessEnv; tmp: string }, previous: number): { status: number; lines: string[] } {
  const outFile = path.join(where.tmp, '..', 'output');
  const fd = openSync(outFile, 'w');
  let r;
  try {
    // One descriptor for both streams keeps their interleaving as a terminal would show it.
    r = spawnSync('bash', ['-c', `(exit ${previous}); ${asRun(c.command)}`], { cwd: where.cwd, env: where.env, stdio: ['ignore', fd, fd], timeout: 300_000 });
  } finally {
    closeSync(fd);
  }
  const lines = readFileSync(outFile, 'utf8').split('\n').map((l) => l.trimEnd());
  while (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
  return { status: r.status ?? 128, lines };
}

for (const doc of DOCS) {
  const blocks = docBlocks(readFileSync(path.join(ROOT, doc), 'utf8'));
  const where = checkout();
  for (const block of blocks) {
    const needsShared = block.commands.some((c) => c.command.includes('../shared'));
    const skip = block.skip ?? (needsShared && !HAVE_SHARED ? `needs ${SHARED}/vectors, which is absent` : false);
    test(`${doc}:${block.line}: ${block.commands[0].command.slice(0, 70)}`, { skip }, () => {
      let previous = 0;
      for (const c of block.commands) {
        const { status, lines } = run(c, where, previous);
        const at = `${doc}:${c.line}: $ ${c.command}\n--- output:\n${lines.join('\n')}`;
        if (!c.command.includes('echo $?')) {
          if (showsError(c.output)) assert.notEqual(status, 0, `fails, as the docs show\n${at}`);
          else assert.equal(status, 0, `succeeds\n${at}`);
        }
        if (c.output.length > 0) assert.ok(outputMatches(c.output, lines), `prints what the docs show:\n${c.output.join('\n')}\n${at}`);
        previous = status;
      }
    });
  }
  test(`${doc}: its commands leave nothing in TMPDIR`, () => {
    assert.deepEqual(readdirSync(where.tmp), []);
  });
}
