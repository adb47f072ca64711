/**
 * Output descriptors as far as Core's mining RPCs and functional tests use them (script/descriptor.cpp):
 * the descriptor checksum (DescriptorChecksum, CheckChecksum and their errors), and parsing and expanding
 * pk(), pkh(), wpkh(), combo(), multi()/sortedmulti(), sh(), wsh(), addr(), raw(), tr(KEY) and rawtr(),
 * with Core's messages. Not supported: miniscript, musig(), and tr() script trees (refused with a message).
 */
import type { ChainParams } from '../consensus/params.js';
import { compareBytes, concatBytes, fromHex } from '../primitives/bytes.js';
import { hash160, sha256 } from '../primitives/hash.js';
import { OP_CHECKMULTISIG, p2pk, p2pkh, p2sh, p2tr, p2wpkh, p2wsh, pushData, pushNumber } from '../primitives/script.js';
import { decodeAddress } from './address.js';
import { checkChecksum as checksumResult } from './descriptor-checksum.js';
import { DescriptorError, isCompressed, keyAt, parsePubkey, xOnlyKeyAt, type KeyContext, type KeyExpression } from './descriptor-keys.js';
import { tweakPublicKey } from './sign.js';

export { DescriptorError } from './descriptor-keys.js';
export { addChecksum, descriptorChecksum } from './descriptor-checksum.js';

/** Core's MAX_PUBKEYS_PER_MULTISIG and MAX_SCRIPT_ELEMENT_SIZE. */
const MAX_PUBKEYS_PER_MULTISIG = 20;
const MAX_SCRIPT_ELEMENT_SIZE = 520;

/** Core's CheckChecksum: returns the descriptor without its checksum; throws Core's errors. */
export function checkChecksum(descriptor: string, requireChecksum: boolean): string {
  const checked = checksumResult(descriptor, requireChecksum);
  if ('error' in checked) throw new DescriptorError(checked.error);
  return checked.payload;
}

export type OutputDescriptor =
  | { type: 'pk' | 'pkh' | 'wpkh' | 'combo' | 'tr' | 'rawtr'; key: KeyExpression }
  | { type: 'multi'; threshold: number; keys: KeyExpression[]; sorted: boolean }
  | { type: 'sh' | 'wsh'; sub: OutputDescriptor }
  | { type: 'addr' | 'raw'; script: Uint8Array };

/** A string being consumed, as Core's std::span<const char> in its parsing helpers. */
interface Cursor {
  rest: string;
}

/** Core's script::Expr: up to the first ',' or ')' outside brackets. */
function expr(cur: Cursor): string {
  let level = 0;
  let i = 0;
  for (; i < cur.rest.length; i++) {
    const c = cur.rest[i];
    if (c === '(' || c === '{') level++;
    else if (level && (c === ')' || c === '}')) level--;
    else if (level === 0 && (c === ')' || c === '}' || c === ',')) break;
  }
  const out = cur.rest.slice(0, i);
  cur.rest = cur.rest.slice(i);
  return out;
}

/** Core's script::Func: `name(...)`; on a match the cursor holds what is inside the parentheses. */
function func(name: string, cur: Cursor): boolean {
  const s = cur.rest;
  if (s.length >= name.length + 2 && s[name.length] === '(' && s.endsWith(')') && s.startsWith(name)) {
    cur.rest = s.slice(name.length + 1, -1);
    return true;
  }
  return false;
}

function keys(str: string, ctx: KeyContext, params: ChainParams, fn: string): KeyExpression[] {
  try {
    return parsePubkey(str, ctx, params);
  } catch (e) {
    if (e instanceof DescriptorError) throw new DescriptorError(`${fn}: ${e.message}`);
    throw e;
  }
}

