/**
 * secp256k1 candidates on this machine: µs per ECDSA and per BIP340 Schnorr verification for @noble/curves
 * (pure JS), tiny-secp256k1 (libsecp256k1 compiled to WebAssembly), secp256k1 (N-API bindings to
 * libsecp256k1, ECDSA only), chainsnap's own path (src/script/secp256k1.ts: N-API ECDSA, Schnorr on N-API key
 * recovery) and libsecp256k1 compiled natively here, by its own bench program; and verifyInput over two real
 * mainnet blocks against the sum of their signature verifications, single-threaded. All figures are CPU time
 * (the machine is shared, so wall time says more about the neighbours). Runnable alone:
 * `node dist/test/bench/secp256k1.js`.
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { schnorr, secp256k1 as noble } from '@noble/curves/secp256k1.js';
import * as tiny from 'tiny-secp256k1';
import { ecdsaVerify, ECDSA_BACKEND, recordSignatureCalls, replaySignatureCall, schnorrVerify, SCHNORR_BACKEND, type SignatureCall } from '../../src/script/secp256k1.js';
import { precomputeTxData } from '../../src/script/tx-checker.js';
import { verifyInput } from '../../src/script/verify-input.js';
import { ScriptError } from '../../src/script/script-error.js';
import { HAVE_VECTORS } from '../helpers.js';
import { loadRealBlock, REAL_BLOCKS } from '../script/real-blocks.js';

const require = createRequire(import.meta.url);

interface Case {
  msg: Uint8Array;
  pub: Uint8Array;
  sig: Uint8Array;
  xonly: Uint8Array;
  schnorrSig: Uint8Array;
}

function cases(n: number): Case[] {
  const out: Case[] = [];
  for (let i = 0; i < n; i++) {
    const priv = noble.utils.randomSecretKey();
    const msg = new Uint8Array(randomBytes(32));
    out.push({
      msg,
      pub: noble.getPublicKey(priv, true),
      sig: noble.sign(msg, priv, { prehash: false }),
      xonly: schnorr.getPublicKey(priv),
      schnorrSig: schnorr.sign(msg, priv),
    });
  }
  return out;
}

/** CPU milliseconds `fn` took (this process, all its threads). */
function cpuMs(fn: () => void): number {
  const t0 = process.cpuUsage();
  fn();
  const t = process.cpuUsage(t0);
  return (t.user + t.system) / 1000;
}

/**
 * CPU µs per call over `rounds` passes of the cases: the best of `runs` runs after a warm-up, as
 * libsecp256k1's bench takes the best of its 10 (on a shared machine the best run is the least disturbed).
 */
function time(cs: Case[], rounds: number, fn: (c: Case) => boolean, runs = 10): number {
  for (const c of cs) if (!fn(c)) throw new Error('benchmark signature did not verify');
  let best = Infinity;
  for (let run = 0; run < runs; run++) {
    const ms = cpuMs(() => {
      for (let r = 0; r < rounds; r++) for (const c of cs) fn(c);
    });
    best = Math.min(best, (ms * 1000) / (rounds * cs.length));
  }
  return best;
}

export interface SecpFigure {
  library: string;
  ecdsaUs: number | undefined;
  schnorrUs: number | undefined;
  /** libsecp256k1's own bench program, compiled here: the yardstick of the goal (at most 2x native). */
  native?: boolean;
  /** chainsnap's path, the one compared with native. */
  ours?: boolean;
}

/** Where Core's source is (a bare git dir) and where the native bench is built, once. */
const CORE_GIT = process.env.CHAINSNAP_CORE_GIT ?? '/work/.mirror/TheCharlatan+rust-bitcoinkernel/repo';
const SECP_DIR = process.env.SECP256K1_BENCH_DIR ?? path.join(tmpdir(), 'chainsnap-secp256k1-bench');

/**
 * libsecp256k1's `bench` from the copy in Core's tree, built with cmake in Release mode and its timer
 * switched from wall-clock to process CPU time (one line of tests_common.h), so that its figures and ours are
 * measured alike. Undefined, with the reason on stderr, when it cannot be built here.
 */
