/**
 * `chainsnap rpc` and the node commands as a user runs them (the real bin in a child process) against a
 * stand-in for bitcoind: bitcoin-cli's argument conversion, output format, errors and exit statuses,
 * cookie and config discovery, -stdin, -stdinrpcpass, -rpcwait, and progress while a load runs.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import { buildH200Chain } from '../../contrib/chaingen/spec-chains.js';
import { getChainParams } from '../../src/consensus/params.js';
import { serializeBlock } from '../../src/primitives/block.js';
import { hashToHex } from '../../src/primitives/hash.js';
import { convertNamedValues, convertValues } from '../../src/cli/rpc-convert.js';
import { parseJson, writeJson } from '../../src/cli/univalue.js';
import { runRpc } from '../../src/cli/rpc-commands.js';
import { runNodeCommand } from '../../src/cli/node-commands.js';
import { scratchDir } from '../helpers.js';
import { StandinBitcoind } from '../rpc/standin-bitcoind.js';

const params = getChainParams('regtest');
const chain = buildH200Chain(20);
const blocks = [serializeBlock(params.genesis), ...chain.blocks.map((b) => b.bytes)];

/** The real CLI in a child process, asynchronously (the stand-in server runs in this process). */
function spawned(args: string[], input = ''): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [path.resolve('bin/chainsnap.js'), ...args], { env: { ...process.env, HOME: scratchDir() } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('close', (status) => resolve({ status, stdout, stderr }));
    child.stdin.end(input);
  });
}

/** The same command run in this process (starting node takes a second here; most cases need no new process). */
async function chainsnap(args: string[], input = ''): Promise<{ status: number | null; stdout: string; stderr: string }> {
  const lines = input === '' ? [] : input.replace(/\n$/, '').split('\n');
  return args[0] === 'rpc' ? runRpc(args.slice(1), () => lines) : runNodeCommand(args[0], args.slice(1));
}

describe('argument conversion and output format (Core rpc/client.cpp, UniValue)', () => {
  const show = (v: ReturnType<typeof convertValues> | ReturnType<typeof convertNamedValues>) => writeJson(v as never);
  test('positional: only the table\'s parameters are JSON', () => {
    assert.equal(show(convertValues('getblockhash', ['5'])), '[5]');
    assert.equal(show(convertValues('getblock', ['00ff', '2'])), '["00ff",2]');
    assert.equal(show(convertValues('echo', ['1', 'true'])), '["1","true"]');
    assert.equal(show(convertValues('gettxoutsetinfo', ['muhash', '00ab'])), '["muhash","00ab"]');
    assert.equal(show(convertValues('gettxoutsetinfo', ['muhash', '12'])), '["muhash",12]');
    assert.equal(show(convertValues('dumptxoutset', ['123', 'rollback', '{"rollback":100}'])), '["123","rollback",{"rollback":100}]');
    assert.throws(() => convertValues('getblockhash', ['x']), { message: 'Error parsing JSON: x' });
  });
  test('-named: NAME=VALUE, positional leftovers in "args", and values containing "="', () => {
    assert.equal(show(convertNamedValues('getblockhash', ['height=3'])), '{"height":3}');
    assert.equal(show(convertNamedValues('echojson', ['arg1=[1]', '7', 'x=y'])), '{"arg1":[1],"x":"y","args":[7]}');
    assert.equal(show(convertNamedValues('loadtxoutset', ['my=file.dat'])), '{"args":["my=file.dat"]}');
    assert.equal(show(convertNamedValues('dumptxoutset', ['f', 'rollback=abc'])), '{"rollback":"abc","args":["f"]}');
  });
  test('UniValue layout: numbers as sent, 2-space indent, empty containers, escapes', () => {
    const text = '{"total_amount":5000.00000000,"list":[],"obj":{},"nested":[1,{"a":null}],"s":"a\\"b\\u0001\\u007f\\n"}';
    assert.equal(
      writeJson(parseJson(text), 2),
      '{\n  "total_amount": 5000.00000000,\n  "list": [\n  ],\n  "obj": {\n  },\n  "nested": [\n    1,\n    {\n      "a": null\n    }\n  ],\n  "s": "a\\"b\\u0001\\u007f\\n"\n}',
    );
  });
});

