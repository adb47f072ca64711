/**
 * `--source-blocks DIR`: blocks from a Bitcoin Core blocks directory (blk*.dat, with or without xor.dat), or
 * from one file of blk framing (e.g. snapshots/regtest-h200-blocks.dat).
 * Blocks sit there in arrival order, not chain order, so the source first scans every file for headers and
 * positions only, links them by parent hash, feeds the headers in chain order, and then feeds the blocks
 * the download plan asks for (the snapshot chainstate's first, then the background's), reading each block
 * back from its file when it is needed.
 */
import { parseHeader, blockHash } from '../../primitives/block.js';
import { ByteReader } from '../../primitives/bytes.js';
import { hashToHex } from '../../primitives/hash.js';
import { ValidationError } from '../../consensus/validation-error.js';
import type { BlockIndexEntry } from '../../chain/block-index.js';
import { BlkReader, findBlkFiles, scanBlkFile, type BlkRecord } from './blk-files.js';
import { SourceRunner, type SourceSink } from './source.js';

export interface BlkDirSourceOptions {
  /** Bytes of blocks read ahead and held in memory at once (default 32 MiB). */
  batchBytes?: number;
  /** Download window above the last block with data (default Core's 1024). */
  window?: number;
}

interface Located extends BlkRecord {
  key: string;
  prevKey: string;
}

const HEADERS_PER_CALL = 2000;

export class BlkDirSource extends SourceRunner {
  readonly name = 'blocks-dir';
  private tipHeight = -1;
  private readonly batchBytes: number;

  constructor(
    sink: SourceSink,
    readonly dir: string,
    opts: BlkDirSourceOptions = {},
  ) {
    super(sink, opts.window);
    this.batchBytes = opts.batchBytes ?? 32 << 20;
  }

  protected where() {
    return { url: this.dir, tipHeight: this.tipHeight };
  }

  protected async run(): Promise<void> {
    const { params, log } = this.sink;
    const set = findBlkFiles(this.dir, params);
    log.info(`[blocks-dir] scanning ${set.files.length} block files in ${set.where}${set.key.some((b) => b !== 0) ? ' (obfuscated with xor.dat)' : ''}`);
    const found = new Map<string, Located>();
    const children = new Map<string, Located[]>();
    for (let file = 0; file < set.files.length; file++) {
      for await (const rec of scanBlkFile(set, file, params.messageStart)) {
        if (this.stopping) return;
        const header = parseHeader(new ByteReader(rec.header));
        const located: Located = { ...rec, key: hashToHex(blockHash(header)), prevKey: hashToHex(header.prevHash) };
        if (found.has(located.key)) continue;
        found.set(located.key, located);
        const siblings = children.get(located.prevKey);
        if (siblings) siblings.push(located);
        else children.set(located.prevKey, [located]);
      }
    }
    log.info(`[blocks-dir] found ${found.size} blocks in ${set.files.length} files`);
    this.state = 'headers';
    await this.feedHeaders(found, children);
    children.clear();
    this.state = 'blocks';
    const reader = new BlkReader(set);
    try {
      await this.feedBlocks(found, reader);
    } finally {
      await reader.close();
    }
    if (!this.stopping) {
      this.state = 'done';
      log.info(`[blocks-dir] done: ${this.status().blocksReceived} blocks fed from ${set.where}`);
    }
  }

  /** Headers in chain order: breadth first from every parent the block index already knows. */
  private async feedHeaders(found: Map<string, Located>, children: Map<string, Located[]>): Promise<void> {
    const { manager, log } = this.sink;
    const index = manager.storage.index;
    const queue = [...children.keys()].filter((k) => index.get(k) !== undefined);
    let batch: Located[] = [];
    const flush = async () => {
      const accepted = await this.sink.exclusive(() => {
        const ok: Located[] = [];
        for (const rec of batch) {
          try {
            const e = manager.processHeader(parseHeader(new ByteReader(rec.header)));
            this.tipHeight = Math.max(this.tipHeight, e.height);
            ok.push(rec);
          } catch (e) {
            if (!(e instanceof ValidationError)) throw e;
            log.warn(`[blocks-dir] header ${rec.key} refused: ${e.message}`);
            found.delete(rec.key);
          }
        }
        return ok;
      });
      batch = [];
      this.lastActivity = Date.now();
      for (const rec of accepted) if (children.has(rec.key)) queue.push(rec.key);
    };
    while (queue.length && !this.stopping) {
      for (const child of children.get(queue.shift()!) ?? []) batch.push(child);
      if (batch.length >= HEADERS_PER_CALL || queue.length === 0) await flush();
    }
    if (batch.length) await flush();
  }

  private async feedBlocks(found: Map<string, Located>, reader: BlkReader): Promise<void> {
    const { manager, log } = this.sink;
    const refused = new Set<string>();
    const usable = (e: BlockIndexEntry) => found.has(e.key) && !refused.has(e.key);
    while (!this.stopping) {
      const plan = await this.sink.exclusive(() => this.planner.next(1024, undefined, usable));
      if (plan.blocks.length === 0) {
        if (plan.complete || !plan.waiting) return;
        // Blocks beyond the window are waiting on validation (the background chainstate) to move on.
        this.state = 'waiting';
        await this.waker.sleep(100);
        continue;
      }
      this.state = 'blocks';
      let bytes = 0;
      const take: Located[] = [];
      for (const e of plan.blocks) {
        const rec = found.get(e.key)!;
        if (take.length > 0 && bytes + rec.size > this.batchBytes) break;
        take.push(rec);
        bytes += rec.size;
      }
      const data = await Promise.all(take.map((rec) => reader.read(rec)));
      for (let i = 0; i < take.length && !this.stopping; i++) {
        try {
          await this.sink.exclusive(() => manager.processBlock(data[i]));
        } catch (e) {
          if (!(e instanceof ValidationError)) throw e;
          log.warn(`[blocks-dir] block ${take[i].key} refused: ${e.message}`);
          refused.add(take[i].key);
        }
        this.received(take[i].size);
      }
    }
  }
}
