/**
 * Fault injection (issue 11): damaged files and a hostile system under a real engine. Each case must give a
 * clear error, lose nothing that was durable before it, and leave a state the next start handles.
 *   files: a chainstate LevelDB table (a flipped byte, truncated), a snapshot file (both), the snapshot
 *          chainstate's base_blockhash (both);
 *   system: a full disk (a small tmpfs), too few file descriptors (`ulimit -n` in a child process), a
 *          read-only data directory (a read-only bind mount; as root, chmod would not stop writes).
 * The system cases need root and mount(8); where the environment cannot provide them they skip and say so.
 * (blk, rev and block index files are covered with the block storage's own tests.)
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { closeSync, copyFileSync, existsSync, mkdirSync, openSync, readdirSync, readFileSync, readSync, statSync, truncateSync, writeFileSync, writeSync } from 'node:fs';
import path from 'node:path';
import { after, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { buildH200Chain } from '../../contrib/chaingen/spec-chains.js';
import { getChainParams } from '../../src/consensus/params.js';
import { BlockStorage } from '../../src/chain/block-storage.js';
import { ChainstateManager, StartupError } from '../../src/chain/chainstate-manager.js';
import { snapshotChainstateDir } from '../../src/chain/chainstate-dirs.js';
import { computeChainstateStats } from '../../src/coins/coins-stats.js';
import { blockHash } from '../../src/primitives/block.js';
import { hashToHex } from '../../src/primitives/hash.js';
import { scratchDir } from '../helpers.js';

const RUNNER = fileURLToPath(new URL('./fixtures/fault-runner.js', import.meta.url));
const params = getChainParams('regtest');
const now = () => 2_000_000_000;
const chain = buildH200Chain(200);
const SNAPSHOT = path.resolve('snapshots/regtest-h200.dat');
const noSnapshot = existsSync(SNAPSHOT) ? false : 'no snapshots/regtest-h200.dat';

const open = (datadir: string) => ChainstateManager.open({ datadir, params, now, background: 'in-process' });

function flipByte(file: string, at: number): void {
  const fd = openSync(file, 'r+');
  try {
    const b = Buffer.alloc(1);
    readSync(fd, b, 0, 1, at);
    b[0] ^= 0x01;
    writeSync(fd, b, 0, 1, at);
  } finally {
    closeSync(fd);
  }
}

/** A datadir synced to `height` and closed, its chainstate compacted into a table file (by one more start). */
async function syncedDatadir(prefix: string, height: number): Promise<string> {
  const datadir = scratchDir(prefix);
  const m = await open(datadir);
  for (const b of chain.blocks.slice(0, height)) await m.processBlock(b.bytes);
  await m.close();
  await (await open(datadir)).close();
  return datadir;
}

/** Every block the index says is stored reads back as itself; returns the highest stored height. */
async function storedBlocksIntact(datadir: string): Promise<number> {
  const storage = await BlockStorage.open(datadir, params, { now });
  try {
    let high = 0;
    for (const e of storage.index.entries()) {
      if (!e.status.haveData || e.height === 0) continue;
      assert.equal(hashToHex(blockHash((await storage.readBlock(e)).header)), e.key, `block ${e.height} reads back as itself`);
      high = Math.max(high, e.height);
    }
    return high;
  } finally {
    await storage.close();
  }
}

function chainstateTable(datadir: string): string {
  const dir = path.join(datadir, 'chainstate');
  const tables = readdirSync(dir).filter((f) => f.endsWith('.ldb'));
  assert.ok(tables.length > 0, 'the chainstate has a table file');
  return path.join(dir, tables.sort().pop()!);
}

test('chainstate LevelDB table, a flipped byte: the table scan names the corrupt block; the blocks stay; the next start is the same', async (t) => {
  const datadir = await syncedDatadir('chainsnap-fault-ldbflip-', 120);
  flipByte(chainstateTable(datadir), 100);
  for (const start of ['first', 'next']) {
    const m = await open(datadir);
    try {
      // classic-level reads without LevelDB's verify_checksums; the full scan (gettxoutsetinfo) checks every block.
      await assert.rejects(computeChainstateStats(m.active.db), (e: Error) => {
        assert.match(e.message, /corrupt database: table \d+: block at \d+: checksum mismatch/);
        if (start === 'first') t.diagnostic(`${e.name}: ${e.message}`);
        return true;
      });
    } finally {
      await m.close();
    }
  }
  assert.equal(await storedBlocksIntact(datadir), 120);
});