describe('chainsnap rpc against a node', async () => {
  const server = await new StandinBitcoind({ blocks, user: 'u', password: 'p' }).listen();
  after(() => server.kill());
  const base = [`-rpcport=${server.port}`, '-rpcuser=u', '-rpcpassword=p'];
  const lastParams = () => (server.requests.at(-1) as { params: unknown }).params;

  test('results: strings raw, JSON pretty; numbers converted as bitcoin-cli does', async () => {
    let r = await spawned(['rpc', ...base, 'getblockhash', '5']);
    assert.deepEqual([r.status, r.stdout, r.stderr], [0, `${hashToHex(chain.blocks[4].hash)}\n`, '']);
    assert.deepEqual(lastParams(), [5]);
    const sent = server.requests.at(-1) as Record<string, unknown>;
    assert.deepEqual(Object.keys(sent), ['method', 'params', 'id', 'jsonrpc']);
    r = await chainsnap(['rpc', ...base, 'echo', 'a', '2']);
    assert.equal(r.stdout, '[\n  "a",\n  "2"\n]\n');
    r = await chainsnap(['rpc', ...base, '-named', 'getblockhash', 'height=2']);
    assert.equal(r.stdout, `${hashToHex(chain.blocks[1].hash)}\n`);
    assert.deepEqual(lastParams(), { height: 2 });
  });

  test('errors: Core\'s code and message on stderr, exit status |code|', async () => {
    let r = await spawned(['rpc', ...base, 'getblockhash', '999']);
    assert.deepEqual([r.status, r.stdout, r.stderr], [8, '', 'error code: -8\nerror message:\nBlock height out of range\n']);
    r = await chainsnap(['rpc', ...base, 'nosuchmethod']);
    // In process the status is |code|; the OS keeps its low 8 bits (89), as for bitcoin-cli.
    assert.deepEqual([r.status, r.stderr], [32601, 'error code: -32601\nerror message:\nMethod not found\n']);
    r = await chainsnap(['rpc', ...base, 'getblockhash', 'five']);
    assert.deepEqual([r.status, r.stderr], [1, 'error: Error parsing JSON: five\n']);
    r = await chainsnap(['rpc', `-rpcport=${server.port}`, '-rpcuser=u', '-rpcpassword=wrong', 'getblockcount']);
    assert.deepEqual([r.status, r.stderr], [1, 'error: Authorization failed: Incorrect rpcuser or rpcpassword\n']);
    r = await chainsnap(['rpc', '-regtest', `-datadir=${scratchDir()}`, `-rpcport=${server.port}`, 'getblockcount']);
    assert.equal(r.status, 1);
    assert.match(r.stderr, /^error: Could not locate RPC credentials\. No authentication cookie could be found, and RPC password is not set\. {2}See -rpcpassword and -stdinrpcpass\. {2}Configuration file: \(.*bitcoin\.conf\)\n$/);
    r = await chainsnap(['rpc', '-bogus', 'getblockcount']);
    assert.deepEqual([r.status, r.stderr], [1, 'Error parsing command line arguments: Invalid parameter -bogus\n']);
    r = await chainsnap(['rpc', ...base]);
    assert.deepEqual([r.status, r.stderr], [1, 'error: too few parameters (need at least command)\n']);
  });

  test('no server: "Could not connect to the server", exit 1', async () => {
    const gone = await new StandinBitcoind({ blocks, user: 'u', password: 'p' }).listen();
    const port = gone.port;
    await gone.kill();
    const r = await spawned(['rpc', `-rpcport=${port}`, '-rpcuser=u', '-rpcpassword=p', 'getblockcount']);
    assert.equal(r.status, 1);
    assert.ok(r.stderr.startsWith(`error: timeout on transient error: Could not connect to the server 127.0.0.1:${port}\n\nMake sure the bitcoind server is running`), r.stderr);
  });

  test('-stdin and -stdinrpcpass', async () => {
    let r = await spawned(['rpc', ...base, '-stdin', 'getblockhash'], '3\n');
    assert.equal(r.stdout, `${hashToHex(chain.blocks[2].hash)}\n`);
    r = await chainsnap(['rpc', `-rpcport=${server.port}`, '-rpcuser=u', '-stdinrpcpass', '-stdin', 'getblockhash'], 'p\n4\n');
    assert.equal(r.stdout, `${hashToHex(chain.blocks[3].hash)}\n`);
  });

  test('-rpcwait waits out the warm-up; without it the warm-up error is the answer', async () => {
    server.warmupCalls = 1;
    let r = await chainsnap(['rpc', ...base, 'getblockcount']);
    assert.deepEqual([r.status, r.stderr], [28, 'error code: -28\nerror message:\nLoading block index…\n']);
    server.warmupCalls = 1;
    r = await chainsnap(['rpc', ...base, '-rpcwait', 'getblockcount']);
    assert.deepEqual([r.status, r.stdout], [0, '20\n']);
  });
});

