/**
 * Core's output-descriptor checksum (script/descriptor.cpp DescriptorChecksum / CheckChecksum): a BCH code
 * over the descriptor's characters, eight characters from the bech32 alphabet after a '#'.
 */

const INPUT_CHARSET = "0123456789()[],'/*abcdefgh@:$%{}IJKLMNOPQRSTUVWXYZ&+-.;<=>?!^_|~ijklmnopqrstuvwxyzABCDEFGH`#\"\\ ";
const CHECKSUM_CHARSET = 'qpzry9x8gf2tvdw0s3jn54khce6mua7l';
const GENERATOR = [0xf5dee51989n, 0xa9fdca3312n, 0x1bab10e32dn, 0x3706b1677an, 0x644d626ffdn];

function polyMod(c: bigint, value: number): bigint {
  const top = c >> 35n;
  c = ((c & 0x7ffffffffn) << 5n) ^ BigInt(value);
  for (let i = 0; i < 5; i++) if ((top >> BigInt(i)) & 1n) c ^= GENERATOR[i];
  return c;
}

/** The 8-character checksum of `desc`, or '' when it holds a character outside Core's input set. */
export function descriptorChecksum(desc: string): string {
  let c = 1n;
  let cls = 0;
  let clsCount = 0;
  for (const ch of desc) {
    const pos = INPUT_CHARSET.indexOf(ch);
    if (pos < 0) return '';
    // One symbol for the position inside the group of 32, one more per three characters for their groups.
    c = polyMod(c, pos & 31);
    cls = cls * 3 + (pos >> 5);
    if (++clsCount === 3) {
      c = polyMod(c, cls);
      cls = 0;
      clsCount = 0;
    }
  }
  if (clsCount > 0) c = polyMod(c, cls);
  for (let j = 0; j < 8; j++) c = polyMod(c, 0);
  c ^= 1n;
  let out = '';
  for (let j = 0; j < 8; j++) out += CHECKSUM_CHARSET[Number((c >> BigInt(5 * (7 - j))) & 31n)];
  return out;
}

/** Core's AddChecksum: `desc#checksum`. */
export function addChecksum(desc: string): string {
  return `${desc}#${descriptorChecksum(desc)}`;
}

/**
 * Core's CheckChecksum: splits off and verifies a checksum. Returns the descriptor without it, or Core's
 * error text ("Missing checksum", "Multiple '#' symbols", …) in `error`.
 */
export function checkChecksum(desc: string, requireChecksum: boolean): { payload: string; checksum?: string } | { error: string } {
  const parts = desc.split('#');
  if (parts.length > 2) return { error: "Multiple '#' symbols" };
  if (parts.length === 1 && requireChecksum) return { error: 'Missing checksum' };
  if (parts.length === 2 && parts[1].length !== 8) return { error: `Expected 8 character checksum, not ${parts[1].length} characters` };
  const computed = descriptorChecksum(parts[0]);
  if (computed === '') return { error: 'Invalid characters in payload' };
  if (parts.length === 2 && parts[1] !== computed) {
    return { error: `Provided checksum '${parts[1]}' does not match computed checksum '${computed}'` };
  }
  return { payload: parts[0], checksum: computed };
}