function nativeBenchBinary(): string | undefined {
  const bin = path.join(SECP_DIR, 'build', 'bin', 'bench');
  if (existsSync(bin)) return bin;
  try {
    mkdirSync(SECP_DIR, { recursive: true });
    const tar = execFileSync('git', ['--git-dir', CORE_GIT, 'archive', 'HEAD', 'libbitcoinkernel-sys/bitcoin/src/secp256k1'], { maxBuffer: 1 << 28 });
    execFileSync('tar', ['-x', '--strip-components=4', '-C', SECP_DIR], { input: tar });
    const common = path.join(SECP_DIR, 'src', 'tests_common.h');
    const wall = '    struct timeval tv;\n    gettimeofday(&tv, NULL);\n    return (int64_t)tv.tv_usec + (int64_t)tv.tv_sec * 1000000LL;';
    const src = readFileSync(common, 'utf8');
    if (!src.includes(wall)) throw new Error(`${common}: its timer is not the expected gettimeofday`);
    const cpu = '    struct timespec tv;\n    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &tv);\n    return (int64_t)tv.tv_nsec / 1000 + (int64_t)tv.tv_sec * 1000000LL;';
    writeFileSync(common, src.replace(wall, cpu).replace('#  include <sys/time.h>', '#  include <sys/time.h>\n#  include <time.h>'));
    const cmake = (...args: string[]) => execFileSync('cmake', args, { cwd: SECP_DIR, stdio: ['ignore', 'ignore', 'pipe'] });
    cmake('-S', '.', '-B', 'build', '-DCMAKE_BUILD_TYPE=Release', '-DSECP256K1_ENABLE_MODULE_RECOVERY=ON', '-DSECP256K1_BUILD_TESTS=OFF',
      '-DSECP256K1_BUILD_EXHAUSTIVE_TESTS=OFF', '-DSECP256K1_BUILD_CTIME_TESTS=OFF', '-DSECP256K1_BUILD_EXAMPLES=OFF', '-DCMAKE_C_FLAGS=-D_POSIX_C_SOURCE=199309L');
    cmake('--build', 'build', '--target', 'bench');
    return existsSync(bin) ? bin : undefined;
  } catch (e) {
    console.error(`secp256k1   native libsecp256k1 bench not available: ${(e as Error).message.split('\n')[0]}`);
    return undefined;
  }
}

/** Native µs (CPU, best of its 10 runs) per ECDSA verify, ECDSA key recovery and Schnorr verify. */
function nativeFigures(): { ecdsaUs: number; recoverUs: number; schnorrUs: number } | undefined {
  const bin = nativeBenchBinary();
  if (!bin) return undefined;
  const out = execFileSync(bin, ['ecdsa_verify', 'ecdsa_recover', 'schnorrsig_verify'], {
    encoding: 'utf8',
    env: { ...process.env, SECP256K1_BENCH_ITERS: process.env.SECP256K1_BENCH_ITERS ?? '5000' },
  });
  const min = (name: string) => Number(new RegExp(`^${name}\\s*,\\s*([0-9.]+)`, 'm').exec(out)?.[1]);
  const f = { ecdsaUs: min('ecdsa_verify'), recoverUs: min('ecdsa_recover'), schnorrUs: min('schnorrsig_verify') };
  return Number.isFinite(f.ecdsaUs) && Number.isFinite(f.schnorrUs) ? f : undefined;
}

/** The candidates' figures; `rounds` scales the run time (1 ≈ 200 verifications per library and kind). */
export function benchSecp256k1(rounds = 1): SecpFigure[] {
  const cs = cases(200);
  const figures: SecpFigure[] = [];
  figures.push({
    library: '@noble/curves',
    ecdsaUs: time(cs, rounds, (c) => noble.verify(c.sig, c.msg, c.pub, { prehash: false }), 3),
    schnorrUs: time(cs, rounds, (c) => schnorr.verify(c.schnorrSig, c.msg, c.xonly), 3),
  });
  figures.push({
    library: 'tiny-secp256k1 (WASM libsecp256k1)',
    ecdsaUs: time(cs, rounds * 5, (c) => tiny.verify(c.msg, c.pub, c.sig)),
    schnorrUs: time(cs, rounds * 5, (c) => tiny.verifySchnorr(c.msg, c.xonly, c.schnorrSig)),
  });
  let napi: { ecdsaVerify(sig: Uint8Array, msg: Uint8Array, pub: Uint8Array): boolean } | undefined;
  try {
    napi = require('secp256k1/bindings') as typeof napi;
  } catch {
    napi = undefined;
  }
  figures.push({
    library: napi ? 'secp256k1 (N-API, its bundled libsecp256k1 0.1; no Schnorr API)' : 'secp256k1 (native bindings did not load)',
    ecdsaUs: napi ? time(cs, rounds * 5, (c) => napi!.ecdsaVerify(c.sig, c.msg, c.pub)) : undefined,
    schnorrUs: undefined,
  });
  // Ours and native one after the other, so that the machine's load weighs on both alike.
  figures.push({
    library: `chainsnap: ECDSA on ${ECDSA_BACKEND}, Schnorr on ${SCHNORR_BACKEND}`,
    ecdsaUs: time(cs, rounds * 5, (c) => ecdsaVerify(c.sig, c.msg, c.pub)),
    schnorrUs: time(cs, rounds * 5, (c) => schnorrVerify(c.schnorrSig, c.msg, c.xonly)),
    ours: true,
  });
  const native = nativeFigures();
  if (native) {
    figures.push({
      library: `libsecp256k1 (Core's copy, native -O3, its own bench; ECDSA key recovery ${native.recoverUs.toFixed(1)} µs)`,
      ecdsaUs: native.ecdsaUs,
      schnorrUs: native.schnorrUs,
      native: true,
    });
  }
  return figures;
}

