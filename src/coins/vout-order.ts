/**
 * Two orders of outputs within a transaction: a snapshot file (like Core's chainstate keys) orders them by
 * the bytes of VARINT(vout), the UTXO hashes by number. They agree below 16512, where VARINT grows to
 * three bytes beginning 0x80 and so sorts 16512 between 255 and 256.
 *
 * Going from one order to the other never needs a general sort: each order splits into a few runs that
 * are ascending in the other (for 24,000 outputs in key order: 0–255 with 16512–23999, then 256–16511),
 * so a merge of runs is linear in practice. Transactions with many outputs are common enough (batch payouts) that a per-record
 * comparison sort with objects made them 2–3 times slower than everything else.
 */
export const FIRST_VOUT_OUT_OF_ORDER = 16512;

/**
 * The bytes of VARINT(vout), big-endian, padded to 5 bytes, as a number: compares as the bytes do,
 * because VARINT is prefix-free (two encodings differ within the shorter one), and needs no allocation.
 */
export function voutKey(vout: number): number {
  // Core's VARINT: 7 bits per byte, most significant first, each continuation byte one less.
  let n = vout;
  let key = n & 0x7f;
  let len = 1;
  while (n > 0x7f) {
    n = Math.floor(n / 128) - 1;
    key += ((n & 0x7f) | 0x80) * 128 ** len * 2 ** len;
    len++;
  }
  return key * 256 ** (5 - len);
}

export function compareVoutKeys(a: number, b: number): number {
  if (a < FIRST_VOUT_OUT_OF_ORDER && b < FIRST_VOUT_OUT_OF_ORDER) return a - b;
  return voutKey(a) - voutKey(b);
}

/** Work counters, for the tests that guard the fast path. */
export const voutOrderStats = { groupsReordered: 0, mergePasses: 0 };

let orderA: Int32Array = new Int32Array(1024);
let orderB: Int32Array = new Int32Array(1024);
let runStarts: Int32Array = new Int32Array(64);
let runStartsNext: Int32Array = new Int32Array(64);

/**
 * Indices 0..n-1 ordered by ascending keys[i] (distinct keys), found by merging the ascending runs the
 * input already has: O(n · log(runs)). The result is a scratch array, valid until the next call.
 */
export function orderByKeys(keys: Float64Array, n: number): Int32Array {
  if (orderA.length < n) {
    orderA = new Int32Array(n * 2);
    orderB = new Int32Array(n * 2);
  }
  let runs = 0;
  for (let i = 0; i < n; i++) {
    orderA[i] = i;
    if (i === 0 || keys[i]! < keys[i - 1]!) {
      if (runs + 1 >= runStarts.length) runStarts = grow(runStarts);
      runStarts[runs++] = i;
    }
  }
  if (runs > 1) voutOrderStats.groupsReordered++;
  let src = orderA;
  let dst = orderB;
  while (runs > 1) {
    voutOrderStats.mergePasses++;
    if (runStartsNext.length < runStarts.length) runStartsNext = new Int32Array(runStarts.length);
    let merged = 0;
    for (let r = 0; r < runs; r += 2) {
      const lo = runStarts[r]!;
      const mid = r + 1 < runs ? runStarts[r + 1]! : n;
      const hi = r + 2 < runs ? runStarts[r + 2]! : n;
      runStartsNext[merged++] = lo;
      let i = lo;
      let j = mid;
      let k = lo;
      while (i < mid && j < hi) dst[k++] = keys[src[i]!]! <= keys[src[j]!]! ? src[i++]! : src[j++]!;
      while (i < mid) dst[k++] = src[i++]!;
      while (j < hi) dst[k++] = src[j++]!;
    }
    [runStarts, runStartsNext] = [runStartsNext, runStarts];
    runs = merged;
    [src, dst] = [dst, src];
  }
  return src;
}

function grow(a: Int32Array): Int32Array {
  const b = new Int32Array(a.length * 2);
  b.set(a);
  return b;
}

let voutKeys = new Float64Array(1024);

/** Indices 0..n-1 of `vouts` in the order of their VARINT bytes (a scratch array, as orderByKeys). */
export function orderByVoutKeys(vouts: ArrayLike<number>, n: number): Int32Array {
  if (voutKeys.length < n) voutKeys = new Float64Array(n * 2);
  for (let i = 0; i < n; i++) voutKeys[i] = voutKey(vouts[i]!);
  return orderByKeys(voutKeys, n);
}
