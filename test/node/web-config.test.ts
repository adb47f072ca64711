/** -webport and -webbind: off by default, loopback unless told, refused in Core's words when malformed. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { resolveNodeConfig } from '../../src/node/node-config.js';
import { scratchDir } from '../helpers.js';

test('-webport turns the status page on, on 127.0.0.1 unless -webbind says otherwise', () => {
  const env = { HOME: scratchDir() };
  assert.equal(resolveNodeConfig(['-regtest'], env).web, undefined);
  assert.equal(resolveNodeConfig(['-regtest', '-webport=0'], env).web, undefined);
  assert.equal(resolveNodeConfig(['-regtest', '-webport=8080', '-nowebport'], env).web, undefined);
  assert.deepEqual(resolveNodeConfig(['-regtest', '-webport=8080'], env).web, { host: '127.0.0.1', port: 8080 });
  assert.deepEqual(resolveNodeConfig(['-regtest', '-webport=8080', '-webbind=0.0.0.0'], env).web, { host: '0.0.0.0', port: 8080 });
  assert.deepEqual(resolveNodeConfig(['-regtest', '-webport=8080', '-webbind=[::1]:9090'], env).web, { host: '::1', port: 9090 });
  assert.throws(() => resolveNodeConfig(['-regtest', '-webport=http'], env), /Invalid port specified in -webport: 'http'/);
  assert.throws(() => resolveNodeConfig(['-regtest', '-webport=70000'], env), /Invalid port specified in -webport/);
  assert.throws(() => resolveNodeConfig(['-regtest', '-webport=8080', '-webbind=host:0'], env), /Invalid -webbind address: 'host:0'/);
});