export function formatSecpFigures(figures: SecpFigure[]): string[] {
  const us = (v: number | undefined) => (v === undefined ? '     n/a' : `${v.toFixed(1).padStart(8)}`);
  const lines = figures.map((f) => `secp256k1   ${us(f.ecdsaUs)} µs/ECDSA ${us(f.schnorrUs)} µs/Schnorr  ${f.library} (CPU time)`);
  const ours = figures.find((f) => f.ours);
  const native = figures.find((f) => f.native);
  if (ours && native) {
    const ratio = (a?: number, b?: number) => (a !== undefined && b ? `${(a / b).toFixed(2)}x` : 'n/a');
    lines.push(
      `secp256k1   chainsnap/native: ECDSA ${ratio(ours.ecdsaUs, native.ecdsaUs)}, Schnorr ${ratio(ours.schnorrUs, native.schnorrUs)}; goal <= 2x (CPU time, same run)`,
    );
  }
  return lines;
}

export interface InputsFigure {
  block: string;
  inputs: number;
  /** CPU seconds of the block's checks: each transaction's precomputed data, then verifyInput on every input. */
  seconds: number;
  inputsPerSec: number;
  /** The block's signature verifications alone (the same library calls, replayed without the interpreter). */
  signatures: number;
  signatureSeconds: number;
}

/**
 * verifyInput over every input of mainnet 866342 (mixed) and 367891 (legacy), one thread, best of at least
 * `runs` runs and of about 1.5 s of checks (367891's take 45 ms, where one GC pause or timer tick moved its
 * ratio by 0.05 in seven), CPU time. Each run builds the transactions' precomputed data afresh, as
 * ConnectBlock does.
 */
export function benchVerifyInputs(runs = 7): InputsFigure[] {
  if (!HAVE_VECTORS) return [];
  const figures: InputsFigure[] = [];
  for (const height of [866342, 367891]) {
    const b = loadRealBlock(REAL_BLOCKS.find((e) => e.height === height)!);
    const verifyAll = () => {
      for (const loaded of b.txs) {
        const d = precomputeTxData(loaded.tx, loaded.spent);
        for (let i = 0; i < d.tx.inputs.length; i++) {
          if (verifyInput(d.tx, i, d, b.flags) !== ScriptError.OK) throw new Error(`${b.name}: input failed`);
        }
      }
    };
    const calls: SignatureCall[] = [];
    recordSignatureCalls((c) => calls.push(c));
    verifyAll();
    recordSignatureCalls(undefined);
    let best = Infinity;
    let bestSigs = Infinity;
    const first = cpuMs(verifyAll) / 1000;
    const blockRuns = Math.max(runs, Math.ceil(1.5 / Math.max(first, 1e-3)));
    // Alternate the two so that the machine's load hits both alike.
    for (let run = 0; run < blockRuns; run++) {
      best = Math.min(best, cpuMs(verifyAll) / 1000);
      // Some fail by design: CHECKMULTISIG tries keys that did not sign.
      bestSigs = Math.min(bestSigs, cpuMs(() => calls.forEach(replaySignatureCall)) / 1000);
    }
    figures.push({ block: b.name, inputs: b.inputs, seconds: best, inputsPerSec: b.inputs / best, signatures: calls.length, signatureSeconds: bestSigs });
  }
  return figures;
}

export function formatInputsFigures(figures: InputsFigure[]): string[] {
  return figures.map(
    (f) =>
      `verifyInput ${Math.round(f.inputsPerSec).toLocaleString('en-US')} inputs/s on ${f.block} (${f.inputs.toLocaleString('en-US')} inputs in ${f.seconds.toFixed(3)} s CPU, 1 thread); ` +
      `its ${f.signatures.toLocaleString('en-US')} signature verifications alone ${f.signatureSeconds.toFixed(3)} s CPU: checks/signatures ${(f.seconds / Math.max(f.signatureSeconds, 1e-9)).toFixed(2)}x (goal <= 1.15x, same run)`,
  );
}

if (process.argv[1] && import.meta.url.endsWith(process.argv[1].split('/').pop()!)) {
  for (const line of formatSecpFigures(benchSecp256k1(Number(process.env.BENCH_ROUNDS ?? 2)))) console.log(line);
  for (const line of formatInputsFigures(benchVerifyInputs())) console.log(line);
}
