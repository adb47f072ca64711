/** A minimal daemon main for the -daemon tests: config, daemonize, data dir, lock, pid file, log, ready. */
import { daemonChannel, daemonize } from '../../src/node/daemonize.js';
import { prepareDataDir, removePidFile, writePidFile } from '../../src/node/datadir.js';
import { lockDirectory } from '../../src/node/lock.js';
import { createNodeLogger } from '../../src/node/logging.js';
import { formatInitError, logStartup, resolveNodeConfig } from '../../src/node/node-config.js';

const cfg = resolveNodeConfig(process.argv.slice(2), process.env);
const status = await daemonize(cfg);
if (status !== undefined) process.exit(status);
const channel = daemonChannel(cfg);
// The tests' way to die without a word.
if (cfg.sources.rpc.includes('crash')) process.kill(process.pid, 'SIGKILL');
try {
  prepareDataDir(cfg);
  await lockDirectory(cfg.networkDir);
  const { log } = createNodeLogger(cfg);
  logStartup(cfg, log);
  writePidFile(cfg.pidFile);
  log.info('init message: Done loading');
  process.on('SIGTERM', () => {
    removePidFile(cfg.pidFile);
    log.info('Shutdown: done');
    process.exit(0);
  });
  channel.ready();
  setInterval(() => {}, 1 << 30);
} catch (e) {
  channel.fail(formatInitError(e as Error));
  process.stderr.write(formatInitError(e as Error));
  process.exit(1);
}
