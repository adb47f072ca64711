/** resolveNodeConfig: what bitcoind makes of its command line and files, refused in Core's words. */
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { resolveNodeConfig, type NodeConfig } from '../../src/node/node-config.js';
import { scratchDir } from '../helpers.js';

/** A datadir as Core's test framework writes it (util.py write_config) for node 0. */
function frameworkDatadir(extra = ''): string {
  const dir = path.join(scratchDir(), 'node0');
  mkdirSync(dir);
  writeFileSync(
    path.join(dir, 'bitcoin.conf'),
    'regtest=1\n[regtest]\nport=11000\nrpcport=16000\nrpcservertimeout=99000\nrpcdoccheck=1\nrpcthreads=2\n' +
      'fallbackfee=0.0002\nserver=1\nkeypool=1\ndiscover=0\ndnsseed=0\nfixedseeds=0\nlistenonion=0\n' +
      'peertimeout=999999999\nprinttoconsole=0\nnatpmp=0\nshrinkdebugfile=0\nunsafesqlitesync=1\nconnect=0\n' +
      'maxconnections=94\npar=2\n' + extra,
  );
  return dir;
}

/** The arguments Core's TestNode starts bitcoind with (test_node.py), plus the -bind pair start() adds. */
function frameworkArgs(dir: string): string[] {
  return [`-datadir=${dir}`, '-logtimemicros', '-debug', '-debugexclude=libevent', '-debugexclude=leveldb',
    '-debugexclude=rand', '-uacomment=testnode0', '-disablewallet', '-logthreadnames', '-logsourcelocations',
    '-loglevel=trace', '-nologratelimit', '-v2transport=0', '-bind=0.0.0.0:11000', '-bind=127.0.0.1:26000=onion'];
}

function refused(argv: string[], message: string, env: NodeJS.ProcessEnv = { HOME: scratchDir() }): void {
  assert.throws(() => resolveNodeConfig(argv, env), (e: Error) => {
    assert.equal(e.name, 'NodeConfigError');
    assert.equal(e.message, message);
    return true;
  });
}

test('Core\'s functional-test framework start: regtest, its ports, its logging, harmless options ignored', () => {
  const dir = frameworkDatadir();
  const cfg: NodeConfig = resolveNodeConfig(frameworkArgs(dir), {});
  assert.equal(cfg.network, 'regtest');
  assert.equal(cfg.params.name, 'regtest');
  assert.equal(cfg.datadir, dir);
  assert.equal(cfg.networkDir, path.join(dir, 'regtest'));
  assert.equal(cfg.blocksDir, path.join(dir, 'regtest', 'blocks'));
  assert.deepEqual(cfg.rpc.binds, [{ host: '::1', port: 16000 }, { host: '127.0.0.1', port: 16000 }]);
  assert.equal(cfg.rpc.cookieFile, path.join(dir, 'regtest', '.cookie'));
  assert.equal(cfg.rpc.threads, 2);
  assert.equal(cfg.rpc.serverTimeout, 99000);
  assert.equal(cfg.rpc.server, true);
  assert.equal(cfg.par, 2);
  assert.equal(cfg.logFile, path.join(dir, 'regtest', 'debug.log'));
  assert.equal(cfg.printToConsole, false);
  assert.equal(cfg.logTimeMicros, true);
  assert.equal(cfg.logLevel.global, 'trace');
  assert.ok(cfg.debug.includes('validation') && !cfg.debug.includes('leveldb') && !cfg.debug.includes('libevent'));
  assert.equal(cfg.pidFile, path.join(dir, 'regtest', 'bitcoind.pid'));
  assert.equal(cfg.settingsFile, path.join(dir, 'regtest', 'settings.json'));
  assert.deepEqual(cfg.initWarnings, []);
  for (const name of ['disablewallet', 'logthreadnames', 'keypool', 'fallbackfee']) {
    assert.ok(cfg.ignored.includes(name), name);
    assert.ok(cfg.startupLog.includes(`Option -${name} has no effect in chainsnap`), name);
  }
  assert.ok(cfg.startupLog.includes(`Config file: ${path.join(dir, 'bitcoin.conf')}`));
  assert.ok(cfg.startupLog.includes('Config file arg: [regtest] rpcport="16000"'));
  assert.ok(cfg.startupLog.includes('Command-line arg: uacomment="testnode0"'));
});