test('chainstate LevelDB table, truncated: startup refuses with the database error, and again at the next start; the blocks stay', async (t) => {
  const datadir = await syncedDatadir('chainsnap-fault-ldbtrunc-', 120);
  const table = chainstateTable(datadir);
  truncateSync(table, Math.floor(statSync(table).size / 2));
  const size = statSync(table).size;
  for (const start of ['first', 'next']) {
    await assert.rejects(open(datadir), (e: Error) => {
      assert.match(e.message, /cannot open chainstate database at .*chainstate: /);
      if (start === 'first') t.diagnostic(`${e.name}: ${e.message}`);
      return true;
    });
  }
  assert.equal(statSync(table).size, size, 'nothing was rewritten or removed');
  assert.equal(await storedBlocksIntact(datadir), 120);
});

for (const damage of ['flipped', 'truncated'] as const) {
  test(`snapshot file, ${damage}: loadtxoutset refuses, the active chainstate goes on, no snapshot chainstate is left`, { skip: noSnapshot }, async (t) => {
    const datadir = await syncedDatadir(`chainsnap-fault-snap${damage}-`, 20);
    const file = path.join(scratchDir('chainsnap-fault-snapfile-'), 'utxo.dat');
    copyFileSync(SNAPSHOT, file);
    const size = statSync(file).size;
    if (damage === 'flipped') flipByte(file, size - 200);
    else truncateSync(file, Math.floor(size / 2));
    const m = await open(datadir);
    try {
      for (const b of chain.blocks) m.processHeader(b.block.header);
      await assert.rejects(m.loadSnapshot(file), (e: Error) => {
        assert.ok(e.message.length > 0);
        t.diagnostic(`${e.name}: ${e.message}`);
        return true;
      });
      assert.deepEqual(m.chainstates().map((c) => [c.role, c.tip.height]), [['normal', 20]]);
      assert.equal(m.fatal, undefined);
      await m.processBlock(chain.blocks[20].bytes);
      assert.equal(m.active.tip.height, 21, 'the node goes on');
    } finally {
      await m.close();
    }
    assert.ok(!existsSync(snapshotChainstateDir(datadir)), 'no chainstate_snapshot left behind');
    const again = await open(datadir);
    assert.equal(again.active.tip.height, 21);
    await again.close();
  });
}

/** A datadir with a snapshot chainstate at 200 (the background one at genesis). */
async function snapshotDatadir(prefix: string): Promise<string> {
  const datadir = scratchDir(prefix);
  const m = await open(datadir);
  for (const b of chain.blocks) m.processHeader(b.block.header);
  await m.loadSnapshot(SNAPSHOT);
  await m.close();
  return datadir;
}

test('base_blockhash, a flipped byte: startup refuses with Core\'s message and keeps the snapshot chainstate; repaired, it starts', { skip: noSnapshot }, async (t) => {
  const datadir = await snapshotDatadir('chainsnap-fault-baseflip-');
  const file = path.join(snapshotChainstateDir(datadir), 'base_blockhash');
  flipByte(file, 0);
  for (const start of ['first', 'next']) {
    await assert.rejects(open(datadir), (e: Error) => {
      assert.ok(e instanceof StartupError, e.name);
      assert.match(e.message, /^Assumeutxo data not found for the given blockhash '[0-9a-f]{64}'\.$/);
      if (start === 'first') t.diagnostic(e.message);
      return true;
    });
    assert.ok(existsSync(snapshotChainstateDir(datadir)), 'the snapshot chainstate is kept');
  }
  flipByte(file, 0);
  const m = await open(datadir);
  try {
    assert.equal(m.snapshotBase?.height, 200, 'the snapshot chainstate is back, nothing lost');
  } finally {
    await m.close();
  }
});

