/**
 * Offline verification of a snapshot file: stream it through every check Core makes, compute the UTXO
 * statistics (and MuHash on request, spread over worker threads), and compare the hash with the
 * assumeutxo parameters of its network.
 */
import { assumeutxoForHash, getChainParams, type AssumeutxoEntry, type ChainParams, type NetworkName } from '../consensus/params.js';
import { hashToHex } from '../primitives/hash.js';
import { createHash } from 'node:crypto';
import { checkedTotal, finishHashSerialized3 } from '../coins/utxo-stats.js';
import { MuHashPool } from '../coins/muhash-pool.js';
import { SnapshotError } from './errors.js';
import { SnapshotReader, type ProgressSink } from './reader.js';
import { DEFAULT_RING_SHAPE, StreamHashingSink, type StreamRingShape } from './hashing-sink-stream.js';

export interface VerifyOptions {
  /** The network to check against; default: the one the file's magic names. */
  network?: NetworkName;
  /** Builds the parameters of a network (to add trusted entries); default getChainParams. */
  resolveParams?: (network: NetworkName) => ChainParams;
  /** Also compute MuHash; `muhashThreads` workers (default: one per core, 0 = in-process). */
  muhash?: boolean;
  muhashThreads?: number;
  /** Run SHA-256 on a worker thread while this one parses (default true); false hashes in-process. */
  hashThread?: boolean;
  /** Slots of the ring to the hashing worker (default: eight of 4 MiB); tests shrink it. */
  hashRing?: StreamRingShape;
  /**
   * Let the hashing worker also decode ranges of the file (default true, without MuHash): parsing is
   * most of the work, and this shares it between the two threads. Tests shrink `rangeBytes`.
   */
  splitParse?: boolean;
  rangeBytes?: number;
  /** Called with the reader once the header is parsed (to size a progress bar). */
  onOpen?: (reader: SnapshotReader) => void;
  onProgress?: ProgressSink;
}

export interface VerifyResult {
  path: string;
  fileSize: number;
  network: NetworkName;
  /** Display hex. */
  baseHash: string;
  /** From the parameters; null when the base block has no assumeutxo entry. */
  baseHeight: number | null;
  coins: number;
  txouts: number;
  transactions: number;
  bogosize: number;
  totalAmount: bigint | null;
  /** Display hex. */
  hashSerialized3: string;
  muhash?: string;
  /** The base block has an assumeutxo entry. */
  known: boolean;
  entry: AssumeutxoEntry | null;
  /** The entry's hash_serialized_3, or null. */
  expected: string | null;
  /** known and the hash equals the entry's. */
  matches: boolean;
}

export async function verifySnapshot(path: string, opts: VerifyOptions = {}): Promise<VerifyResult> {
  const resolve = opts.resolveParams ?? ((n: NetworkName) => getChainParams(n));
  const expected = opts.network ? resolve(opts.network) : undefined;
  const shape = opts.hashRing ?? DEFAULT_RING_SHAPE;
  // Batches of half a slot: the other half takes a reordered group of up to ~28,000 outputs (whose records
  // cannot be split) without spilling out of the slot.
  const batchBytes = opts.hashThread === false ? undefined : shape.slotBytes >> 1;
  const reader = SnapshotReader.open(path, { expectedMessageStart: expected?.messageStart, expectedNetwork: expected?.name, batchBytes });
  const pool = opts.muhash ? new MuHashPool(opts.muhashThreads) : undefined;
  let ring: StreamHashingSink | undefined;
  try {
    const network = opts.network ?? reader.metadata.network;
    if (!network) throw new SnapshotError('metadata', 'unknown network');
    const params = expected ?? resolve(network);
    const baseHash = hashToHex(reader.metadata.baseHash);
    const entry = assumeutxoForHash(params, baseHash) ?? null;
    // The height check needs the base block's height, which offline only the parameters know.
    reader.baseHeight = entry?.height;
    opts.onOpen?.(reader);
    // The reader counts as it parses; only the SHA-256 stream is left to do per batch.
    // MuHash needs every record on this thread, so it keeps the parsing here.
    const split = opts.hashThread !== false && !pool && opts.splitParse !== false;
    ring = opts.hashThread === false ? undefined : new StreamHashingSink(shape, split ? { path, baseHeight: entry?.height } : undefined);
    const sha = ring ? undefined : createHash('sha256');
    if (ring) reader.useOutput(await ring.acquire());
    const delegate = split ? ring!.rangeDelegate(reader, opts.rangeBytes) : undefined;
    const coins = await reader.readCoins(async (batch, length) => {
      const records = batch.subarray(0, length);
      // MuHash's copy is taken first: once published, the slot may be refilled after the next acquire.
      const muhashBatch = pool ? new Uint8Array(records) : undefined;
      if (!ring) sha!.update(records);
      else if (ring.isOpenSlot(batch)) ring.publish(length);
      else {
        // A reordered group outgrew the slot, so the reader moved to a buffer of its own.
        ring.publish(0);
        await ring.write(records);
      }
      if (ring) reader.useOutput(await ring.acquire());
      if (pool) await pool.add(muhashBatch!, true);
    }, opts.onProgress, delegate);
    const hash = hashToHex(sha ? finishHashSerialized3(sha) : createHash('sha256').update(await ring!.digest()).digest());
    // The worker's share of the counts is known with the digest.
    const t = ring?.rangeTotals;
    const s = {
      txouts: coins,
      transactions: reader.totals.transactions + (t?.transactions ?? 0),
      bogosize: reader.totals.bogosize + (t?.bogosize ?? 0),
      totalAmount: checkedTotal(reader.totalValue + (t ? t.valueHigh + BigInt(t.valueLow) : 0n)),
    };
    return {
      path,
      fileSize: reader.fileSize,
      network,
      baseHash,
      baseHeight: entry?.height ?? null,
      coins,
      txouts: s.txouts,
      transactions: s.transactions,
      bogosize: s.bogosize,
      totalAmount: s.totalAmount,
      hashSerialized3: hash,
      muhash: pool ? hashToHex(await pool.finalize()) : undefined,
      known: entry !== null,
      entry,
      expected: entry?.hashSerialized ?? null,
      matches: entry !== null && entry.hashSerialized === hash,
    };
  } finally {
    reader.close();
    await pool?.close();
    await ring?.close();
  }
}
