import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { checkChain } from '../../contrib/chaingen/verify.js';
import type { GeneratedBlock } from '../../contrib/chaingen/blocks.js';
import { frameBlocks } from '../../contrib/chaingen/framing.js';
import { buildRichChain, RichChain } from '../../contrib/chaingen/rich-chain.js';
import { writeSnapshotOf } from '../../contrib/chaingen/snapshot.js';
import { buildH110Chain, buildH200Chain } from '../../contrib/chaingen/spec-chains.js';
import { COIN_KINDS } from '../../contrib/chaingen/wallet.js';
import { getChainParams } from '../../src/consensus/params.js';
import { blockProof } from '../../src/consensus/pow.js';
import { equalBytes } from '../../src/primitives/bytes.js';
import { readFramedBlocks } from '../../src/primitives/block.js';
import { hashToHex, hexToHash } from '../../src/primitives/hash.js';
import { isUnspendable, MAX_SCRIPT_SIZE } from '../../src/primitives/script.js';
import { txid } from '../../src/primitives/transaction.js';
import { NO_VECTORS, scratchDir, vector } from '../helpers.js';

const regtest = getChainParams('regtest');
const GENESIS = hexToHash(regtest.genesisHash);
const H200_SNAPSHOT_SHA256 = 'bb96a8a22e8114c36e0f570217795f5cc46baf366b0e74e7588de5b1e4392e7c';
const sha256hex = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');
const txCount = (blocks: GeneratedBlock[]) => 1 + blocks.reduce((n, b) => n + b.block.txs.length, 0);

describe('spec chains (Core regtest assumeutxo parameters)', () => {
  const h200 = buildH200Chain();

  it('h200: block hash, UTXO hash and chain tx count match Core', () => {
    assert.equal(hashToHex(h200.blocks[199].hash), '385901ccbd69dff6bbd00065d01fb8a9e464dede7cfe0372443884f9b1dcf6b9');
    assert.equal(hashToHex(h200.utxo.stats().hashSerialized3), '17dcc016d188d16068907cdeb38b75691a118d43053b8cd6a25969419381d13a');
    assert.equal(txCount(h200.blocks), 201);
    checkChain(h200.blocks, GENESIS);
  });

  it('h200: continuing past 200 keeps the first 200 blocks', () => {
    const longer = buildH200Chain(210);
    assert.equal(longer.blocks.length, 210);
    assert.ok(longer.blocks.slice(0, 200).every((b, i) => equalBytes(b.bytes, h200.blocks[i].bytes)));
  });

  it('h200 snapshot is byte-identical to Core dumptxoutset', () => {
    const file = path.join(scratchDir(), 'h200.dat');
    assert.equal(writeSnapshotOf(h200.utxo, file, regtest.messageStart, h200.blocks[199].hash), 200);
    const bytes = readFileSync(file);
    assert.equal(bytes.length, 14_439);
    assert.equal(sha256hex(bytes), H200_SNAPSHOT_SHA256);
  });

  it('h200 snapshot equals the Core vector file and snapshots/regtest-h200.dat', { skip: NO_VECTORS }, () => {
    const core = readFileSync(vector('regtest', 'core-h200.dat'));
    assert.equal(sha256hex(core), H200_SNAPSHOT_SHA256);
    if (existsSync('snapshots/regtest-h200.dat')) assert.ok(core.equals(readFileSync('snapshots/regtest-h200.dat')));
  });

  it('h110: block hash, UTXO hash and chain tx count match Core', () => {
    const h110 = buildH110Chain();
    assert.equal(hashToHex(h110.blocks[109].hash), '6affe030b7965ab538f820a56ef56c8149b7dc1d1c144af57113be080db7c397');
    assert.equal(hashToHex(h110.utxo.stats().hashSerialized3), 'b952555c8ab81fec46f3d4253b7af256d766ceb39fb7752b9d18cdf4a0141327');
    assert.equal(txCount(h110.blocks), 111);
    checkChain(h110.blocks, GENESIS);
  });

  it('framing round-trips through readFramedBlocks', () => {
    const framed = frameBlocks(h200.blocks.map((b) => b.bytes), regtest.messageStart);
    const read = [...readFramedBlocks(framed, regtest.messageStart)];
    assert.equal(read.length, 200);
    assert.ok(read.every((f, i) => equalBytes(f.bytes, h200.blocks[i].bytes)));
  });
});

