/**
 * Child process for the scan's file-descriptor test: scans the database in argv[2] and prints, as JSON,
 * this process's open descriptors before and after a full scan and after one its visitor stops with an
 * error, and the tables it held open while running.
 * It runs apart from the test because descriptors are per process, and the test's own LevelDB opens
 * and closes files on its background thread (compaction outputs, directory syncs) at any moment.
 */
import { readdirSync, readlinkSync } from 'node:fs';
import { scanLevelDB } from '../../src/leveldb/scan.js';

/** "fd → target" for every open descriptor except the one listing them. */
function openFiles(): string[] {
  const out: string[] = [];
  for (const fd of readdirSync('/proc/self/fd')) {
    try {
      const target = readlinkSync(`/proc/self/fd/${fd}`);
      if (target !== '/proc/self/fd' && !target.startsWith(`/proc/${process.pid}/fd`)) out.push(`${fd} → ${target}`);
    } catch {
      // The directory listing's own descriptor, closed by now.
    }
  }
  return out.sort();
}

const dir = process.argv[2]!;
const before = openFiles();
let duringTables: string[] | undefined;
const entries = await scanLevelDB(dir, () => {
  duringTables ??= openFiles().filter((f) => f.includes('/chainsnap-scan-'));
});
const after = openFiles();
// A visitor that throws at the first entry: the scan gives up with every cursor's first table open.
const stopped = await scanLevelDB(dir, () => {
  throw new Error('stop');
}).then(
  () => false,
  () => true,
);
const afterStopped = openFiles();
process.stdout.write(JSON.stringify({ before, after, duringTables: duringTables ?? [], entries, stopped, afterStopped }));
