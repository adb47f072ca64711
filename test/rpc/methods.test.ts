/**
 * The control, node, net and mempool methods over real HTTP, with Core's results, value types and errors
 * (rpc_help.py, rpc_uptime.py, interface_rpc.py's getrpcinfo, rpc_misc.py's logging checks).
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { basic, request, startHarness } from './harness.js';

const h = await startHarness();
const auth = basic('__cookie__', readFileSync(path.join(h.dir, '.cookie'), 'utf8').split(':')[1]!);

interface Reply {
  result: unknown;
  error: { code: number; message: string } | null;
}

async function call(method: string, ...params: unknown[]): Promise<Reply> {
  const r = await request(h.port, JSON.stringify({ jsonrpc: '2.0', id: 1, method, params }), { auth });
  const json = r.json as Reply;
  return { result: json.result, error: json.error ?? null };
}

async function raw(method: string, ...params: unknown[]): Promise<string> {
  return (await request(h.port, JSON.stringify({ id: 1, method, params }), { auth })).text;
}

test('help lists categories as Core prints them; help <method>; unknown command', async () => {
  const list = (await call('help')).result as string;
  const titles = list.split('\n').filter((l) => l.startsWith('==')).map((l) => l.slice(3, -3));
  assert.deepEqual(titles, ['Blockchain', 'Control', 'Network']);
  assert.ok(list.startsWith('== Blockchain ==\ngetblockhash height\ngetmempoolinfo\ngetrawmempool ( verbose mempool_sequence )\n\n== Control ==\n'));
  assert.ok(list.includes('\nhelp ( "command" )\nlogging ( ["include_category",...] ["exclude_category",...] )\nstop\nuptime\n'));
  assert.ok(list.endsWith('setnetworkactive state'));
  assert.ok(!list.includes('echo'), 'hidden methods are not listed');
  const uptime = (await call('help', 'uptime')).result as string;
  assert.equal(
    uptime,
    'uptime\n\nReturns the total uptime of the server.\n\nResult:\nn    (numeric) The number of seconds that the server has been running\n\n' +
      'Examples:\n> bitcoin-cli uptime \n> curl --user myusername --data-binary \'{"jsonrpc": "2.0", "id": "curltest", "method": "uptime", "params": []}\' ' +
      "-H 'content-type: application/json' http://127.0.0.1:8332/\n",
  );
  // Hidden methods still have help by name.
  assert.match((await call('help', 'echo')).result as string, /^echo \( "arg0" "arg1" /);
  assert.equal((await call('help', 'foo')).result, 'help: unknown command: foo');
  const conversions = (await call('help', 'dump_all_command_conversions')).result as unknown[][];
  assert.deepEqual(conversions.find((c) => c[0] === 'setmocktime'), ['setmocktime', 0, 'timestamp', false]);
  assert.deepEqual(conversions.find((c) => c[0] === 'help'), ['help', 0, 'command', true]);
});

test('uptime follows mock time; setmocktime checks its range and resets with 0', async () => {
  assert.ok(((await call('uptime')).result as number) < 5);
  assert.deepEqual((await call('setmocktime', -1)).error, { code: -8, message: 'Mocktime must be in the range [0, 9223372036], not -1.' });
  assert.deepEqual((await call('setmocktime', 9223372037)).error, { code: -8, message: 'Mocktime must be in the range [0, 9223372036], not 9223372037.' });
  assert.equal((await call('setmocktime', 1.5)).error?.code, -1);
  assert.equal((await call('setmocktime', 'x')).error?.code, -3);
  const future = Math.floor(Date.now() / 1000) + 10;
  assert.deepEqual(await call('setmocktime', future), { result: null, error: null });
  assert.equal(h.ctx.mockTime, future);
  assert.ok(((await call('uptime')).result as number) >= 10);
  await call('setmocktime', 0);
  assert.equal(h.ctx.mockTime, 0);
  assert.ok(((await call('uptime')).result as number) < 10);
});

test('setmocktime is refused outside regtest', async () => {
  const params = h.ctx.params;
  const { getChainParams } = await import('../../src/consensus/params.js');
  (h.ctx as { params: unknown }).params = getChainParams('main');
  try {
    assert.deepEqual((await call('setmocktime', 1)).error, { code: -1, message: 'setmocktime is for regression testing (-regtest mode) only' });
  } finally {
    (h.ctx as { params: unknown }).params = params;
  }
});

test('echo and echojson return their arguments', async () => {
  assert.deepEqual((await call('echo', 1, 'a', { b: [null] })).result, [1, 'a', { b: [null] }]);
  assert.deepEqual((await call('echojson')).result, []);
  assert.equal((await call('echo', ...Array(11).fill(0))).error?.code, -1);
});

test('getrpcinfo: the running call itself, and the log path', async () => {
  const info = (await call('getrpcinfo')).result as { active_commands: { method: string; duration: number }[]; logpath: string };
  assert.equal(info.active_commands.length, 1);
  assert.equal(info.active_commands[0]!.method, 'getrpcinfo');
  assert.ok(Number.isInteger(info.active_commands[0]!.duration) && info.active_commands[0]!.duration >= 0);
  assert.equal(info.logpath, path.join(h.dir, 'debug.log'));
  const stats = h.server.methodStats();
  assert.ok(stats.getrpcinfo!.calls >= 1);
});

test('logging: include then exclude, "all", unknown categories and wrong types', async () => {
  let cats = (await call('logging')).result as Record<string, boolean>;
  assert.equal(cats.rpc, false);
  cats = (await call('logging', ['rpc', 'net'], ['net'])).result as Record<string, boolean>;
  assert.equal(cats.rpc, true);
  assert.equal(cats.net, false);
  cats = (await call('logging', ['all'])).result as Record<string, boolean>;
  assert.ok(Object.values(cats).every((v) => v));
  cats = (await call('logging', [], ['all'])).result as Record<string, boolean>;
  assert.ok(Object.values(cats).every((v) => !v));
  assert.deepEqual((await call('logging', ['nosuch'])).error, { code: -8, message: 'unknown logging category nosuch' });
  assert.deepEqual((await call('logging', [1])).error, { code: -3, message: 'JSON value of type number is not of expected type string' });
  assert.equal((await call('logging', 'rpc')).error?.code, -3);
});

test('getmemoryinfo: stats, and Core\'s errors for other modes', async () => {
  const stats = (await call('getmemoryinfo')).result as { locked: Record<string, number> };
  assert.deepEqual(Object.keys(stats.locked), ['used', 'free', 'total', 'locked', 'chunks_used', 'chunks_free']);
  assert.deepEqual((await call('getmemoryinfo', 'mallocinfo')).error, { code: -8, message: 'mallocinfo mode not available' });
  assert.deepEqual((await call('getmemoryinfo', 'x')).error, { code: -8, message: 'unknown mode x' });
});

test('network: no peers, Core\'s fields and types, setnetworkactive', async () => {
  assert.equal((await call('getconnectioncount')).result, 0);
  assert.deepEqual((await call('getpeerinfo')).result, []);
  const info = (await call('getnetworkinfo')).result as Record<string, unknown>;
  assert.deepEqual(Object.keys(info), [
    'version', 'subversion', 'protocolversion', 'localservices', 'localservicesnames', 'localrelay', 'timeoffset', 'networkactive',
    'connections', 'connections_in', 'connections_out', 'networks', 'relayfee', 'incrementalfee', 'localaddresses', 'warnings',
  ]);
  assert.equal(info.networkactive, true);
  assert.equal((info.networks as unknown[]).length, 5);
  assert.match(await raw('getnetworkinfo'), /"relayfee":0\.00000100,"incrementalfee":0\.00000100,/);
  assert.deepEqual(await call('setnetworkactive', false), { result: false, error: null });
  assert.equal(((await call('getnetworkinfo')).result as { networkactive: boolean }).networkactive, false);
  await call('setnetworkactive', true);
  assert.equal((await call('setnetworkactive')).error?.code, -1);
  const totals = (await call('getnettotals')).result as { totalbytesrecv: number; timemillis: number; uploadtarget: object };
  assert.equal(totals.totalbytesrecv, 0);
  assert.ok(Math.abs(totals.timemillis - Date.now()) < 10_000);
  assert.equal(Object.keys(totals.uploadtarget).length, 6);
});

test('mempool: always empty and loaded, in each of getrawmempool\'s forms', async () => {
  const info = (await call('getmempoolinfo')).result as Record<string, unknown>;
  assert.equal(info.loaded, true);
  assert.equal(info.size, 0);
  assert.equal(info.maxmempool, 300_000_000);
  assert.match(await raw('getmempoolinfo'), /"total_fee":0\.00000000,"maxmempool":300000000,"mempoolminfee":0\.00000100,/);
  assert.deepEqual((await call('getrawmempool')).result, []);
  assert.deepEqual((await call('getrawmempool', true)).result, {});
  assert.deepEqual((await call('getrawmempool', false, true)).result, { txids: [], mempool_sequence: 1 });
  assert.deepEqual((await call('getrawmempool', true, true)).error, { code: -8, message: 'Verbose results cannot contain mempool sequence values.' });
});
