/**
 * `--source-rpc URL` (repeatable): blocks from one or more bitcoind-compatible nodes over JSON-RPC, until P2P
 * exists and beside it afterwards. Each source's genesis is checked against ours before use (a node of
 * another network is refused with a log line). Headers come in JSON-RPC batches (getblockhash, then
 * getblockheader(hash, false)) from where our best header meets the source's chain; raw blocks come from
 * getblock(hash, 0), several in flight at once, in the order the download plan gives (snapshot chainstate
 * first, then background). When the source in use fails (refused, reset, timed out) the next one takes over
 * the outstanding work; when all are down, they are tried again after a pause. New tips are polled for.
 */
import { fromHex } from '../../primitives/bytes.js';
import { parseHeader } from '../../primitives/block.js';
import { ByteReader } from '../../primitives/bytes.js';
import { ValidationError } from '../../consensus/validation-error.js';
import { getAncestor, type BlockIndexEntry } from '../../chain/block-index.js';
import { RpcClient, RpcConnectionError, RpcHttpError } from '../../rpc/client.js';
import { RpcError } from '../../rpc/errors.js';
import { SourceRunner, type SourceSink } from './source.js';

export interface RpcSourceOptions {
  /** How often to ask for a new tip once synced (default 2 s). */
  pollMs?: number;
  /** Blocks fetched at once (default 8): also the cap on fetched blocks held in memory. */
  concurrency?: number;
  /** Headers per JSON-RPC batch (default 2000, a headers message's worth). */
  headersPerBatch?: number;
  /** Per request (default 60 s). */
  timeoutMs?: number;
  /** Pause before trying again when every source is down (default 1 s). */
  retryMs?: number;
  window?: number;
}

interface Endpoint {
  /** The URL without credentials, for logs and status. */
  display: string;
  client: RpcClient;
  /** Genesis checked and equal to ours. */
  checked: boolean;
  /** On another network: never used. */
  rejected: boolean;
  down: boolean;
  tipHeight: number;
}

/** The source in use changed while a block was being fetched: the run loop picks and checks the next one. */
class SourceChanged extends Error {}

/** The source could not do its part: a connection failure, or an answer it should not have given. */
const isConnectionFailure = (e: unknown) => e instanceof RpcConnectionError || e instanceof RpcHttpError;

export class RpcBlockSource extends SourceRunner {
  readonly name = 'rpc-source';
  private readonly endpoints: Endpoint[];
  private current = 0;
  private readonly opts: Required<Omit<RpcSourceOptions, 'window'>>;
  /** Blocks no source would give us this round (cleared at each poll). */
  private readonly refused = new Set<string>();
  private readonly triedBy = new Map<string, Set<Endpoint>>();

  constructor(sink: SourceSink, urls: string[], opts: RpcSourceOptions = {}) {
    super(sink, opts.window);
    if (urls.length === 0) throw new Error('--source-rpc needs at least one URL');
    this.opts = { pollMs: 2000, concurrency: 8, headersPerBatch: 2000, timeoutMs: 60_000, retryMs: 1000, ...opts };
    this.endpoints = urls.map((url) => {
      const client = new RpcClient({ url, port: sink.params.rpcPort, timeoutMs: this.opts.timeoutMs });
      return { display: `http://${client.endpoint}`, client, checked: false, rejected: false, down: false, tipHeight: -1 };
    });
  }

  protected override interrupt(): void {
    for (const ep of this.endpoints) ep.client.close();
  }

  protected where() {
    const ep = this.endpoints[this.current];
    return { url: ep.display, tipHeight: ep.tipHeight };
  }

