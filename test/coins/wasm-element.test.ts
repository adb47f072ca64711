import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createCipheriv, createHash, randomBytes } from 'node:crypto';
import { elementAtJs, sha256 } from '../../src/coins/muhash-element-js.js';
import { coinRecordLength, elementEngine, elementToNum, MUHASH_PRIME, productOfRecords } from '../../src/coins/muhash.js';
import { Worker } from 'node:worker_threads';
import { createElementKernel, elementModule, INPUT_BYTES, MAX_RECORDS } from '../../src/coins/wasm-element.js';
import { emitModule, FunctionBuilder, I32 } from '../../src/coins/wasm-emit.js';

/** Core's ToNum3072 from node:crypto: ChaCha20 (key = SHA-256(data), nonce 0, counter 0), 384 bytes LE. */
function referenceElement(data: Uint8Array): bigint {
  const key = createHash('sha256').update(data).digest();
  const stream = createCipheriv('chacha20', key, Buffer.alloc(16)).update(Buffer.alloc(384));
  return BigInt('0x' + Buffer.from(stream).reverse().toString('hex'));
}

/** The part of the WebAssembly JS API used here (the project's lib settings carry no wasm typings). */
interface WasmApi {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object) => { exports: Record<string, unknown> };
}

function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s >>> 1;
  };
}

/** Lengths around every SHA-256 block boundary (55/56 decide one or two tail blocks), then random ones. */
function testLengths(rand: () => number): number[] {
  const lengths: number[] = [];
  for (let blocks = 0; blocks < 5; blocks++) for (let d = -10; d <= 10; d++) if (64 * blocks + d >= 0) lengths.push(64 * blocks + d);
  for (let i = 0; i < 200; i++) lengths.push(rand() % 400);
  for (let i = 0; i < 20; i++) lengths.push(rand() % 12_000);
  return lengths;
}

/** A coin record with the given script length (CompactSize as Core writes it). */
function coinRecord(scriptLen: number): Uint8Array {
  const cs = scriptLen < 253 ? 1 : scriptLen <= 0xffff ? 3 : 5;
  const rec = randomBytes(48 + cs + scriptLen);
  if (cs === 1) rec[48] = scriptLen;
  else if (cs === 3) {
    rec[48] = 253;
    rec.writeUInt16LE(scriptLen, 49);
  } else {
    rec[48] = 254;
    rec.writeUInt32LE(scriptLen, 49);
  }
  return new Uint8Array(rec);
}

describe('wasm emitter', () => {
  it('encodes i32 constants of every LEB128 length, signed and unsigned alike', () => {
    const values = [0, 1, 63, 64, -64, -65, 127, 128, 8191, 8192, -8193, 0x7fffffff, 0x80000000, 0xffffffff, 0x6a09e667, 0xbb67ae85];
    const functions = values.map((v, i) => ({ fn: new FunctionBuilder([], [I32]).i32(v), export: `c${i}` }));
    const wasm = (globalThis as { WebAssembly?: WasmApi }).WebAssembly!;
    const exports = new wasm.Instance(new wasm.Module(emitModule({ functions, memoryPages: 1 }))).exports;
    values.forEach((v, i) => assert.equal((exports[`c${i}`] as () => number)(), v | 0, `constant ${v}`));
  });
});

