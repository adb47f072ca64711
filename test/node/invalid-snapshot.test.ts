/**
 * A snapshot that background validation disproves, end to end as an operator meets it: the node loads a
 * doctored snapshot whose hash the user trusted (-assumeutxo), validates the history from another node, finds
 * the mismatch, sets the snapshot chainstate aside and stops with status 1; the next start is refused with
 * Core's message; moving the set-aside directory away lets the node start on its validated chainstate.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { addChecksum } from '../../src/script/descriptor-checksum.js';
import { scratchDir } from '../helpers.js';
import { DaemonProcess } from './daemon-process.js';

const HEIGHT = 110;
const PAYOUT = '0014' + '11'.repeat(20);

test('a doctored trusted snapshot: loaded, disproved by background validation, set aside, node stops with status 1', async () => {
  const work = scratchDir();
  const source = await DaemonProcess.start({ datadir: path.join(work, 'source') });
  await source.call('generatetodescriptor', HEIGHT, addChecksum(`raw(${PAYOUT})`));
  const dump = await source.call<{ base_hash: string; nchaintx: number; path: string }>('dumptxoutset', path.join(work, 'real.dat'), 'latest');

  // Pay one coin to another script: the file stays well-formed, its hash changes.
  const bytes = readFileSync(dump.path);
  const at = Buffer.from(bytes).indexOf(Buffer.from(PAYOUT, 'hex'));
  assert.ok(at > 0, 'the payout script is in the snapshot');
  bytes[at + 21] ^= 0x01;
  const doctored = path.join(work, 'doctored.dat');
  writeFileSync(doctored, bytes);
  const verify = spawnSync(process.execPath, ['bin/chainsnap.js', 'snapshot', 'verify', doctored, '--network', 'regtest', '--json'], { encoding: 'utf8' });
  const doctoredHash = (JSON.parse(verify.stdout) as { hash_serialized_3: string }).hash_serialized_3;
  const trust = `-assumeutxo=${HEIGHT}:${dump.base_hash}:${doctoredHash}:${dump.nchaintx}`;

  const datadir = path.join(work, 'node');
  let node = await DaemonProcess.start({ datadir, args: [trust] });
  for (let h = 1; h <= HEIGHT; h++) {
    const header = await source.call<string>('getblockheader', await source.call<string>('getblockhash', h), false);
    assert.equal(await node.call('submitheader', header), null);
  }
  const loaded = await node.call<{ coins_loaded: number }>('loadtxoutset', doctored);
  assert.equal(loaded.coins_loaded, HEIGHT);
  assert.equal(await node.stop(), 0);

  const cookie = readFileSync(path.join(source.networkDir, '.cookie'), 'utf8').trim();
  node = await DaemonProcess.start({ datadir, args: [trust, `-source-rpc=http://${cookie}@127.0.0.1:${source.port}`] });
  const { code } = await node.exited;
  assert.equal(code, 1);
  assert.match(node.stderr, /^Error: A fatal internal error occurred, see debug.log for details: chainsnap failed to validate the -assumeutxo snapshot state\./);
  const invalid = path.join(node.networkDir, 'chainstate_snapshot_INVALID');
  assert.ok(existsSync(invalid), 'the snapshot chainstate is set aside');
  assert.match(readFileSync(path.join(node.networkDir, 'debug.log'), 'utf8'), /\[snapshot\] hash mismatch: actual=\w{64}, expected=\w{64}/);

  const refused = spawnSync(process.execPath, ['--no-warnings', 'bin/chainsnapd.js', `-datadir=${datadir}`, trust, '-rpcport=1'], { encoding: 'utf8', timeout: 60_000 });
  assert.equal(refused.status, 1);
  assert.equal(refused.stderr, 'Error: UTXO snapshot failed to validate. Restart to resume normal initial block download, or try loading a different snapshot.\n');

  renameSync(invalid, path.join(work, 'kept-for-diagnosis'));
  node = await DaemonProcess.start({ datadir, args: [trust] });
  const cs = await node.call<{ chainstates: { blocks: number; validated: boolean }[] }>('getchainstates');
  assert.deepEqual(cs.chainstates.map((c) => [c.blocks, c.validated]), [[HEIGHT, true]], 'the validated chainstate built from genesis');
  assert.equal(await node.stop(), 0);
  assert.equal(await source.stop(), 0);
});
