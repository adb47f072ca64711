/**
 * JSON-RPC over real HTTP as Core's interface_rpc.py and rpc_named_arguments.py expect it: 1.0 vs 2.0 replies
 * and HTTP status codes, notifications, batches (with the member-by-member rules), named parameters with
 * `args`, argument count and type errors, and the warmup refusal.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { basic, request, startHarness } from './harness.js';

const h = await startHarness();
const cookie = readFileSync(path.join(h.dir, '.cookie'), 'utf8');
const auth = basic('__cookie__', cookie.split(':')[1]!);
const post = (body: unknown) => request(h.port, typeof body === 'string' ? body : JSON.stringify(body), { auth });

const HASH0 = '0f9188f13cb7b2c71f2a335e3a4fc328bf5beb436012afca590b1a11466e2206';

test('1.0 (legacy) replies carry result, error and id; errors are HTTP 404/500', async () => {
  let r = await post({ id: 1, method: 'getblockhash', params: [0] });
  assert.equal(r.status, 200);
  assert.equal(r.text, `{"result":"${HASH0}","error":null,"id":1}\n`);
  assert.equal(r.headers['content-type'], 'application/json');
  r = await post({ id: 2, method: 'invalidmethod', params: [] });
  assert.equal(r.status, 404);
  assert.deepEqual(r.json, { result: null, error: { code: -32601, message: 'Method not found' }, id: 2 });
  r = await post({ id: 3, method: 'getblockhash', params: [42] });
  assert.equal(r.status, 500);
  assert.deepEqual(r.json, { result: null, error: { code: -8, message: 'Block height out of range' }, id: 3 });
  // {"version": "1.1"} is ignored as Core ignores it.
  r = await post({ version: '1.1', id: 4, method: 'getblockhash', params: [0] });
  assert.equal(r.status, 200);
});

test('a request without id gets a reply without id (1.0)', async () => {
  const r = await post({ method: 'echo', params: ['x'] });
  assert.equal(r.status, 200);
  assert.equal(r.text, '{"result":["x"],"error":null}\n');
});

test('parse errors: empty body, bad JSON, a scalar', async () => {
  for (const body of ['', 'this is bad', '{"method": "echo"', '[[[' + ']]]'.slice(0, 1)]) {
    const r = await post(body);
    assert.equal(r.status, 500);
    assert.deepEqual(r.json, { result: null, error: { code: -32700, message: 'Parse error' }, id: null });
  }
  const r = await post('42');
  assert.equal(r.status, 500);
  assert.deepEqual(r.json, { result: null, error: { code: -32700, message: 'Top-level object parse error' }, id: null });
  // Core's UniValue refuses nesting deeper than 512.
  const deep = await post({ method: 'echo', params: [JSON.parse('['.repeat(600) + ']'.repeat(600))] });
  assert.equal(deep.status, 500);
  assert.equal((deep.json as { error: { code: number } }).error.code, -32700);
  const ok = await post({ method: 'echo', params: [JSON.parse('['.repeat(500) + ']'.repeat(500))] });
  assert.equal(ok.status, 200);
});

test('2.0 replies: HTTP 200 with the error in the body; bad version fields are HTTP 400', async () => {
  let r = await post({ jsonrpc: '2.0', id: 0, method: 'getblockhash', params: [0] });
  assert.equal(r.text, `{"jsonrpc":"2.0","result":"${HASH0}","id":0}\n`);
  r = await post({ jsonrpc: '2.0', id: 0, method: 'invalidmethod', params: [] });
  assert.equal(r.status, 200);
  assert.deepEqual(r.json, { jsonrpc: '2.0', error: { code: -32601, message: 'Method not found' }, id: 0 });
  r = await post({ jsonrpc: '2.0', id: 0, method: 'getblockhash', params: [42] });
  assert.equal(r.status, 200);
  assert.equal((r.json as { error: { code: number } }).error.code, -8);
  r = await post({ jsonrpc: 2, method: 'getblockhash' });
  assert.equal(r.status, 400);
  assert.deepEqual(r.json, { result: null, error: { code: -32600, message: 'jsonrpc field must be a string' } });
  r = await post({ jsonrpc: '3.0', method: 'getblockhash' });
  assert.equal(r.status, 400);
  assert.deepEqual(r.json, { result: null, error: { code: -32600, message: 'JSON-RPC version not supported' } });
  r = await post({ jsonrpc: '2.0', id: null, method: 'uptime' });
  assert.equal(r.status, 200);
  assert.equal((r.json as { id: unknown }).id, null);
  r = await post({ jsonrpc: '2.0', id: 'x' });
  assert.equal(r.status, 400);
  assert.deepEqual(r.json, { jsonrpc: '2.0', error: { code: -32600, message: 'Missing method' }, id: 'x' });
});

test('invalid request members: method type, params type', async () => {
  let r = await post({ id: 1, method: 7 });
  assert.equal(r.status, 400);
  assert.deepEqual((r.json as { error: unknown }).error, { code: -32600, message: 'Method must be a string' });
  r = await post({ id: 1, method: 'echo', params: 'x' });
  assert.equal(r.status, 400);
  assert.deepEqual((r.json as { error: unknown }).error, { code: -32600, message: 'Params must be an array or object' });
});

test('2.0 notifications are executed and answered with 204 and no body, even when they fail', async () => {
  const before = h.ctx.networkActive;
  let r = await post({ jsonrpc: '2.0', method: 'setnetworkactive', params: [!before] });
  assert.equal(r.status, 204);
  assert.equal(r.text, '');
  assert.equal(h.ctx.networkActive, !before);
  r = await post({ jsonrpc: '2.0', method: 'setnetworkactive', params: ['not a bool'] });
  assert.equal(r.status, 204);
  assert.equal(h.ctx.networkActive, !before);
  h.ctx.networkActive = before;
});

/** interface_rpc.py's batch: two good calls, an unknown method and a member without a method. */
const calls = [{ method: 'uptime' }, { method: 'invalidmethod' }, { method: 'getblockhash', params: [0] }, { pizza: 'sausage' }];

