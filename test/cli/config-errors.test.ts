/**
 * Bad values in chainsnap.conf name the file and line and give status 1 (a config error); the same
 * values on the command line are usage errors (status 2). The real CLI in child processes.
 */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { assertOneLineError, runCli, scratchDir } from '../helpers.js';

const H200 = path.resolve('snapshots/regtest-h200.dat');
const dir = scratchDir();
const run = (...args: string[]) => runCli(args, { ...process.env, HOME: dir });
const ENTRY = '120:6c1d1036f20bfbb0fb6037836d4bf40fdae670918c86b3e11f187bc3d39a4f66:5018d197732b7db4232d757afd99c5a548791d06e11d66223b2679ec03985f30:262';

function conf(name: string, text: string): string {
  const file = path.join(dir, name);
  writeFileSync(file, text);
  return file;
}

test('a bad value in the config file names the file and line, status 1', () => {
  const cases: [string, string, RegExp][] = [
    ['chain.conf', '# comment\nchain=foo\n', /chain\.conf:2: unknown network "foo"/],
    ['fields.conf', '[regtest]\n\nassumeutxo=1:2:3\n', /fields\.conf:3: assumeutxo entry "1:2:3": expected HEIGHT:BLOCKHASH/],
    ['conflict.conf', `[regtest]\nassumeutxo=${ENTRY}\nassumeutxo=${ENTRY.replace(/262$/, '263')}\n`, /conflict\.conf:3: assumeutxo entry .*conflicts with existing entry/],
    ['main.conf', `chain=main\n[main]\nassumeutxo=${ENTRY}\n`, /main\.conf:3: refusing user-trusted assumeutxo entries on network main/],
    ['challenge.conf', 'chain=signet\n[signet]\nsignetchallenge=zz\n', /challenge\.conf:3: signet challenge must be non-empty hex, got "zz"/],
  ];
  for (const [name, text, re] of cases) {
    const r = run('snapshot', 'verify', H200, '--conf', conf(name, text));
    assert.equal(r.status, 1, `${name}: ${r.stderr}`);
    assert.equal(r.stdout, '');
    assertOneLineError(r.stderr, re);
    assert.ok(r.stderr.includes(path.join(dir, name)), 'the path as given');
  }
});

test('the same bad values on the command line are usage errors, status 2', () => {
  for (const args of [['--network', 'foo'], ['--assumeutxo', '1:2:3'], ['--network', 'main', '--assumeutxo', ENTRY]]) {
    const r = run('snapshot', 'info', H200, ...args);
    assert.equal(r.status, 2, r.stderr);
    assertOneLineError(r.stderr, /unknown network|expected HEIGHT|refusing user-trusted/);
  }
});

test('a config file that cannot be read is named once, in plain words', () => {
  const missing = path.join(dir, 'nope.conf');
  const r = run('snapshot', 'info', H200, '--conf', missing);
  assert.equal(r.status, 1);
  assertOneLineError(r.stderr, /^chainsnap: error: cannot read config file \S+nope\.conf: no such file or directory$/);
  assert.equal(r.stderr.split('nope.conf').length, 2, 'the path once');
});

test("a --datadir that does not exist is an error in Core's words, not silently ignored", () => {
  const r = run('snapshot', 'info', H200, '--datadir', path.join(dir, 'typo'));
  assert.equal(r.status, 1);
  assertOneLineError(r.stderr, /^chainsnap: error: Specified data directory "\S+typo" does not exist\.$/);
  assert.equal(run('snapshot', 'info', H200, '--datadir', dir).status, 0);
});
