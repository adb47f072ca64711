/** bitcoin.conf, chainsnap.conf, -conf, includeconf and settings.json as Core reads them (feature_config_args.py, feature_includeconf.py). */
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { parseConfigOptions } from '../../src/node/config.js';
import { resolveNodeConfig } from '../../src/node/node-config.js';
import { scratchDir } from '../helpers.js';

function datadirWith(files: Record<string, string>): string {
  const dir = scratchDir();
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
    writeFileSync(path.join(dir, name), text);
  }
  return dir;
}

function refused(argv: string[], message: string): void {
  assert.throws(() => resolveNodeConfig(argv, {}), { name: 'NodeConfigError', message });
}

test('the parser: comments, sections, section.key prefixes, trimming', () => {
  const { options, sections } = parseConfigOptions('# c\n  a = 1 \n[regtest]\nb=2 # note\nmain.c=3\n\n', 'f.conf');
  assert.deepEqual(options, [
    { name: 'a', value: '1' },
    { name: 'regtest.b', value: '2' },
    { name: 'regtest.main.c', value: '3' },
  ]);
  assert.deepEqual(sections, [{ name: 'regtest', file: 'f.conf', line: 3 }, { name: 'regtest.main', file: 'f.conf', line: 5 }]);
});

test('parse errors in Core\'s words', () => {
  const cases: [string, string][] = [
    ['garbage\n', 'parse error on line 1: garbage'],
    ['-dash=1\n', 'parse error on line 1: -dash=1, options in configuration file must be specified without leading -'],
    ['nono\n', 'parse error on line 1: nono, if you intended to specify a negated option, use nono=1 instead'],
    ['a=1\n\nrpcpassword=abc#def\n', 'parse error on line 3, using # in rpcpassword can be ambiguous and should be avoided'],
  ];
  for (const [text, message] of cases) {
    refused([`-datadir=${datadirWith({ 'bitcoin.conf': text })}`], `Error reading configuration file: ${message}`);
  }
});

test('sections per network, unknown keys logged, unknown sections warned', () => {
  const dir = datadirWith({ 'bitcoin.conf': 'dash_conf=1\n[regtest]\nrpcport=1234\n[main]\nrpcport=99\n[nosuch]\nx=1\n' });
  const cfg = resolveNodeConfig([`-datadir=${dir}`, '-regtest'], {});
  assert.equal(cfg.network, 'regtest');
  assert.equal(cfg.rpc.port, 1234);
  assert.ok(cfg.startupLog.includes('Ignoring unknown configuration value dash_conf'));
  assert.deepEqual(cfg.initWarnings, [`${path.join(dir, 'bitcoin.conf')}:6 Section [nosuch] is not recognized.`]);
  const main = resolveNodeConfig([`-datadir=${dir}`], {});
  assert.equal(main.rpc.port, 99);
});

test('a network-only option at the top of the file on another network is refused as Core refuses it', () => {
  const dir = datadirWith({ 'bitcoin.conf': 'regtest=1\nrpcport=1234\nwallet=w\n' });
  refused([`-datadir=${dir}`], [
    'Config setting for -rpcport only applied on regtest network when in [regtest] section.',
    'Config setting for -wallet only applied on regtest network when in [regtest] section.',
  ].join('\n'));
  // On the command line it counts as given, so the top-level one is simply not used.
  assert.equal(resolveNodeConfig([`-datadir=${dir}`, '-rpcport=5', '-wallet=w'], {}).rpc.port, 5);
});

test('-conf relative to the datadir; a missing -conf, a directory and conf= inside are refused', () => {
  const dir = datadirWith({ 'other.conf': 'regtest=1\n[regtest]\nrpcport=4321\n', 'bad.conf': 'conf=some.conf\n' });
  assert.equal(resolveNodeConfig([`-datadir=${dir}`, '-conf=other.conf'], {}).rpc.port, 4321);
  refused([`-datadir=${dir}`, '-conf=missing.conf'], `Error reading configuration file: specified config file "${path.join(dir, 'missing.conf')}" could not be opened.`);
  mkdirSync(path.join(dir, 'adir'));
  refused([`-datadir=${dir}`, '-conf=adir'], `Error reading configuration file: Config file "${path.join(dir, 'adir')}" is a directory.`);
  refused([`-datadir=${dir}`, '-conf=bad.conf'], 'Error reading configuration file: conf cannot be set in the configuration file; use includeconf= if you want to include additional config files');
});

test('-noconf ignores bitcoin.conf and says so in the log', () => {
  const dir = datadirWith({ 'bitcoin.conf': 'garbage\n' });
  const cfg = resolveNodeConfig([`-datadir=${dir}`, '-noconf', '-regtest'], {});
  assert.equal(cfg.conf.file, '');
  assert.ok(cfg.startupLog.includes(`Data directory "${dir}" contains a "bitcoin.conf" file which is explicitly ignored using -noconf.`));
  assert.ok(cfg.startupLog.includes('Config file: <disabled>'));
});

