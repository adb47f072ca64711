/** Core's CScriptNum: the script's little-endian sign-magnitude numbers, bounded to 4 (or 5) bytes when read. */
import { ScriptError } from './script-error.js';

/** Core's scriptnum_error, which EvalScript turns into SCRIPT_ERR_SCRIPTNUM. */
export class ScriptNumError extends Error {
  readonly scriptError = ScriptError.SCRIPTNUM;
}

/** CScriptNum(vch, fRequireMinimal, nMaxNumSize). Values fit a double exactly (at most 5 bytes). */
export function decodeScriptNum(v: Uint8Array, requireMinimal: boolean, maxSize = 4): number {
  const n = v.length;
  if (n > maxSize) throw new ScriptNumError('script number overflow');
  if (requireMinimal && n > 0 && (v[n - 1] & 0x7f) === 0 && (n <= 1 || (v[n - 2] & 0x80) === 0)) {
    throw new ScriptNumError('non-minimally encoded script number');
  }
  if (n === 0) return 0;
  let result = 0;
  for (let i = 0; i < n; i++) result += v[i] * 2 ** (8 * i);
  if (v[n - 1] & 0x80) return -(result - 0x80 * 2 ** (8 * (n - 1)));
  return result;
}

/** CScriptNum::serialize: minimal encoding (0 → empty). Exact for |n| < 2^53. */
export function encodeScriptNum(n: number): Uint8Array {
  if (n === 0) return new Uint8Array(0);
  const negative = n < 0;
  let abs = Math.abs(n);
  const out: number[] = [];
  while (abs > 0) {
    out.push(abs % 256);
    abs = Math.floor(abs / 256);
  }
  if (out[out.length - 1] & 0x80) out.push(negative ? 0x80 : 0);
  else if (negative) out[out.length - 1] |= 0x80;
  return Uint8Array.from(out);
}

/** Core's CastToBool: any non-zero byte, except a lone sign bit at the end (negative zero). */
export function castToBool(v: Uint8Array): boolean {
  for (let i = 0; i < v.length; i++) {
    if (v[i] !== 0) return !(i === v.length - 1 && v[i] === 0x80);
  }
  return false;
}
