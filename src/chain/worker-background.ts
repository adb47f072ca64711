/**
 * The main thread's side of background validation in a worker: it starts the worker with the snapshot
 * base's ancestry, forwards newly stored blocks, writes the worker's undo data into the rev files, and
 * answers its persist requests only once that data and the index are durable — so the worker's coins
 * flush never gets ahead of the block storage.
 */
import { Worker } from 'node:worker_threads';
import type { Logger } from 'pino';
import { formatAssumeutxoSpec, getChainParams, type ChainParams } from '../consensus/params.js';
import { toHex } from '../primitives/bytes.js';
import { hashToHex } from '../primitives/hash.js';
import { getAncestor, type BlockIndexEntry } from './block-index.js';
import { encodeEntry } from './block-index-db.js';
import type { BlockStorage } from './block-storage.js';
import { RateMeter, type BackgroundEvents, type BackgroundRunner } from './background-validation.js';
import { CONTROL_WORDS } from './check-batch.js';
import type { CheckQueue } from './check-queue.js';
import type { MainToWorker, WorkerInit, WorkerToMain } from './worker-protocol.js';

/** What the background worker needs for script checks. */
export interface BackgroundScripts {
  /** The active chainstate's script-check workers (Core's -par less the calling thread). */
  workers: number;
  /** The base's ancestors at or below this height are assumed valid (-1: none), as the main thread decides now. */
  assumedValidHeight: () => number;
  /**
   * The active chainstate's queue: given, the two chainstates share -par's threads while the background
   * runs (splitScriptThreads), the background takes the active one's share too while that one has no block
   * to check, and the queue gets them all back when the background ends.
   */
  queue?: CheckQueue;
}

/**
 * -par's threads (`workers` + 1, the calling threads included) split between the chainstates while both
 * check blocks: the active one keeps the larger half, the background one (whose own thread checks too)
 * gets the rest. Core has one queue both use; here each chainstate's thread is a caller of its own, and the
 * background's queue has a worker for each thread of the active one's share, which take work only while
 * the active chainstate has no block to check (CheckQueue.lendIdleThreads).
 */
export function splitScriptThreads(workers: number): { active: number; background: number } {
  const threads = workers + 1;
  const active = Math.ceil(threads / 2);
  return { active: active - 1, background: Math.max(threads - active - 1, 0) };
}

export class WorkerBackground implements BackgroundRunner {
  private readonly worker: Worker;
  private tipEntry: BlockIndexEntry;
  /** Undo writes in message order; persist waits for them. */
  private undoChain: Promise<void> = Promise.resolve();
  private stopping: Promise<void> | undefined;
  private exited = false;
  /** The worker said it is done (stopped, reached the base, or failed): an exit after that is expected. */
  private ended = false;
  private readonly meter = new RateMeter();

  constructor(
    private readonly storage: BlockStorage,
    params: ChainParams,
    dir: string,
    private readonly base: BlockIndexEntry,
    tip: BlockIndexEntry,
    cacheBytes: number,
    private readonly scripts: BackgroundScripts,
    private readonly events: BackgroundEvents,
    private readonly log?: Logger,
  ) {
    this.tipEntry = tip;
    const scriptControl = scripts.queue ? new SharedArrayBuffer(CONTROL_WORDS * 4) : undefined;
    const builtIn = new Set(getChainParams(params.name, params.isCustomSignet ? { signetChallenge: toHex(params.signetChallenge) } : {}).assumeutxo.map(formatAssumeutxoSpec));
    const init: WorkerInit = {
      network: params.name,
      signetChallenge: params.isCustomSignet ? toHex(params.signetChallenge) : undefined,
      assumeutxo: params.assumeutxo.map(formatAssumeutxoSpec).filter((s) => !builtIn.has(s)),
      dir,
      blocksDir: storage.dir,
      cacheBytes,
      entries: storage.index.chainTo(base).slice(1).map((e) => encodeEntry(e)),
      baseHash: base.key,
      scriptWorkers: scripts.workers,
      ...(scriptControl ? { scriptControl } : {}),
      assumedValidHeight: scripts.assumedValidHeight(),
    };
    if (scripts.queue && scriptControl) {
      const split = splitScriptThreads(scripts.workers);
      scripts.queue.setActiveWorkers(split.active);
      // Sets the background queue's active count now, before its worker makes the queue.
      scripts.queue.lendIdleThreads({ control: scriptControl, whileBusy: split.background, whileIdle: scripts.workers });
    }
    this.worker = new Worker(new URL('./background-worker.js', import.meta.url), { workerData: init });
    this.worker.on('message', (m: WorkerToMain) => this.onMessage(m));
    this.worker.on('error', (e) => {
      this.ended = true;
      this.events.onError(e);
    });
    this.worker.on('exit', (code) => {
      this.exited = true;
      // The background's share of -par goes back to the active chainstate.
      if (scriptControl) scripts.queue?.stopLending(scriptControl);
      scripts.queue?.setActiveWorkers(scripts.queue.workers);
      // Never silent: a worker that dies without saying why (out of memory, a crash) is an error too.
      if (!this.ended && !this.stopping) this.events.onError(new Error(`background validation worker exited unexpectedly (exit code ${code})`));
    });
  }

