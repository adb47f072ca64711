/** Core's InitBinds failures: a port in use stops the daemon with Core's two messages and status 1. */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import path from 'node:path';
import { test } from 'node:test';
import { scratchDir } from '../helpers.js';
import { freePort } from '../node/daemon-process.js';

function runDaemon(datadir: string, args: string[]): Promise<{ status: number | null; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--no-warnings', 'bin/chainsnapd.js', `-datadir=${datadir}`, ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('exit', (status) => resolve({ status, stderr }));
  });
}

test('a -bind address or the default 0.0.0.0 in use: Core\'s errors, and the node does not start', async () => {
  const port = await freePort();
  const squatter = createServer();
  await new Promise<void>((r) => squatter.listen({ host: '0.0.0.0', port }, r));
  try {
    for (const bind of [[`-bind=127.0.0.1:${port}`], [`-port=${port}`]]) {
      const datadir = scratchDir();
      writeFileSync(path.join(datadir, 'bitcoin.conf'), 'regtest=1\n');
      const where = bind[0]!.startsWith('-bind') ? `127.0.0.1:${port}` : `0.0.0.0:${port}`;
      const r = await runDaemon(datadir, [`-rpcport=${await freePort()}`, '-dnsseed=0', '-fixedseeds=0', ...bind]);
      assert.equal(r.status, 1);
      assert.equal(r.stderr, `Error: Unable to bind to ${where} on this computer. chainsnap is probably already running.\nError: Failed to listen on any port. Use -listen=0 if you want this.\n`);
    }
  } finally {
    squatter.close();
  }
});
