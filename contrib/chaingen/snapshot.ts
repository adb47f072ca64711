/** Writing a snapshot (dumptxoutset format) of a generated chain's UTXO set. */
import type { MemoryUtxoSet } from '../../src/coins/memory-utxo-set.js';
import { SnapshotWriter } from '../../src/snapshot/writer.js';

/** Writes `utxo` as a snapshot based on `baseHash` (internal order); returns the number of coins written. */
export function writeSnapshotOf(utxo: MemoryUtxoSet, path: string, messageStart: Uint8Array, baseHash: Uint8Array): number {
  const writer = new SnapshotWriter(path, { messageStart, baseHash });
  try {
    utxo.forEachRecordBatch((batch, length) => writer.addRecords(batch, length));
    return writer.commit();
  } catch (e) {
    writer.abort();
    throw e;
  }
}