test('batches: always HTTP 200, one reply per member in order, each in its own version', async () => {
  const r = await post(calls.map((c, i) => ({ ...c, id: i + 1, ...(i % 2 ? { jsonrpc: '2.0' } : {}) })));
  assert.equal(r.status, 200);
  const replies = r.json as Record<string, unknown>[];
  assert.equal(replies.length, 4);
  assert.deepEqual(Object.keys(replies[0]!), ['result', 'error', 'id']);
  assert.deepEqual(replies[1], { jsonrpc: '2.0', error: { code: -32601, message: 'Method not found' }, id: 2 });
  assert.deepEqual(replies[2], { result: HASH0, error: null, id: 3 });
  assert.deepEqual(replies[3], { jsonrpc: '2.0', error: { code: -32600, message: 'Missing method' }, id: 4 });
});

test('batches: empty gives [], notifications are left out, all-notifications gives 204', async () => {
  let r = await post([]);
  assert.equal(r.status, 200);
  assert.equal(r.text, '[]\n');
  r = await post(calls.map((c, i) => ({ ...c, jsonrpc: '2.0', ...(i < 1 ? {} : { id: i + 1 }) })));
  assert.equal(r.status, 200);
  assert.deepEqual((r.json as { id: number }[]).map((x) => x.id), [2, 3, 4]);
  r = await post(calls.map((c) => ({ ...c, jsonrpc: '2.0' })));
  assert.equal(r.status, 204);
  assert.equal(r.text, '');
  // Without version numbers or ids: 1.0 replies without ids, not notifications.
  r = await post(calls);
  assert.equal(r.status, 200);
  assert.equal((r.json as unknown[]).length, 4);
  r = await post(calls.map((c, i) => ({ ...c, id: i, jsonrpc: '2.1' })));
  assert.deepEqual((r.json as { error: unknown }[]).map((x) => x.error), Array(4).fill({ code: -32600, message: 'JSON-RPC version not supported' }));
  // A member that is not an object: Core's "Invalid Request object".
  r = await post([1, { id: 5, method: 'uptime' }]);
  assert.deepEqual((r.json as { error: unknown }[])[0]!.error, { code: -32600, message: 'Invalid Request object' });
});

