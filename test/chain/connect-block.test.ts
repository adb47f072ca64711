/**
 * connectBlock / disconnectBlock against real chains: mainnet 0..599 with Core's own undo records, Core's
 * regtest-A chain with gettxoutsetinfo after every block (forwards, backwards and through its reorgs), the
 * kernel tests' 206 blocks, and a generated chain with invalid blocks refused by Core's reasons.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { parseBlockUndo, readUndoRecord, serializeBlockUndo, undoChecksum } from '../../src/chain/undo.js';
import { getChainParams } from '../../src/consensus/params.js';
import { blockHash, parseBlock, readFramedBlocks, type Block } from '../../src/primitives/block.js';
import { equalBytes, fromHex, readU32LE, toHex } from '../../src/primitives/bytes.js';
import { hashToHex } from '../../src/primitives/hash.js';
import { coreChain, NO_VECTORS, vector, type CoreStats } from '../helpers.js';
import { ChainDriver } from './map-view.js';

function framedBlocks(file: string, magic: Uint8Array): Block[] {
  return [...readFramedBlocks(readFileSync(file), magic)].map((f) => parseBlock(f.bytes));
}

test('mainnet 0..599 connect; undo of 1..40 equals Core rev00000.dat byte for byte', { skip: NO_VECTORS }, () => {
  const params = getChainParams('main');
  const blocks = framedBlocks(vector('mainnet', 'blocks-0-599.dat'), params.messageStart);
  assert.equal(blocks.length, 600);
  const chain = new ChainDriver(params);
  const undoBytes: Uint8Array[] = [];
  let inputs = 0;
  for (const block of blocks) {
    const r = chain.connect(block);
    undoBytes.push(serializeBlockUndo(r.undo));
    inputs += r.inputs;
  }
  assert.equal(hashToHex(chain.view.bestBlock()!), hashToHex(chain.hashes[599]));
  assert.ok(inputs > 600, 'some real spends (block 170 onwards)');

  // rev00000.dat: magic ‖ size ‖ undo ‖ SHA256d(prev hash ‖ undo), blocks 1..40 in order.
  const rev = readFileSync(vector('mainnet', 'rev00000.dat'));
  let pos = 0;
  for (let h = 1; h <= 40; h++) {
    assert.equal(toHex(rev.subarray(pos, pos + 4)), toHex(params.messageStart));
    const size = readU32LE(rev, pos + 4);
    const data = rev.subarray(pos + 8, pos + 8 + size);
    assert.equal(toHex(data), toHex(undoBytes[h]), `undo bytes of block ${h}`);
    assert.equal(toHex(rev.subarray(pos + 8 + size, pos + 40 + size)), toHex(undoChecksum(chain.hashes[h - 1], data)), `checksum of ${h}`);
    assert.deepEqual(readUndoRecord(rev, pos + 8, chain.hashes[h - 1]), []);
    pos += 40 + size;
  }
  assert.equal(pos, rev.length);

  // Back down to genesis through serialized undo data: every coin comes back, nothing is left.
  for (let h = 599; h >= 1; h--) assert.equal(chain.disconnect(parseBlockUndo(undoBytes[h])), 'ok', `disconnect ${h}`);
  assert.equal(chain.view.coins.size, 0);
  assert.equal(hashToHex(chain.view.bestBlock()!), params.genesisHash);
});

test('Core regtest-A: hash_serialized_3 after every connect, every disconnect and through the reorgs', { skip: NO_VECTORS }, () => {
  const params = getChainParams('regtest');
  const core = coreChain();
  const blocks = framedBlocks(vector('core-regtest-A', 'blocks.dat'), params.messageStart);
  const stale = framedBlocks(vector('core-regtest-A', 'stale.dat'), params.messageStart);
  const check = (chain: ChainDriver, want: CoreStats, what: string) => {
    assert.equal(hashToHex(chain.hashes[chain.height]), want.hash, what);
    const s = chain.view.stats();
    assert.equal(hashToHex(s.hashSerialized3), want.hash_serialized_3, `hash_serialized_3 ${what}`);
    assert.equal(s.txouts, want.txouts, `txouts ${what}`);
  };

  // Timed pass without statistics: the connect speed of the engine itself.
  const timed = new ChainDriver(params);
  let inputs = 0;
  const t0 = process.hrtime.bigint();
  for (const block of blocks) for (const u of timed.connect(block).undo) inputs += u.length;
  const secs = Number(process.hrtime.bigint() - t0) / 1e9;
  console.log(`# regtest-A connect: ${blocks.length} blocks, ${inputs} spent inputs in ${secs.toFixed(2)} s = ${(blocks.length / secs).toFixed(0)} blocks/s, ${(inputs / secs).toFixed(0)} inputs/s`);

  const chain = new ChainDriver(params);
  const undoBytes: Uint8Array[] = [];
  for (const [h, block] of blocks.entries()) {
    undoBytes.push(serializeBlockUndo(chain.connect(block).undo));
    check(chain, core.main_chain[h], `after connecting ${h}`);
  }
  // Down to 250 with the undo data read back from its serialization.
  for (let h = blocks.length - 1; h > 250; h--) {
    assert.equal(chain.disconnect(parseBlockUndo(undoBytes[h])), 'ok', `disconnect ${h}`);
    check(chain, core.main_chain[h - 1], `after disconnecting ${h}`);
  }

  // The stale branches: roll the main chain back to each branch's fork point, connect the branch block by
  // block (checking Core's stats for each), then undo it and reconnect the main chain.
  const byHash = new Map(core.stale.map((s) => [s.hash, s]));
  const fresh = new ChainDriver(params);
  for (const block of blocks) fresh.connect(block);
  const restore = (removed: Block[], staleConnected: number) => {
    for (let i = 0; i < staleConnected; i++) assert.equal(fresh.disconnect(), 'ok');
    for (const b of removed) fresh.connect(b);
  };
  let removed: Block[] = [];
  let staleConnected = 0;
  for (const sb of stale) {
    const want = byHash.get(hashToHex(blockHash(sb.header)))!;
    if (!equalBytes(fresh.hashes[fresh.height], sb.header.prevHash)) {
      restore(removed, staleConnected);
      removed = [];
      staleConnected = 0;
      while (!equalBytes(fresh.hashes[fresh.height], sb.header.prevHash)) {
        removed.unshift(fresh.blocks[fresh.height]);
        assert.equal(fresh.disconnect(), 'ok');
      }
    }
    fresh.connect(sb);
    staleConnected++;
    check(fresh, want, `stale block at ${want.height}`);
  }
  restore(removed, staleConnected);
  check(fresh, core.main_chain[blocks.length - 1], 'back at the tip');
});

test('kernel regtest blocks 1..206 connect, and disconnect back to an empty set', { skip: NO_VECTORS }, () => {
  const params = getChainParams('regtest');
  const lines = readFileSync(vector('regtest', 'core-kernel-blocks-1-206.hex'), 'utf8').split('\n').filter(Boolean);
  const chain = new ChainDriver(params);
  chain.connect(params.genesis);
  let spends = 0;
  for (const hex of lines) {
    const r = chain.connect(parseBlock(fromHex(hex.trim())));
    spends += r.undo.length;
    assert.deepEqual(parseBlockUndo(serializeBlockUndo(r.undo)), r.undo);
  }
  assert.equal(chain.height, 206);
  assert.equal(spends, 53);
  while (chain.height > 0) assert.equal(chain.disconnect(), 'ok');
  assert.equal(chain.view.coins.size, 0);
});
