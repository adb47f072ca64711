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

export interface VerifyOptions {
  /** The network to check against; default: the one the file's magic names. */
  network?: NetworkName;
  /** Builds the parameters of a network (to add trusted entries); default getChainParams. */
  resolveParams?: (network: NetworkName) => ChainParams;
  /** Also compute MuHash; `muhashThreads` workers (default: one per core, 0 = in-process). */
  muhash?: boolean;
  muhashThreads?: number;
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
  const reader = SnapshotReader.open(path, { expectedMessageStart: expected?.messageStart, expectedNetwork: expected?.name });
  const pool = opts.muhash ? new MuHashPool(opts.muhashThreads) : undefined;
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
    const sha = createHash('sha256');
    const coins = await reader.readCoins(async (batch, length) => {
      sha.update(batch.subarray(0, length));
      if (pool) await pool.add(new Uint8Array(batch.subarray(0, length)), true);
    }, opts.onProgress);
    const s = {
      txouts: coins,
      transactions: reader.totals.transactions,
      bogosize: reader.totals.bogosize,
      totalAmount: checkedTotal(reader.totalValue),
    };
    const hash = hashToHex(finishHashSerialized3(sha));
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
  }
}
