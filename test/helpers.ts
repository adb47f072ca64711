/** Shared test plumbing: where the real-data vectors live, and scratch directories. */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after } from 'node:test';

/** ../shared/vectors beside the checkout (CI puts it there); tests skip when it is absent. */
export const VECTORS = path.resolve(process.cwd(), '../shared/vectors');
export const HAVE_VECTORS = existsSync(VECTORS);
export const NO_VECTORS = HAVE_VECTORS ? false : `real-data vectors not found at ${VECTORS}`;

export function vector(...parts: string[]): string {
  return path.join(VECTORS, ...parts);
}

/** A fresh directory removed when the test file ends. */
export function scratchDir(prefix = 'chainsnap-test-'): string {
  const dir = mkdtempSync(path.join(tmpdir(), prefix));
  after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** One height (or stale block) of Core's regtest-A chain.json: the block and Core's gettxoutsetinfo at it. */
export interface CoreStats {
  height: number;
  hash: string;
  hash_serialized_3: string;
  muhash: string;
  txouts: number;
  transactions: number;
  bogosize: number;
  total_amount: number;
}

/** A dumptxoutset Core made of regtest-A (files under core-regtest-A/snapshots). */
export interface CoreSnapshot {
  file: string;
  coins_written: number;
  base_hash: string;
  base_height: number;
  txoutset_hash: string;
  nchaintx: number;
  sha256: string;
}

export interface CoreChain {
  main_chain: CoreStats[];
  stale: CoreStats[];
  snapshots: CoreSnapshot[];
}

let coreChainCache: CoreChain | undefined;

/** core-regtest-A/chain.json (only call when HAVE_VECTORS). */
export function coreChain(): CoreChain {
  coreChainCache ??= JSON.parse(readFileSync(vector('core-regtest-A', 'chain.json'), 'utf8')) as CoreChain;
  return coreChainCache;
}

/** Core's regtest-A snapshots as trusted regtest assumeutxo entries. */
export function coreTrustedEntries(): string[] {
  return coreChain().snapshots.map((s) => `${s.base_height}:${s.base_hash}:${s.txoutset_hash}:${s.nchaintx}`);
}

/** Runs the real CLI (bin/chainsnap.js) in a child process. */
export function runCli(args: string[], env: NodeJS.ProcessEnv = process.env) {
  const r = spawnSync(process.execPath, [path.resolve('bin/chainsnap.js'), ...args], { encoding: 'utf8', env });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** A user error: exactly one line on stderr, Core-style prefix, the expected words, no stack trace. */
export function assertOneLineError(stderr: string, re: RegExp): void {
  const lines = stderr.trim().split('\n');
  assert.equal(lines.length, 1, `one line on stderr, got:\n${stderr}`);
  assert.match(lines[0], /^chainsnap: error: /);
  assert.match(lines[0], re);
  assert.doesNotMatch(stderr, /\n\s+at /, 'no stack trace');
}

/** A deterministic pseudo-random byte stream (xorshift), so failures reproduce. */
export function prng(seed: number): (n: number) => Buffer {
  let s = seed >>> 0 || 1;
  return (n) => {
    const b = Buffer.allocUnsafe(n);
    for (let i = 0; i < n; i++) {
      s ^= s << 13;
      s ^= s >>> 17;
      s ^= s << 5;
      b[i] = s & 0xff;
    }
    return b;
  };
}