test('defaults as Core: dbcache 450 MiB (at least 4), rpc threads 16, work queue 64, timeout 30, ports from params', () => {
  const home = scratchDir();
  const cfg = resolveNodeConfig(['-regtest'], { HOME: home });
  assert.equal(cfg.datadir, path.join(home, '.chainsnap'));
  assert.equal(cfg.networkDir, path.join(home, '.chainsnap', 'regtest'));
  assert.equal(cfg.dbcacheBytes, 450 * 2 ** 20);
  assert.equal(cfg.rpc.threads, 16);
  assert.equal(cfg.rpc.workQueue, 64);
  assert.equal(cfg.rpc.serverTimeout, 30);
  assert.equal(cfg.rpc.port, 18443);
  assert.equal(cfg.printToConsole, true);
  assert.equal(cfg.background, 'worker');
  assert.equal(cfg.networkActive, true);
  assert.equal(cfg.stopAtHeight, 0);
  assert.equal(cfg.assumeValid, undefined);
  assert.equal(resolveNodeConfig(['-regtest', '-dbcache=1'], { HOME: home }).dbcacheBytes, 4 * 2 ** 20);
  assert.equal(resolveNodeConfig(['-regtest', '-dbcache=100'], { HOME: home }).dbcacheBytes, 100 * 2 ** 20);
  const nets: [string[], string, number][] = [[[], '', 8332], [['-testnet'], 'testnet3', 18332], [['-testnet4'], 'testnet4', 48332], [['-signet'], 'signet', 38332], [['-chain=regtest'], 'regtest', 18443]];
  for (const [argv, sub, port] of nets) {
    const c = resolveNodeConfig(argv, { HOME: home });
    assert.equal(c.networkDir, path.join(home, '.chainsnap', sub));
    assert.equal(c.rpc.port, port);
  }
});

test('-daemon turns the console off; -nodebuglogfile, -nopid, -norpccookiefile, -nosettings turn files off', () => {
  const home = scratchDir();
  const cfg = resolveNodeConfig(['-regtest', '-daemon', '-nodebuglogfile', '-nopid', '-norpccookiefile', '-nosettings'], { HOME: home });
  assert.equal(cfg.daemon, true);
  assert.equal(cfg.printToConsole, false);
  assert.equal(cfg.logFile, undefined);
  assert.equal(cfg.pidFile, undefined);
  assert.equal(cfg.rpc.cookieFile, undefined);
  assert.equal(cfg.settingsFile, undefined);
  const rel = resolveNodeConfig(['-regtest', '-pid=x.pid', '-debuglogfile=logs.txt', '-rpccookiefile=c', '-source-blocks=blk'], { HOME: home });
  assert.equal(rel.pidFile, path.join(home, '.chainsnap', 'regtest', 'x.pid'));
  assert.equal(rel.logFile, path.join(home, '.chainsnap', 'regtest', 'logs.txt'));
  assert.equal(rel.rpc.cookieFile, path.join(home, '.chainsnap', 'regtest', 'c'));
  assert.equal(rel.sources.blocks, path.resolve('blk'));
});

test('rpcbind needs rpcallowip (else loopback, with Core\'s warnings); ports in binds', () => {
  const home = scratchDir();
  const both = resolveNodeConfig(['-regtest', '-rpcallowip=10.0.0.0/8', '-rpcbind=0.0.0.0', '-rpcbind=[::]:9000'], { HOME: home });
  assert.deepEqual(both.rpc.binds, [{ host: '0.0.0.0', port: 18443 }, { host: '::', port: 9000 }]);
  assert.deepEqual(both.rpc.allowIps, ['10.0.0.0/8']);
  const bindOnly = resolveNodeConfig(['-regtest', '-rpcbind=0.0.0.0'], { HOME: home });
  assert.deepEqual(bindOnly.rpc.binds.map((b) => b.host), ['::1', '127.0.0.1']);
  assert.ok(bindOnly.startupLog.includes('WARNING: option -rpcbind was ignored because -rpcallowip was not specified, refusing to allow everyone to connect'));
  const allowOnly = resolveNodeConfig(['-regtest', '-rpcallowip=1.2.3.4'], { HOME: home });
  assert.ok(allowOnly.startupLog.includes("WARNING: option -rpcallowip was specified without -rpcbind; this doesn't usually make sense"));
});

