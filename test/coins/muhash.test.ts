import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { hashToHex } from '../../src/primitives/hash.js';
import {
  bytesToNum,
  coinRecordLength,
  countRecords,
  elementToNum,
  inverse,
  mulMod,
  MuHash3072,
  MUHASH_PRIME,
  numToBytes,
  productOfRecords,
} from '../../src/coins/muhash.js';
import { MuHashPool } from '../../src/coins/muhash-pool.js';

/** Core's test helper FromInt(i): the element {i, 0, …, 0} (32 bytes). */
function fromInt(i: number): Uint8Array {
  const b = new Uint8Array(32);
  b[0] = i;
  return b;
}

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

/** A coin record as gettxoutsetinfo feeds it to MuHash. */
function coinRecord(rand: () => number, scriptLen: number): Uint8Array {
  const cs = scriptLen < 253 ? 1 : 3;
  const rec = new Uint8Array(48 + cs + scriptLen);
  rec.set(randomBytes(32), 0);
  const dv = new DataView(rec.buffer);
  dv.setUint32(32, rand() % 50, true);
  dv.setUint32(36, ((rand() % 900_000) << 1) | (rand() & 1), true);
  dv.setBigInt64(40, BigInt(rand() % 2_100_000_000) * 1000n, true);
  if (cs === 1) rec[48] = scriptLen;
  else {
    rec[48] = 253;
    dv.setUint16(49, scriptLen, true);
  }
  rec.set(randomBytes(scriptLen), 48 + cs);
  return rec;
}

function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s >>> 1;
  };
}

function makeBatches(count: number, seed: number): Uint8Array[] {
  const rand = lcg(seed);
  const sizes = [25, 22, 34, 23, 67, 0, 1, 300];
  const batches: Uint8Array[] = [];
  let i = 0;
  while (i < count) {
    const n = Math.min(count - i, 1 + (rand() % 97));
    const recs: Uint8Array[] = [];
    for (let j = 0; j < n; j++) recs.push(coinRecord(rand, sizes[rand() % sizes.length]!));
    batches.push(new Uint8Array(Buffer.concat(recs)));
    i += n;
  }
  return batches;
}

