/**
 * The extmul multiplier (the fallback where relaxed SIMD or FMA is missing) through the MuHash paths of a
 * whole process: CHAINSNAP_MUHASH_KERNEL=extmul is set before the kernel is first made, so the in-process
 * product and the pool's workers (which get the main thread's module) all use it.
 */
process.env.CHAINSNAP_MUHASH_KERNEL = 'extmul';

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { MuHash3072, productOfRecords } from '../../src/coins/muhash.js';
import { MuHashPool } from '../../src/coins/muhash-pool.js';
import { elementModule, multiplierOf } from '../../src/coins/wasm-element.js';

function records(n: number): Uint8Array {
  const recs = Array.from({ length: n }, (_, i) => {
    const script = 20 + (i % 60);
    const rec = randomBytes(49 + script);
    rec[48] = script;
    return rec;
  });
  return new Uint8Array(Buffer.concat(recs));
}

describe('MuHash with CHAINSNAP_MUHASH_KERNEL=extmul', () => {
  it('the kernel module holds the extmul multiplier', () => {
    assert.equal(multiplierOf(elementModule()!), 'extmul');
  });

  const batches = Array.from({ length: 12 }, (_, i) => records(50 + 40 * i));
  const reference = (() => {
    const m = new MuHash3072();
    for (const b of batches) m.insertProduct(productOfRecords(b, 1n, 'js'));
    return Buffer.from(m.finalize()).toString('hex');
  })();

  for (const threads of [0, 1, 2]) {
    it(`MuHashPool(${threads}) gives the JavaScript path's hash`, async () => {
      const pool = new MuHashPool(threads);
      try {
        for (const b of batches) await pool.add(b);
        assert.equal(Buffer.from(await pool.finalize()).toString('hex'), reference);
      } finally {
        await pool.close();
      }
    });
  }
});
