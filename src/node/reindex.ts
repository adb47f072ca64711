/**
 * -reindex-chainstate before the engine opens (Core's wipe_chainstate_db): both chainstates' coins databases
 * are removed, so the normal chainstate starts again at genesis and connects the stored blocks; the block
 * index and the block files are kept. A loaded snapshot is dropped too, as in Core (it can be loaded again).
 */
import { existsSync, rmSync } from 'node:fs';
import type { Logger } from 'pino';
import { chainstateDir, deleteChainstateDir, snapshotChainstateDir } from '../chain/chainstate-dirs.js';
import { StartupError } from '../chain/manager-types.js';

export function wipeChainstates(datadir: string, log: Logger): void {
  const snapshot = snapshotChainstateDir(datadir);
  if (existsSync(snapshot)) {
    log.info('[snapshot] deleting snapshot chainstate due to reindexing');
    if (!deleteChainstateDir(snapshot, log)) throw new StartupError("Couldn't remove snapshot chainstate.");
  }
  const dir = chainstateDir(datadir);
  log.info(`Wiping LevelDB in ${dir}`);
  rmSync(dir, { recursive: true, force: true });
}