test('base_blockhash, truncated: startup refuses (Core\'s ReadSnapshotBaseBlockhash throws, "Error loading databases") and keeps the snapshot chainstate; repaired, it starts', { skip: noSnapshot }, async () => {
  const datadir = await snapshotDatadir('chainsnap-fault-basetrunc-');
  const file = path.join(snapshotChainstateDir(datadir), 'base_blockhash');
  const whole = readFileSync(file);
  truncateSync(file, 16);
  for (let start = 0; start < 2; start++) {
    await assert.rejects(open(datadir), (e: Error) => {
      assert.ok(e instanceof StartupError, e.name);
      assert.equal(e.message, 'Error loading databases');
      return true;
    });
    assert.ok(existsSync(snapshotChainstateDir(datadir)), 'the snapshot chainstate is kept');
  }
  writeFileSync(file, whole);
  const m = await open(datadir);
  try {
    assert.equal(m.snapshotBase?.height, 200, 'the snapshot chainstate is back, nothing lost');
  } finally {
    await m.close();
  }
});

// ---- the system: whole processes ------------------------------------------------------------------------

const isRoot = process.getuid?.() === 0;
const mounted: string[] = [];
after(() => {
  for (const dir of mounted.reverse()) spawnSync('umount', [dir]);
});

function mount(args: string[], dir: string): boolean {
  const r = spawnSync('mount', [...args, dir], { encoding: 'utf8' });
  if (r.status !== 0) return false;
  mounted.push(dir);
  return true;
}