describe('rich chain', () => {
  const opts = { seed: 'test-seed', blocks: 115, outputsPerTx: 60, hugeTxOutputs: 17_001 };
  const chain: RichChain = buildRichChain(opts);
  const allBytes = (c: RichChain) => Buffer.concat(c.arrivalOrder.map((b) => b.bytes));

  it('is deterministic: same seed gives the same bytes, another seed different ones', () => {
    assert.ok(allBytes(chain).equals(allBytes(buildRichChain(opts))));
    const other = buildRichChain({ ...opts, seed: 'other-seed' });
    assert.notEqual(hashToHex(other.blocks[114].hash), hashToHex(chain.blocks[114].hash));
  });

  it('every best-chain block passes the checks, every signature verifies, every spend kind occurs', () => {
    const result = checkChain(chain.blocks, GENESIS);
    assert.equal(result.signedInputs, chain.blocks.reduce((n, b) => n + b.block.txs.slice(1).reduce((m, t) => m + t.inputs.length, 0), 0));
    for (const kind of COIN_KINDS) assert.ok((result.spentKinds.get(kind) ?? 0) > 0, `no ${kind} spend`);
    assert.ok(equalBytes(result.utxo.stats().hashSerialized3, chain.utxo.stats().hashSerialized3));
    assert.equal(result.utxo.size, chain.utxo.size);
  });

  it('the stale branch is valid, and the best chain has more work after the fork', () => {
    assert.ok(chain.forkHeight > 100 && chain.staleBlocks.length > 0);
    const common = checkChain(chain.blocks.slice(0, chain.forkHeight), GENESIS);
    checkChain(chain.staleBlocks, chain.blocks[chain.forkHeight - 1].hash, common.utxo);
    const work = (bs: GeneratedBlock[]) => bs.reduce((w, b) => w + blockProof(b.block.header.bits), 0n);
    assert.ok(work(chain.blocks.slice(chain.forkHeight)) > work(chain.staleBlocks));
    assert.equal(chain.arrivalOrder.length, chain.blocks.length + chain.staleBlocks.length);
    assert.ok(!chain.staleBlocks.some((s) => chain.blocks.some((b) => equalBytes(b.hash, s.hash))));
  });

  it('has the special outputs: OP_RETURN, zero value, 10,000-byte and oversized scripts, vouts past 16,511', () => {
    const outs = chain.blocks.flatMap((b) => b.block.txs.slice(1).flatMap((tx) => tx.outputs.map((o, vout) => ({ tx, o, vout }))));
    assert.ok(outs.some(({ o }) => o.script[0] === 0x6a));
    assert.ok(outs.some(({ o }) => o.value === 0 && !isUnspendable(o.script)));
    const maxSize = outs.find(({ o }) => o.script.length === MAX_SCRIPT_SIZE)!;
    assert.ok(chain.utxo.get(txid(maxSize.tx), maxSize.vout));
    const oversized = outs.find(({ o }) => o.script.length > MAX_SCRIPT_SIZE)!;
    assert.equal(chain.utxo.get(txid(oversized.tx), oversized.vout), undefined);
    const high = outs.find(({ vout }) => vout > 16_511)!;
    assert.ok(high.tx.outputs.length === 17_001 && chain.utxo.get(txid(high.tx), 17_000));
  });

  it('its UTXO set can be written as a snapshot', () => {
    const file = path.join(scratchDir(), 'rich.dat');
    const tip = chain.blocks[chain.blocks.length - 1];
    assert.equal(writeSnapshotOf(chain.utxo, file, regtest.messageStart, tip.hash), chain.utxo.size);
  });
});
