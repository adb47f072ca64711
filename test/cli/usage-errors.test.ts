/**
 * Bad command lines and bad files as a user meets them: a usage error (exit 2) or a file error (exit 1),
 * always one line on stderr that names the option or the path and says what is wrong.
 */
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { assertOneLineError, runCli, scratchDir } from '../helpers.js';

const H200 = path.resolve('snapshots/regtest-h200.dat');
const dir = scratchDir();
const run = (...args: string[]) => runCli(args, { ...process.env, HOME: dir });

function usage(args: string[], re: RegExp): void {
  const r = run(...args);
  assert.equal(r.status, 2, `${args.join(' ')}: ${r.stderr}`);
  assertOneLineError(r.stderr, re);
}

test('a single-value option given twice is a usage error naming it', () => {
  usage(['snapshot', 'info', H200, '--network', 'regtest', '--network', 'main'], /--network given more than once/);
  usage(['snapshot', 'info', H200, '--network', 'regtest', '--chain=main'], /--chain given more than once/);
  usage(['snapshot', 'export', H200, '-o', 'a.csv', '--output', 'b.csv'], /--output given more than once/);
  usage(['snapshot', 'verify', H200, '--threads', '1', '--threads', '2'], /--threads given more than once/);
});

test('a value-taking option without its value is a usage error', () => {
  usage(['snapshot', 'info', H200, '--network'], /option --network needs a value/);
  usage(['snapshot', 'info', H200, '--assumeutxo'], /option --assumeutxo needs a value/);
  usage(['snapshot', 'verify', H200, '--threads', '--json'], /option --threads needs a value/);
  usage(['snapshot', 'export', H200, '--format'], /option --format needs a value/);
  usage(['snapshot', 'export', H200, '-o', ''], /option -o needs a value/);
  usage(['snapshot', 'export', H200, '--output='], /option --output needs a value/);
  usage(['chainstate', 'stats', dir, '--threads'], /option --threads needs a value/);
});

test('--threads that is not a whole number', () => {
  usage(['snapshot', 'verify', H200, '--threads', 'abc'], /--threads must be a positive whole number.*'abc'/);
  usage(['chainstate', 'stats', dir, '--threads', '1.5'], /--threads must be a positive whole number.*'1\.5'/);
});

test('commands: none, unknown', () => {
  const bare = run();
  assert.equal(bare.status, 2);
  assertOneLineError(bare.stderr, /no command given/);
  assert.equal(bare.stderr.match(/--help/g)?.length, 1, 'one hint');
  usage(['frob'], /unknown command frob/);
  usage(['snapshot', 'frob'], /unknown command snapshot frob/);
});

test('bad files are named, once, with what is wrong', () => {
  const file = (args: string[], re: RegExp) => {
    const r = run(...args);
    assert.equal(r.status, 1, `${args.join(' ')}: ${r.stderr}`);
    assertOneLineError(r.stderr, re);
    return r.stderr;
  };
  const sub = path.join(dir, 'a-directory');
  mkdirSync(sub);
  file(['snapshot', 'info', sub], new RegExp(`${sub} is a directory`));
  file(['snapshot', 'verify', sub], new RegExp(`${sub} is a directory`));
  const empty = path.join(dir, 'empty.dat');
  writeFileSync(empty, '');
  file(['snapshot', 'verify', empty], new RegExp(`${empty} is empty`));
  const missing = path.join(dir, 'missing.dat');
  const line = file(['snapshot', 'info', missing], /Couldn't open file .*missing\.dat for reading\./);
  assert.equal(line.split('missing.dat').length, 2, 'the path is printed once');
  file(['chainstate', 'stats', H200], /regtest-h200\.dat is not a directory/);
  file(['snapshot', 'export', H200, '-o', '/dev/full'], /\/dev\/full: no space left on device/);
});
