/**
 * Parsing shared between two readers (RangeDelegate): one skips over ranges of txid groups that the other
 * decodes. Whatever ranges are handed over, the result must be the sequential reader's: the same records in
 * the same order on a good file, and on a damaged one the same error, message and byte offset.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { getChainParams } from '../../src/consensus/params.js';
import { concatBytes, writeU32LE } from '../../src/primitives/bytes.js';
import { hashToHex, sha256 } from '../../src/primitives/hash.js';
import { encodeRecord } from '../../src/coins/coin-record.js';
import { SnapshotError } from '../../src/snapshot/errors.js';
import { SnapshotReader, type CoinRange, type RangeDelegate } from '../../src/snapshot/reader.js';
import { verifySnapshot, type VerifyOptions } from '../../src/snapshot/verify.js';
import { SnapshotWriter } from '../../src/snapshot/writer.js';
import { scratchDir } from '../helpers.js';

const regtest = getChainParams('regtest');
const BASE_HASH = sha256(Uint8Array.of(7));
const BASE_HEIGHT = 5000;
const dir = scratchDir();

/**
 * 1,200 txids of 1 to 6 outputs and one of 17,000 (its outputs past 16,511 are reordered for hashing), with
 * every script form the compressor knows, heights up to the base and values from 0 to 21M BTC.
 */
function buildSnapshot(name = 'good', highCoin = -1): Uint8Array {
  const file = path.join(dir, `${name}.dat`);
  let coin = 0;
  const w = new SnapshotWriter(file, { messageStart: regtest.messageStart, baseHash: BASE_HASH });
  const txids = Array.from({ length: 1201 }, (_, i) => sha256(Uint8Array.of(3, i & 0xff, i >> 8))).sort(Buffer.compare);
  txids.forEach((txid, i) => {
    const outputs = i === 600 ? 17_000 : 1 + ((i * 7) % 6);
    for (let vout = 0; vout < outputs; vout++) {
      const seed = sha256(Uint8Array.of(i & 0xff, i >> 8, vout & 0xff, vout >> 8));
      const kind = (i + vout) % 5;
      const script =
        kind === 0
          ? concatBytes(Uint8Array.of(0x76, 0xa9, 20), seed.subarray(0, 20), Uint8Array.of(0x88, 0xac))
          : kind === 1
            ? concatBytes(Uint8Array.of(0xa9, 20), seed.subarray(0, 20), Uint8Array.of(0x87))
            : kind === 2
              ? concatBytes(Uint8Array.of(0x00, 20), seed.subarray(0, 20))
              : kind === 3
                ? concatBytes(Uint8Array.of(0x51, 32), seed)
                : seed.subarray(0, (i + vout) % 30);
      const value = vout === 1 && i % 50 === 0 ? 2_100_000_000_000_000 : (seed[0]! << 16) + seed[1]! * (i + 1);
      const height = coin++ === highCoin ? BASE_HEIGHT + 1 : (i * 13 + vout) % BASE_HEIGHT;
      const rec = encodeRecord({ txid, vout, height, coinbase: vout === 0 && i % 3 === 0, value, script });
      w.addRecords(rec, rec.length);
    }
  });
  w.commit();
  return readFileSync(file);
}

const good = buildSnapshot();
const COINS_OFFSET = 43;

/** The parameters with an entry for the test's base block, so that heights above it are refused. */
const resolveParams = () => ({
  ...regtest,
  assumeutxo: [{ height: BASE_HEIGHT, blockHash: hashToHex(BASE_HASH), hashSerialized: '00'.repeat(32), chainTxCount: 1 }],
});

type Outcome = { ok: string } | { kind: string; message: string; offset: number | undefined };

async function outcome(run: () => Promise<string>): Promise<Outcome> {
  try {
    return { ok: await run() };
  } catch (e) {
    if (!(e instanceof SnapshotError)) throw e;
    return { kind: e.kind, message: e.message, offset: e.offset };
  }
}

/** The records of the whole file, read sequentially, as one hash; or the error. */
async function sequential(file: string): Promise<Outcome> {
  return outcome(async () => {
    const r = SnapshotReader.open(file, { baseHeight: BASE_HEIGHT });
    try {
      const h = createHash('sha256');
      await r.readCoins((b, n) => void h.update(b.subarray(0, n)));
      const t = r.totals;
      return `${h.digest('hex')} ${t.transactions} ${t.bogosize} ${t.valueHigh + BigInt(t.valueLow)}`;
    } finally {
      r.close();
    }
  });
}

/**
 * The same with a second reader, in this thread, decoding the ranges `pattern` chooses (by the count of
 * decisions so far); its records join the stream in file order, and its first error is kept for settle().
 */
async function shared(file: string, rangeBytes: number, pattern: (decision: number) => boolean): Promise<Outcome> {
  return outcome(async () => {
    const main = SnapshotReader.open(file, { baseHeight: BASE_HEIGHT, chunkBytes: 4096 });
    const other = SnapshotReader.open(file, { baseHeight: BASE_HEIGHT, chunkBytes: 1000 });
    const h = createHash('sha256');
    const sink = (b: Buffer, n: number) => void h.update(b.subarray(0, n));
    let decisions = 0;
    let failure: unknown;
    const delegate: RangeDelegate = {
      rangeBytes,
      wanted: () => pattern(decisions++),
      take: async (range: CoinRange) => {
        if (failure) return;
        // Another thread's reader would not start before the records before the range are hashed.
        await other.readRange(sink, range).catch((e: unknown) => void (failure = e));
      },
      settle: async () => {
        if (failure) throw failure;
      },
    };
    try {
      await main.readCoins(sink, undefined, delegate);
      await delegate.settle();
      const t = main.totals;
      const o = other.totals;
      const totals = { transactions: t.transactions + o.transactions, bogosize: t.bogosize + o.bogosize, value: t.valueHigh + BigInt(t.valueLow) + o.valueHigh + BigInt(o.valueLow) };
      return `${h.digest('hex')} ${totals.transactions} ${totals.bogosize} ${totals.value}`;
    } finally {
      main.close();
      other.close();
    }
  });
}