test('chainsnap\'s own options: sources, background, trusted assumeutxo entries', () => {
  const home = scratchDir();
  const entry = `300:${'ab'.repeat(32)}:${'cd'.repeat(32)}:400`;
  const cfg = resolveNodeConfig(['-regtest', '-source-rpc=http://a:1', '-source-rpc=http://b:2', '-background=in-process', `-assumeutxo=${entry}`, '-webport=8080'], { HOME: home });
  assert.deepEqual(cfg.sources.rpc, ['http://a:1', 'http://b:2']);
  assert.equal(cfg.background, 'in-process');
  assert.ok(cfg.params.assumeutxo.some((a) => a.height === 300));
  assert.deepEqual(cfg.web, { host: '127.0.0.1', port: 8080 });
  refused(['-regtest', '-background=thread'], "Invalid -background=thread; must be 'worker' or 'in-process'.", { HOME: home });
  assert.throws(() => resolveNodeConfig([`-assumeutxo=${entry}`], { HOME: home }), /refusing user-trusted assumeutxo entries on network main/);
});

test('trusted entries at the top of a config file serve regtest and never leak into main', () => {
  const dir = scratchDir();
  const entry = `300:${'ab'.repeat(32)}:${'cd'.repeat(32)}:400`;
  writeFileSync(path.join(dir, 'bitcoin.conf'), `assumeutxo=${entry}\n`);
  assert.ok(resolveNodeConfig([`-datadir=${dir}`, '-regtest'], {}).params.assumeutxo.some((a) => a.height === 300));
  assert.ok(!resolveNodeConfig([`-datadir=${dir}`], {}).params.assumeutxo.some((a) => a.height === 300));
});

test('-assumevalid and -minimumchainwork as Core reads them', () => {
  const home = scratchDir();
  assert.equal(resolveNodeConfig(['-regtest', '-assumevalid=0'], { HOME: home }).assumeValid, '0'.repeat(64));
  assert.equal(resolveNodeConfig(['-regtest', '-assumevalid=0xABC'], { HOME: home }).assumeValid, '0'.repeat(61) + 'abc');
  assert.equal(resolveNodeConfig(['-regtest', '-minimumchainwork=0x10'], { HOME: home }).params.minimumChainWork, 16n);
  refused(['-regtest', '-assumevalid=xyz'], 'Invalid assumevalid block hash specified (xyz), must be up to 64 hex digits (or 0 to disable)', { HOME: home });
  refused(['-regtest', `-minimumchainwork=${'1'.repeat(65)}`], `Invalid minimum work specified (${'1'.repeat(65)}), must be up to 64 hex digits`, { HOME: home });
});

