/**
 * Disk use of blocks/ and of each chainstate directory. Walking a mainnet blocks/ (thousands of files) costs
 * real time, so it is measured in the background at most every `everyMs` (sooner after the chainstates
 * changed) and read from the cache in between, never per request.
 */
import { readdir, stat } from 'node:fs/promises';
import path from 'node:path';

export interface DiskUse {
  /** Directory name under the network's data directory (blocks, chainstate, chainstate_snapshot, …). */
  name: string;
  bytes: number;
}

/** The directories worth showing; those absent are left out. */
const DIRS = ['blocks', 'chainstate', 'chainstate_snapshot', 'chainstate_snapshot_INVALID', 'chainstate_todelete'];

async function directoryBytes(dir: string): Promise<number | undefined> {
  let entries;
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch {
    return undefined;
  }
  let total = 0;
  for (const e of entries) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) total += (await directoryBytes(p)) ?? 0;
    else if (e.isFile()) {
      // A file removed between readdir and stat (LevelDB compaction) just does not count.
      total += await stat(p).then((s) => s.size, () => 0);
    }
  }
  return total;
}

export class DiskUsage {
  private latest: DiskUse[] = [];
  private measuredAt = 0;
  private running: Promise<void> | undefined;

  constructor(
    private readonly networkDir: string,
    private readonly everyMs = 10_000,
  ) {}

  /** The last measurement; starts a new one in the background when it is stale. */
  current(): readonly DiskUse[] {
    if (!this.running && Date.now() - this.measuredAt >= this.everyMs) this.running = this.measure();
    return this.latest;
  }

  /** The next read measures again (a chainstate directory appeared or went). */
  markStale(): void {
    this.measuredAt = 0;
  }

  /** Measures now (waits for one in progress); for tests and the first snapshot. */
  async refresh(): Promise<readonly DiskUse[]> {
    if (this.running) await this.running;
    this.running = this.measure();
    await this.running;
    return this.latest;
  }

  private async measure(): Promise<void> {
    try {
      const out: DiskUse[] = [];
      for (const name of DIRS) {
        const bytes = await directoryBytes(path.join(this.networkDir, name));
        if (bytes !== undefined) out.push({ name, bytes });
      }
      this.latest = out;
      this.measuredAt = Date.now();
    } finally {
      this.running = undefined;
    }
  }

  /** Resolves when no measurement is in progress (shutdown waits for it). */
  async idle(): Promise<void> {
    await this.running;
  }
}