/** Core's ParseScript for the supported functions; one descriptor per multipath branch. */
function parseScript(cur: Cursor, ctx: 'top' | 'p2sh' | 'p2wsh', params: ChainParams): OutputDescriptor[] {
  const e: Cursor = { rest: expr(cur) };
  const single = (type: 'pk' | 'pkh' | 'combo' | 'wpkh' | 'tr' | 'rawtr', keyCtx: KeyContext) =>
    keys(e.rest, keyCtx, params, `${type}()`).map((key) => ({ type, key }));
  if (func('pk', e)) return single('pk', ctx);
  if (func('pkh', e)) return single('pkh', ctx);
  if (func('combo', e)) {
    if (ctx !== 'top') throw new DescriptorError('Can only have combo() at top level');
    return single('combo', ctx);
  }
  const multi = func('multi', e);
  const sorted = !multi && func('sortedmulti', e);
  if (multi || sorted) return parseMulti(e, ctx, sorted, params);
  if (func('multi_a', e) || func('sortedmulti_a', e)) throw new DescriptorError('Can only have multi_a/sortedmulti_a inside tr()');
  if (func('wpkh', e)) {
    if (ctx === 'p2wsh') throw new DescriptorError('Can only have wpkh() at top level or inside sh()');
    return single('wpkh', 'p2wpkh');
  }
  if (func('sh', e)) {
    if (ctx !== 'top') throw new DescriptorError('Can only have sh() at top level');
    return nested('sh', e, 'p2sh', params);
  }
  if (func('wsh', e)) {
    if (ctx === 'p2wsh') throw new DescriptorError('Can only have wsh() at top level or inside sh()');
    return nested('wsh', e, 'p2wsh', params);
  }
  if (func('addr', e)) {
    if (ctx !== 'top') throw new DescriptorError('Can only have addr() at top level');
    const script = decodeAddress(e.rest, params);
    if (!script) throw new DescriptorError('Address is not valid');
    return [{ type: 'addr', script }];
  }
  if (func('tr', e)) {
    if (ctx !== 'top') throw new DescriptorError('Can only have tr at top level');
    const internal = keys(expr(e), 'p2tr', params, 'tr()');
    if (e.rest.length) {
      if (!e.rest.startsWith(',')) throw new DescriptorError(`tr: expected ',', got '${e.rest[0]}'`);
      throw new DescriptorError('tr(): script trees are not supported by this node');
    }
    return internal.map((key) => ({ type: 'tr', key }));
  }
  if (func('rawtr', e)) {
    if (ctx !== 'top') throw new DescriptorError('Can only have rawtr at top level');
    const arg = expr(e);
    if (e.rest.length) throw new DescriptorError('rawtr(): only one key expected.');
    return keys(arg, 'p2tr', params, 'rawtr()').map((key) => ({ type: 'rawtr', key }));
  }
  if (func('raw', e)) {
    if (ctx !== 'top') throw new DescriptorError('Can only have raw() at top level');
    if (!/^([0-9a-fA-F]{2})+$/.test(e.rest)) throw new DescriptorError('Raw script is not hex');
    return [{ type: 'raw', script: fromHex(e.rest) }];
  }
  // Core tries miniscript here; it is not supported, so only Core's non-miniscript answers remain.
  if (ctx === 'p2sh') throw new DescriptorError('A function is needed within P2SH');
  if (ctx === 'p2wsh') throw new DescriptorError('A function is needed within P2WSH');
  throw new DescriptorError(`'${e.rest}' is not a valid descriptor function`);
}

function nested(type: 'sh' | 'wsh', e: Cursor, ctx: 'p2sh' | 'p2wsh', params: ChainParams): OutputDescriptor[] {
  const subs = parseScript(e, ctx, params);
  // Core returns no descriptor, and no new message, when something follows the inner expression.
  if (e.rest.length) throw new DescriptorError('');
  return subs.map((sub) => ({ type, sub }));
}