test('Core\'s refusals, word for word', () => {
  const dir = frameworkDatadir();
  const home = { HOME: scratchDir() };
  const missing = path.join(dir, 'nope');
  refused([`-datadir=${dir}`, '-foo'], 'Error parsing command line arguments: Invalid parameter -foo');
  refused([`-datadir=${missing}`], `Specified data directory "${missing}" does not exist.`);
  refused([`-datadir=${dir}`, '-testnet'], 'Invalid combination of -regtest, -signet, -testnet, -testnet4 and -chain. Can use at most one.');
  refused(['-chain=nonsense'], 'Unknown chain nonsense.', home);
  refused([`-datadir=${dir}`, 'stray'], "Command line contains unexpected token 'stray', see bitcoind -h for a list of options.");
  refused(['-regtest', '-debug=foo'], 'Unsupported logging category -debug=foo.', home);
  refused(['-regtest', '-debugexclude=foo'], 'Unsupported logging category -debugexclude=foo.', home);
  refused(['-regtest', '-loglevel=warning'], 'Unsupported global logging level -loglevel=warning. Valid values: info, debug, trace.', home);
  assert.throws(() => resolveNodeConfig(['-regtest', '-loglevel=net:loud'], home), /^NodeConfigError: Unsupported category-specific logging level -loglevel=net:loud\. Expected -loglevel=<category>:<loglevel>\. Valid categories: addrman, bench,/);
  refused(['-regtest', '-rpcport=0'], "Invalid port specified in -rpcport: '0'", home);
  refused(['-regtest', '-rpcport=abc'], "Invalid port specified in -rpcport: 'abc'", home);
  refused(['-regtest', '-rpcallowip=1.2.3.4', '-rpcbind=127.0.0.1:0'], "Invalid port specified in -rpcbind: '127.0.0.1:0'", home);
  refused(['-regtest', '-rpccookieperms=world'], "Invalid -rpccookieperms=world; must be one of 'owner', 'group', or 'all'.", home);
  refused(['-signet', '-signetchallenge=zz'], "-signetchallenge must be hex, not 'zz'.", home);
});

test('options whose effect chainsnap lacks are refused when asked for, accepted when off', () => {
  const home = { HOME: scratchDir() };
  refused(['-regtest', '-prune=550'], '-prune is not supported by chainsnap.', home);
  refused(['-regtest', '-txindex'], '-txindex is not supported by chainsnap.', home);
  refused(['-regtest', '-blocksdir=/tmp'], '-blocksdir is not supported by chainsnap.', home);
  refused(['-regtest', '-reindex'], '-reindex is not supported by chainsnap.', home);
  for (const off of ['-prune=0', '-notxindex', '-txindex=0', '-rest=0']) assert.doesNotThrow(() => resolveNodeConfig(['-regtest', off], home), off);
});

test('-checkpoints warns as Core; -help, -h, -?, -help-debug and -version are reported', () => {
  const home = { HOME: scratchDir() };
  assert.deepEqual(resolveNodeConfig(['-regtest', '-checkpoints'], home).initWarnings, [
    "Option '-checkpoints' is set but checkpoints were removed. This option has no effect.",
  ]);
  assert.equal(resolveNodeConfig(['-help'], home).infoRequest, 'help');
  assert.equal(resolveNodeConfig(['-h'], home).infoRequest, 'help');
  assert.equal(resolveNodeConfig(['-?'], home).infoRequest, 'help');
  assert.equal(resolveNodeConfig(['--help'], home).infoRequest, 'help');
  assert.equal(resolveNodeConfig(['-help-debug'], home).infoRequest, 'help-debug');
  assert.equal(resolveNodeConfig(['-version'], home).infoRequest, 'version');
  assert.equal(resolveNodeConfig(['-regtest'], home).infoRequest, undefined);
});

test('-blockversion and -test=bip94 on regtest, -uacomment in the user agent, refused and warned as Core does', () => {
  const dir = frameworkDatadir();
  const cfg = resolveNodeConfig([...frameworkArgs(dir), '-blockversion=1337', '-test=bip94', '-test=nosuch', '-uacomment=two'], {});
  assert.equal(cfg.blockVersion, 1337);
  assert.equal(cfg.params.enforceBIP94, true);
  assert.deepEqual(cfg.initWarnings, ['Unrecognised option "nosuch" provided in -test=<option>.']);
  assert.match(cfg.subversion, /^\/chainsnap:[^(]+\(testnode0; two\)\/$/);
  const plain = resolveNodeConfig(frameworkArgs(frameworkDatadir()), {});
  assert.equal(plain.blockVersion, undefined);
  assert.equal(plain.params.enforceBIP94, false);
  refused([`-datadir=${frameworkDatadir()}`, '-uacomment=a/b'], 'User Agent comment (a/b) contains unsafe characters.');
  const home = scratchDir();
  refused([`-datadir=${home}`, '-test=bip94'], '-test=<option> can only be used with regtest');
  assert.equal(resolveNodeConfig([`-datadir=${home}`, '-blockversion=5'], {}).blockVersion, undefined, 'main ignores it, as Core');
});