function umount(dir: string): void {
  const r = spawnSync('umount', [dir], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  mounted.splice(mounted.indexOf(dir), 1);
}

interface RunnerResult {
  tip?: number;
  error?: string;
  message?: string;
  cause?: string;
  stored?: number;
}

function runEngine(datadir: string, count: number, opts: { dbcache?: number; fdLimit?: number } = {}): RunnerResult {
  const args = [RUNNER, datadir, String(count), ...(opts.dbcache ? [String(opts.dbcache)] : [])];
  const r = opts.fdLimit
    ? spawnSync('sh', ['-c', `ulimit -n ${opts.fdLimit} && exec "$0" "$@"`, process.execPath, ...args], { encoding: 'utf8', timeout: 120_000 })
    : spawnSync(process.execPath, args, { encoding: 'utf8', timeout: 120_000 });
  const line = r.stdout.trim().split('\n').pop() ?? '';
  try {
    return JSON.parse(line) as RunnerResult;
  } catch {
    return { error: 'crash', message: `exit ${r.status} ${r.signal ?? ''}: ${r.stderr.trim().split('\n').slice(-3).join(' | ')}` };
  }
}

/** A scratch directory with a tmpfs of `size` mounted on it, or undefined when mounting is not possible here. */
function tmpfs(size: string): string | undefined {
  if (!isRoot) return undefined;
  const dir = scratchDir('chainsnap-fault-tmpfs-');
  return mount(['-t', 'tmpfs', '-o', `size=${size}`, 'tmpfs'], dir) ? dir : undefined;
}

/**
 * Todo until block-store.ts stops reporting the space of a failed write as synced: today the block index
 * then records blk/rev sizes past the data that reached the file, and the next start refuses with "...are
 * shorter than the block index records". (Passes with that fix: a failed write makes sync() reject.)
 */
test('a full disk (ENOSPC on a 1 MiB tmpfs): Core\'s fatal "Disk space is too low!"; with room again, the next start goes on to the tip', async (t) => {
  const dir = tmpfs('1m');
  if (!dir) return t.skip('needs root and mount -t tmpfs (not available here)');
  try {
    const datadir = path.join(dir, 'regtest');
    mkdirSync(datadir);
    // A small dbcache: the coins (and with them blocks and index) are written every few dozen blocks.
    const full = runEngine(datadir, 300, { dbcache: 16 * 1024 });
    t.diagnostic(JSON.stringify(full));
    assert.equal(full.error, 'FatalError', 'a fatal error, not a crash');
    assert.equal(full.message, 'Disk space is too low!');
    assert.ok(full.stored! > 0 && full.stored! < 300);
    assert.equal(spawnSync('mount', ['-o', 'remount,size=16m', dir]).status, 0);
    const durable = await storedBlocksIntact(datadir);
    t.diagnostic(`blocks durable after the failure: ${durable} (stored before it: ${full.stored})`);
    assert.ok(durable > 0, 'what was written before the disk filled is still there');
    assert.deepEqual(runEngine(datadir, 300, { dbcache: 16 * 1024 }), { tip: 300 });
  } finally {
    umount(dir);
  }
});

/**
 * The runner with its descriptor limit lowered (prlimit, as `ulimit -n` would) to `extra` above what node
 * holds once its modules are loaded: a limit low enough for the engine, not for node's own start.
 */
async function runEngineWithFewFds(datadir: string, count: number, extra: number): Promise<RunnerResult> {
  const child = spawn(process.execPath, [RUNNER, datadir, String(count), String(16 * 1024)], { env: { ...process.env, FAULT_RUNNER_WAIT: '1' } });
  let out = '';
  let err = '';
  child.stderr.on('data', (d: Buffer) => (err += d));
  const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
  await new Promise<void>((resolve) => {
    child.stdout.on('data', (d: Buffer) => {
      out += d;
      if (out.includes('ready\n')) resolve();
    });
  });
  const limit = readdirSync(`/proc/${child.pid}/fd`).length + extra;
  const r = spawnSync('prlimit', ['--pid', String(child.pid), `--nofile=${limit}:${limit}`], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  child.stdin.write('go\n');
  const code = await exited;
  const line = out.trim().split('\n').pop() ?? '';
  try {
    return JSON.parse(line) as RunnerResult;
  } catch {
    return { error: 'crash', message: `exit ${code}: ${err.trim().split('\n').slice(-3).join(' | ')}` };
  }
}

test('too few file descriptors (a lowered RLIMIT_NOFILE in a child process): a clear error, and a start with enough of them reaches the tip', async (t) => {
  if (spawnSync('prlimit', ['--version']).status !== 0 || !existsSync('/proc/self/fd')) return t.skip('needs prlimit(1) and /proc');
  const datadir = scratchDir('chainsnap-fault-emfile-');
  assert.deepEqual(runEngine(datadir, 60, { dbcache: 16 * 1024 }), { tip: 60 });
  const failures: RunnerResult[] = [];
  for (const extra of [2, 4, 8, 12]) {
    const r = await runEngineWithFewFds(datadir, 120, extra);
    t.diagnostic(`${extra} descriptors to spare: ${JSON.stringify(r)}`);
    assert.notEqual(r.error, 'crash', 'an error the engine reports, not a crash');
    if (r.error) failures.push(r);
  }
  assert.ok(failures.length > 0, 'some limit was too low');
  for (const f of failures) assert.match(`${f.message} ${f.cause}`, /EMFILE|Too many open files/);
  assert.ok((await storedBlocksIntact(datadir)) >= 60, 'the blocks durable before are still there');
  assert.deepEqual(runEngine(datadir, 120, { dbcache: 16 * 1024 }), { tip: 120 });
});

test('a read-only data directory (read-only bind mount): a clear error, nothing lost; writable again, the next start goes on', async (t) => {
  if (!isRoot) return t.skip('needs root for a read-only bind mount');
  const datadir = scratchDir('chainsnap-fault-ro-');
  assert.deepEqual(runEngine(datadir, 40), { tip: 40 });
  const ro = scratchDir('chainsnap-fault-ro-view-');
  if (!mount(['--bind', datadir], ro)) return t.skip('mount --bind is not available here');
  assert.equal(spawnSync('mount', ['-o', 'remount,ro,bind', ro]).status, 0);
  const r = runEngine(ro, 60);
  t.diagnostic(JSON.stringify(r));
  assert.ok(r.error && r.error !== 'crash', `a reported error, got ${JSON.stringify(r)}`);
  assert.match(`${r.message} ${r.cause}`, /read-only|EROFS|Read-only file system/i);
  umount(ro);
  assert.equal(await storedBlocksIntact(datadir), 40);
  assert.deepEqual(runEngine(datadir, 60), { tip: 60 });
});



