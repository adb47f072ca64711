/**
 * The offline snapshot tools as a user runs them: the real CLI in a child process, its output, exit
 * status and one-line errors.
 */
import assert from 'node:assert/strict';
import { copyFileSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { assertOneLineError, NO_VECTORS, runCli, scratchDir, vector } from '../helpers.js';

/** Core's h200 snapshot: the one shipped in snapshots/, or Core's own copy in the vectors. */
const H200 = existsSync('snapshots/regtest-h200.dat') ? path.resolve('snapshots/regtest-h200.dat') : vector('regtest', 'core-h200.dat');
const H200_SKIP = existsSync(H200) ? false : 'no h200 snapshot available';
const dir = scratchDir();

const run = (...args: string[]) => runCli(args, { ...process.env, HOME: dir });
const oneLineError = assertOneLineError;

test('verify --json reports Core\'s numbers and exits 0 on a match', { skip: H200_SKIP }, () => {
  const r = run('snapshot', 'verify', H200, '--json', '--muhash', '--threads', '1');
  assert.equal(r.status, 0, r.stderr);
  const j = JSON.parse(r.stdout);
  assert.equal(j.network, 'regtest');
  assert.equal(j.base_hash, '385901ccbd69dff6bbd00065d01fb8a9e464dede7cfe0372443884f9b1dcf6b9');
  assert.equal(j.base_height, 200);
  assert.equal(j.coins, 200);
  assert.equal(j.hash_serialized_3, '17dcc016d188d16068907cdeb38b75691a118d43053b8cd6a25969419381d13a');
  assert.match(j.muhash, /^[0-9a-f]{64}$/);
  assert.equal(j.txouts, 200);
  assert.equal(j.total_amount, 8725);
  assert.equal(j.known, true);
  assert.equal(j.expected, j.hash_serialized_3);
});

test('verify prints a readable report', { skip: H200_SKIP }, () => {
  const r = run('snapshot', 'verify', H200);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /hash_serialized_3\s+17dcc016/);
  assert.match(r.stdout, /OK: matches the assumeutxo parameters/);
  assert.equal(r.stderr, '', 'no progress bar when stderr is not a terminal');
});