describe('MuHash3072 (Core muhash_tests vectors)', () => {
  it('FromInt(0) * FromInt(1) / FromInt(2)', () => {
    const acc = new MuHash3072(fromInt(0));
    acc.combine(new MuHash3072(fromInt(1)));
    acc.divide(new MuHash3072(fromInt(2)));
    assert.equal(hashToHex(acc.finalize()), '10d312b100cbd32ada024a6646e40d3482fcff103668d2625f10002a607d5863');
  });

  it('insert 32×00, insert 01‖31×00, remove 02‖31×00', () => {
    const acc = new MuHash3072().insert(fromInt(0)).insert(fromInt(1)).remove(fromInt(2));
    assert.equal(hashToHex(acc.finalize()), '10d312b100cbd32ada024a6646e40d3482fcff103668d2625f10002a607d5863');
  });

  it('empty set: SHA-256 of 1 as 384 bytes LE; regtest genesis-only UTXO set muhash', () => {
    const empty = new MuHash3072().finalize();
    assert.equal(hashToHex(empty), 'dd5ad2a105c2d29495f577245c357409002329b9f4d6182c0af3dc2f462555c8');
    const one = new Uint8Array(384);
    one[0] = 1;
    const m = MuHash3072.deserialize(new Uint8Array([...one, ...one]));
    assert.deepEqual(m.finalize(), empty);
  });

  it('serialization of FromInt(1) *= FromInt(2), and round trip', () => {
    const s = new MuHash3072(fromInt(1)).combine(new MuHash3072(fromInt(2)));
    const ser = s.serialize();
    assert.equal(
      hex(ser.subarray(0, 384)),
      '1fa093295ea30a6a3acdc7b3f770fa538eff537528e990e2910e40bbcfd7f6696b1256901929094694b56316de342f593303' +
        'dd12ac43e06dce1be1ff8301c845beb15468fff0ef002dbf80c29f26e6452bccc91b5cb9437ad410d2a67ea847887fa3c6' +
        'a6553309946880fe20db2c73fe0641adbd4e86edfee0d9f8cd0ee1230898873dc13ed8ddcaf045c80faa082774279007a2' +
        '253f8922ee3ef361d378a6af3ddaf180b190ac97e556888c36b3d1fb1c85aab9ccd46e3deaeb7b7cf5db067a7e9ff86b65' +
        '8cf3acd6662bbcce37232daa753c48b794356c020090c831a8304416e2aa7ad633c0ddb2f11be1be316a81be7f7e472071' +
        'c042cb68faef549c221ebff209273638b741aba5a81675c45a5fa92fea4ca821d7a324cb1e1a2ccd3b76c4228ec8066dad' +
        '2a5df6e1bd0de45c7dd5de8070bdb46db6c554cf9aefc9b7b2bbf9f75b1864d9f95005314593905c0109b71f703d49944a' +
        'e94477b51dac10a816bb6d1c700bafabc8bd86fac8df24be519a2f2836b16392e18036cb13e48c5c',
    );
    assert.equal(hex(ser.subarray(384)), '01' + '00'.repeat(383));
    assert.deepEqual(MuHash3072.deserialize(ser).finalize(), s.finalize());
  });

  it('overflow: a numerator ≥ p (all 0xff) is reduced before finalizing', () => {
    const ser = new Uint8Array(768).fill(0xff);
    ser.fill(0, 384);
    ser[384] = 1;
    // Core compares HexStr(out4): raw byte order, not the reversed uint256 display.
    assert.equal(hex(MuHash3072.deserialize(ser).finalize()), '3a31e6903aff0de9f62f9a9f7f8b861de76ce2cda09822b90014319ae5dc2271');
  });

  it('order independence of *= and /= (Core loops over the 4 orders of 4 random ops)', () => {
    const rand = lcg(7);
    for (let iter = 0; iter < 10; iter++) {
      const table = [0, 1, 2, 3].map(() => rand() & 7);
      let first: string | undefined;
      for (let order = 0; order < 4; order++) {
        const acc = new MuHash3072();
        for (let i = 0; i < 4; i++) {
          const t = table[i ^ order]!;
          if (t & 4) acc.divide(new MuHash3072(fromInt(t & 3)));
          else acc.combine(new MuHash3072(fromInt(t & 3)));
        }
        const out = hex(acc.finalize());
        if (first === undefined) first = out;
        else assert.equal(out, first);
      }
    }
  });

  it('z = X·Y / (Y·X) finalizes like the empty set', () => {
    const rand = lcg(11);
    for (let iter = 0; iter < 5; iter++) {
      const x = new MuHash3072(fromInt(rand() & 15));
      const y = new MuHash3072(fromInt(rand() & 15));
      const z = new MuHash3072().combine(x).combine(y);
      y.combine(x);
      z.divide(y);
      assert.deepEqual(z.finalize(), new MuHash3072().finalize());
    }
  });
});

describe('MuHash3072 arithmetic helpers', () => {
  it('inverse and mulMod agree; Num3072 round trip', () => {
    const a = elementToNum(fromInt(5));
    assert.equal(mulMod(a, inverse(a)), 1n);
    assert.equal(inverse(0n), 0n);
    assert.equal(bytesToNum(numToBytes(a)), a);
    assert.equal(mulMod(MUHASH_PRIME + 3n, 2n), 6n);
  });

  it('remove-then-insert of the same element cancels', () => {
    const base = new MuHash3072().insert(fromInt(9));
    const e = randomBytes(80);
    const m = base.clone().remove(e).insert(e);
    assert.deepEqual(m.finalize(), base.finalize());
  });
});

