/** Entry of `chainsnapd` and `chainsnap node`: runs the daemon and exits with its status. */
import { runDaemon } from './daemon.js';

export async function daemonMain(argv: string[]): Promise<never> {
  const code = await runDaemon(argv);
  process.exit(code);
}