  protected async run(): Promise<void> {
    // Every source's network and tip up front, so a misconfigured one shows in the log at once.
    await Promise.all(this.endpoints.map((ep) => this.check(ep)));
    while (!this.stopping) {
      const ep = await this.pick();
      if (!ep) {
        if (this.endpoints.every((e) => e.rejected)) throw new Error('no source is on our network');
        this.state = 'waiting';
        await this.waker.sleep(this.opts.retryMs);
        for (const e of this.endpoints) e.down = false;
        continue;
      }
      try {
        this.state = 'headers';
        await this.syncHeaders(ep);
        this.state = 'blocks';
        const outcome = await this.syncBlocks();
        if (outcome === 'failover') continue;
        this.state = outcome === 'waiting' ? 'waiting' : 'idle';
        await this.waker.sleep(outcome === 'waiting' ? Math.min(200, this.opts.pollMs) : this.opts.pollMs);
        this.refused.clear();
        this.triedBy.clear();
      } catch (e) {
        if (this.stopping) return;
        if (!isConnectionFailure(e) && !(e instanceof RpcError)) throw e;
        this.failed(ep, e as Error);
      }
    }
  }

  /** The source in use, after checking its genesis if not done yet; rotates past sources that are down. */
  private async pick(): Promise<Endpoint | undefined> {
    for (let n = 0; n < this.endpoints.length && !this.stopping; n++) {
      const ep = this.endpoints[this.current];
      if (!ep.rejected && !ep.down && (ep.checked || (await this.check(ep)))) return ep;
      this.current = (this.current + 1) % this.endpoints.length;
    }
    return undefined;
  }

  private async check(ep: Endpoint): Promise<boolean> {
    const { params, log } = this.sink;
    try {
      const genesis = await ep.client.call<string>('getblockhash', [0]);
      if (genesis !== params.genesisHash) {
        ep.rejected = true;
        log.error(`[rpc-source] ${ep.display} is on another network: its genesis is ${genesis}, ${params.coreName}'s is ${params.genesisHash}; not using it`);
        return false;
      }
      const info = await ep.client.call<{ chain?: string; blocks?: number; bestblockhash?: string }>('getblockchaininfo');
      ep.tipHeight = info.blocks ?? -1;
      ep.checked = true;
      log.info(`[rpc-source] ${ep.display}: chain=${info.chain} tip height=${info.blocks} hash=${info.bestblockhash}`);
      return true;
    } catch (e) {
      if (!isConnectionFailure(e) && !(e instanceof RpcError)) throw e;
      ep.down = true;
      log.warn(`[rpc-source] ${ep.display} is unavailable: ${(e as Error).message}`);
      return false;
    }
  }

  private failed(ep: Endpoint, e: Error): void {
    if (ep.down) return;
    ep.down = true;
    if (this.endpoints[this.current] === ep) this.current = (this.current + 1) % this.endpoints.length;
    // The one pick() will try next: in rotation order from the current position.
    const n = this.endpoints.length;
    const next = Array.from({ length: n }, (_, i) => this.endpoints[(this.current + i) % n]).find((x) => !x.down && !x.rejected);
    this.sink.log.warn(`[rpc-source] ${ep.display} failed: ${e.message}${next ? `; switching to ${next.display}` : '; no other source is up'}`);
  }

  /** Headers from where our best header meets the source's chain up to the source's tip. */
  private async syncHeaders(ep: Endpoint): Promise<void> {
    const { manager, log } = this.sink;
    const c = ep.client;
    const tip = await c.call<number>('getblockcount');
    ep.tipHeight = tip;
    const best = manager.storage.index.bestHeader;
    if (manager.storage.index.get(await c.call<string>('getbestblockhash'))) return;
    // Walk back (exponentially, like a block locator) to a height where both chains agree.
    let h = Math.min(best.height, tip);
    for (let step = 1; h > 0; step *= 2) {
      if ((await c.call<string>('getblockhash', [h])) === getAncestor(best, h)!.key) break;
      h = Math.max(0, h - step);
    }
    for (let from = h + 1; from <= tip && !this.stopping; from += this.opts.headersPerBatch) {
      const heights = Array.from({ length: Math.min(this.opts.headersPerBatch, tip - from + 1) }, (_, i) => from + i);
      const hashes = await c.batch(heights.map((height) => ({ method: 'getblockhash', params: [height] })));
      const ok = hashes.filter((r) => r.error === undefined).map((r) => r.result as string);
      const headers = await c.batch(ok.map((hash) => ({ method: 'getblockheader', params: [hash, false] })));
      const accepted = await this.sink.exclusive(() => {
        for (const r of headers) {
          if (r.error) return false;
          try {
            manager.processHeader(parseHeader(new ByteReader(fromHex(r.result as string))));
          } catch (e) {
            if (!(e instanceof ValidationError)) throw e;
            log.warn(`[rpc-source] header from ${ep.display} refused: ${e.message}`);
            return false;
          }
        }
        return true;
      });
      this.lastActivity = Date.now();
      // A reorganisation on the source while we read, or a bad header: start again at the next poll.
      if (!accepted || ok.length < heights.length) return;
    }
  }

