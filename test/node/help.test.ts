/** --help lists what chainsnap implements, in bitcoind's layout; every option in the table is Core's or ours. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { chainsnapVersion, helpText, versionText } from '../../src/node/help.js';
import { OPTIONS } from '../../src/node/option-table.js';

test('help lists implemented options only, grouped as bitcoind groups them, wrapped at 79 columns', () => {
  const text = helpText();
  assert.ok(text.startsWith(`chainsnap daemon version v${chainsnapVersion()}\n`));
  for (const group of ['Options:', 'Chain selection options:', 'RPC server options:', 'Debugging/Testing options:', 'chainsnap options:']) {
    assert.ok(text.includes(`\n${group}\n\n`), group);
  }
  assert.ok(text.includes('\n  -dbcache=<n>\n       Maximum database cache size <n> MiB'));
  assert.ok(text.includes('\n  -source-rpc=<url>\n'));
  assert.ok(text.includes('\n  -rpcport=<port>\n'));
  assert.ok(text.includes('\n  -webport=<port>\n'));
  for (const absent of ['-reindex', '-prune', '-txindex', '-disablewallet']) assert.ok(!new RegExp(`\\n  ${absent}(=|\\n)`).test(text), absent);
  assert.ok(text.includes('\n  -reindex-chainstate\n'));
  // Debug-only options appear with -help-debug.
  assert.ok(!text.includes('\n  -regtest\n'));
  assert.ok(helpText(true).includes('\n  -regtest\n'));
  for (const line of text.split('\n')) assert.ok(line.length <= 79 || !line.includes(' '), line);
});

test('-version names chainsnap', () => {
  assert.match(versionText(), /^chainsnap daemon version v\d+\.\d+\.\d+\n/);
});

test('the option table: each option once, with a support class; implemented ones have help', () => {
  for (const o of OPTIONS.values()) {
    assert.ok(['implemented', 'ignored', 'refused'].includes(o.support), o.name);
    if (o.support === 'implemented' && o.group !== 'hidden') assert.ok(o.help, o.name);
  }
  // Core's test framework's options are all accepted.
  for (const name of ['datadir', 'logtimemicros', 'debug', 'debugexclude', 'uacomment', 'disablewallet', 'logthreadnames',
    'logsourcelocations', 'loglevel', 'logratelimit', 'v2transport', 'bind', 'port', 'rpcport', 'rpcservertimeout',
    'rpcdoccheck', 'rpcthreads', 'fallbackfee', 'server', 'keypool', 'discover', 'dnsseed', 'fixedseeds', 'listenonion',
    'peertimeout', 'printtoconsole', 'natpmp', 'shrinkdebugfile', 'unsafesqlitesync', 'connect', 'maxconnections', 'par']) {
    assert.ok(OPTIONS.has(name), name);
  }
});
