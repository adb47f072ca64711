/** A separate process for the lock tests: takes the lock on argv[2], says "locked", holds it until killed. */
import { lockDirectory } from '../../src/node/lock.js';

try {
  await lockDirectory(process.argv[2]);
  process.stdout.write('locked\n');
  setInterval(() => {}, 1 << 30);
} catch (e) {
  process.stderr.write(`Error: ${(e as Error).message}\n`);
  process.exit(1);
}