/** Damaged copies of the file: cuts, changed bytes, VARINT continuation bytes, wrong coin counts. */
function damaged(): [string, Uint8Array][] {
  const cases: [string, Uint8Array][] = [];
  let x = 12345;
  const rand = (n: number) => {
    x = (Math.imul(x, 1103515245) + 12345) >>> 0;
    return x % n;
  };
  const body = good.length - 51;
  for (let i = 0; i < 12; i++) {
    const at = 51 + rand(body);
    cases.push([`cut at ${at}`, good.subarray(0, at)]);
  }
  for (let i = 0; i < 40; i++) {
    const at = 51 + rand(body);
    const copy = Uint8Array.from(good);
    copy[at] = i % 2 === 0 ? copy[at]! ^ (1 << rand(8)) : 0xff;
    cases.push([`byte ${at} = ${copy[at]}`, copy]);
  }
  for (const coin of [2000, 15_000]) cases.push([`coin ${coin} above the base height`, buildSnapshot('high', coin)]);
  for (const delta of [-1, -2, -5, 1]) {
    const copy = Uint8Array.from(good);
    writeU32LE(copy, COINS_OFFSET, good[COINS_OFFSET]! + (good[COINS_OFFSET + 1]! << 8) + (good[COINS_OFFSET + 2]! << 16) + delta);
    cases.push([`coins count ${delta}`, copy]);
  }
  return cases;
}

const PATTERNS: [string, (d: number) => boolean][] = [
  ['every range', () => true],
  ['every other', (d) => d % 2 === 1],
  ['one in three', (d) => d % 3 === 0],
];

test('a good file gives the same records and totals whatever ranges are handed over', async () => {
  const file = path.join(dir, 'good-copy.dat');
  writeFileSync(file, good);
  const want = await sequential(file);
  assert.ok('ok' in want, JSON.stringify(want));
  for (const [name, pattern] of PATTERNS) {
    for (const rangeBytes of [1, 700, 5000, 1 << 20]) {
      assert.deepEqual(await shared(file, rangeBytes, pattern), want, `${name}, ranges of ${rangeBytes} bytes`);
    }
  }
});

test('a damaged file fails with the sequential reader’s error, message and offset whatever ranges are handed over', async () => {
  const file = path.join(dir, 'damaged.dat');
  const reasons = new Set<string>();
  for (const [what, bytes] of damaged()) {
    writeFileSync(file, bytes);
    const want = await sequential(file);
    if (!('ok' in want)) reasons.add(want.message.replace(/\d+/g, 'N').replace(/\(.*\)/, '(…)'));
    for (const [name, pattern] of PATTERNS) {
      for (const rangeBytes of [300, 4000]) {
        assert.deepEqual(await shared(file, rangeBytes, pattern), want, `${what}: ${name}, ranges of ${rangeBytes} bytes`);
      }
    }
  }
  // A changed txid, value or script byte may leave the file well-formed; the rest cover each kind of problem.
  assert.ok(reasons.size >= 6, [...reasons].join('; '));
});

const SPLIT: VerifyOptions = { resolveParams, rangeBytes: 2000, hashRing: { slots: 3, slotBytes: 1 << 16 } };

async function verified(file: string, opts: VerifyOptions): Promise<Outcome> {
  return outcome(async () => {
    const r = await verifySnapshot(file, opts);
    return `${r.hashSerialized3} ${r.coins} ${r.transactions} ${r.bogosize} ${r.totalAmount}`;
  });
}

test('verify on two threads agrees with verify on one, on the good file and on damaged ones', async () => {
  const file = path.join(dir, 'verify.dat');
  writeFileSync(file, good);
  const want = await verified(file, { resolveParams, hashThread: false });
  assert.ok('ok' in want);
  assert.deepEqual(await verified(file, SPLIT), want);
  assert.deepEqual(await verified(file, { resolveParams }), want);
  for (const [what, bytes] of damaged()) {
    writeFileSync(file, bytes);
    assert.deepEqual(await verified(file, SPLIT), await verified(file, { resolveParams, hashThread: false }), what);
  }
});

test('the decoding worker closes the file it opened, also after an error', { skip: process.platform !== 'linux' && 'counts descriptors in /proc' }, async () => {
  const fds = () => readdirSync('/proc/self/fd').length;
  const file = path.join(dir, 'fds.dat');
  writeFileSync(file, good);
  const cut = path.join(dir, 'fds-cut.dat');
  writeFileSync(cut, good.subarray(0, good.length - 5000));
  await verified(file, SPLIT);
  const before = fds();
  for (let i = 0; i < 5; i++) {
    assert.ok('ok' in (await verified(file, SPLIT)));
    assert.ok(!('ok' in (await verified(cut, SPLIT))));
  }
  assert.equal(fds(), before);
});
