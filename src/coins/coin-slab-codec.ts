/**
 * The in-memory form of a coin in the off-heap cache (coin-slab-table.ts): a private, compact encoding
 * that never leaves the process, so it is not Core's. LEB128(height·2 + coinbase), one kind byte, the
 * amount, then the script: the common templates as their hash or key only, anything else raw. Unlike
 * Core's compressor, P2PK with an uncompressed key is kept whole, so decoding never needs curve maths.
 */
import { compressAmount, decompressAmount } from './compressor.js';
import type { Coin } from './coin.js';

const RAW = 0;
const P2PKH = 1;
const P2SH = 2;
const P2WPKH = 3;
const P2WSH = 4;
const P2TR = 5;
const P2PK33 = 6;
const P2PK65 = 7;
/** Kind bit: the amount is a float64 (outside the range compressAmount keeps a number for). */
const RAW_AMOUNT = 0x10;

/** Payload offset in the script, payload length, and script length of each template kind (0: raw). */
const PAYLOAD_AT = [0, 3, 2, 2, 2, 2, 1, 1];
const PAYLOAD_LEN = [0, 20, 20, 20, 32, 32, 33, 65];
const SCRIPT_LEN = [0, 25, 23, 22, 34, 34, 35, 67];

/** Writes the fixed bytes of template `kind` around its payload. */
function writeTemplate(kind: number, s: Uint8Array): void {
  switch (kind) {
    case P2PKH:
      s[0] = 0x76;
      s[1] = 0xa9;
      s[2] = 0x14;
      s[23] = 0x88;
      s[24] = 0xac;
      return;
    case P2SH:
      s[0] = 0xa9;
      s[1] = 0x14;
      s[22] = 0x87;
      return;
    case P2WPKH:
      s[1] = 0x14;
      return;
    case P2WSH:
      s[1] = 0x20;
      return;
    case P2TR:
      s[0] = 0x51;
      s[1] = 0x20;
      return;
    case P2PK33:
      s[0] = 0x21;
      s[34] = 0xac;
      return;
    case P2PK65:
      s[0] = 0x41;
      s[66] = 0xac;
      return;
  }
}

function scriptKind(s: Uint8Array): number {
  const n = s.length;
  if (n === 22 && s[0] === 0x00 && s[1] === 0x14) return P2WPKH;
  if (n === 25 && s[0] === 0x76 && s[1] === 0xa9 && s[2] === 0x14 && s[23] === 0x88 && s[24] === 0xac) return P2PKH;
  if (n === 34 && s[1] === 0x20) return s[0] === 0x51 ? P2TR : s[0] === 0x00 ? P2WSH : RAW;
  if (n === 23 && s[0] === 0xa9 && s[1] === 0x14 && s[22] === 0x87) return P2SH;
  if (n === 35 && s[0] === 0x21 && s[34] === 0xac) return P2PK33;
  if (n === 67 && s[0] === 0x41 && s[66] === 0xac) return P2PK65;
  return RAW;
}

const lebLength = (v: number) => (v < 0x80 ? 1 : v < 0x4000 ? 2 : v < 0x200000 ? 3 : v < 0x10000000 ? 4 : Math.ceil(Math.log2(v + 1) / 7));

function writeLeb(out: Uint8Array, pos: number, v: number): number {
  while (v >= 0x80) {
    out[pos++] = (v % 0x80) | 0x80;
    v = Math.floor(v / 0x80);
  }
  out[pos++] = v;
  return pos;
}

/** A decoder's cursor: decodeCoin leaves the offset after the coin here. */
let cursor = 0;

function readLeb(buf: Uint8Array, pos: number): number {
  let v = 0;
  let scale = 1;
  for (;;) {
    const b = buf[pos++];
    v += (b & 0x7f) * scale;
    if (b < 0x80) break;
    scale *= 0x80;
  }
  cursor = pos;
  return v;
}

/** The amount as a LEB128 compressAmount code, or -1 when it needs the float64 form. */
function amountCode(value: number): number {
  if (!Number.isSafeInteger(value) || value < 0) return -1;
  const c = compressAmount(value);
  return typeof c === 'number' ? c : -1;
}

/** Most bytes encodeCoin can write for a script of `scriptLength` bytes. */
export const maxEncodedCoinLength = (scriptLength: number) => 5 + 1 + 8 + 4 + scriptLength;

/** Bytes encodeCoin writes for `coin`. */
export function encodedCoinLength(coin: Coin): number {
  const kind = scriptKind(coin.script);
  const code = amountCode(coin.value);
  const script = kind === RAW ? lebLength(coin.script.length) + coin.script.length : PAYLOAD_LEN[kind];
  return lebLength(coin.height * 2 + 1) + 1 + (code < 0 ? 8 : lebLength(code)) + script;
}

/** Writes `coin` at `pos` and returns the offset after it. */
export function encodeCoin(out: Uint8Array, pos: number, coin: Coin): number {
  const s = coin.script;
  const kind = scriptKind(s);
  const code = amountCode(coin.value);
  pos = writeLeb(out, pos, coin.height * 2 + (coin.coinbase ? 1 : 0));
  out[pos++] = kind | (code < 0 ? RAW_AMOUNT : 0);
  if (code < 0) {
    new DataView(out.buffer, out.byteOffset).setFloat64(pos, coin.value, true);
    pos += 8;
  } else {
    pos = writeLeb(out, pos, code);
  }
  if (kind === RAW) {
    pos = writeLeb(out, pos, s.length);
    out.set(s, pos);
    return pos + s.length;
  }
  const from = PAYLOAD_AT[kind];
  const len = PAYLOAD_LEN[kind];
  for (let i = 0; i < len; i++) out[pos + i] = s[from + i];
  return pos + len;
}

/** Decodes the coin at `pos` (a fresh Coin owning its script). */
export function decodeCoin(buf: Uint8Array, pos: number): Coin {
  const hc = readLeb(buf, pos);
  pos = cursor;
  const kindByte = buf[pos++];
  let value: number;
  if (kindByte & RAW_AMOUNT) {
    value = new DataView(buf.buffer, buf.byteOffset).getFloat64(pos, true);
    pos += 8;
  } else {
    value = decompressAmount(readLeb(buf, pos));
    pos = cursor;
  }
  const kind = kindByte & 0x0f;
  let script: Uint8Array;
  if (kind === RAW) {
    const n = readLeb(buf, pos);
    pos = cursor;
    // A copy, not a view: the slab is reused, and a Buffer's slice() would share it.
    script = new Uint8Array(n);
    script.set(buf.subarray(pos, pos + n));
    pos += n;
  } else {
    script = new Uint8Array(SCRIPT_LEN[kind]);
    writeTemplate(kind, script);
    const at = PAYLOAD_AT[kind];
    const len = PAYLOAD_LEN[kind];
    for (let i = 0; i < len; i++) script[at + i] = buf[pos + i];
  }
  const height = Math.floor(hc / 2);
  return { height, coinbase: hc % 2 === 1, value, script };
}