test('named parameters, as rpc_named_arguments.py checks them', async () => {
  const echo = async (params: unknown) => {
    const r = await post({ id: 1, method: 'echo', params });
    return r.json as { result: unknown; error: { code: number; message: string } | null };
  };
  assert.deepEqual((await echo({})).result, []);
  assert.deepEqual((await echo({ arg0: 0, arg9: 9 })).result, [0, ...Array(8).fill(null), 9]);
  assert.deepEqual((await echo({ arg1: 1 })).result, [null, 1]);
  assert.deepEqual((await echo({ arg9: null })).result, Array(10).fill(null));
  assert.deepEqual((await echo({ arg0: 0, arg3: 3, arg9: 9 })).result, [0, null, null, 3, null, null, null, null, null, 9]);
  assert.deepEqual((await echo({ args: [0, 1], arg3: 3, arg5: 5 })).result, [0, 1, null, 3, null, 5]);
  for (const params of [{ args: [0, 1], arg1: 1 }, { args: [0, null, 2], arg1: 1 }]) {
    assert.deepEqual((await echo(params)).error, { code: -8, message: 'Parameter arg1 specified twice both as positional and named argument' });
  }
  assert.deepEqual((await echo({ random: 1 })).error, { code: -8, message: 'Unknown named parameter random' });
  const help = await post({ id: 1, method: 'help', params: { command: 'uptime' } });
  assert.match((help.json as { result: string }).result, /^uptime\n/);
  const bad = await post({ id: 1, method: 'help', params: { random: 'uptime' } });
  assert.equal((bad.json as { error: { code: number } }).error.code, -8);
});

test('argument count errors give the help text (-1); type errors list positions (-3)', async () => {
  let r = await post({ id: 1, method: 'help', params: ['foo', 'bar'] });
  assert.equal(r.status, 500);
  let error = (r.json as { error: { code: number; message: string } }).error;
  assert.equal(error.code, -1);
  assert.match(error.message, /^help \( "command" \)\n\nList all commands/);
  r = await post({ id: 1, method: 'getblockhash', params: [] });
  assert.match((r.json as { error: { message: string } }).error.message, /^getblockhash height\n/);
  r = await post({ id: 1, method: 'help', params: [0] });
  error = (r.json as { error: { code: number; message: string } }).error;
  assert.equal(error.code, -3);
  assert.equal(error.message, 'Wrong type passed:\n{\n    "Position 1 (command)": "JSON value of type number is not of expected type string"\n}');
  r = await post({ id: 1, method: 'getrawmempool', params: ['yes', 1] });
  error = (r.json as { error: { code: number; message: string } }).error;
  assert.equal(
    error.message,
    'Wrong type passed:\n{\n    "Position 1 (verbose)": "JSON value of type string is not of expected type bool",\n' +
      '    "Position 2 (mempool_sequence)": "JSON value of type number is not of expected type bool"\n}',
  );
  r = await post({ id: 1, method: 'throwplain' });
  assert.deepEqual((r.json as { error: unknown }).error, { code: -1, message: 'plain failure' });
});

test('/wallet/<name> serves the same methods; other paths are 404', async () => {
  let r = await request(h.port, '{"method":"uptime"}', { auth, path: '/wallet/w1' });
  assert.equal(r.status, 200);
  r = await request(h.port, '{"method":"uptime"}', { auth, path: '/x' });
  assert.equal(r.status, 404);
  r = await request(h.port, '{"method":"uptime"}', { auth, path: '/?a=1' });
  assert.equal(r.status, 404);
});

test('during warmup every call gets -28 with the status message', async () => {
  const w = await startHarness({ warm: false });
  const wauth = basic('__cookie__', readFileSync(path.join(w.dir, '.cookie'), 'utf8').split(':')[1]!);
  w.server.setWarmupStatus('Loading block index…');
  let r = await request(w.port, '{"id":1,"method":"uptime"}', { auth: wauth });
  assert.equal(r.status, 500);
  assert.deepEqual((r.json as { error: unknown }).error, { code: -28, message: 'Loading block index…' });
  w.server.setWarmupFinished();
  r = await request(w.port, '{"id":1,"method":"uptime"}', { auth: wauth });
  assert.equal(r.status, 200);
});
