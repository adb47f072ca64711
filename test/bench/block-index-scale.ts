/**
 * A mainnet-sized block index (issue 11): 925,000 regtest headers, mined (regtest's target passes about
 * every other nonce) and written straight into a block index LevelDB, then a node is opened and closed on
 * it in a child process. Reports the open time, the close time and the memory the index keeps (JS heap
 * and array buffers after a full GC, against the same process before opening). The entries are headers
 * only: a stored block's fields are numbers in the entry either way, so the memory is the same. The
 * generated database is kept in BENCH_DIR between runs.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, renameSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { getChainParams } from '../../src/consensus/params.js';
import { checkProofOfWork } from '../../src/consensus/pow.js';
import { serializeHeader, type BlockHeader } from '../../src/primitives/block.js';
import { sha256, sha256d, hexToHash } from '../../src/primitives/hash.js';
import { HEADER_STATUS } from '../../src/chain/block-status.js';
import { BlockIndexDb } from '../../src/chain/block-index-db.js';
import { ChainstateManager } from '../../src/chain/chainstate-manager.js';

const params = getChainParams('regtest');
const here = fileURLToPath(import.meta.url);

export interface IndexScaleResult {
  entries: number;
  /** Seconds to generate the database (0 when it was kept from an earlier run). */
  generateSeconds: number;
  openSeconds: number;
  /** CPU time of the open (this thread and LevelDB's), steadier than the wall time on a busy machine. */
  openCpuSeconds: number;
  closeSeconds: number;
  /** Heap and array buffers the open node keeps, after GC, over the process before opening. */
  indexMB: number;
  bytesPerEntry: number;
  /** Peak RSS of the child process that opened the node. */
  peakRssMB: number;
}

/** Writes `entries` headers (genesis excluded) into <datadir>/blocks/index. */
async function generate(datadir: string, entries: number): Promise<void> {
  const db = await BlockIndexDb.open(path.join(datadir, 'blocks'), params);
  let prevHash = hexToHash(params.genesisHash);
  let batch: Array<Parameters<BlockIndexDb['writeEntries']>[0] extends Iterable<infer T> ? T : never> = [];
  for (let height = 1; height <= entries; height++) {
    const header: BlockHeader = { version: 4, prevHash, merkleRoot: sha256(Uint8Array.of(height & 0xff, (height >> 8) & 0xff, height >> 16)), time: params.genesis.header.time + height * 600, bits: 0x207fffff, nonce: 0 };
    const raw = serializeHeader(header);
    const view = new DataView(raw.buffer, raw.byteOffset);
    let hash: Uint8Array;
    for (;; header.nonce++) {
      view.setUint32(76, header.nonce, true);
      hash = sha256d(raw);
      if (checkProofOfWork(hash, header.bits, params.powLimit)) break;
    }
    batch.push({ hash, header, height, status: HEADER_STATUS, dataPos: undefined, undoPos: undefined, txCount: 0, chainTxCount: 0, sequenceId: height });
    prevHash = hash;
    if (batch.length === 20_000 || height === entries) {
      await db.writeEntries(batch);
      batch = [];
    }
  }
  await db.close();
}

const mb = (n: number) => Math.round((n / 1e6) * 10) / 10;

/** The child: open and close a node on `datadir`, print the figures as one JSON line. */
async function openAndClose(datadir: string): Promise<void> {
  const gc = globalThis.gc!;
  const used = () => {
    gc();
    gc();
    const m = process.memoryUsage();
    return m.heapUsed + m.arrayBuffers;
  };
  const before = used();
  let t = performance.now();
  const cpu = process.cpuUsage();
  const m = await ChainstateManager.open({ datadir, params, background: 'in-process', now: () => 2_000_000_000 });
  const openSeconds = (performance.now() - t) / 1000;
  const spent = process.cpuUsage(cpu);
  const openCpuSeconds = (spent.user + spent.system) / 1e6;
  const entries = m.storage.index.size - 1;
  const held = used() - before;
  t = performance.now();
  await m.close();
  const closeSeconds = (performance.now() - t) / 1000;
  console.log(JSON.stringify({ entries, openSeconds, openCpuSeconds, closeSeconds, indexBytes: held, peakRssMB: process.resourceUsage().maxRSS / 1024 }));
}

export async function benchBlockIndexScale(entries = 925_000, dir = process.env.BENCH_DIR ?? path.join(tmpdir(), 'chainsnap-bench')): Promise<IndexScaleResult> {
  // Named for the format: a database kept from before the index was written uncompressed (as Core
  // writes it) has snappy tables, which load through LevelDB's slower iterator.
  const datadir = path.join(dir, `block-index-raw-${entries}`);
  let generateSeconds = 0;
  if (!existsSync(path.join(datadir, 'complete'))) {
    rmSync(datadir, { recursive: true, force: true });
    const t = performance.now();
    const tmp = `${datadir}.tmp`;
    rmSync(tmp, { recursive: true, force: true });
    mkdirSync(tmp, { recursive: true });
    await generate(tmp, entries);
    mkdirSync(path.join(tmp, 'complete'));
    renameSync(tmp, datadir);
    generateSeconds = (performance.now() - t) / 1000;
  }
  const out = execFileSync(process.execPath, ['--expose-gc', here, 'open', datadir], { encoding: 'utf8', maxBuffer: 1 << 20 });
  const r = JSON.parse(out.trim().split('\n').pop()!) as { entries: number; openSeconds: number; openCpuSeconds: number; closeSeconds: number; indexBytes: number; peakRssMB: number };
  return {
    entries: r.entries,
    generateSeconds,
    openSeconds: r.openSeconds,
    openCpuSeconds: r.openCpuSeconds,
    closeSeconds: r.closeSeconds,
    indexMB: mb(r.indexBytes),
    bytesPerEntry: Math.round(r.indexBytes / r.entries),
    peakRssMB: Math.round(r.peakRssMB),
  };
}

if (process.argv[1] === here && process.argv[2] === 'open') await openAndClose(process.argv[3]);
else if (process.argv[1] === here) console.log(JSON.stringify(await benchBlockIndexScale(Number(process.argv[2] ?? 925_000))));
