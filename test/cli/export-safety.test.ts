/**
 * `snapshot export` never loses or fakes a file: it refuses to overwrite its input, writes through a
 * temporary name, and leaves nothing behind when it fails or is interrupted.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { copyFileSync, existsSync, linkSync, mkdirSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { encodeRecord } from '../../src/coins/coin-record.js';
import { getChainParams } from '../../src/consensus/params.js';
import { sha256 } from '../../src/primitives/hash.js';
import { SnapshotWriter } from '../../src/snapshot/writer.js';
import { assertOneLineError, runCli, scratchDir } from '../helpers.js';

const H200 = path.resolve('snapshots/regtest-h200.dat');
const SKIP = existsSync(H200) ? false : 'snapshots/regtest-h200.dat not found';
const dir = scratchDir();
const run = (...args: string[]) => runCli(args, { ...process.env, HOME: dir });

test('export refuses to write over its input, by name, symlink or hard link', { skip: SKIP }, () => {
  const input = path.join(dir, 'copy.dat');
  copyFileSync(H200, input);
  symlinkSync(input, path.join(dir, 'soft.dat'));
  linkSync(input, path.join(dir, 'hard.dat'));
  for (const out of [input, path.join(dir, 'soft.dat'), path.join(dir, 'hard.dat'), path.join(dir, '.', 'copy.dat')]) {
    const r = run('snapshot', 'export', input, '-o', out);
    assert.equal(r.status, 2, r.stderr);
    assertOneLineError(r.stderr, /is the input snapshot .*refusing to overwrite it/);
    assert.deepEqual(readFileSync(input), readFileSync(H200), 'the input is untouched');
  }
});

test('a failed export leaves no output and no temporary file; on stdout it ends with an error', { skip: SKIP }, () => {
  const out = path.join(dir, 'fail', 'coins.csv');
  const truncated = path.join(dir, 'truncated.dat');
  writeFileSync(truncated, readFileSync(H200).subarray(0, 5000));
  const failDir = path.dirname(out);
  mkdirSync(failDir);
  let r = run('snapshot', 'export', truncated, '-o', out);
  assert.equal(r.status, 1);
  assertOneLineError(r.stderr, /truncated snapshot/);
  assert.deepEqual(readdirSync(failDir), [], 'neither the output nor a temporary file');
  // An existing output is kept as it was when the export fails.
  writeFileSync(out, 'previous\n');
  r = run('snapshot', 'export', truncated, '-o', out);
  assert.equal(r.status, 1);
  assert.equal(readFileSync(out, 'utf8'), 'previous\n');
  assert.deepEqual(readdirSync(failDir), ['coins.csv']);
  r = run('snapshot', 'export', truncated);
  assert.equal(r.status, 1);
  assertOneLineError(r.stderr, /truncated snapshot/);
  // A successful export leaves only the output.
  r = run('snapshot', 'export', H200, '-o', out);
  assert.equal(r.status, 0, r.stderr);
  assert.equal(readFileSync(out, 'utf8').trim().split('\n').length, 201);
  assert.deepEqual(readdirSync(failDir), ['coins.csv']);
});

/** A regtest snapshot whose export is far larger than a pipe's buffer. */
function bigSnapshot(): string {
  const file = path.join(dir, 'big.dat');
  const w = new SnapshotWriter(file, { messageStart: getChainParams('regtest').messageStart, baseHash: sha256(Uint8Array.of(1)) });
  const txids = Array.from({ length: 20_000 }, (_, i) => sha256(Uint8Array.of(i & 0xff, i >> 8))).sort(Buffer.compare);
  const script = Uint8Array.of(0x51);
  for (const txid of txids) {
    const rec = encodeRecord({ txid, vout: 0, height: 1, coinbase: false, value: 1000, script });
    w.addRecords(rec, rec.length);
  }
  w.commit();
  return file;
}

test('an export to stdout interrupted by SIGTERM says so on stderr and exits non-zero', async () => {
  // The test stops reading the pipe, so the export waits on it once the pipe is full; it is then signalled.
  const big = bigSnapshot();
  const child = spawn(process.execPath, [path.resolve('bin/chainsnap.js'), 'snapshot', 'export', big, '--format', 'jsonl'], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, HOME: dir },
  });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  // Wait for the first output: the export is under way and its cleanup registered.
  await new Promise((res) => child.stdout.once('data', res));
  child.stdout.pause();
  child.kill('SIGTERM');
  const status = await new Promise<number | null>((res) => child.on('close', (code) => res(code)));
  assert.equal(status, 143);
  assertOneLineError(stderr, /export interrupted by SIGTERM: the output is incomplete/);
});