function parseMulti(e: Cursor, ctx: 'top' | 'p2sh' | 'p2wsh', sorted: boolean, params: ChainParams): OutputDescriptor[] {
  const thresholdStr = expr(e);
  if (!/^[0-9]+$/.test(thresholdStr) || Number(thresholdStr) > 0xffffffff) {
    throw new DescriptorError(`Multi threshold '${thresholdStr}' is not valid`);
  }
  const threshold = Number(thresholdStr);
  const providers: KeyExpression[][] = [];
  let scriptSize = 0;
  while (e.rest.length) {
    if (!e.rest.startsWith(',')) throw new DescriptorError(`Multi: expected ',', got '${e.rest[0]}'`);
    e.rest = e.rest.slice(1);
    const pks = keys(expr(e), ctx, params, 'Multi');
    const first = pks[0];
    scriptSize += (first.kind === 'const' ? first.pubkey.length : 33) + 1;
    providers.push(pks);
  }
  const n = providers.length;
  if (n === 0 || n > MAX_PUBKEYS_PER_MULTISIG) {
    throw new DescriptorError(`Cannot have ${n} keys in multisig; must have between 1 and ${MAX_PUBKEYS_PER_MULTISIG} keys, inclusive`);
  }
  if (threshold < 1) throw new DescriptorError(`Multisig threshold cannot be ${threshold}, must be at least 1`);
  if (threshold > n) {
    throw new DescriptorError(`Multisig threshold cannot be larger than the number of keys; threshold is ${threshold} but only ${n} keys specified`);
  }
  if (ctx === 'top' && n > 3) throw new DescriptorError(`Cannot have ${n} pubkeys in bare multisig; only at most 3 pubkeys`);
  if (ctx === 'p2sh' && scriptSize + 3 > MAX_SCRIPT_ELEMENT_SIZE) {
    throw new DescriptorError(`P2SH script is too large, ${scriptSize + 3} bytes is larger than ${MAX_SCRIPT_ELEMENT_SIZE} bytes`);
  }
  const branches = Math.max(...providers.map((p) => p.length));
  for (const p of providers) {
    if (p.length !== 1 && p.length !== branches) throw new DescriptorError('multi(): Multipath derivation paths have mismatched lengths');
  }
  return Array.from({ length: branches }, (_, i) => ({
    type: 'multi' as const,
    threshold,
    sorted,
    keys: providers.map((p) => p[p.length === 1 ? 0 : i]),
  }));
}

/** Core's Parse: the checksum, then one descriptor (or one per multipath branch). Throws DescriptorError. */
export function parseDescriptor(descriptor: string, params: ChainParams, requireChecksum = false): OutputDescriptor[] {
  const cur: Cursor = { rest: checkChecksum(descriptor, requireChecksum) };
  const descs = parseScript(cur, 'top', params);
  if (cur.rest.length) throw new DescriptorError('');
  return descs;
}

function descriptorKeys(d: OutputDescriptor): KeyExpression[] {
  if ('key' in d) return [d.key];
  if (d.type === 'multi') return d.keys;
  if (d.type === 'sh' || d.type === 'wsh') return descriptorKeys(d.sub);
  return [];
}

/** Core's Descriptor::IsRange: some key derives at a position (`*`). */
export function isRangeDescriptor(d: OutputDescriptor): boolean {
  return descriptorKeys(d).some((k) => k.kind === 'bip32' && k.derive !== 'no');
}

function multisigScript(threshold: number, pubkeys: Uint8Array[]): Uint8Array {
  return concatBytes(pushNumber(threshold), ...pubkeys.map(pushData), pushNumber(pubkeys.length), Uint8Array.of(OP_CHECKMULTISIG));
}

/**
 * Core's Descriptor::Expand at position `pos`: the output scripts (combo() gives 2 or 4), or undefined when
 * a key needs a private key the descriptor does not carry (hardened derivation from an xpub).
 */
export function expandDescriptor(d: OutputDescriptor, pos = 0): Uint8Array[] | undefined {
  switch (d.type) {
    case 'addr':
    case 'raw':
      return [d.script];
    case 'tr':
    case 'rawtr': {
      const x = xOnlyKeyAt(d.key, pos);
      if (!x) return undefined;
      return [p2tr(d.type === 'tr' ? tweakPublicKey(x) : x)];
    }
    case 'multi': {
      const pubkeys = d.keys.map((k) => keyAt(k, pos));
      if (pubkeys.some((k) => !k)) return undefined;
      const list = pubkeys as Uint8Array[];
      if (d.sorted) list.sort(compareBytes);
      return [multisigScript(d.threshold, list)];
    }
    case 'sh':
    case 'wsh': {
      const inner = expandDescriptor(d.sub, pos);
      if (!inner) return undefined;
      return [d.type === 'sh' ? p2sh(hash160(inner[0])) : p2wsh(sha256(inner[0]))];
    }
    default: {
      const key = keyAt(d.key, pos);
      if (!key) return undefined;
      const id = hash160(key);
      if (d.type === 'pk') return [p2pk(key)];
      if (d.type === 'pkh') return [p2pkh(id)];
      if (d.type === 'wpkh') return [p2wpkh(id)];
      const combo = [p2pk(key), p2pkh(id)];
      if (isCompressed(key)) combo.push(p2wpkh(id), p2sh(hash160(p2wpkh(id))));
      return combo;
    }
  }
}
