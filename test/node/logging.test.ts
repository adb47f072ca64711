/** The node's log: Core's line format, categories and levels, the logging RPC's control, synchronous writes. */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { createNodeLogger, LOG_CATEGORIES, resolveDebugCategories, resolveLogLevels, type NodeLogConfig } from '../../src/node/logging.js';
import { RpcError } from '../../src/rpc/errors.js';
import { scratchDir } from '../helpers.js';

function logConfig(over: Partial<NodeLogConfig> = {}): NodeLogConfig & { logFile: string } {
  return {
    debug: [],
    logLevel: { global: 'debug', categories: {} },
    printToConsole: false,
    logFile: path.join(scratchDir(), 'debug.log'),
    logTimestamps: true,
    logTimeMicros: false,
    logLevelAlways: false,
    shrinkDebugFile: false,
    ...over,
  } as NodeLogConfig & { logFile: string };
}

/** The lines written after Core's five separating newlines, timestamps cut off. */
function lines(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  assert.ok(text.startsWith('\n\n\n\n\n'));
  return text.slice(5).split('\n').filter(Boolean).map((l) => l.replace(/^\S+Z /, ''));
}

test('Core\'s line format: timestamp, then [category], [category:level] or [level] as Core prefixes', () => {
  const cfg = logConfig({ debug: ['net'], logLevel: { global: 'trace', categories: {} } });
  const { log, close } = createNodeLogger(cfg);
  const net = log.child({ category: 'net' });
  log.info('plain info');
  log.warn('careful');
  log.error('broken');
  net.debug('a net debug line');
  net.trace('a net trace line');
  net.info('a net info line');
  log.child({ category: 'rpc' }).debug('rpc is off');
  log.info('tab\there');
  void close();
  assert.deepEqual(lines(cfg.logFile), [
    'plain info', '[warning] careful', '[error] broken', '[net] a net debug line', '[net:trace] a net trace line',
    '[net:info] a net info line', 'tab\\x09here',
  ]);
  const raw = readFileSync(cfg.logFile, 'utf8').slice(5);
  assert.match(raw, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ plain info\n/);
});

test('-logtimemicros, -nologtimestamps, -loglevelalways, and the mock time Core shows', () => {
  const micro = logConfig({ logTimeMicros: true });
  createNodeLogger(micro).log.info('x');
  assert.match(readFileSync(micro.logFile, 'utf8'), /\n\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z x\n$/);
  const bare = logConfig({ logTimestamps: false, logLevelAlways: true });
  createNodeLogger(bare).log.info('y');
  assert.equal(readFileSync(bare.logFile, 'utf8'), '\n\n\n\n\n[all:info] y\n');
  const mock = logConfig();
  createNodeLogger(mock, { mockTime: () => 1700000000 }).log.info('z');
  assert.match(readFileSync(mock.logFile, 'utf8'), /Z \(mocktime: 2023-11-14T22:13:20Z\) z\n$/);
});

test('per-category levels: -loglevel=net:trace with a global debug', () => {
  const cfg = logConfig({ debug: ['net', 'rpc'], logLevel: resolveLogLevels(['debug', 'net:trace']) });
  const { log } = createNodeLogger(cfg);
  log.child({ category: 'net' }).trace('net trace');
  log.child({ category: 'rpc' }).trace('rpc trace');
  log.child({ category: 'rpc' }).debug('rpc debug');
  assert.deepEqual(lines(cfg.logFile), ['[net:trace] net trace', '[rpc] rpc debug']);
});

test('the logging RPC: categories as Core lists them, include then exclude, children follow', () => {
  const cfg = logConfig();
  const { log, logging } = createNodeLogger(cfg);
  const validation = log.child({ category: 'validation' });
  assert.deepEqual(Object.keys(logging.categories()), [...LOG_CATEGORIES]);
  assert.ok(Object.values(logging.categories()).every((on) => !on));
  validation.debug('before');
  logging.update(['validation', 'net'], ['net']);
  assert.equal(logging.categories().validation, true);
  assert.equal(logging.categories().net, false);
  validation.debug('after');
  logging.update(['all'], ['validation']);
  assert.equal(logging.categories().zmq, true);
  validation.debug('excluded');
  assert.throws(() => logging.update(['net', 'nosuch'], []), (e: unknown) => {
    assert.ok(e instanceof RpcError);
    assert.equal(e.code, -8);
    assert.equal(e.message, 'unknown logging category nosuch');
    return true;
  });
  assert.deepEqual(lines(cfg.logFile), ['[validation] after']);
});

test('-debug and -debugexclude as Core resolves them', () => {
  assert.deepEqual(resolveDebugCategories([], []), []);
  assert.deepEqual(resolveDebugCategories(['net', 'rpc'], []), ['net', 'rpc']);
  assert.equal(resolveDebugCategories([''], []).length, LOG_CATEGORIES.length);
  assert.equal(resolveDebugCategories(['1'], ['net']).includes('net'), false);
  assert.deepEqual(resolveDebugCategories(['net', 'none', 'rpc'], []), ['rpc']);
  assert.deepEqual(resolveDebugCategories(['all', '0'], []), []);
});

test('-nodebuglogfile writes no file; -printtoconsole writes the same lines to stdout, even right before exit', () => {
  const dir = scratchDir();
  const writer = path.resolve('dist/test/node/log-writer.js');
  const r = spawnSync(process.execPath, [writer, `-datadir=${dir}`, '-regtest', '-printtoconsole', '-debug=rpc'], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stderr, '');
  const file = path.join(dir, 'regtest', 'debug.log');
  assert.deepEqual(lines(file).slice(-2), ['Shutdown: done', '[rpc] last words']);
  assert.match(r.stdout, /Z Shutdown: done\n.*Z \[rpc\] last words\n$/);
  const quiet = scratchDir();
  const q = spawnSync(process.execPath, [writer, `-datadir=${quiet}`, '-regtest', '-nodebuglogfile', '-noprinttoconsole'], { encoding: 'utf8' });
  assert.equal(q.status, 0, q.stderr);
  assert.equal(q.stdout, '');
  assert.ok(!existsSync(path.join(quiet, 'regtest', 'debug.log')));
});
