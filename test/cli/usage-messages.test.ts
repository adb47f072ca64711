/**
 * Usage errors of the offline commands in plain words, one line, status 2: unknown options (named with the
 * command, not taken for a neighbour's value), a missing or extra argument, a bad --format choice; -h is
 * --help. The real CLI in child processes.
 */
import assert from 'node:assert/strict';
import path from 'node:path';
import { test } from 'node:test';
import { assertOneLineError, runCli, scratchDir } from '../helpers.js';

const H200 = path.resolve('snapshots/regtest-h200.dat');
const dir = scratchDir();
const run = (...args: string[]) => runCli(args, { ...process.env, HOME: dir });

test('usage errors name the command, option or argument in one line, status 2', () => {
  const cases: [string[], RegExp][] = [
    [['snapshot', 'info', H200, '--threads', '2'], /unknown option --threads for chainsnap snapshot info \(its options: .*--json\)/],
    [['snapshot', 'info', '--bogus', H200], /unknown option --bogus for chainsnap snapshot info/],
    [['snapshot', 'info', H200, '-z'], /unknown option -z for chainsnap snapshot info/],
    [['snapshot', 'export', H200, '-ox.csv'], /unknown option -ox\.csv for chainsnap snapshot export/],
    [['chainstate', 'stats', dir, '--network', 'regtest'], /unknown option --network for chainsnap chainstate stats \(its options: --hash-type, --muhash, --threads, --json\)/],
    [['snapshot', 'verify'], /missing <file>: chainsnap snapshot verify <file> \[options\]/],
    [['snapshot', 'verify', '--json'], /missing <file>/],
    [['chainstate', 'stats'], /missing <dir>: chainsnap chainstate stats <dir> \[options\]/],
    [['snapshot', 'info', H200, 'extra'], /unexpected argument 'extra': chainsnap snapshot info takes one <file>/],
    [['snapshot', 'info', '--', H200], /unexpected argument '--'/],
    [['snapshot', 'export', H200, '--format', 'xml'], /--format must be one of "csv", "jsonl", got "xml"/],
  ];
  for (const [args, re] of cases) {
    const r = run(...args);
    assert.equal(r.status, 2, `${args.join(' ')}: ${r.stderr}`);
    assert.equal(r.stdout, '');
    assertOneLineError(r.stderr, re);
    assert.match(r.stderr, /\(see chainsnap --help\)$/m);
  }
});

test('values and negations of known options are not taken for arguments', () => {
  for (const args of [
    ['snapshot', 'info', H200, '--no-json'],
    ['snapshot', 'info', '--network', 'regtest', H200],
    ['snapshot', 'info', '--network=regtest', H200, '--json=false'],
    ['snapshot', 'verify', H200, '--threads', '0', '--muhash'],
  ]) {
    const r = run(...args);
    assert.equal(r.status, 0, `${args.join(' ')}: ${r.stderr}`);
  }
});

test('-h is --help, for the program and for each command', () => {
  for (const args of [['-h'], ['snapshot', '-h'], ['snapshot', 'info', '-h'], ['chainstate', 'stats', '-h']]) {
    const r = run(...args);
    assert.equal(r.status, 0, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stdout, /^chainsnap /);
    assert.equal(r.stderr, '');
  }
});
