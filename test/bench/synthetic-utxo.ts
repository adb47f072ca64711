/**
 * A deterministic synthetic UTXO set with a mainnet-like script mix, produced as coin records in hashing
 * order (ascending txids by construction, so nothing has to be sorted). Real templates, so the writer's
 * compression and the reader's decompression do their real work: P2WPKH, P2PKH, P2TR, P2SH, P2WSH,
 * compressed and (rarely, as on mainnet) uncompressed P2PK, bare multisig, and odd raw scripts.
 */
import { secp256k1 } from '@noble/curves/secp256k1.js';
import { MAX_RECORD_SIZE, writeRecord } from '../../src/coins/coin-record.js';

/** xorshift32: fast and deterministic; the bytes need no cryptographic quality. */
export function rng(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x;
  };
}

const UNCOMPRESSED_KEYS = Array.from({ length: 16 }, (_, i) => secp256k1.Point.BASE.multiply(BigInt(i + 2)).toBytes(false));
const COMPRESSED_KEYS = UNCOMPRESSED_KEYS.map((k) => secp256k1.Point.fromBytes(k).toBytes(true));

/** The common output templates, random where the hash or key goes; each returns the script's length. */
function fillRandom(next: () => number, buf: Uint8Array, from: number, to: number): void {
  for (let i = from; i < to; i++) buf[i] = next() & 0xff;
}
const p2wpkh = (next: () => number, buf: Uint8Array) => (buf.set([0x00, 0x14], 0), fillRandom(next, buf, 2, 22), 22);
const p2pkh = (next: () => number, buf: Uint8Array) => (buf.set([0x76, 0xa9, 0x14], 0), fillRandom(next, buf, 3, 23), buf.set([0x88, 0xac], 23), 25);
const p2tr = (next: () => number, buf: Uint8Array) => (buf.set([0x51, 0x20], 0), fillRandom(next, buf, 2, 34), 34);
const p2sh = (next: () => number, buf: Uint8Array) => (buf.set([0xa9, 0x14], 0), fillRandom(next, buf, 2, 22), (buf[22] = 0x87), 23);
const p2wsh = (next: () => number, buf: Uint8Array) => (buf.set([0x00, 0x20], 0), fillRandom(next, buf, 2, 34), 34);

function script(next: () => number, buf: Uint8Array): number {
  const r = next() % 10_000;
  if (r < 3800) return p2wpkh(next, buf);
  if (r < 6600) return p2pkh(next, buf);
  if (r < 7800) return p2tr(next, buf);
  if (r < 9000) return p2sh(next, buf);
  if (r < 9500) return p2wsh(next, buf);
  if (r < 9560) {
    buf[0] = 33;
    buf.set(COMPRESSED_KEYS[next() % 16], 1);
    buf[34] = 0xac;
    return 35;
  }
  if (r < 9562) {
    buf[0] = 65;
    buf.set(UNCOMPRESSED_KEYS[next() % 16], 1);
    buf[66] = 0xac;
    return 67;
  }
  if (r < 9600) {
    // 1-of-2 bare multisig
    buf[0] = 0x51;
    buf[1] = 33;
    buf.set(COMPRESSED_KEYS[next() % 16], 2);
    buf[35] = 33;
    buf.set(COMPRESSED_KEYS[next() % 16], 36);
    buf[69] = 0x52;
    buf[70] = 0xae;
    return 71;
  }
  const len = 1 + (next() % 80);
  fillRandom(next, buf, 0, len);
  if (buf[0] === 0x6a) buf[0] = 0x51;
  return len;
}

/**
 * Calls `sink` with batches of records for `coins` coins. Outputs per transaction follow a skewed mix
 * (mostly 1–2, sometimes dozens) like real spending.
 */
