/**
 * Test plumbing for connecting chains: a Map-backed CoinsViewCache with Core's statistics over it, and a
 * chain driver that tracks hashes and median times past so each block gets its BlockContext.
 */
import { connectBlock, disconnectBlock, type ConnectOptions, type ConnectResult, type DisconnectResult } from '../../src/chain/connect-block.js';
import type { BlockUndo } from '../../src/chain/undo.js';
import type { Coin } from '../../src/coins/coin.js';
import { MAX_RECORD_SIZE, writeRecord } from '../../src/coins/coin-record.js';
import { UtxoStatsAccumulator, type UtxoStats } from '../../src/coins/utxo-stats.js';
import { type CoinsViewCache, type OutpointKey } from '../../src/coins/view.js';
import type { ChainParams } from '../../src/consensus/params.js';
import { blockHash, type Block } from '../../src/primitives/block.js';
import { isUnspendable } from '../../src/primitives/script.js';

export class MapView implements CoinsViewCache {
  readonly coins = new Map<OutpointKey, Coin>();
  private best: Uint8Array | undefined;

  getCoin(key: OutpointKey): Coin | undefined {
    return this.coins.get(key);
  }
  haveCoin(key: OutpointKey): boolean {
    return this.coins.has(key);
  }
  bestBlock(): Uint8Array | undefined {
    return this.best;
  }
  addCoin(key: OutpointKey, coin: Coin, possibleOverwrite: boolean): void {
    if (isUnspendable(coin.script)) return;
    if (!possibleOverwrite && this.coins.has(key)) throw new Error('Attempted to overwrite an unspent coin (when possible_overwrite is false)');
    this.coins.set(key, coin);
  }
  spendCoin(key: OutpointKey): Coin | undefined {
    const c = this.coins.get(key);
    if (c) this.coins.delete(key);
    return c;
  }
  setBestBlock(hash: Uint8Array): void {
    this.best = hash;
  }

  /** A copy (coins are immutable, so sharing them is fine). */
  clone(): MapView {
    const v = new MapView();
    for (const [k, c] of this.coins) v.coins.set(k, c);
    if (this.best) v.setBestBlock(this.best);
    return v;
  }

  /** gettxoutsetinfo statistics: records fed in txid-then-numeric-vout order. */
  stats(): UtxoStats {
    const keys = [...this.coins.keys()].map((k) => ({ k, txid: k.slice(0, 32), vout: keyVout(k) }));
    keys.sort((a, b) => (a.txid < b.txid ? -1 : a.txid > b.txid ? 1 : a.vout - b.vout));
    const acc = new UtxoStatsAccumulator();
    const buf = Buffer.allocUnsafe((1 << 20) + MAX_RECORD_SIZE);
    let len = 0;
    for (const { k, txid, vout } of keys) {
      len = writeRecord(buf, len, { txid: Buffer.from(txid, 'latin1'), vout, ...this.coins.get(k)! });
      if (len >= 1 << 20) {
        acc.addRecords(buf, len);
        len = 0;
      }
    }
    acc.addRecords(buf, len);
    return acc.finalize();
  }
}

/** The vout of an outpoint key: Core's VARINT after the 32 txid bytes (parseOutpointKey, without copying). */
function keyVout(k: OutpointKey): number {
  let n = 0;
  for (let i = 32; ; i++) {
    const b = k.charCodeAt(i);
    n = n * 128 + (b & 0x7f);
    if (!(b & 0x80)) return n;
    n++;
  }
}

/** Core's GetMedianTimePast: the median of the last (up to) 11 block times. */
function median(times: number[]): number {
  const last = times.slice(-11).sort((a, b) => a - b);
  return last[Math.floor(last.length / 2)];
}

/** The active chain as a block index would describe it, over one view. Heights are array indices. */
export class ChainDriver {
  readonly hashes: Uint8Array[] = [];
  readonly times: number[] = [];
  readonly mtps: number[] = [];
  readonly undos: BlockUndo[] = [];
  readonly blocks: Block[] = [];

  constructor(
    readonly params: ChainParams,
    readonly view: MapView = new MapView(),
  ) {}

  get height(): number {
    return this.hashes.length - 1;
  }

  connect(block: Block, opts?: ConnectOptions, view: CoinsViewCache = this.view): ConnectResult {
    const height = this.hashes.length;
    const ctx = {
      height,
      prevHash: height === 0 ? new Uint8Array(32) : this.hashes[height - 1],
      prevMedianTimePast: height === 0 ? 0 : this.mtps[height - 1],
      ancestorMedianTimePast: (h: number) => this.mtps[h],
      ancestorHash: (h: number) => this.hashes[h],
      params: this.params,
    };
    const r = connectBlock(block, ctx, view, opts);
    this.hashes.push(blockHash(block.header));
    this.times.push(block.header.time);
    this.mtps.push(median(this.times));
    this.undos.push(r.undo);
    this.blocks.push(block);
    return r;
  }

  /** Disconnects the tip with the given undo data (default: what connecting it produced). */
  disconnect(undo?: BlockUndo): DisconnectResult {
    const height = this.height;
    const r = disconnectBlock(this.blocks[height], undo ?? this.undos[height], this.view, height);
    this.hashes.pop();
    this.times.pop();
    this.mtps.pop();
    this.undos.pop();
    this.blocks.pop();
    return r;
  }
}
