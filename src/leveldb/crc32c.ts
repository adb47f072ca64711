/** CRC-32C (Castagnoli), as LevelDB checksums its log records, with LevelDB's masking. */

const TABLE = (() => {
  const t = new Int32Array(256);
  for (let i = 0; i < 256; i++) {
    let c = i;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0x82f63b78 : c >>> 1;
    t[i] = c;
  }
  return t;
})();

/** Extends `crc` (0 to start) over buf[from, to). */
export function crc32c(buf: Uint8Array, from: number, to: number, crc = 0): number {
  let c = ~crc;
  for (let i = from; i < to; i++) c = TABLE[(c ^ buf[i]!) & 0xff]! ^ (c >>> 8);
  return ~c >>> 0;
}

/**
 * LevelDB stores masked CRCs, because computing the CRC of a string that contains embedded CRCs is
 * problematic; this undoes the mask.
 */
export function unmaskCrc(masked: number): number {
  const rot = (masked - 0xa282ead8) >>> 0;
  return ((rot >>> 17) | (rot << 15)) >>> 0;
}
