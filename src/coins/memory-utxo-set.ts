/**
 * The simplest correct UTXO set: a map in memory, blocks applied in order, no undo. It is the reference the
 * real engine is tested against, and what the chain generator uses to know its own coins. It can produce
 * its coin records in hashing order, so its statistics and snapshot come from the same code as a file's.
 */
import { toHex } from '../primitives/bytes.js';
import type { Block } from '../primitives/block.js';
import { isUnspendable } from '../primitives/script.js';
import { isCoinbase, txid } from '../primitives/transaction.js';
import type { Coin } from './coin.js';
import { MAX_RECORD_SIZE, writeRecord } from './coin-record.js';
import { UtxoStatsAccumulator, type UtxoStats } from './utxo-stats.js';

export type UtxoObserver = (change: 'add' | 'spend', txid: Uint8Array, vout: number, coin: Coin) => void;

export class MissingInputError extends Error {
  constructor(readonly outpoint: string) {
    super(`bad-txns-inputs-missingorspent: ${outpoint}`);
    this.name = 'MissingInputError';
  }
}

export class MemoryUtxoSet {
  /** Key: txid hex (internal order) ‖ ':' ‖ vout. Hex keeps the byte order when compared as strings. */
  private readonly coins = new Map<string, Coin>();

  get size(): number {
    return this.coins.size;
  }

  get(txidInternal: Uint8Array, vout: number): Coin | undefined {
    return this.coins.get(`${toHex(txidInternal)}:${vout}`);
  }

  add(txidInternal: Uint8Array, vout: number, coin: Coin): void {
    this.coins.set(`${toHex(txidInternal)}:${vout}`, coin);
  }

  /**
   * Spends every input and adds every spendable output; throws MissingInputError for an absent coin.
   * `observe` sees each change (e.g. to keep a MuHash up to date incrementally).
   */
  applyBlock(block: Block, height: number, observe?: UtxoObserver): void {
    for (const tx of block.txs) {
      if (!isCoinbase(tx)) {
        for (const input of tx.inputs) {
          const key = `${toHex(input.prevout.txid)}:${input.prevout.vout}`;
          const spent = this.coins.get(key);
          if (!spent || !this.coins.delete(key)) throw new MissingInputError(key);
          observe?.('spend', input.prevout.txid, input.prevout.vout, spent);
        }
      }
      const id = txid(tx);
      const idHex = toHex(id);
      const coinbase = isCoinbase(tx);
      tx.outputs.forEach((out, vout) => {
        if (isUnspendable(out.script)) return;
        const coin = { height, coinbase, value: out.value, script: out.script };
        this.coins.set(`${idHex}:${vout}`, coin);
        observe?.('add', id, vout, coin);
      });
    }
  }

  /** Calls `sink` with batches of coin records in hashing order (txid bytes, then numeric vout). */
  forEachRecordBatch(sink: (batch: Buffer, length: number) => void, batchBytes = 1 << 20): void {
    const keys = [...this.coins.keys()].map((k) => {
      const i = k.indexOf(':');
      return { txid: k.slice(0, i), vout: Number(k.slice(i + 1)), key: k };
    });
    keys.sort((a, b) => (a.txid < b.txid ? -1 : a.txid > b.txid ? 1 : a.vout - b.vout));
    const buf = Buffer.allocUnsafe(batchBytes + MAX_RECORD_SIZE);
    let len = 0;
    for (const k of keys) {
      const c = this.coins.get(k.key)!;
      len = writeRecord(buf, len, { txid: Buffer.from(k.txid, 'hex'), vout: k.vout, ...c });
      if (len >= batchBytes) {
        sink(buf, len);
        len = 0;
      }
    }
    if (len > 0) sink(buf, len);
  }

  stats(): UtxoStats {
    const acc = new UtxoStatsAccumulator();
    this.forEachRecordBatch((b, n) => acc.addRecords(b, n));
    return acc.finalize();
  }
}
