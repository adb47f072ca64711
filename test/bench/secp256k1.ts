/**
 * secp256k1 candidates on this machine: µs per ECDSA and per BIP340 Schnorr verification for @noble/curves
 * (pure JS), tiny-secp256k1 (libsecp256k1 compiled to WebAssembly) and secp256k1 (N-API bindings to
 * libsecp256k1, ECDSA only); and verifyInput's inputs/s on two real mainnet blocks, single-threaded. Runnable alone: `node dist/test/bench/secp256k1.js`.
 */
import { createRequire } from 'node:module';
import { randomBytes } from 'node:crypto';
import { schnorr, secp256k1 as noble } from '@noble/curves/secp256k1.js';
import * as tiny from 'tiny-secp256k1';
import { ECDSA_BACKEND, recordSignatureCalls, replaySignatureCall, type SignatureCall } from '../../src/script/secp256k1.js';
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

/** Microseconds per call over `rounds` passes of the cases (best of three runs, after a warm-up). */
function time(cs: Case[], rounds: number, fn: (c: Case) => boolean): number {
  for (const c of cs) if (!fn(c)) throw new Error('benchmark signature did not verify');
  let best = Infinity;
  for (let run = 0; run < 3; run++) {
    const t0 = process.hrtime.bigint();
    for (let r = 0; r < rounds; r++) for (const c of cs) fn(c);
    best = Math.min(best, Number(process.hrtime.bigint() - t0) / 1000 / (rounds * cs.length));
  }
  return best;
}

export interface SecpFigure {
  library: string;
  ecdsaUs: number | undefined;
  schnorrUs: number | undefined;
}

/** The candidates' figures; `rounds` scales the run time (1 ≈ 200 verifications per library and kind). */
export function benchSecp256k1(rounds = 1): SecpFigure[] {
  const cs = cases(200);
  const figures: SecpFigure[] = [];
  figures.push({
    library: '@noble/curves',
    ecdsaUs: time(cs, rounds, (c) => noble.verify(c.sig, c.msg, c.pub, { prehash: false })),
    schnorrUs: time(cs, rounds, (c) => schnorr.verify(c.schnorrSig, c.msg, c.xonly)),
  });
  figures.push({
    library: 'tiny-secp256k1 (WASM libsecp256k1)',
    ecdsaUs: time(cs, rounds * 5, (c) => tiny.verify(c.msg, c.pub, c.sig)),
    schnorrUs: time(cs, rounds * 5, (c) => tiny.verifySchnorr(c.msg, c.xonly, c.schnorrSig)),
  });
  let native: { ecdsaVerify(sig: Uint8Array, msg: Uint8Array, pub: Uint8Array): boolean } | undefined;
  try {
    native = require('secp256k1/bindings') as typeof native;
  } catch {
    native = undefined;
  }
  figures.push({
    library: native ? 'secp256k1 (N-API libsecp256k1; no Schnorr API)' : 'secp256k1 (native bindings did not load)',
    ecdsaUs: native ? time(cs, rounds * 5, (c) => native!.ecdsaVerify(c.sig, c.msg, c.pub)) : undefined,
    schnorrUs: undefined,
  });
  return figures;
}

export function formatSecpFigures(figures: SecpFigure[]): string[] {
  const us = (v: number | undefined) => (v === undefined ? '     n/a' : `${v.toFixed(1).padStart(8)}`);
  return figures.map((f) => `secp256k1   ${us(f.ecdsaUs)} µs/ECDSA ${us(f.schnorrUs)} µs/Schnorr  ${f.library}`);
}

export interface InputsFigure {
  block: string;
  inputs: number;
  seconds: number;
  inputsPerSec: number;
  /** The block's signature verifications alone (the same library calls, replayed without the interpreter). */
  signatures: number;
  signatureSeconds: number;
}

/** verifyInput over every input of mainnet 866342 (mixed) and 367891 (legacy), one thread, best of `runs`. */
export function benchVerifyInputs(runs = 2): InputsFigure[] {
  if (!HAVE_VECTORS) return [];
  const figures: InputsFigure[] = [];
  for (const height of [866342, 367891]) {
    const b = loadRealBlock(REAL_BLOCKS.find((e) => e.height === height)!);
    const verifyAll = () => {
      for (const d of b.txs) {
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
    // Alternate the two so that the machine's load hits both alike.
    for (let run = 0; run < runs; run++) {
      let t0 = process.hrtime.bigint();
      verifyAll();
      best = Math.min(best, Number(process.hrtime.bigint() - t0) / 1e9);
      t0 = process.hrtime.bigint();
      // Some fail by design: CHECKMULTISIG tries keys that did not sign.
      for (const c of calls) replaySignatureCall(c);
      bestSigs = Math.min(bestSigs, Number(process.hrtime.bigint() - t0) / 1e9);
    }
    figures.push({ block: b.name, inputs: b.inputs, seconds: best, inputsPerSec: b.inputs / best, signatures: calls.length, signatureSeconds: bestSigs });
  }
  return figures;
}

export function formatInputsFigures(figures: InputsFigure[]): string[] {
  return figures.map(
    (f) =>
      `verifyInput ${Math.round(f.inputsPerSec).toLocaleString('en-US')} inputs/s on ${f.block} (${f.inputs.toLocaleString('en-US')} inputs in ${f.seconds.toFixed(2)} s, 1 thread); ` +
      `its ${f.signatures.toLocaleString('en-US')} signature verifications alone ${f.signatureSeconds.toFixed(2)} s (checks/signatures ${(f.seconds / Math.max(f.signatureSeconds, 1e-9)).toFixed(2)}x; ECDSA on ${ECDSA_BACKEND})`,
  );
}

if (process.argv[1] && import.meta.url.endsWith(process.argv[1].split('/').pop()!)) {
  for (const line of formatSecpFigures(benchSecp256k1(Number(process.env.BENCH_ROUNDS ?? 2)))) console.log(line);
  for (const line of formatInputsFigures(benchVerifyInputs())) console.log(line);
}
