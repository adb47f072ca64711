/** A separate process for the logging tests: logs a line with the node's config from argv, then exits at once. */
import { resolveNodeConfig } from '../../src/node/node-config.js';
import { createNodeLogger } from '../../src/node/logging.js';
import { prepareDataDir } from '../../src/node/datadir.js';

const cfg = resolveNodeConfig(process.argv.slice(2), process.env);
prepareDataDir(cfg);
const { log } = createNodeLogger(cfg);
log.info('Shutdown: done');
log.child({ category: 'rpc' }).debug('last words');
process.exit(0);