  /**
   * Fetches what the plan asks for with `concurrency` requests in flight, feeding each block as it arrives
   * (the engine takes blocks in any order once it has their headers). Returns why it stopped.
   */
  private async syncBlocks(): Promise<'done' | 'waiting' | 'failover'> {
    const busy = new Set<string>();
    let queue: BlockIndexEntry[] = [];
    let waiting = false;
    let failover = false;
    let refill: Promise<void> | undefined;
    const take = async (): Promise<BlockIndexEntry | undefined> => {
      while (queue.length === 0 && !this.stopping && !failover) {
        refill ??= this.sink
          .exclusive(() => this.planner.next(this.opts.concurrency * 4, busy, (e) => !this.refused.has(e.key)))
          .then((plan) => {
            queue = plan.blocks.filter((e) => !busy.has(e.key));
            waiting = plan.waiting;
          })
          .finally(() => (refill = undefined));
        await refill;
        if (queue.length === 0) return undefined;
      }
      return failover ? undefined : queue.shift();
    };
    const worker = async () => {
      for (let e = await take(); e && !this.stopping; e = await take()) {
        const ep = this.endpoints[this.current];
        busy.add(e.key);
        try {
          if (ep.down || ep.rejected || !ep.checked) throw new SourceChanged();
          await this.fetchAndFeed(ep, e);
        } catch (err) {
          if (this.stopping) return;
          if (!(err instanceof SourceChanged) && !isConnectionFailure(err) && !(err instanceof RpcError)) throw err;
          // The outstanding work goes back to the queue, and the run loop picks (and checks) the next source.
          queue.unshift(e);
          failover = true;
          if (err instanceof RpcError) {
            // This source lacks the block (pruned, or not synced that far): ask the next one.
            this.noteMissing(e, ep);
            if (this.endpoints[this.current] === ep) this.current = (this.current + 1) % this.endpoints.length;
          } else if (isConnectionFailure(err)) this.failed(ep, err as Error);
        } finally {
          busy.delete(e.key);
        }
      }
    };
    await Promise.all(Array.from({ length: this.opts.concurrency }, worker));
    if (failover) return 'failover';
    return waiting ? 'waiting' : 'done';
  }

  private async fetchAndFeed(ep: Endpoint, e: BlockIndexEntry): Promise<void> {
    const hex = await ep.client.call<string>('getblock', [e.key, 0]);
    const bytes = fromHex(hex);
    this.received(bytes.length);
    try {
      await this.sink.exclusive(() => this.sink.manager.processBlock(bytes));
    } catch (err) {
      if (!(err instanceof ValidationError)) throw err;
      this.sink.log.warn(`[rpc-source] block ${e.key} from ${ep.display} refused: ${err.message}`);
      this.noteMissing(e, ep);
    }
  }

  /** A source could not (or did not properly) give this block: once every usable source failed it, skip it this round. */
  private noteMissing(e: BlockIndexEntry, ep: Endpoint): void {
    const tried = this.triedBy.get(e.key) ?? new Set<Endpoint>();
    tried.add(ep);
    this.triedBy.set(e.key, tried);
    if (this.endpoints.every((x) => x.rejected || tried.has(x))) this.refused.add(e.key);
  }
}
