/**
 * Core's output-descriptor checksum (script/descriptor.cpp DescriptorChecksum / CheckChecksum): a BCH code
 * over the descriptor's characters, eight characters from the bech32 alphabet after a '#'.
 */

const INPUT_CHARSET = "0123456789()[],'/*abcdefgh@:$%{}IJKLMNOPQRSTUVWXYZ&+-.;<=>?!^_|~ijklmnopqrstuvwxyzABCDEFGH`#\"\\ ";
const CHECKSUM_CHARSET = 'qpzry9x8gf2tvdw0s3jn54khce6mua7l';
const GENERATOR = [0xf5dee51989, 0xa9fdca3312, 0x1bab10e32d, 0x3706b1677a, 0x644d626ffd];
// The 40-bit checksum state is kept as two 20-bit halves: JavaScript's bit operators work on 32 bits.
const GEN_HI = GENERATOR.map((g) => Math.floor(g / 2 ** 20));
const GEN_LO = GENERATOR.map((g) => g % 2 ** 20);
const MASK20 = 0xfffff;

/** Core's PolyMod step on the state (hi, lo). */
function polyMod(state: [number, number], value: number): void {
  const [hi, lo] = state;
  const top = hi >>> 15;
  let nhi = ((hi & 0x7fff) << 5) | (lo >>> 15);
  let nlo = ((lo << 5) & MASK20) | value;
  for (let i = 0; i < 5; i++) {
    if ((top >>> i) & 1) {
      nhi ^= GEN_HI[i];
      nlo ^= GEN_LO[i];
    }
  }
  state[0] = nhi;
  state[1] = nlo;
}

/** The 8-character checksum of `desc`, or '' when it holds a character outside Core's input set. */
export function descriptorChecksum(desc: string): string {
  const c: [number, number] = [0, 1];
  let cls = 0;
  let clsCount = 0;
  for (const ch of desc) {
    const pos = INPUT_CHARSET.indexOf(ch);
    if (pos < 0) return '';
    // One symbol for the position inside the group of 32, one more per three characters for their groups.
    polyMod(c, pos & 31);
    cls = cls * 3 + (pos >> 5);
    if (++clsCount === 3) {
      polyMod(c, cls);
      cls = 0;
      clsCount = 0;
    }
  }
  if (clsCount > 0) polyMod(c, cls);
  for (let j = 0; j < 8; j++) polyMod(c, 0);
  c[1] ^= 1;
  const value = c[0] * 2 ** 20 + c[1];
  let out = '';
  for (let j = 0; j < 8; j++) out += CHECKSUM_CHARSET[Math.floor(value / 2 ** (5 * (7 - j))) & 31];
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
