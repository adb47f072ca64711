/**
 * Every method the daemon lists in `help` (and the hidden ones Core's tests use) called with valid arguments
 * on a small chain built the assumeutxo way: the shipped h200 chain's headers, Core's h200 snapshot loaded, the blocks submitted
 * for background validation, ten more mined. Errors are accepted only where the method needs something
 * this node legitimately lacks; the node must answer after every call. A restart finds the same
 * getblockchaininfo.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { getChainParams } from '../../src/consensus/params.js';
import { toHex } from '../../src/primitives/bytes.js';
import { readFramedBlocks } from '../../src/primitives/block.js';
import { scratchDir } from '../helpers.js';
import { DaemonProcess, RpcCallError } from './daemon-process.js';
import { waitForValidatedTip, type ChainstatesReply } from './fixtures/whole-node.js';

const BLOCKS_FILE = path.resolve('snapshots/regtest-h200-blocks.dat');
const SNAPSHOT = path.resolve('snapshots/regtest-h200.dat');
const ADDRESS = 'mjTkW3DjgyZck4KbiRusZsqTgaYTxdSz6z';
const HIDDEN = ['echo', 'generatetoaddress', 'generatetodescriptor', 'generateblock', 'setmocktime', 'syncwithvalidationinterfacequeue'];

interface Tip {
  hash: string;
  height: number;
  coinbaseTxid: string;
  header: string;
  raw: string;
}

/** Arguments for each method, and for the few that may fail, why. */
const CALLS: Record<string, (tip: Tip) => unknown[]> = {
  addnode: () => ['127.0.0.1:1', 'onetry'],
  clearbanned: () => [],
  disconnectnode: () => ['127.0.0.1:1'],
  getaddednodeinfo: () => [],
  getnodeaddresses: () => [],
  listbanned: () => [],
  ping: () => [],
  setban: () => ['192.0.2.1', 'add'],
  getbestblockhash: () => [],
  getblock: (t) => [t.hash, 2],
  getblockchaininfo: () => [],
  getblockcount: () => [],
  getblockhash: (t) => [t.height],
  getblockstats: (t) => [t.height],
  getblockheader: (t) => [t.hash, true],
  getchainstates: () => [],
  getchaintips: () => [],
  getchaintxstats: () => [10],
  getdifficulty: () => [],
  getmempoolinfo: () => [],
  getprogress: () => [],
  getrawmempool: () => [true],
  gettxout: (t) => [t.coinbaseTxid, 0],
  gettxoutsetinfo: () => ['muhash'],
  dumptxoutset: () => ['every-method-dump.dat', 'latest'],
  // Already based on a snapshot (and past it): Core refuses a second one.
  loadtxoutset: () => [SNAPSHOT],
  preciousblock: (t) => [t.hash],
  invalidateblock: (t) => [t.hash],
  reconsiderblock: (t) => [t.hash],
  waitforblock: (t) => [t.hash, 1000],
  waitforblockheight: (t) => [t.height, 1000],
  waitfornewblock: () => [50],
  getmemoryinfo: () => [],
  getrpcinfo: () => [],
  help: () => ['getblock'],
  logging: () => [[], []],
  uptime: () => [],
  getblocktemplate: () => [{ rules: ['segwit'] }],
  getmininginfo: () => [],
  getnetworkhashps: () => [],
  submitblock: (t) => [t.raw],
  submitheader: (t) => [t.header],
  getconnectioncount: () => [],
  getnettotals: () => [],
  getnetworkinfo: () => [],
  getpeerinfo: () => [],
  setnetworkactive: () => [true],
  echo: () => ['x', 1],
  generatetoaddress: () => [1, ADDRESS],
  generatetodescriptor: () => [1, `addr(${ADDRESS})`],
  generateblock: () => [ADDRESS, []],
  setmocktime: () => [0],
  syncwithvalidationinterfacequeue: () => [],
};
const MAY_FAIL: Record<string, RegExp> = { loadtxoutset: /Unable to load UTXO snapshot/, disconnectnode: /Node not found in connected nodes/ };
/** Run after the others: they change the tip (then restore it), or end the node. */
const LAST = ['invalidateblock', 'reconsiderblock', 'generatetoaddress', 'generatetodescriptor', 'generateblock', 'stop'];

function infoWithoutVolatile(info: Record<string, unknown>): Record<string, unknown> {
  const { size_on_disk: _size, verificationprogress: _progress, ...rest } = info;
  return rest;
}

test('every listed RPC method answers on a small assumeutxo chain; a restart finds the same getblockchaininfo', async () => {
  const params = getChainParams('regtest');
  const blocks = [...readFramedBlocks(readFileSync(BLOCKS_FILE), params.messageStart)].map((f) => toHex(f.bytes));
  const datadir = scratchDir();
  let node = await DaemonProcess.start({ datadir });
  for (const hex of blocks) assert.equal(await node.call('submitheader', hex.slice(0, 160)), null);
  assert.equal((await node.call<{ base_height: number }>('loadtxoutset', SNAPSHOT)).base_height, 200);
  for (const hex of blocks) assert.equal(await node.call('submitblock', hex), null);
  await node.call('generatetoaddress', 10, ADDRESS);
  await waitForValidatedTip(node, blocks.length + 10, 60_000);

  const listed = (await node.call<string>('help'))
    .split('\n')
    .filter((l) => l && !l.startsWith('=='))
    .map((l) => l.split(' ')[0]);
  assert.ok(listed.length > 30, `help lists ${listed.length} methods`);
  const methods = [...listed.filter((m) => !LAST.includes(m)), ...HIDDEN.filter((m) => !LAST.includes(m)), ...LAST.filter((m) => m !== 'stop')];
  const missing = [...listed, ...HIDDEN].filter((m) => m !== 'stop' && !CALLS[m]);
  assert.deepEqual(missing, [], 'every method has arguments in this test');

  const called: string[] = [];
  for (const method of methods) {
    const hash = await node.call<string>('getbestblockhash');
    const block = await node.call<{ height: number; tx: { txid: string }[] }>('getblock', hash, 2);
    const tip: Tip = { hash, height: block.height, coinbaseTxid: block.tx[0].txid, raw: await node.call<string>('getblock', hash, 0), header: await node.call<string>('getblockheader', hash, false) };
    try {
      await node.call(method, ...CALLS[method](tip));
    } catch (e) {
      if (!(e instanceof RpcCallError)) throw e;
      assert.ok(MAY_FAIL[method]?.test(e.message), `${method} failed: ${e.code} ${e.message}`);
    }
    assert.equal(typeof (await node.call('getblockcount')), 'number', `the node answers after ${method}`);
    called.push(method);
  }
  assert.equal(called.length, methods.length);
  const cs = await node.call<ChainstatesReply>('getchainstates');
  assert.equal(cs.chainstates.length, 1);
  const before = await node.call<Record<string, unknown>>('getblockchaininfo');
  assert.equal(before.blocks, blocks.length + 13, 'ten mined, three more by the generate calls');

  assert.equal(await node.stop(), 0);
  assert.equal(node.stderr, '');
  node = await DaemonProcess.start({ datadir });
  assert.deepEqual(infoWithoutVolatile(await node.call('getblockchaininfo')), infoWithoutVolatile(before));
  assert.equal(await node.stop(), 0);
});
