/**
 * `chainsnap chainstate stats` as a user runs it: the real CLI in a child process on Bitcoin Core's
 * chainstate directory (regtest-A, height 400), compared with Core's gettxoutsetinfo; one-line errors.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { assertOneLineError, coreChain, NO_VECTORS, runCli, scratchDir, vector } from '../helpers.js';


const run = (...args: string[]) => runCli(args);
const oneLineError = assertOneLineError;

function fingerprint(dir: string): string {
  return readdirSync(dir)
    .sort()
    .map((f) => `${f}:${createHash('sha256').update(readFileSync(path.join(dir, f))).digest('hex')}`)
    .join('\n');
}

test("chainstate stats --json on Core's chainstate gives Core's gettxoutsetinfo and leaves it untouched", { skip: NO_VECTORS }, () => {
  const core = coreChain().main_chain[400] as unknown as Record<string, unknown>;
  const dir = scratchDir();
  execFileSync('tar', ['-xzf', vector('core-regtest-A', 'core-datadir.tar.gz'), '-C', dir]);
  const chainstate = path.join(dir, 'chainstate');
  const before = fingerprint(chainstate);

  const r = run('chainstate', 'stats', chainstate, '--json', '--muhash', '--threads', '1');
  assert.equal(r.status, 0, r.stderr);
  const j = JSON.parse(r.stdout);
  assert.equal(j.bestblock, core.hash);
  assert.equal(j.hash_serialized_3, core.hash_serialized_3);
  assert.equal(j.muhash, core.muhash);
  assert.equal(j.txouts, core.txouts);
  assert.equal(j.transactions, core.transactions);
  assert.equal(j.bogosize, core.bogosize);
  assert.equal(j.total_amount, core.total_amount);
  assert.ok(Number.isInteger(j.disk_size) && j.disk_size > 0);

  // --hash-type as gettxoutsetinfo's hash_type: only that hash, the same counts.
  const counts = { txouts: j.txouts, transactions: j.transactions, bogosize: j.bogosize, total_amount: j.total_amount };
  for (const [hashType, hashes] of [['muhash', { muhash: core.muhash }], ['none', {}], ['hash_serialized_3', { hash_serialized_3: core.hash_serialized_3 }]] as const) {
    const o = run('chainstate', 'stats', chainstate, '--json', '--hash-type', hashType, '--threads', '1');
    assert.equal(o.status, 0, o.stderr);
    const { bestblock, txouts, transactions, bogosize, total_amount, disk_size, ...rest } = JSON.parse(o.stdout);
    assert.equal(bestblock, core.hash);
    assert.deepEqual({ txouts, transactions, bogosize, total_amount }, counts, hashType);
    assert.ok(Number.isInteger(disk_size));
    assert.deepEqual(rest, hashes, hashType);
  }

  const text = run('chainstate', 'stats', chainstate);
  assert.equal(text.status, 0, text.stderr);
  assert.match(text.stdout, new RegExp(`hash_serialized_3\\s+${core.hash_serialized_3}`));
  assert.match(text.stdout, /total_amount\s+12231\.38790514 BTC/);
  assert.equal(fingerprint(chainstate), before, 'the directory is byte-for-byte unchanged');
});

test('chainstate stats: a missing or non-database directory is one line on stderr and exit 1', () => {
  const dir = scratchDir();
  const missing = run('chainstate', 'stats', path.join(dir, 'nope'), '--json');
  assert.equal(missing.status, 1);
  assert.equal(missing.stdout, '');
  oneLineError(missing.stderr, /nope: no such directory/);

  const empty = run('chainstate', 'stats', dir);
  assert.equal(empty.status, 1);
  oneLineError(empty.stderr, /no chainstate database at /);
  assert.deepEqual(readdirSync(dir), [], 'nothing created');
});
