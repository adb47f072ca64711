/**
 * Every snapshot Bitcoin Core wrote in ../shared/vectors: parsed with every check, hashed to the value Core
 * reported, statistics equal to Core's gettxoutsetinfo, and re-written byte-identically.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { getChainParams } from '../../src/consensus/params.js';
import { formatBtc } from '../../src/coins/utxo-stats.js';
import { SnapshotReader } from '../../src/snapshot/reader.js';
import { verifySnapshot } from '../../src/snapshot/verify.js';
import { SnapshotWriter } from '../../src/snapshot/writer.js';
import { coreChain, coreTrustedEntries, HAVE_VECTORS, NO_VECTORS, scratchDir, vector } from '../helpers.js';

const chain = HAVE_VECTORS ? coreChain() : undefined;
const regtestA = () => getChainParams('regtest', { assumeutxo: coreTrustedEntries() });

async function rewrite(file: string, out: string): Promise<Buffer> {
  const reader = SnapshotReader.open(file);
  const writer = new SnapshotWriter(out, { messageStart: reader.metadata.messageStart, baseHash: reader.metadata.baseHash });
  try {
    await reader.readCoins((batch, length) => writer.addRecords(batch, length));
    writer.commit();
  } finally {
    reader.close();
    writer.abort();
  }
  return readFileSync(out);
}

const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

test('Core regtest-A snapshots verify against Core\'s numbers and re-write byte-identically', { skip: NO_VECTORS }, async () => {
  const dir = scratchDir();
  for (const snap of chain!.snapshots) {
    const file = vector('core-regtest-A', 'snapshots', snap.file);
    assert.equal(sha(readFileSync(file)), snap.sha256, `${snap.file} is the file Core wrote`);
    const r = await verifySnapshot(file, { resolveParams: () => regtestA(), muhash: true, muhashThreads: 0 });
    const core = chain!.main_chain[snap.base_height];
    assert.equal(r.network, 'regtest');
    assert.equal(r.baseHash, snap.base_hash);
    assert.equal(r.baseHeight, snap.base_height);
    assert.equal(r.coins, snap.coins_written, snap.file);
    assert.equal(r.hashSerialized3, snap.txoutset_hash, snap.file);
    assert.ok(r.matches && r.known);
    // The rollback dumps were made at heights since reorganised; chain.json's main chain holds the rest.
    if (core.hash === snap.base_hash) {
      assert.equal(r.txouts, core.txouts);
      assert.equal(r.transactions, core.transactions);
      assert.equal(r.bogosize, core.bogosize);
      assert.equal(formatBtc(r.totalAmount!), core.total_amount.toFixed(8));
      assert.equal(r.muhash, core.muhash, `${snap.file} muhash`);
    }
    const copy = await rewrite(file, path.join(dir, snap.file));
    assert.equal(sha(copy), snap.sha256, `${snap.file} re-written byte-identically`);
  }
});

test("Core's h200 snapshot matches Core's own regtest parameter", { skip: NO_VECTORS }, async () => {
  const file = vector('regtest', 'core-h200.dat');
  const r = await verifySnapshot(file);
  assert.equal(r.network, 'regtest');
  assert.equal(r.baseHeight, 200);
  assert.equal(r.coins, 200);
  assert.equal(r.hashSerialized3, '17dcc016d188d16068907cdeb38b75691a118d43053b8cd6a25969419381d13a');
  assert.ok(r.matches);
  const copy = await rewrite(file, path.join(scratchDir(), 'h200.dat'));
  assert.equal(sha(copy), 'bb96a8a22e8114c36e0f570217795f5cc46baf366b0e74e7588de5b1e4392e7c');
});

test('snapshots parse identically whatever the chunk and batch sizes', { skip: NO_VECTORS }, async () => {
  const file = vector('core-regtest-A', 'snapshots', 'utxo-400.dat');
  const digest = async (chunkBytes: number, batchBytes: number) => {
    const reader = SnapshotReader.open(file, { chunkBytes, batchBytes });
    const h = createHash('sha256');
    await reader.readCoins((b, n) => void h.update(b.subarray(0, n)));
    reader.close();
    return h.digest('hex');
  };
  const reference = await digest(4 << 20, 1 << 20);
  for (const [c, b] of [[1, 1], [7, 100], [333, 64], [65536, 4096]]) assert.equal(await digest(c, b), reference, `chunk ${c} batch ${b}`);
});
