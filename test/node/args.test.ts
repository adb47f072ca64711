/** Core's ArgsManager rules: option syntax, negation, precedence between sources, network sections. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ArgsManager, atoi64, interpretBool } from '../../src/node/args.js';

function parsed(...argv: string[]): ArgsManager {
  const a = new ArgsManager();
  a.parseParameters(argv);
  return a;
}

function withConfig(lines: [string, string][], network: string, ...argv: string[]): ArgsManager {
  const a = parsed(...argv);
  for (const [k, v] of lines) assert.ok(a.addConfigOption(k, v), k);
  a.network = network;
  return a;
}

test('one or two dashes, -name=value, -name alone, -noname, -noname=0', () => {
  const a = parsed('-dbcache=100', '--par=3', '-printtoconsole', '-nodebuglogfile', '-nolisten=0', '-nopid=1');
  assert.equal(a.getArg('dbcache'), '100');
  assert.equal(a.getIntArg('par'), 3);
  assert.equal(a.getArg('printtoconsole'), '');
  assert.equal(a.getBoolArg('printtoconsole'), true);
  assert.equal(a.isArgNegated('debuglogfile'), true);
  assert.equal(a.getArg('debuglogfile'), '0');
  // A double negative means 1, and Core logs a warning about it.
  assert.equal(a.getBoolArg('listen'), true);
  assert.ok(a.log.includes('Warning: parsed potentially confusing double-negative -listen=0'));
  assert.equal(a.isArgNegated('pid'), true);
});

test('the last command-line value wins; a list keeps every value after the last negation', () => {
  const a = parsed('-rpcport=1', '-rpcport=2', '-rpcallowip=a', '-norpcallowip', '-rpcallowip=b', '-rpcallowip=c');
  assert.equal(a.getArg('rpcport'), '2');
  assert.deepEqual(a.getArgs('rpcallowip'), ['b', 'c']);
});

test('unknown options, section prefixes on the command line and forbidden forms are refused in Core\'s words', () => {
  const cases: [string[], string][] = [
    [['-foo'], 'Invalid parameter -foo'],
    [['-dash_cli=1'], 'Invalid parameter -dash_cli=1'],
    [['-regtest.rpcport=1'], 'Invalid parameter -regtest.rpcport=1'],
    [['-nodatadir'], 'Negating of -datadir is meaningless and therefore forbidden'],
    [['-loglevel'], 'Can not set -loglevel with no value. Please specify value with -loglevel=value.'],
    [['-proxy'], 'Can not set -proxy with no value. Please specify value with -proxy=value.'],
    [['-includeconf=a.conf'], '-includeconf cannot be used from commandline; -includeconf="a.conf"'],
  ];
  for (const [argv, message] of cases) assert.throws(() => parsed(...argv), { message }, argv.join(' '));
  // -noincludeconf is the one allowed form.
  assert.doesNotThrow(() => parsed('-noincludeconf'));
});

test('parsing stops at the first token that is not an option', () => {
  assert.deepEqual(new ArgsManager().parseParameters(['-regtest', 'garbage', '-foo']).rest, ['garbage', '-foo']);
});

test('config file: the first value wins, the network section before the top, command line before both', () => {
  const a = withConfig([['dbcache', '10'], ['dbcache', '20'], ['regtest.dbcache', '30'], ['rpcuser', 'top']], 'regtest');
  assert.equal(a.getArg('dbcache'), '30');
  assert.equal(a.getArg('rpcuser'), 'top');
  const b = withConfig([['dbcache', '10'], ['dbcache', '20']], 'regtest', '-dbcache=5');
  assert.equal(b.getArg('dbcache'), '5');
  const c = withConfig([['dbcache', '10'], ['dbcache', '20']], 'regtest');
  assert.equal(c.getArg('dbcache'), '10');
});

test('network-only options are not read from the top of the file on other networks, and are reported', () => {
  const a = withConfig([['rpcport', '1000'], ['connect', '0'], ['dbcache', '7']], 'regtest');
  assert.equal(a.getArg('rpcport'), undefined);
  assert.equal(a.getArg('dbcache'), '7');
  assert.deepEqual(a.unsuitableSectionOnlyArgs(), ['-connect', '-rpcport']);
  const main = withConfig([['rpcport', '1000']], 'main');
  assert.equal(main.getArg('rpcport'), '1000');
  assert.deepEqual(main.unsuitableSectionOnlyArgs(), []);
  // Given again in the network's section or on the command line, the top-level one is no longer reported.
  const b = withConfig([['rpcport', '1000'], ['regtest.rpcport', '2000']], 'regtest');
  assert.deepEqual(b.unsuitableSectionOnlyArgs(), []);
  assert.equal(b.getArg('rpcport'), '2000');
});

test('negation in the config file, and zombie config values after a command-line negation', () => {
  const a = withConfig([['rpcallowip', 'x'], ['norpcallowip', '1']], 'main');
  assert.deepEqual(a.getArgs('rpcallowip'), []);
  // Core's "zombie" rule: -noX then -X=v on the command line brings the config values back after v.
  const b = withConfig([['rpcallowip', 'conf']], 'main', '-norpcallowip', '-rpcallowip=cli');
  assert.deepEqual(b.getArgs('rpcallowip'), ['cli', 'conf']);
  const c = withConfig([['rpcallowip', 'conf']], 'main', '-norpcallowip');
  assert.deepEqual(c.getArgs('rpcallowip'), []);
});

test('chain selection: -chain, -regtest, -testnet, -testnet4, -signet; at most one', () => {
  assert.equal(parsed().chainTypeString(), 'main');
  assert.equal(parsed('-regtest').chainTypeString(), 'regtest');
  assert.equal(parsed('-testnet').chainTypeString(), 'test');
  assert.equal(parsed('-testnet4').chainTypeString(), 'testnet4');
  assert.equal(parsed('-signet').chainTypeString(), 'signet');
  assert.equal(parsed('-chain=regtest').chainTypeString(), 'regtest');
  assert.equal(parsed('-chain=nonsense').chainTypeString(), 'nonsense');
  assert.equal(parsed('-regtest=0').chainTypeString(), 'main');
  const msg = 'Invalid combination of -regtest, -signet, -testnet, -testnet4 and -chain. Can use at most one.';
  assert.throws(() => parsed('-regtest', '-testnet').chainTypeString(), { message: msg });
  assert.throws(() => parsed('-chain=main', '-signet').chainTypeString(), { message: msg });
  // For chain flags, the last config value wins, and a negated command-line flag is ignored (Core's quirks).
  const a = withConfig([['regtest', '0'], ['regtest', '1']], '');
  assert.equal(a.chainTypeString(), 'regtest');
  const b = withConfig([['regtest', '1']], '', '-noregtest');
  assert.equal(b.chainTypeString(), 'regtest');
});

test('conf= in a config file is refused; unknown keys are reported to the caller', () => {
  const a = new ArgsManager();
  assert.throws(() => a.addConfigOption('conf', 'x.conf'), {
    message: 'conf cannot be set in the configuration file; use includeconf= if you want to include additional config files',
  });
  assert.equal(a.addConfigOption('dash_conf', '1'), false);
  a.addConfigOption('reindex', '1');
  assert.match(a.log.join('\n'), /Warning: reindex=1 is set in the configuration file/);
});

test('Core\'s atoi and InterpretBool', () => {
  const ints: [string, number][] = [['12', 12], [' 7x', 7], ['+5', 5], ['+-5', 0], ['-3', -3], ['abc', 0], ['', 0], ['99999999999999999999', 9223372036854775807]];
  for (const [s, n] of ints) assert.equal(atoi64(s), n, s);
  assert.equal(interpretBool(''), true);
  assert.equal(interpretBool('1'), true);
  assert.equal(interpretBool('0'), false);
  assert.equal(interpretBool('true'), false, 'as in Core: not a number, so false');
});
