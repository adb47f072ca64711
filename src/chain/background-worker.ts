/**
 * The background chainstate in a worker thread. It owns the `chainstate` database while it runs and reads
 * blocks straight from the blk files; the main thread keeps the block index and the rev files, so undo
 * data, connected/invalid marks and the "persist before a coins flush" handshake travel as messages.
 * The work itself is the same Chainstate code the main thread runs.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { getChainParams, type NetworkName } from '../consensus/params.js';
import type { Block } from '../primitives/block.js';
import { parseBlock } from '../primitives/block.js';
import type { ValidationError } from '../consensus/validation-error.js';
import { computeChainstateStats } from '../coins/coins-stats.js';
import { BlockIndex, type BlockIndexEntry } from './block-index.js';
import { decodeEntry } from './block-index-db.js';
import { BlockReadError, BlockStore } from './block-store.js';
import { Chainstate, type BlockSource } from './chainstate.js';
import { CheckQueue } from './check-queue.js';
import { BlockScripts } from './script-validation.js';
import { serializeBlockUndo, type BlockUndo } from './undo.js';
import type { MainToWorker, WorkerInit, WorkerToMain } from './worker-protocol.js';

const init = workerData as WorkerInit;
const port = parentPort!;
const post = (m: WorkerToMain) => port.postMessage(m);

class WorkerBlockSource implements BlockSource {
  private nextPersist = 0;
  private readonly waiting = new Map<number, () => void>();

  constructor(
    readonly index: BlockIndex,
    private readonly store: BlockStore,
  ) {}

  async readBlock(entry: BlockIndexEntry): Promise<Block> {
    try {
      if (!entry.dataPos) throw new Error(`block ${entry.key} is not stored`);
      return parseBlock(await this.store.readBlock(entry.dataPos));
    } catch (e) {
      throw new BlockReadError(`block ${entry.key} (height ${entry.height})`, e);
    }
  }

  readUndo(entry: BlockIndexEntry): Promise<BlockUndo> {
    return Promise.reject(new Error(`the background chainstate never disconnects (block ${entry.key})`));
  }

  async writeUndo(entry: BlockIndexEntry, undo: BlockUndo): Promise<void> {
    post({ type: 'undo', hash: entry.hash, bytes: serializeBlockUndo(undo) });
  }

  markConnected(entry: BlockIndexEntry): void {
    this.index.raiseValidity(entry, 'scripts');
  }

  markInvalid(entry: BlockIndexEntry, error: ValidationError): void {
    this.index.markInvalid(entry);
    post({ type: 'invalid', hash: entry.hash, reason: error.reason, debug: error.debug });
  }

  persist(): Promise<void> {
    const id = this.nextPersist++;
    return new Promise((resolve) => {
      this.waiting.set(id, resolve);
      post({ type: 'persist', id });
    });
  }

  persisted(id: number): void {
    this.waiting.get(id)?.();
    this.waiting.delete(id);
  }
}

async function main(): Promise<void> {
  const params = getChainParams(init.network as NetworkName, { signetChallenge: init.signetChallenge, assumeutxo: init.assumeutxo });
  const index = BlockIndex.restore(params, init.entries.map(decodeEntry));
  const base = index.get(init.baseHash)!;
  const store = await BlockStore.open(init.blocksDir, { magic: params.messageStart, readOnly: true });
  const source = new WorkerBlockSource(index, store);
  // Its own script-check threads; the main thread decides assumevalid (it has the best header) as a height.
  let assumedValidHeight = init.assumedValidHeight;
  const scripts = new BlockScripts(new CheckQueue({ workers: init.scriptWorkers, control: init.scriptControl }), (e) => (e.height <= assumedValidHeight ? undefined : 'above the assumed-valid height'));
  const cs = await Chainstate.open({
    role: 'background',
    dir: init.dir,
    source,
    params,
    cacheBytes: init.cacheBytes,
    base,
    scripts,
    onConnected: (e, info) => post({ type: 'connected', hash: e.hash, height: e.height, inputs: info.inputs }),
  });
  let running: Promise<void> = Promise.resolve();
  let finished = false;
  const step = async () => {
    if (finished) return;
    await cs.activateBestChain();
    if (cs.tip === base) {
      finished = true;
      await cs.flush();
      const stats = await computeChainstateStats(cs.db, { threads: 0 });
      await cs.close();
      await store.close();
      await scripts.close();
      post({ type: 'reached-base', hash: stats.hashSerialized3 });
    }
  };
  const schedule = () => {
    running = running.then(step).catch((e: Error) => post({ type: 'error', message: describeError(e) }));
  };
  port.on('message', (m: MainToWorker) => {
    switch (m.type) {
      case 'blocks':
        assumedValidHeight = m.assumedValidHeight;
        for (const b of m.blocks) {
          const e = index.get(b.hash);
          if (e && !e.status.haveData) index.setBlockData(e, b.pos, b.txCount);
        }
        schedule();
        break;
      case 'persisted':
        source.persisted(m.id);
        break;
      case 'cache':
        // A shrinking share is written and emptied at once (Core's ResizeCoinsCaches), between blocks.
        running = running.then(() => cs.resizeCache(m.bytes)).catch((e: Error) => post({ type: 'error', message: describeError(e) }));
        break;
      case 'stop':
        cs.stop();
        running = running.then(async () => {
          if (!finished) {
            finished = true;
            await cs.close();
            await store.close();
          }
          await scripts.close();
          post({ type: 'stopped' });
        });
        break;
    }
  });
  schedule();
}

main().catch((e: Error) => post({ type: 'error', message: describeError(e) }));

/** The error with its causes: the main thread sees only this text (e.g. why a block could not be read). */
function describeError(e: Error): string {
  let text = e.stack ?? e.message;
  for (let c: unknown = e.cause; c instanceof Error; c = c.cause) text += `\ncaused by: ${c.message}`;
  return text;
}