describe('coin record batches', () => {
  const batches = makeBatches(3000, 1);
  const reference = (() => {
    const m = new MuHash3072();
    for (const b of batches) for (let off = 0; off < b.length; ) {
      const len = coinRecordLength(b, off);
      m.insert(b.subarray(off, off + len));
      off += len;
    }
    return hex(m.finalize());
  })();

  it('productOfRecords matches element-by-element insertion', () => {
    assert.equal(batches.reduce((n, b) => n + countRecords(b), 0), 3000);
    const m = new MuHash3072();
    for (const b of batches) m.insertProduct(productOfRecords(b));
    assert.equal(hex(m.finalize()), reference);
  });

  for (const threads of [0, 1, 2]) {
    it(`MuHashPool(${threads}) gives the in-process result, in any batch order`, async () => {
      const pool = new MuHashPool(threads);
      try {
        for (const b of batches) await pool.add(b);
        assert.equal(hex(await pool.finalize()), reference);
      } finally {
        await pool.close();
      }
      const shuffled = [...batches];
      const rand = lcg(threads + 100);
      for (let i = shuffled.length - 1; i > 0; i--) {
        const j = rand() % (i + 1);
        [shuffled[i], shuffled[j]] = [shuffled[j]!, shuffled[i]!];
      }
      const pool2 = new MuHashPool(threads);
      try {
        // Not awaiting each add exercises the pool's own queueing.
        await Promise.all(shuffled.map((b) => pool2.add(b.slice(), true)));
        assert.equal(hex(await pool2.finalize()), reference);
      } finally {
        await pool2.close();
      }
    });
  }

  it('MuHashPool reuses the buffers its workers hand back, for batches of any size and any view', async () => {
    // One stream cut into batches of very different sizes, each a view into a larger buffer (so always
    // copied): a spare buffer holds bytes of an earlier, longer batch past the current one's end.
    const all = Buffer.concat(batches);
    const pool = new MuHashPool(2);
    try {
      for (let off = 0, i = 0; off < all.length; i++) {
        let end = off;
        const want = i % 3 === 0 ? 1 : i % 3 === 1 ? 200 : 7;
        for (let n = 0; n < want && end < all.length; n++) end += coinRecordLength(all, end);
        await pool.add(all.subarray(off, end));
        off = end;
      }
      assert.equal(hex(await pool.finalize()), reference);
    } finally {
      await pool.close();
    }
  });

  it('a worker that dies mid-run fails the pool cleanly: finalize and later adds reject, close still works', async () => {
    const pool = new MuHashPool(2);
    try {
      for (const b of batches.slice(0, 6)) await pool.add(b);
      // The real worker thread, ended from outside as a crash would end it (the pool's slots are private).
      const slots = (pool as unknown as { slots: Array<{ worker: { terminate(): Promise<number> } }> }).slots;
      await slots[0]!.worker.terminate();
      await assert.rejects(pool.finalize(), /muhash worker exited unexpectedly/);
      await assert.rejects(pool.add(batches[6]!), /muhash worker exited unexpectedly/);
    } finally {
      await pool.close();
    }
  });

  it('a pool keeps accumulating after finalize; empty pool gives the empty-set hash', async () => {
    const pool = new MuHashPool(2);
    try {
      assert.equal(hashToHex(await pool.finalize()), 'dd5ad2a105c2d29495f577245c357409002329b9f4d6182c0af3dc2f462555c8');
      const half = Math.floor(batches.length / 2);
      for (const b of batches.slice(0, half)) await pool.add(b);
      await pool.finalize();
      for (const b of batches.slice(half)) await pool.add(b);
      assert.equal(hex(await pool.finalize()), reference);
    } finally {
      await pool.close();
    }
  });

  it('a truncated record rejects, with and without workers', async () => {
    const bad = batches[0]!.subarray(0, batches[0]!.length - 1);
    await assert.rejects(new MuHashPool(0).add(bad), RangeError);
    const pool = new MuHashPool(1);
    try {
      await pool.add(bad);
      await assert.rejects(pool.finalize(), /truncated coin record/);
    } finally {
      await pool.close();
    }
  });
});
