/** Core's ParseScript (core_io.cpp) for the vectors' script notation, and the test harness's flag helpers. */
import { concatBytes, fromHex } from '../../src/primitives/bytes.js';
import { pushData, pushNumber } from '../../src/primitives/script.js';
import { opName } from '../../src/rpc/core-write.js';

/** Core's mapOpNames: every GetOpName up to OP_CHECKSIGADD, also without its OP_ prefix. */
const OP_BY_NAME = new Map<string, number>();
for (let op = 0; op <= 0xba; op++) {
  const name = opName(op);
  if (name === 'OP_UNKNOWN') continue;
  OP_BY_NAME.set(name, op);
  if (name.startsWith('OP_')) OP_BY_NAME.set(name.slice(3), op);
}

export function parseScript(s: string): Uint8Array {
  const parts: Uint8Array[] = [];
  for (const w of s.split(/[ \t\n]+/)) {
    if (w === '') continue;
    if (/^-?[0-9]+$/.test(w)) {
      const n = BigInt(w);
      if (n > 0xffffffffn || n < -0xffffffffn) throw new Error(`number out of range: ${w}`);
      parts.push(pushNumber(n));
    } else if (w.startsWith('0x') && w.length > 2 && /^([0-9a-fA-F]{2})+$/.test(w.slice(2))) {
      parts.push(fromHex(w.slice(2)));
    } else if (w.length >= 2 && w.startsWith("'") && w.endsWith("'")) {
      parts.push(pushData(new TextEncoder().encode(w.slice(1, -1))));
    } else if (OP_BY_NAME.has(w)) {
      parts.push(Uint8Array.of(OP_BY_NAME.get(w)!));
    } else {
      throw new Error(`script parse error: '${w}'`);
    }
  }
  return concatBytes(...parts);
}

/** A deterministic generator for the vectors' "random flags" loops (Core uses its test RNG). */
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