test('cookie and bitcoin.conf found in the data directory, as bitcoin-cli finds them', async (t) => {
  const datadir = scratchDir();
  mkdirSync(path.join(datadir, 'regtest'));
  const server = await new StandinBitcoind({ blocks, cookieFile: path.join(datadir, 'regtest', '.cookie') }).listen();
  t.after(() => server.kill());
  // Top-level rpcport is for main only (network-only option); the [regtest] section's applies.
  writeFileSync(path.join(datadir, 'bitcoin.conf'), `regtest=1\nrpcport=1\n[regtest]\nrpcport=${server.port}\n`);
  const r = await spawned(['rpc', `-datadir=${datadir}`, 'getblockcount']);
  assert.deepEqual([r.status, r.stdout, r.stderr], [0, '20\n', '']);
});

test('node commands: loadtxoutset shows progress from getprogress, dumptxoutset --rollback, status', async (t) => {
  const file = path.join(scratchDir(), 'snap.dat');
  let polls = 0;
  let release!: () => void;
  const loaded = new Promise<void>((r) => (release = r));
  const op = { id: 1, kind: 'loadtxoutset', target: file, done: 0, total: 200, unit: 'coins', state: 'running' };
  const server = await new StandinBitcoind({
    blocks,
    user: 'u',
    password: 'p',
    methods: {
      // The load finishes once the client has seen its progress twice (no timing involved).
      loadtxoutset: async () => {
        await loaded;
        op.state = 'done';
        return { coins_loaded: 200, tip_hash: hashToHex(chain.blocks[19].hash), base_height: 200, path: file };
      },
      getprogress: () => {
        op.done = Math.min(200, op.done + 100);
        if (++polls >= 2) release();
        return { operations: [op] };
      },
      dumptxoutset: (p) => ({ path: p[0], params: p }),
      getchainstates: () => ({ headers: 20, chainstates: [{ blocks: 20, bestblockhash: hashToHex(chain.blocks[19].hash), validated: true }] }),
    },
  }).listen();
  t.after(() => server.kill());
  const opts = ['-regtest', `-rpcport=${server.port}`, '-rpcuser=u', '-rpcpassword=p'];

  let r = await spawned(['loadtxoutset', file, ...opts]);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /^\{\n {2}"coins_loaded": 200,/);
  assert.match(r.stderr, /Loading snapshot: \d+ of 200 coins \(\d+\.\d%\)\n/);

  r = await chainsnap(['dumptxoutset', 'out.dat', '--rollback', '100', ...opts]);
  assert.equal(r.status, 0, r.stderr);
  assert.deepEqual(JSON.parse(r.stdout).params, [path.resolve('out.dat'), 'rollback', { rollback: 100 }]);

  r = await chainsnap(['getchainstates', '--chain', 'regtest', '--rpcport', String(server.port), '--rpcuser', 'u', '--rpcpassword', 'p']);
  assert.equal(r.status, 0, r.stderr);
  assert.equal(JSON.parse(r.stdout).headers, 20);

  r = await chainsnap(['status', ...opts]);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /^chain: regtest {2}blocks: 20 {2}headers: 20\n/);
  assert.match(r.stdout, /normal {5}height 20 {2}validated/);
  assert.match(r.stdout, /#1 loadtxoutset .*snap\.dat: done, 200 of 200 coins \(100\.0%\)/);
});