test('a bitcoin.conf in the datadir ignored because of -conf is an error, or a warning with -allowignoredconf', () => {
  const dir = datadirWith({ 'bitcoin.conf': 'regtest=1\n', 'other.conf': 'regtest=1\n' });
  const other = path.join(dir, 'other.conf');
  assert.throws(() => resolveNodeConfig([`-datadir=${dir}`, `-conf=${other}`], {}), (e: Error) => {
    assert.ok(e.message.startsWith(`Data directory "${dir}" contains a "bitcoin.conf" file which is ignored, because a different configuration file "${other}" from command line argument "-conf=${other}" is being used instead.`));
    assert.ok(e.message.endsWith('\n- Set allowignoredconf=1 option to treat this condition as a warning, not an error.'));
    return true;
  });
  const cfg = resolveNodeConfig([`-datadir=${dir}`, `-conf=${other}`, '-allowignoredconf'], {});
  assert.equal(cfg.initWarnings.length, 1);
});

test('includeconf: relative to the datadir, network sections, errors, no includes from includes', () => {
  const dir = datadirWith({
    'bitcoin.conf': 'regtest=1\nincludeconf=inc1.conf\n[regtest]\nincludeconf=inc2.conf\n',
    'inc1.conf': '[regtest]\nrpcuser=alice\nincludeconf=inc3.conf\n',
    'inc2.conf': 'uacomment=two\n',
  });
  const cfg = resolveNodeConfig([`-datadir=${dir}`], {});
  assert.equal(cfg.rpc.user, 'alice');
  assert.ok(cfg.startupLog.includes('Included configuration file inc1.conf'));
  assert.ok(cfg.startupLog.includes('Included configuration file inc2.conf'));
  assert.deepEqual(cfg.stderrLines, ['warning: -includeconf cannot be used from included files; ignoring -includeconf=inc3.conf']);
  assert.equal(resolveNodeConfig([`-datadir=${dir}`, '-noincludeconf'], {}).rpc.user, undefined);
  const missing = datadirWith({ 'bitcoin.conf': 'includeconf=nope.conf\n' });
  refused([`-datadir=${missing}`], 'Error reading configuration file: Failed to include configuration file nope.conf');
  const isDir = datadirWith({ 'bitcoin.conf': 'includeconf=sub\n', 'sub/x': '' });
  refused([`-datadir=${isDir}`], `Error reading configuration file: Included config file "${path.join(isDir, 'sub')}" is a directory.`);
});

test('datadir= in a config file moves the datadir (the command line\'s -datadir wins); a missing one is refused', () => {
  const real = scratchDir();
  const conf = path.join(datadirWith({ 'x.conf': `datadir=${real}\nregtest=1\n` }), 'x.conf');
  const home = { HOME: scratchDir() };
  assert.equal(resolveNodeConfig([`-conf=${conf}`], home).networkDir, path.join(real, 'regtest'));
  const other = scratchDir();
  assert.equal(resolveNodeConfig([`-conf=${conf}`, `-datadir=${other}`], home).networkDir, path.join(other, 'regtest'));
  const bad = path.join(datadirWith({ 'y.conf': `datadir=${path.join(real, 'nope')}\n` }), 'y.conf');
  assert.throws(() => resolveNodeConfig([`-conf=${bad}`], home), {
    message: `Error reading configuration file: specified data directory "${path.join(real, 'nope')}" does not exist.`,
  });
});

test('chainsnap.conf is read too, and wins over bitcoin.conf', () => {
  const dir = datadirWith({ 'bitcoin.conf': 'regtest=1\n[regtest]\nrpcport=1111\nrpcuser=core\n', 'chainsnap.conf': '[regtest]\nrpcport=2222\nsource-rpc=http://x:1\n' });
  const cfg = resolveNodeConfig([`-datadir=${dir}`], {});
  assert.equal(cfg.rpc.port, 2222);
  assert.equal(cfg.rpc.user, 'core');
  assert.deepEqual(cfg.sources.rpc, ['http://x:1']);
  assert.equal(cfg.conf.chainsnapFile, path.join(dir, 'chainsnap.conf'));
  // Alone, without a bitcoin.conf.
  const only = datadirWith({ 'chainsnap.conf': 'regtest=1\n' });
  assert.equal(resolveNodeConfig([`-datadir=${only}`], {}).network, 'regtest');
});

test('settings.json: read with the network dir, unknown keys logged, bad JSON refused', () => {
  const dir = datadirWith({ 'bitcoin.conf': 'regtest=1\n', 'regtest/settings.json': '{"dbcache": "64", "foo": 1}\n' });
  const cfg = resolveNodeConfig([`-datadir=${dir}`], {});
  assert.equal(cfg.dbcacheBytes, 64 * 2 ** 20);
  assert.ok(cfg.startupLog.includes('Ignoring unknown rw_settings value foo'));
  assert.ok(cfg.startupLog.includes('Setting file arg: dbcache = "64"'));
  writeFileSync(path.join(dir, 'regtest', 'settings.json'), 'invalid json');
  assert.throws(() => resolveNodeConfig([`-datadir=${dir}`], {}), /^NodeConfigError: Settings file could not be read:\n- Settings file .* does not contain valid JSON\. This is probably caused by disk corruption or a crash/);
  writeFileSync(path.join(dir, 'regtest', 'settings.json'), '{"a": 1, "a": 2}');
  assert.throws(() => resolveNodeConfig([`-datadir=${dir}`], {}), /Found duplicate key a in settings file/);
  writeFileSync(path.join(dir, 'regtest', 'settings.json'), '"string"');
  assert.throws(() => resolveNodeConfig([`-datadir=${dir}`], {}), /Found non-object value "string" in settings file/);
});
