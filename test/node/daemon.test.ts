/** The daemon as a user runs it: a real process, its RPC over HTTP, stop, restart, a second node, SIGKILL. */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { scratchDir } from '../helpers.js';
import { DaemonProcess, RpcCallError } from './daemon-process.js';

test('start, answer over RPC, stop with status 0 and nothing on stderr; cookie and pid file removed', async () => {
  const datadir = scratchDir();
  const node = await DaemonProcess.start({ datadir });
  assert.equal(await node.call('getblockcount'), 0);
  assert.equal(typeof (await node.call('uptime')), 'number');
  assert.deepEqual(await node.call('echo', 'a', 1), ['a', 1]);
  await assert.rejects(node.call('nosuchmethod'), (e: RpcCallError) => e.code === -32601 && e.message === 'Method not found');
  for (const dir of ['blocks', 'chainstate', 'wallets']) assert.ok(existsSync(path.join(node.networkDir, dir)), dir);
  assert.ok(existsSync(path.join(node.networkDir, '.cookie')));
  assert.equal(await node.stop(), 0);
  assert.equal(node.stderr, '');
  assert.ok(!existsSync(path.join(node.networkDir, '.cookie')), 'cookie deleted at shutdown');
  assert.ok(!existsSync(path.join(node.networkDir, 'bitcoind.pid')), 'pid file removed');
});

test('SIGTERM and SIGINT shut down cleanly (exit 0, empty stderr)', async () => {
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    const node = await DaemonProcess.start({ datadir: scratchDir() });
    const { code } = await node.kill(signal);
    assert.equal(code, 0, signal);
    assert.equal(node.stderr, '', signal);
  }
});

test('a second node on the same data directory is refused with Core\'s message; a SIGKILLed node leaves no lock behind', async () => {
  const datadir = scratchDir();
  const first = await DaemonProcess.start({ datadir });
  const second = spawnSync(process.execPath, ['--no-warnings', 'bin/chainsnapd.js', `-datadir=${datadir}`, '-rpcport=1'], { encoding: 'utf8', timeout: 60_000 });
  assert.equal(second.status, 1);
  assert.match(second.stderr, /^Error: Cannot obtain a lock on directory .*regtest\. chainsnap is probably already running\.\n$/);
  assert.equal(await first.call('getblockcount'), 0, 'the first node still serves');
  await first.kill('SIGKILL');
  const again = await DaemonProcess.start({ datadir });
  assert.equal(await again.call('getblockcount'), 0);
  assert.equal(await again.stop(), 0);
});

test('bad options are refused as bitcoind refuses them', () => {
  const datadir = scratchDir();
  const run = (...args: string[]) => spawnSync(process.execPath, ['--no-warnings', 'bin/chainsnapd.js', `-datadir=${datadir}`, ...args], { encoding: 'utf8', timeout: 30_000 });
  const unknown = run('-regtest', '-frobnicate');
  assert.equal(unknown.status, 1);
  assert.equal(unknown.stderr, 'Error: Error parsing command line arguments: Invalid parameter -frobnicate\n');
  const chains = run('-regtest', '-testnet4');
  assert.equal(chains.status, 1);
  assert.match(chains.stderr, /Invalid combination of -regtest, -signet, -testnet, -testnet4 and -chain\. Can use at most one\./);
  const missing = spawnSync(process.execPath, ['--no-warnings', 'bin/chainsnapd.js', `-datadir=${path.join(datadir, 'nope')}`], { encoding: 'utf8' });
  assert.equal(missing.status, 1);
  assert.match(missing.stderr, /Specified data directory ".*nope" does not exist\./);
});
