/**
 * MuHash throughput over synthetic coin records with a mainnet-like script mix. Run directly
 * (`node dist/test/bench/muhash.bench.js [coins]`) to print the figures, or import benchMuhash.
 */
import { randomFillSync } from 'node:crypto';
import { pathToFileURL } from 'node:url';
import { MuHashPool } from '../../src/coins/muhash-pool.js';
import { elementEngine, type ElementEngine } from '../../src/coins/muhash.js';
import { createElementKernel, elementModule, elementModuleFor, MAX_RECORDS, multiplierOf, type ElementModule, type MultiplierName } from '../../src/coins/wasm-element.js';

export interface MuhashBenchResult {
  coins: number;
  batches: number;
  bytes: number;
  /** In-process (MuHashPool(0)), one thread. */
  singleCoinsPerSec: number;
  /** CPU time per coin (µs, every thread of the process) in-process and with the pool: on a shared machine
   * this says more than coins/s. */
  singleCpuUsPerCoin: number;
  poolCpuUsPerCoin: number;
  /** MuHashPool over `poolThreads` workers, including finalize. */
  poolCoinsPerSec: number;
  poolThreads: number;
  hash: string;
  /** How elements and products are computed: the wasm kernel, or JavaScript and BigInt where wasm SIMD is missing. */
  engine: ElementEngine;
  /**
   * The wasm kernel alone, µs of CPU per coin (the least over 20 rounds, which filters out a loaded
   * machine): one 3072-bit product, and one element (SHA-256 and ChaCha20), with the multiplier in use; and,
   * measured in the same run, the extmul multiplier's product where fma is in use (A/B). Undefined without
   * the kernel.
   */
  kernel?: { multiplier: MultiplierName; productCpuUs: number; elementCpuUs: number; extmulProductCpuUs?: number };
}

/** The kernel's costs split, on records of the bench's typical length (60 bytes). */
function kernelSplit(module: ElementModule | undefined): { productCpuUs: number; elementCpuUs: number } | undefined {
  const k = createElementKernel(module);
  if (!k) return undefined;
  for (let i = 0; i < MAX_RECORDS; i++) {
    k.table[2 * i] = 60 * i;
    k.table[2 * i + 1] = 60;
  }
  randomFillSync(k.input);
  k.toLimbs(1n);
  const x = new Uint8Array(384).fill(0xa5);
  const cpu = (fn: () => void) => {
    const c = process.cpuUsage();
    fn();
    const u = process.cpuUsage(c);
    return u.user + u.system;
  };
  let product = Infinity;
  let both = Infinity;
  const products = () => {
    for (let i = 0; i < 1024; i++) k.multiplyBytes(x);
  };
  const elementsAndProducts = () => {
    for (let i = 0; i < 16; i++) k.multiply(MAX_RECORDS);
  };
  for (let round = 0; round < 20; round++) {
    product = Math.min(product, cpu(products) / 1024);
    both = Math.min(both, cpu(elementsAndProducts) / (16 * MAX_RECORDS));
  }
  return { productCpuUs: product, elementCpuUs: both - product };
}

/** Script length mix, roughly the mainnet UTXO set: P2WPKH, P2PKH, P2TR/P2WSH, P2SH, some P2PK. */
function scriptLen(r: number): number {
  if (r < 0.38) return 22;
  if (r < 0.66) return 25;
  if (r < 0.86) return 34;
  if (r < 0.98) return 23;
  return 67;
}

/** Batches of about `batchBytes` of whole coin records. */
export function syntheticBatches(coins: number, batchBytes = 64 * 1024): Uint8Array[] {
  const batches: Uint8Array[] = [];
  let left = coins;
  while (left > 0) {
    const buf = new Uint8Array(batchBytes + 128);
    randomFillSync(buf);
    let off = 0;
    while (left > 0 && off + 48 + 1 + 67 <= batchBytes) {
      const len = scriptLen(Math.random());
      buf[off + 36] &= 0x3f; // keep heights plausible; the bytes are otherwise random
      buf[off + 48] = len;
      off += 49 + len;
      left--;
    }
    batches.push(buf.slice(0, off));
  }
  return batches;
}

/** kernelSplit of the module in use, and the extmul product beside it where that is fma (interleaved rounds). */
function kernelFigures(): MuhashBenchResult['kernel'] {
  const module = elementModule();
  if (!module) return undefined;
  const multiplier = multiplierOf(module);
  const split = kernelSplit(module);
  if (!split) return undefined;
  const fallback = multiplier === 'fma' ? kernelSplit(elementModuleFor('extmul')) : undefined;
  return { multiplier, ...split, extmulProductCpuUs: fallback?.productCpuUs };
}

export async function benchMuhash(opts: { coins?: number; threads?: number } = {}): Promise<MuhashBenchResult> {
  const coins = opts.coins ?? 500_000;
  const poolThreads = opts.threads ?? 2;
  const batches = syntheticBatches(coins);
  const bytes = batches.reduce((n, b) => n + b.length, 0);

  const run = async (threads: number) => {
    const pool = new MuHashPool(threads);
    try {
      if (threads > 0) await pool.finalize(); // workers started and warm before the clock runs
      const t0 = performance.now();
      const cpu = process.cpuUsage();
      for (const b of batches) await pool.add(b);
      const hash = Buffer.from(await pool.finalize()).reverse().toString('hex');
      const used = process.cpuUsage(cpu);
      return { secs: (performance.now() - t0) / 1000, cpuUs: (used.user + used.system) / coins, hash };
    } finally {
      await pool.close();
    }
  };

  const single = await run(0);
  const pooled = await run(poolThreads);
  if (single.hash !== pooled.hash) throw new Error(`pool hash ${pooled.hash} != in-process ${single.hash}`);
  return {
    coins,
    batches: batches.length,
    bytes,
    singleCoinsPerSec: Math.round(coins / single.secs),
    poolCoinsPerSec: Math.round(coins / pooled.secs),
    singleCpuUsPerCoin: single.cpuUs,
    poolCpuUsPerCoin: pooled.cpuUs,
    poolThreads,
    hash: single.hash,
    engine: elementEngine(),
    kernel: elementEngine() === 'wasm' ? kernelFigures() : undefined,
  };
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const coins = process.argv[2] ? Number(process.argv[2]) : undefined;
  const r = await benchMuhash({ coins });
  console.log(`muhash over ${r.coins} coin records (${r.batches} batches, ${(r.bytes / 1e6).toFixed(1)} MB), ${r.engine} elements`);
  console.log(`  in-process, 1 thread : ${r.singleCoinsPerSec.toLocaleString('en-US')} coins/s (CPU ${r.singleCpuUsPerCoin.toFixed(2)} µs/coin)`);
  console.log(`  pool, ${r.poolThreads} workers     : ${r.poolCoinsPerSec.toLocaleString('en-US')} coins/s (CPU ${r.poolCpuUsPerCoin.toFixed(2)} µs/coin)`);
  if (r.kernel) {
    const k = r.kernel;
    console.log(`  kernel alone        : product ${k.productCpuUs.toFixed(2)} µs (${k.multiplier}) + element ${k.elementCpuUs.toFixed(2)} µs CPU per coin (least of 20 rounds)`);
    if (k.extmulProductCpuUs !== undefined) console.log(`  extmul product      : ${k.extmulProductCpuUs.toFixed(2)} µs CPU (the fallback multiplier, same run)`);
  }
  console.log(`  muhash ${r.hash}`);
}
