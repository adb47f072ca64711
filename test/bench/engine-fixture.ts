/**
 * Fixtures of the engine benchmarks, built once and kept in BENCH_DIR (default: the OS temp dir):
 *
 * - a synthetic snapshot (synthetic-utxo.ts, `coins` coins, mainnet-like script mix) whose base block is
 *   block H of Core's h200-style regtest chain (buildH200Chain(H), headers only), with its hash_serialized_3
 *   so it can be trusted as an assumeutxo entry. The reader refuses coins above the base height, so the
 *   synthetic heights are folded into [H - HEIGHT_SPAN, H]; H is chosen so that VARINT(height·2 + coinbase)
 *   keeps the 3 bytes it has on mainnet (codes ≥ 16,512), i.e. the file has mainnet-like coin sizes.
 * - a rich regtest chain (real signed spends) with a snapshot of its UTXO set at its tip, for background
 *   validation.
 */
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { buildRichChain } from '../../contrib/chaingen/rich-chain.js';
import { writeSnapshotOf } from '../../contrib/chaingen/snapshot.js';
import { buildH200Chain } from '../../contrib/chaingen/spec-chains.js';
import { frameBlocks } from '../../contrib/chaingen/framing.js';
import { forEachRecord, RECORD_CODE } from '../../src/coins/coin-record.js';
import { getChainParams, type ChainParams } from '../../src/consensus/params.js';
import { readU32LE, writeU32LE } from '../../src/primitives/bytes.js';
import { readFramedBlocks } from '../../src/primitives/block.js';
import { hashToHex } from '../../src/primitives/hash.js';
import { verifySnapshot } from '../../src/snapshot/verify.js';
import { SnapshotWriter } from '../../src/snapshot/writer.js';
import { MANY_OUTPUT_MAX_HEIGHT, manyOutputRecords, syntheticRecords } from './synthetic-utxo.js';

export const BENCH_DIR = process.env.BENCH_DIR ?? path.join(tmpdir(), 'chainsnap-bench');

/** Base height of the synthetic snapshot, and the span its coin heights are folded into. */
export const SYNTH_BASE_HEIGHT = 10_000;
const HEIGHT_SPAN = 1_700;

export interface SnapshotFixture {
  file: string;
  coins: number;
  bytes: number;
  height: number;
  /** Display hex. */
  blockHash: string;
  hashSerialized3: string;
  chainTxCount: number;
}

export const trustedSpec = (f: SnapshotFixture) => `${f.height}:${f.blockHash}:${f.hashSerialized3}:${f.chainTxCount}`;

export function fixtureParams(f: SnapshotFixture): ChainParams {
  return getChainParams('regtest', { assumeutxo: [trustedSpec(f)] });
}

/** The synthetic snapshot of `coins` coins based on block SYNTH_BASE_HEIGHT (built when absent). */
export async function syntheticSnapshot(coins: number): Promise<SnapshotFixture> {
  mkdirSync(BENCH_DIR, { recursive: true });
  const file = path.join(BENCH_DIR, `engine-synthetic-${coins}-h${SYNTH_BASE_HEIGHT}.dat`);
  const meta = `${file}.json`;
  if (existsSync(file) && existsSync(meta)) return JSON.parse(readFileSync(meta, 'utf8')) as SnapshotFixture;
  const chain = buildH200Chain(SYNTH_BASE_HEIGHT);
  const base = chain.blocks[SYNTH_BASE_HEIGHT - 1];
  const writer = new SnapshotWriter(file, { messageStart: getChainParams('regtest').messageStart, baseHash: base.hash });
  syntheticRecords(coins, (b, n) => {
    forEachRecord(b, n, (off) => {
      const code = readU32LE(b, off + RECORD_CODE);
      const height = SYNTH_BASE_HEIGHT - (Math.floor(code / 2) % HEIGHT_SPAN);
      writeU32LE(b, off + RECORD_CODE, height * 2 + (code & 1));
    });
    writer.addRecords(b, n);
  });
  writer.commit();
  const v = await verifySnapshot(file, { network: 'regtest' });
  const f: SnapshotFixture = {
    file,
    coins: v.coins,
    bytes: v.fileSize,
    height: SYNTH_BASE_HEIGHT,
    blockHash: hashToHex(base.hash),
    hashSerialized3: v.hashSerialized3,
    chainTxCount: SYNTH_BASE_HEIGHT + 1,
  };
  writeFileSync(meta, JSON.stringify(f));
  return f;
}

/**
 * The many-output snapshot of issue 13 (`coins` coins, transactions of 24,000 outputs, heights ≤ 420),
 * based on block 420 of the h200-style chain (built when absent).
 */