test('info and export', { skip: H200_SKIP }, () => {
  const info = run('snapshot', 'info', H200, '--json');
  assert.equal(info.status, 0, info.stderr);
  assert.deepEqual(JSON.parse(info.stdout), {
    path: H200,
    network: 'regtest',
    network_magic: 'fabfb5da',
    base_hash: '385901ccbd69dff6bbd00065d01fb8a9e464dede7cfe0372443884f9b1dcf6b9',
    base_height: 200,
    coins: 200,
    size: 14439,
    known: true,
  });
  const csv = run('snapshot', 'export', H200);
  assert.equal(csv.status, 0, csv.stderr);
  const lines = csv.stdout.trim().split('\n');
  assert.equal(lines[0], 'txid,vout,value,coinbase,height,script_pubkey');
  assert.equal(lines.length, 201);
  const out = path.join(dir, 'coins.jsonl');
  assert.equal(run('snapshot', 'export', H200, '--format', 'jsonl', '-o', out).status, 0);
  const coins = readFileSync(out, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
  assert.equal(coins.length, 200);
  assert.equal(coins.reduce((a, c) => a + c.value, 0), 8725 * 1e8);
  assert.ok(coins.every((c) => c.coinbase && c.script_pubkey === '00204ae81572f06e1b88fd5ced7a1a000945432e83e1551e6f721ee9c00b8cc33260'));
});

test('bad input: one clear line, non-zero exit', { skip: H200_SKIP }, () => {
  let r = run('snapshot', 'verify', path.join(dir, 'missing.dat'));
  assert.equal(r.status, 1);
  oneLineError(r.stderr, /Couldn't open file .*missing\.dat for reading\./);

  const truncated = path.join(dir, 'truncated.dat');
  writeFileSync(truncated, readFileSync(H200).subarray(0, 5000));
  r = run('snapshot', 'verify', truncated);
  assert.equal(r.status, 1);
  oneLineError(r.stderr, /Bad snapshot format or truncated snapshot after deserializing \d+ coins \(at byte offset 5000\)/);

  const badMagic = path.join(dir, 'magic.dat');
  const bytes = readFileSync(H200);
  bytes[0] = 0;
  writeFileSync(badMagic, bytes);
  r = run('snapshot', 'info', badMagic);
  assert.equal(r.status, 1);
  oneLineError(r.stderr, /Invalid UTXO set snapshot magic bytes.*\(at byte offset 0\)/);

  r = run('snapshot', 'verify', H200, '--network', 'main');
  assert.equal(r.status, 1);
  oneLineError(r.stderr, /The network of the snapshot \(regtest\) does not match the network of this node \(main\)\./);

  r = run('snapshot', 'verify', H200, '--network', 'moon');
  assert.equal(r.status, 2);
  oneLineError(r.stderr, /unknown network "moon"/);

  r = run('snapshot', 'verify', H200, '--network', 'main', '--assumeutxo', '1:' + '00'.repeat(32) + ':' + '00'.repeat(32) + ':2');
  assert.equal(r.status, 2);
  oneLineError(r.stderr, /refusing user-trusted assumeutxo entries on network main/);

  r = run('snapshot', 'verify', H200, '--threads', '-1');
  assert.equal(r.status, 2);
  oneLineError(r.stderr, /--threads must be a positive whole number.*'-1'/);

  r = run('snapshot', 'verify', H200, '--network', 'signet', '--signetchallenge', '51');
  assert.equal(r.status, 1);
  oneLineError(r.stderr, /does not match the network of this node \(signet\)\./);

  r = run('snapshot', 'verify', H200, '--no-such-flag');
  assert.equal(r.status, 2);
});

test('a snapshot with no assumeutxo entry is reported as unknown and fails', { skip: NO_VECTORS }, () => {
  const file = vector('core-regtest-A', 'snapshots', 'utxo-120.dat');
  const r = run('snapshot', 'verify', file, '--json');
  assert.equal(r.status, 1);
  assert.equal(JSON.parse(r.stdout).known, false);
  oneLineError(r.stderr, /assumeutxo block hash in snapshot metadata not recognized \(hash: 6c1d1036f20bfbb0fb6037836d4bf40fdae670918c86b3e11f187bc3d39a4f66\)\. The following snapshot heights are available: 110, 200, 299/);
});

test('trusted entries from the command line and from chainsnap.conf', { skip: NO_VECTORS }, () => {
  const file = path.join(dir, 'utxo-120.dat');
  copyFileSync(vector('core-regtest-A', 'snapshots', 'utxo-120.dat'), file);
  const entry = '120:6c1d1036f20bfbb0fb6037836d4bf40fdae670918c86b3e11f187bc3d39a4f66:5018d197732b7db4232d757afd99c5a548791d06e11d66223b2679ec03985f30:262';
  assert.equal(run('snapshot', 'verify', file, '--assumeutxo', entry).status, 0);
  const conf = path.join(dir, 'chainsnap.conf');
  writeFileSync(conf, `# trusted test snapshots\n[regtest]\nassumeutxo=${entry}\n`);
  // A top-level entry serves regtest and does not break networks that refuse trusted entries.
  const topLevel = path.join(dir, 'top.conf');
  writeFileSync(topLevel, `assumeutxo=${entry}\n`);
  assert.equal(run('snapshot', 'verify', file, '--conf', topLevel).status, 0);
  const mainInfo = run('snapshot', 'info', H200, '--conf', topLevel, '--network', 'main');
  oneLineError(mainInfo.stderr, /The network of the snapshot \(regtest\) does not match the network of this node \(main\)\./);
  const r = run('snapshot', 'verify', file, '--conf', conf, '--json');
  assert.equal(r.status, 0, r.stderr);
  assert.equal(JSON.parse(r.stdout).nchaintx, 262);
  // A wrong hash in the trusted entry is a mismatch, reported with Core's message.
  const wrong = entry.replace(':5018', ':6018');
  const bad = run('snapshot', 'verify', file, '--assumeutxo', wrong);
  assert.equal(bad.status, 1);
  oneLineError(bad.stderr, /Bad snapshot content hash: expected 6018d197.*, got 5018d197/);
});