  get height(): number {
    return this.tipEntry.height;
  }

  get tip(): BlockIndexEntry {
    return this.tipEntry;
  }

  setCacheBytes(bytes: number): void {
    this.post({ type: 'cache', bytes });
  }

  /** Tells the worker about newly stored blocks on the path to the base. */
  notify(entries?: BlockIndexEntry[]): void {
    const blocks = (entries ?? [])
      .filter((e) => e.dataPos && e.height <= this.base.height && getAncestor(this.base, e.height) === e)
      .map((e) => ({ hash: e.hash, pos: e.dataPos!, txCount: e.txCount }));
    // The best header may have moved since: the assumevalid height is worked out again with every batch.
    if (blocks.length) this.post({ type: 'blocks', blocks, assumedValidHeight: this.scripts.assumedValidHeight() });
  }

  stop(): Promise<void> {
    if (this.exited) return Promise.resolve();
    this.stopping ??= new Promise<void>((resolve) => {
      this.worker.once('exit', () => resolve());
      this.post({ type: 'stop' });
    });
    return this.stopping;
  }

  private post(m: MainToWorker): void {
    if (!this.exited) this.worker.postMessage(m);
  }

  private onMessage(m: WorkerToMain): void {
    const entry = 'hash' in m && m.type !== 'reached-base' ? this.storage.index.get(m.hash) : undefined;
    switch (m.type) {
      case 'connected':
        this.storage.index.raiseValidity(entry!, 'scripts');
        this.tipEntry = entry!;
        this.meter.add(m.inputs);
        this.events.onProgress({ height: m.height, tip: m.hash, ...this.meter.rates(), inputs: m.inputs });
        break;
      case 'undo':
        this.undoChain = this.undoChain.then(() => this.storage.writeUndo(entry!, m.bytes));
        break;
      case 'invalid':
        // The worker's chainstate has no logger: its ConnectBlock and ConnectTip lines are written here.
        this.log?.info(`Block validation error: ${m.debug ? `${m.reason}, ${m.debug}` : m.reason}`);
        this.log?.error(`ConnectTip: ConnectBlock ${entry?.key ?? hashToHex(m.hash)} failed, ${m.debug ? `${m.reason}, ${m.debug}` : m.reason}`);
        if (entry) this.storage.index.markInvalid(entry);
        if (entry) this.events.onInvalid(entry);
        break;
      case 'persist':
        this.undoChain
          .then(() => this.storage.persist())
          .then(
            () => this.post({ type: 'persisted', id: m.id }),
            (e: Error) => this.events.onError(e),
          );
        break;
      case 'reached-base':
        void this.undoChain.then(() => this.storage.persist()).then(() => {
          this.exitAfter();
          this.events.onReachedBase(m.hash);
        });
        break;
      case 'stopped':
        this.exitAfter();
        break;
      case 'error':
        this.ended = true;
        this.events.onError(new Error(`background validation worker: ${m.message}`));
        this.exitAfter();
        break;
    }
  }

  /** The worker has released the database; end the thread (its event loop may still hold the message port). */
  private exitAfter(): void {
    this.ended = true;
    void this.worker.terminate();
  }
}
