/**
 * Issue 11 item 1: block index entries must own compact copies of their header fields. Blocks of about
 * 1 MB are accepted and dropped; afterwards the retained memory (JS heap and array buffers, after a full GC)
 * must be near what the index itself needs, not the blocks' size.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { assembleBlock, makeCoinbase } from '../../contrib/chaingen/blocks.js';
import { getChainParams } from '../../src/consensus/params.js';
import { hexToHash } from '../../src/primitives/hash.js';
import { BlockStorage } from '../../src/chain/block-storage.js';
import { scratchDir } from '../helpers.js';

const params = getChainParams('regtest');
setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

function retained(): number {
  gc();
  gc();
  const m = process.memoryUsage();
  return m.heapUsed + m.arrayBuffers;
}

/** A block whose coinbase carries `size` bytes of output script (OP_0s: no sigops). */
function bigBlock(height: number, prevHash: Uint8Array, size: number) {
  return assembleBlock({
    height,
    prevHash,
    time: params.genesis.header.time + height,
    version: 4,
    coinbase: makeCoinbase({ height, outputs: [{ value: 0, script: new Uint8Array(size) }] }),
    commitment: 'never',
  });
}

test('a thousand 1 MB blocks accepted leave only the index in memory', async (t) => {
  const dir = scratchDir();
  const storage = await BlockStorage.open(dir, params);
  try {
    let prev = hexToHash(params.genesisHash);
    let height = 0;
    const accept = async (n: number) => {
      for (let i = 0; i < n; i++) {
        const b = bigBlock(++height, prev, 990_000);
        prev = b.hash;
        await storage.acceptBlock(b.bytes);
        if (height % 100 === 0) await storage.persist();
      }
      await storage.persist();
    };
    // A few blocks first, so that compiled code and the databases' buffers are not counted.
    await accept(20);
    const before = retained();
    const count = 1000;
    await accept(count);
    assert.equal(storage.index.size, count + 21);
    const grown = retained() - before;
    t.diagnostic(`retained after ${count} blocks of ~1 MB: ${grown} bytes (${Math.round(grown / count)} per entry)`);
    // Core's CBlockIndex is about 150 bytes; allow 2 KiB per entry (the blocks are ~1 MB each).
    assert.ok(grown < count * 2048, `memory retained after ${count} blocks: ${(grown / 1e6).toFixed(1)} MB`);
  } finally {
    await storage.close();
  }
});
