/**
 * Which blocks to fetch next (Core's FindNextBlocksToDownload, over two chainstates as Core does since
 * assumeutxo): first what the active chainstate needs toward the best header, then what the background
 * chainstate needs toward the snapshot base. Each part is bounded by a moving window above the last block
 * from which on every block has data (Core's BLOCK_DOWNLOAD_WINDOW), so blocks land in the blk files
 * roughly in order and validation is never left far behind.
 */
import type { ChainstateManager } from '../../chain/chainstate-manager.js';
import { getAncestor, lastCommonAncestor, type BlockIndexEntry } from '../../chain/block-index.js';
import { isFailed } from '../../chain/block-status.js';

/** Core's BLOCK_DOWNLOAD_WINDOW. */
export const BLOCK_DOWNLOAD_WINDOW = 1024;

export interface PlanResult {
  /** Entries to fetch, in the order to fetch them. */
  blocks: BlockIndexEntry[];
  /** Blocks are missing beyond a window: more work appears once validation moves on. */
  waiting: boolean;
  /** Nothing is missing for either chainstate (up to the best header and the snapshot base). */
  complete: boolean;
}

interface Segment {
  name: 'active' | 'background';
  from: BlockIndexEntry;
  target: BlockIndexEntry;
}

export class DownloadPlanner {
  /** Per chainstate: the highest entry on its chain up to which every block has data (Core's pindexLastCommonBlock). */
  private readonly lastCommon = new Map<string, BlockIndexEntry>();

  constructor(
    private readonly manager: ChainstateManager,
    private readonly window = BLOCK_DOWNLOAD_WINDOW,
  ) {}

  /**
   * Up to `max` entries without data, active chainstate first. `busy` holds keys already in flight;
   * `usable` lets a source skip blocks it cannot supply (they still count as missing).
   */
  next(max: number, busy: ReadonlySet<string> = new Set(), usable: (e: BlockIndexEntry) => boolean = () => true): PlanResult {
    const out: BlockIndexEntry[] = [];
    let waiting = false;
    let complete = true;
    for (const seg of this.segments()) {
      const r = this.collect(seg, max - out.length, busy, usable, out);
      waiting ||= r.waiting;
      complete &&= r.complete;
    }
    return { blocks: out, waiting, complete };
  }

  private segments(): Segment[] {
    const m = this.manager;
    const segs: Segment[] = [{ name: 'active', from: m.active.tip, target: m.storage.index.bestHeader }];
    const bgTip = m.backgroundTip;
    const base = m.snapshotBase;
    if (bgTip && base) segs.push({ name: 'background', from: bgTip, target: base });
    return segs;
  }

  private collect(seg: Segment, max: number, busy: ReadonlySet<string>, usable: (e: BlockIndexEntry) => boolean, out: BlockIndexEntry[]): { waiting: boolean; complete: boolean } {
    const { name, from, target } = seg;
    const fork = lastCommonAncestor(from, target);
    if (!fork || fork === target) return { waiting: false, complete: true };
    // Resume from the remembered point when it is still on the target's chain and not behind the fork.
    let common = this.lastCommon.get(name);
    if (!common || common.height < fork.height || getAncestor(target, common.height) !== common) common = fork;
    // Entries above `common` on the target's chain, up to twice the window (enough to move and still fill it).
    const endHeight = Math.min(target.height, common.height + 2 * this.window);
    const chain: BlockIndexEntry[] = [];
    for (let e: BlockIndexEntry | undefined = getAncestor(target, endHeight); e && e !== common; e = e.prev) chain.push(e);
    chain.reverse();
    let i = 0;
    while (i < chain.length && chain[i].status.haveData && !isFailed(chain[i].status)) common = chain[i++];
    this.lastCommon.set(name, common);
    if (common === target) return { waiting: false, complete: true };
    const windowEnd = common.height + this.window;
    for (; i < chain.length; i++) {
      const e = chain[i];
      // Nothing past a failed block can be connected.
      if (isFailed(e.status)) return { waiting: false, complete: true };
      if (e.height > windowEnd) return { waiting: true, complete: false };
      if (max <= 0) break;
      if (e.status.haveData || busy.has(e.key) || !usable(e)) continue;
      out.push(e);
      max--;
    }
    return { waiting: false, complete: false };
  }
}
