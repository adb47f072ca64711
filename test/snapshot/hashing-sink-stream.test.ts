import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { writeFileSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { getChainParams } from '../../src/consensus/params.js';
import { sha256 } from '../../src/primitives/hash.js';
import { MAX_RECORD_SIZE, writeRecord } from '../../src/coins/coin-record.js';
import { SnapshotError } from '../../src/snapshot/errors.js';
import { StreamHashingSink } from '../../src/snapshot/hashing-sink-stream.js';
import { verifySnapshot } from '../../src/snapshot/verify.js';
import { SnapshotWriter } from '../../src/snapshot/writer.js';
import { scratchDir } from '../helpers.js';

test('the ring hashes every published byte in order, through slot waits and copies', async () => {
  const sink = new StreamHashingSink({ slots: 2, slotBytes: 1 << 12 });
  try {
    const data = randomBytes(300_000);
    let off = 0;
    // Uneven pieces, some straight into slots, some copied through write(); two slots force waits.
    for (let i = 0; off < data.length; i++) {
      if (i % 3 === 2) {
        const n = Math.min(10_000, data.length - off);
        await sink.write(data.subarray(off, off + n));
        off += n;
      } else {
        const slot = await sink.acquire();
        const n = Math.min((i * 977) % slot.length, data.length - off);
        slot.set(data.subarray(off, off + n));
        assert.ok(sink.isOpenSlot(slot));
        sink.publish(n);
        off += n;
      }
    }
    assert.deepEqual(Buffer.from(await sink.digest()), createHash('sha256').update(data).digest());
  } finally {
    await sink.close();
  }
});

test('closing a ring that was never finished stops its worker', async () => {
  const sink = new StreamHashingSink({ slots: 2, slotBytes: 1 << 12 });
  const slot = await sink.acquire();
  slot.fill(1);
  sink.publish(100);
  await sink.close();
});

/** A snapshot with small groups and one transaction of 20,000 outputs (its records outgrow a 1 MiB slot). */
function writeManyOutputSnapshot(file: string): void {
  const w = new SnapshotWriter(file, { messageStart: getChainParams('regtest').messageStart, baseHash: sha256(Uint8Array.of(9)) });
  const buf = Buffer.alloc(4 << 20);
  let n = 0;
  const txid = new Uint8Array(32);
  const add = (vout: number, seed: number) => {
    const script = new Uint8Array(22);
    script[1] = 20;
    script.fill(seed & 0xff, 2);
    n = writeRecord(buf, n, { txid, vout, height: 1 + (seed % 300), coinbase: seed % 7 === 0, value: 1000 + seed * 37, script });
    if (n > buf.length - MAX_RECORD_SIZE) {
      w.addRecords(buf, n);
      n = 0;
    }
  };
  for (let t = 0; t < 300; t++) {
    txid[0] = t >> 8;
    txid[1] = t & 0xff;
    const outputs = t === 150 ? 20_000 : 1 + (t % 5);
    for (let v = 0; v < outputs; v++) add(v, t * 31 + v);
  }
  w.addRecords(buf, n);
  w.commit();
}

test('verify hashes the same on the worker, in-process, and when a reordered group spills out of its slot', async () => {
  const file = path.join(scratchDir(), 'many.dat');
  writeManyOutputSnapshot(file);
  const inline = await verifySnapshot(file, { network: 'regtest', hashThread: false });
  const ring = await verifySnapshot(file, { network: 'regtest' });
  const small = await verifySnapshot(file, { network: 'regtest', hashRing: { slots: 2, slotBytes: (1 << 20) + MAX_RECORD_SIZE } });
  // 299 small transactions of 1 to 5 outputs (t % 5 + 1) and the large one.
  assert.equal(inline.coins, Array.from({ length: 300 }, (_, t) => (t === 150 ? 20_000 : 1 + (t % 5))).reduce((a, b) => a + b));
  for (const r of [ring, small]) {
    assert.equal(r.hashSerialized3, inline.hashSerialized3);
    assert.equal(r.coins, inline.coins);
    assert.equal(r.transactions, 300);
    assert.equal(r.bogosize, inline.bogosize);
    assert.equal(r.totalAmount, inline.totalAmount);
  }
  // MuHash takes its copy of each batch before the slot goes to the hashing worker.
  const mu = await Promise.all([false, true].map((hashThread) => verifySnapshot(file, { network: 'regtest', hashThread, muhash: true, muhashThreads: 1 })));
  assert.equal(mu[1]!.muhash, mu[0]!.muhash);
  assert.equal(mu[1]!.hashSerialized3, inline.hashSerialized3);
});

test('a truncated file fails the same way with the hashing worker, which is then stopped', async () => {
  const dir = scratchDir();
  const file = path.join(dir, 'many.dat');
  writeManyOutputSnapshot(file);
  const cut = path.join(dir, 'cut.dat');
  const bytes = readFileSync(file);
  writeFileSync(cut, bytes.subarray(0, bytes.length - 1000));
  for (const hashThread of [false, true]) {
    await assert.rejects(verifySnapshot(cut, { network: 'regtest', hashThread }), (e: unknown) => e instanceof SnapshotError && /truncated snapshot after deserializing \d+ coins/.test(e.message));
  }
});
