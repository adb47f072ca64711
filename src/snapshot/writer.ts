/**
 * Snapshot writer (version 2). Coins arrive grouped by txid in ascending txid order, as a chainstate
 * iterates them; inside a group any order is accepted and the writer emits Core's key order (bytes of
 * VARINT(vout)), so its output is byte-identical to Core's dumptxoutset for the same UTXO set.
 *
 * Like Core it writes to `<path>.incomplete` and renames on commit; the coin count in the header is
 * patched at the end, so callers need not know it in advance.
 */
import { closeSync, existsSync, fsyncSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';
import { readU32LE, writeCompactSizeInto, writeU32LE } from '../primitives/bytes.js';
import { MAX_COMPRESSED_COIN, writeCompressedCoin } from '../coins/coin.js';
import { recordLength, recordScriptOffset, recordValue, RECORD_CODE, RECORD_VOUT } from '../coins/coin-record.js';
import { METADATA_SIZE, serializeMetadata } from './metadata.js';
import { compareVoutKeys } from './vout-order.js';

export interface SnapshotWriterOptions {
  messageStart: Uint8Array;
  /** Internal byte order. */
  baseHash: Uint8Array;
  /**
   * Refuse an existing destination with Core's dumptxoutset message, and an existing
   * `<path>.incomplete` (default: replace both).
   */
  exclusive?: boolean;
}

const OUT_BYTES = 1 << 20;

export class SnapshotWriter {
  readonly tempPath: string;
  private readonly fd: number;
  private out = Buffer.allocUnsafe(OUT_BYTES + 64);
  private outLen = 0;
  private filePos = 0;
  private group = Buffer.allocUnsafe(1 << 16);
  private groupLen = 0;
  /** Per coin of the current group: vout, start and end in `group`. */
  private groupVouts: number[] = [];
  private groupStarts: number[] = [];
  private groupInOrder = true;
  private readonly groupTxid = Buffer.alloc(32);
  private haveGroup = false;
  private coins = 0;
  private done = false;

  constructor(
    readonly path: string,
    opts: SnapshotWriterOptions,
  ) {
    this.tempPath = `${path}.incomplete`;
    if (opts.exclusive && existsSync(path)) {
      throw new Error(`${path} already exists. If you are sure this is what you want, move it out of the way first`);
    }
    this.fd = openSync(this.tempPath, opts.exclusive ? 'wx' : 'w');
    this.out.set(serializeMetadata({ messageStart: opts.messageStart, baseHash: opts.baseHash, coinsCount: 0 }), 0);
    this.outLen = METADATA_SIZE;
  }

  get coinsWritten(): number {
    return this.coins;
  }

  /** Adds one coin; its script is `src[scriptOff, scriptOff + scriptLen)`. */
  addCoin(txid: Uint8Array, vout: number, height: number, coinbase: boolean, value: number, src: Uint8Array, scriptOff: number, scriptLen: number): void {
    if (!this.haveGroup || !sameTxid(this.groupTxid, txid)) this.startGroup(txid);
    if (this.groupLen + 9 + MAX_COMPRESSED_COIN > this.group.length) this.growGroup(9 + MAX_COMPRESSED_COIN + scriptLen);
    const vouts = this.groupVouts;
    if (vouts.length > 0 && compareVoutKeys(vouts[vouts.length - 1], vout) >= 0) this.groupInOrder = false;
    vouts.push(vout);
    this.groupStarts.push(this.groupLen);
    let p = writeCompactSizeInto(this.group, this.groupLen, vout);
    p = writeCompressedCoin(this.group, p, height, coinbase, value, src, scriptOff, scriptLen);
    this.groupLen = p;
    this.coins++;
  }

  /** Adds `length` bytes of coin records (see coins/coin-record). */
  addRecords(batch: Uint8Array, length: number): void {
    for (let off = 0; off < length; ) {
      const len = recordLength(batch, off);
      const code = readU32LE(batch, off + RECORD_CODE);
      const scriptOff = recordScriptOffset(batch, off);
      this.addCoin(
        batch.subarray(off, off + 32),
        readU32LE(batch, off + RECORD_VOUT),
        Math.floor(code / 2),
        (code & 1) === 1,
        recordValue(batch, off),
        batch,
        scriptOff,
        off + len - scriptOff,
      );
      off += len;
    }
  }

  /** Finishes the file: patches the coin count, syncs, renames into place. Returns the coins written. */
  commit(): number {
    this.endGroup();
    this.drain();
    const head = Buffer.alloc(8);
    writeU32LE(head, 0, this.coins % 0x1_0000_0000);
    writeU32LE(head, 4, Math.floor(this.coins / 0x1_0000_0000));
    writeSync(this.fd, head, 0, 8, METADATA_SIZE - 8);
    fsyncSync(this.fd);
    closeSync(this.fd);
    this.done = true;
    renameSync(this.tempPath, this.path);
    return this.coins;
  }

  /** Gives up: closes and removes the temporary file. */
  abort(): void {
    if (this.done) return;
    this.done = true;
    try {
      closeSync(this.fd);
    } finally {
      rmSync(this.tempPath, { force: true });
    }
  }

  private startGroup(txid: Uint8Array): void {
    if (this.haveGroup && Buffer.compare(this.groupTxid, txid) > 0) {
      throw new Error('snapshot writer: coins must arrive in ascending txid order');
    }
    this.endGroup();
    this.groupTxid.set(txid);
    this.haveGroup = true;
  }

  private endGroup(): void {
    const n = this.groupVouts.length;
    if (n === 0) return;
    this.reserve(32 + 9);
    this.groupTxid.copy(this.out, this.outLen);
    this.outLen = writeCompactSizeInto(this.out, this.outLen + 32, n);
    if (this.groupInOrder) {
      this.emit(this.group, 0, this.groupLen);
    } else {
      const order = [...Array(n).keys()].sort((a, b) => compareVoutKeys(this.groupVouts[a], this.groupVouts[b]));
      for (const i of order) {
        const end = i + 1 < n ? this.groupStarts[i + 1] : this.groupLen;
        this.emit(this.group, this.groupStarts[i], end);
      }
    }
    this.groupLen = 0;
    this.groupVouts = [];
    this.groupStarts = [];
    this.groupInOrder = true;
  }

  private emit(src: Buffer, from: number, to: number): void {
    while (from < to) {
      this.reserve(1);
      const n = Math.min(to - from, this.out.length - this.outLen);
      src.copy(this.out, this.outLen, from, from + n);
      this.outLen += n;
      from += n;
    }
  }

  private reserve(n: number): void {
    if (this.outLen + n > this.out.length) this.drain();
  }

  private drain(): void {
    let off = 0;
    while (off < this.outLen) off += writeSync(this.fd, this.out, off, this.outLen - off, this.filePos + off);
    this.filePos += this.outLen;
    this.outLen = 0;
  }

  private growGroup(extra: number): void {
    const next = Buffer.allocUnsafe(Math.max(this.group.length * 2, this.groupLen + extra));
    this.group.copy(next, 0, 0, this.groupLen);
    this.group = next;
  }
}

function sameTxid(a: Buffer, b: Uint8Array): boolean {
  for (let i = 0; i < 32; i++) if (a[i] !== b[i]) return false;
  return true;
}
