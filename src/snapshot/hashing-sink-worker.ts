/**
 * Worker side of HashingSink: writes each chunk of a snapshot file at its position, then decodes its
 * coins into records and feeds the gettxoutsetinfo statistics. Chunks hold whole transactions (the
 * writer only hands over at group boundaries), so each is parsed on its own.
 * Protocol: in — { fd, pos, chunk } or 'finish'; out — the chunk (done; its buffer returns), the
 * UtxoStats, or 'error:…'.
 */
import { writeSync } from 'node:fs';
import { parentPort } from 'node:worker_threads';
import { writeU32LE } from '../primitives/bytes.js';
import { decodeCompressedCoin, decoded, MAX_RECORD_SIZE, RECORD_CODE, sortRecordsByVout } from '../coins/coin-record.js';
import { UtxoStatsAccumulator } from '../coins/utxo-stats.js';
import { METADATA_SIZE } from './metadata.js';

const port = parentPort;
if (!port) throw new Error('hashing-sink-worker must run in a worker thread');

const BATCH_BYTES = 1 << 20;
const stats = new UtxoStatsAccumulator();
let out = Buffer.allocUnsafe(BATCH_BYTES + MAX_RECORD_SIZE);
let failed = false;

port.on('message', (msg: { fd: number; pos: number; chunk: Uint8Array } | string) => {
  if (failed) return;
  try {
    if (typeof msg === 'string') {
      if (msg === 'finish') port.postMessage(stats.finalize());
      return;
    }
    const chunk = Buffer.from(msg.chunk.buffer, msg.chunk.byteOffset, msg.chunk.byteLength);
    for (let off = 0; off < chunk.length; ) off += writeSync(msg.fd, chunk, off, chunk.length - off, msg.pos + off);
    hashGroups(chunk, Math.max(0, METADATA_SIZE - msg.pos));
    // The buffer goes back to be filled again.
    port.postMessage(msg.chunk, [msg.chunk.buffer as ArrayBuffer]);
  } catch (err) {
    failed = true;
    port.postMessage(`error:${err instanceof Error ? err.message : String(err)}`);
  }
});

/** Coins of chunk[from, end): txid, CompactSize count, then per coin CompactSize vout and the coin. */
function hashGroups(chunk: Buffer, from: number): void {
  const end = chunk.length;
  let p = from;
  let o = 0;
  const compactSize = (): number => {
    const first = chunk[p]!;
    if (first < 253) {
      p += 1;
      return first;
    }
    const n = first === 253 ? chunk.readUInt16LE(p + 1) : first === 254 ? chunk.readUInt32LE(p + 1) : Number(chunk.readBigUInt64LE(p + 1));
    p += first === 253 ? 3 : first === 254 ? 5 : 9;
    return n;
  };
  while (p < end) {
    const txid = p;
    p += 32;
    const count = compactSize();
    const groupStart = o;
    let lastVout = -1;
    let unordered = false;
    for (let i = 0; i < count; i++) {
      const vout = compactSize();
      if (o + MAX_RECORD_SIZE > out.length) {
        const bigger = Buffer.allocUnsafe(out.length * 2);
        out.copy(bigger, 0, 0, o);
        out = bigger;
      }
      for (let j = 0; j < 32; j++) out[o + j] = chunk[txid + j]!;
      writeU32LE(out, o + 32, vout);
      p = decodeCompressedCoin(chunk, p, end, out, o + RECORD_CODE);
      o = decoded.outEnd;
      if (vout < lastVout) unordered = true;
      lastVout = vout;
    }
    if (p > end) throw new Error('snapshot chunk ends inside a transaction');
    if (unordered) sortRecordsByVout(out, groupStart, o);
    if (o >= BATCH_BYTES) {
      stats.addRecords(out, o);
      o = 0;
    }
  }
  if (o > 0) stats.addRecords(out, o);
}