describe('MuHash element kernel (wasm) against node:crypto', () => {
  const kernel = createElementKernel();

  it('is available on this runtime and is the default engine', () => {
    assert.ok(kernel, 'WebAssembly SIMD kernel should build on Node 20');
    assert.equal(elementEngine(), 'wasm');
  });

  it('one compiled module per thread; its instances have their own memory, also on a worker it is posted to', async () => {
    const module = elementModule();
    assert.ok(module);
    assert.equal(elementModule(), module);
    const a = createElementKernel(module)!;
    const b = createElementKernel(module)!;
    a.input[0] = 7;
    assert.equal(b.input[0], 0);
    const data = new TextEncoder().encode('posted module');
    const url = new URL('../../src/coins/wasm-element.js', import.meta.url).href;
    const script = `
      const { parentPort, workerData } = require('node:worker_threads');
      import(${JSON.stringify(url)}).then(({ createElementKernel }) => {
        const k = createElementKernel(workerData.module);
        k.input.set(workerData.data);
        k.table[0] = 0;
        k.table[1] = workerData.data.length;
        parentPort.postMessage(k.run(1)[0]);
      });`;
    const worker = new Worker(script, { eval: true, workerData: { module, data } });
    const got = await new Promise((resolve, reject) => worker.once('message', resolve).once('error', reject));
    await worker.terminate();
    assert.equal(got, referenceElement(data));
  });

  it('single elements at every SHA-256 block boundary and random lengths up to 12,000 bytes', () => {
    const rand = lcg(1);
    for (const len of testLengths(rand)) {
      const data = randomBytes(len);
      const want = referenceElement(data);
      assert.equal(elementToNum(data, 'wasm'), want, `wasm, length ${len}`);
      assert.equal(elementToNum(data, 'js'), want, `js, length ${len}`);
    }
  });

  it('full runs: every run size 1..MAX_RECORDS, records back to back at odd offsets', () => {
    assert.ok(kernel);
    const rand = lcg(2);
    for (let n = 1; n <= MAX_RECORDS; n++) {
      const records: Uint8Array[] = [];
      let off = rand() % 7;
      for (let i = 0; i < n; i++) {
        const rec = randomBytes(i % 9 === 0 ? rand() % 700 : 60 + (rand() % 70));
        kernel.input.set(rec, off);
        kernel.table[2 * i] = off;
        kernel.table[2 * i + 1] = rec.length;
        off += rec.length;
        records.push(rec);
      }
      const got: bigint[] = kernel.run(n);
      assert.equal(got.length, n);
      records.forEach((rec, i) => assert.equal(got[i], referenceElement(rec), `run of ${n}, record ${i}`));
    }
  });

  it('a run after a longer one, and the same record twice in a run, give the same numbers', () => {
    assert.ok(kernel);
    const rec = randomBytes(80);
    kernel.input.set(rec);
    for (let i = 0; i < MAX_RECORDS; i++) kernel.table.set([0, rec.length], 2 * i);
    const want = referenceElement(rec);
    assert.deepEqual(kernel.run(MAX_RECORDS), new Array(MAX_RECORDS).fill(want));
    assert.deepEqual(kernel.run(3), [want, want, want]);
    assert.throws(() => kernel.run(MAX_RECORDS + 1), RangeError);
  });

  it('the JavaScript SHA-256 matches node:crypto', () => {
    for (const len of [0, 55, 56, 64, 119, 120, 1000]) {
      const data = randomBytes(len);
      assert.deepEqual(Buffer.from(sha256(data)), createHash('sha256').update(data).digest());
      assert.equal(elementAtJs(data, 0, len), referenceElement(data));
    }
  });
});

describe('productOfRecords: wasm and JavaScript engines agree', () => {
  it('mainnet-like, large and oversized records in one batch', () => {
    const rand = lcg(3);
    const sizes = [22, 25, 34, 23, 67, 0, 1, 71, 72, 200, 252, 253, 300, 10_000];
    const recs: Uint8Array[] = [];
    for (let i = 0; i < 500; i++) recs.push(coinRecord(sizes[rand() % sizes.length]!));
    // One byte longer than the kernel's input area (the JavaScript path inside a wasm run), and exactly as long.
    recs.splice(123, 0, coinRecord(INPUT_BYTES - 50));
    recs.splice(400, 0, coinRecord(INPUT_BYTES - 51));
    const batch = new Uint8Array(Buffer.concat(recs));
    const viaWasm = productOfRecords(batch, 1n, 'wasm');
    assert.equal(viaWasm, productOfRecords(batch, 1n, 'js'));
    let want = 1n;
    for (let off = 0; off < batch.length; ) {
      const len = coinRecordLength(batch, off);
      want = (want * referenceElement(batch.subarray(off, off + len))) % MUHASH_PRIME;
      off += len;
    }
    assert.equal(viaWasm, want);
  });

  it('a start value carries through, and an empty batch returns it reduced', () => {
    const batch = new Uint8Array(Buffer.concat([coinRecord(25), coinRecord(22)]));
    const p = productOfRecords(batch);
    assert.equal(productOfRecords(batch, 7n, 'wasm'), productOfRecords(batch, 7n, 'js'));
    assert.equal(productOfRecords(new Uint8Array(0), p), p);
  });

  it('a truncated record throws with either engine', () => {
    const batch = new Uint8Array(Buffer.concat([coinRecord(25), coinRecord(22)]));
    for (const engine of ['wasm', 'js'] as const) {
      assert.throws(() => productOfRecords(batch.subarray(0, batch.length - 1), 1n, engine), /truncated coin record/);
    }
  });
});

describe('without WebAssembly', () => {
  it('falls back to the JavaScript engine with the same products', () => {
    const batch = new Uint8Array(Buffer.concat([22, 25, 34, 300].map((n) => coinRecord(n))));
    const url = new URL('../../src/coins/muhash.js', import.meta.url).href;
    const script = `
      const m = await import(${JSON.stringify(url)});
      const batch = Buffer.from(${JSON.stringify(Buffer.from(batch).toString('hex'))}, 'hex');
      console.log(typeof WebAssembly, m.elementEngine(), m.productOfRecords(batch).toString(16));`;
    const out = execFileSync(process.execPath, ['--no-expose-wasm', '--input-type=module', '-e', script], { encoding: 'utf8' });
    assert.equal(out.trim(), `undefined js ${productOfRecords(batch).toString(16)}`);
  });
});