export function syntheticRecords(coins: number, sink: (batch: Buffer, length: number) => void, seed = 1, batchBytes = 1 << 20): void {
  const next = rng(seed);
  const buf = Buffer.allocUnsafe(batchBytes + MAX_RECORD_SIZE * 2);
  const txid = new Uint8Array(32);
  const scr = new Uint8Array(128);
  let len = 0;
  let made = 0;
  let prefix = 0;
  const step = Math.max(1, Math.floor(0xffffffff / coins));
  while (made < coins) {
    // Ascending txids: a strictly increasing 32-bit prefix, random rest.
    prefix += 1 + (next() % step);
    txid[0] = prefix >>> 24;
    txid[1] = (prefix >>> 16) & 0xff;
    txid[2] = (prefix >>> 8) & 0xff;
    txid[3] = prefix & 0xff;
    for (let i = 4; i < 32; i++) txid[i] = next() & 0xff;
    const r = next() % 100;
    let outputs = r < 70 ? 1 : r < 90 ? 2 : r < 98 ? 3 + (next() % 10) : 10 + (next() % 200);
    outputs = Math.min(outputs, coins - made);
    let vout = 0;
    for (let i = 0; i < outputs; i++) {
      vout += next() % 3 === 0 ? 1 + (next() % 3) : 0;
      const n = script(next, scr);
      len = writeRecord(buf, len, {
        txid,
        vout: vout++,
        height: next() % 870_000,
        coinbase: next() % 50 === 0,
        value: next() % 3 === 0 ? (next() % 100_000) * 1000 : next() % 500_000_000,
        script: scr.subarray(0, n),
      });
      if (len >= batchBytes) {
        sink(buf, len);
        len = 0;
      }
    }
    made += outputs;
  }
  if (len > 0) sink(buf, len);
}

/** Outputs per transaction of the many-output shape (issue 13): a third of its coins have vout ≥ 16,512. */
export const MANY_OUTPUTS_PER_TX = 24_000;
/** Its heights: 1 to this, as on a young regtest chain. */
export const MANY_OUTPUT_MAX_HEIGHT = 420;

/** Script mix of the many-output shape: 35% P2WPKH, 25% P2PKH, 20% P2TR, 13% P2SH, 7% P2WSH. */
function manyOutputScript(next: () => number, buf: Uint8Array): number {
  const r = next() % 100;
  if (r < 35) return p2wpkh(next, buf);
  if (r < 60) return p2pkh(next, buf);
  if (r < 80) return p2tr(next, buf);
  if (r < 93) return p2sh(next, buf);
  return p2wsh(next, buf);
}

/**
 * The many-output shape of issue 13, in hashing order: one coinbase output per height 1..420 plus
 * transactions of 24,000 outputs (the last one shorter) up to `coins` coins in all.
 */
export function manyOutputRecords(coins: number, sink: (batch: Buffer, length: number) => void, seed = 13, batchBytes = 1 << 20): void {
  const next = rng(seed);
  const coinbases = Math.min(MANY_OUTPUT_MAX_HEIGHT, coins);
  const big = coins - coinbases;
  type Tx = { txid: Uint8Array; outputs: number; height: number; coinbase: boolean };
  const txs: Tx[] = [];
  const randomTxid = () => Uint8Array.from({ length: 32 }, () => next() & 0xff);
  for (let h = 1; h <= coinbases; h++) txs.push({ txid: randomTxid(), outputs: 1, height: h, coinbase: true });
  for (let left = big; left > 0; left -= MANY_OUTPUTS_PER_TX) {
    txs.push({ txid: randomTxid(), outputs: Math.min(left, MANY_OUTPUTS_PER_TX), height: 1 + (next() % MANY_OUTPUT_MAX_HEIGHT), coinbase: false });
  }
  txs.sort((a, b) => Buffer.compare(a.txid, b.txid));
  const buf = Buffer.allocUnsafe(batchBytes + MAX_RECORD_SIZE * 2);
  const scr = new Uint8Array(64);
  let len = 0;
  for (const tx of txs) {
    for (let vout = 0; vout < tx.outputs; vout++) {
      const n = manyOutputScript(next, scr);
      len = writeRecord(buf, len, {
        txid: tx.txid,
        vout,
        height: tx.height,
        coinbase: tx.coinbase,
        value: tx.coinbase ? 5_000_000_000 : 1000 + (next() % 100_000_000),
        script: scr.subarray(0, n),
      });
      if (len >= batchBytes) {
        sink(buf, len);
        len = 0;
      }
    }
  }
  if (len > 0) sink(buf, len);
}