export async function manyOutputSnapshot(coins: number): Promise<SnapshotFixture> {
  mkdirSync(BENCH_DIR, { recursive: true });
  const height = MANY_OUTPUT_MAX_HEIGHT;
  const file = path.join(BENCH_DIR, `engine-many-output-${coins}-h${height}.dat`);
  const meta = `${file}.json`;
  if (existsSync(file) && existsSync(meta)) return JSON.parse(readFileSync(meta, 'utf8')) as SnapshotFixture;
  const base = buildH200Chain(height).blocks[height - 1];
  const writer = new SnapshotWriter(file, { messageStart: getChainParams('regtest').messageStart, baseHash: base.hash });
  manyOutputRecords(coins, (b, n) => writer.addRecords(b, n));
  writer.commit();
  const v = await verifySnapshot(file, { network: 'regtest' });
  const f: SnapshotFixture = { file, coins: v.coins, bytes: v.fileSize, height, blockHash: hashToHex(base.hash), hashSerialized3: v.hashSerialized3, chainTxCount: height + 1 };
  writeFileSync(meta, JSON.stringify(f));
  return f;
}

/** The snapshot of a shape: 'mainnet-like' (the synthetic set) or 'many-output'. */
export type Shape = 'mainnet-like' | 'many-output';
export const shapeSnapshot = (shape: Shape, coins: number) => (shape === 'many-output' ? manyOutputSnapshot(coins) : syntheticSnapshot(coins));
export const shapeHeaders = (shape: Shape) => buildH200Chain(shape === 'many-output' ? MANY_OUTPUT_MAX_HEIGHT : SYNTH_BASE_HEIGHT).blocks.map((b) => b.block.header);

/** Headers of the synthetic snapshot's chain (heights 1..SYNTH_BASE_HEIGHT). */
export function syntheticHeaders() {
  return buildH200Chain(SYNTH_BASE_HEIGHT).blocks.map((b) => b.block.header);
}

export interface RichOptions {
  blocks: number;
  txsPerBlock: number;
  fanoutTxsPerBlock: number;
  outputsPerTx: number;
}

export interface RichFixture extends SnapshotFixture {
  blocksFile: string;
  blocks: number;
  transactions: number;
  /** Inputs spending a previous output (coinbase inputs not counted). */
  inputs: number;
  outputs: number;
  buildSeconds: number;
}

/** A rich chain (no fork) with a snapshot of its UTXO set at the tip (built when absent). */
export async function richFixture(o: RichOptions): Promise<RichFixture> {
  mkdirSync(BENCH_DIR, { recursive: true });
  const stem = path.join(BENCH_DIR, `engine-rich-${o.blocks}-${o.txsPerBlock}-${o.fanoutTxsPerBlock}x${o.outputsPerTx}`);
  const meta = `${stem}.json`;
  if (existsSync(meta)) return JSON.parse(readFileSync(meta, 'utf8')) as RichFixture;
  const params = getChainParams('regtest');
  const t = performance.now();
  const chain = buildRichChain({ seed: 'engine-bench', reorgDepth: 0, ...o });
  const buildSeconds = (performance.now() - t) / 1000;
  const blocksFile = `${stem}.blocks`;
  writeFileSync(blocksFile, frameBlocks(chain.blocks.map((b) => b.bytes), params.messageStart));
  const tip = chain.blocks[chain.blocks.length - 1];
  const file = `${stem}.dat`;
  rmSync(file, { force: true });
  writeSnapshotOf(chain.utxo, `${file}.tmp`, params.messageStart, tip.hash);
  renameSync(`${file}.tmp`, file);
  const v = await verifySnapshot(file, { network: 'regtest' });
  const f: RichFixture = {
    file,
    coins: v.coins,
    bytes: v.fileSize,
    height: tip.height,
    blockHash: hashToHex(tip.hash),
    hashSerialized3: v.hashSerialized3,
    chainTxCount: chain.counts.transactions + 1,
    blocksFile,
    blocks: chain.blocks.length,
    transactions: chain.counts.transactions,
    inputs: chain.counts.signedInputs,
    outputs: chain.counts.outputs,
    buildSeconds,
  };
  writeFileSync(meta, JSON.stringify(f));
  return f;
}

/** The rich chain's blocks (bytes, height 1 first). */
export function richBlocks(f: RichFixture): Uint8Array[] {
  const bytes = readFileSync(f.blocksFile);
  return [...readFramedBlocks(bytes, getChainParams('regtest').messageStart)].map((b) => b.bytes);
}

export const rssMB = () => process.resourceUsage().maxRSS / 1024;
