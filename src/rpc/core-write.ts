/**
 * Transactions and scripts as JSON, as Core's core_write.cpp writes them: ScriptToAsmStr (with sighash
 * decoding of signatures in scriptSigs), ScriptToUniv (asm, desc, hex, address, type) and TxToUniv.
 */
import type { ChainParams } from '../consensus/params.js';
import type { Coin } from '../coins/coin.js';
import { toHex } from '../primitives/bytes.js';
import { hashToHex } from '../primitives/hash.js';
import { isCoinbase, serializeTransaction, txid, wtxid, type Transaction } from '../primitives/transaction.js';
import { encodeAddress } from '../script/address.js';
import { inferDescriptor } from '../script/infer-descriptor.js';
import { isUnspendable, OP_1, OP_16, OP_PUSHDATA4 } from '../primitives/script.js';
import { getScriptOp, hasAddress, scriptNumValue, solve } from '../script/solver.js';
import { valueFromAmount } from './util.js';
import { isValidSignatureEncoding } from '../script/sig-encoding.js';

type Net = Pick<ChainParams, 'name' | 'bech32Hrp'>;

const OP_NAMES: Record<number, string> = {};
(() => {
  const names: [number, string][] = [
    [0x4c, 'OP_PUSHDATA1'], [0x4d, 'OP_PUSHDATA2'], [0x4e, 'OP_PUSHDATA4'], [0x4f, '-1'], [0x50, 'OP_RESERVED'],
    [0x61, 'OP_NOP'], [0x62, 'OP_VER'], [0x63, 'OP_IF'], [0x64, 'OP_NOTIF'], [0x65, 'OP_VERIF'], [0x66, 'OP_VERNOTIF'],
    [0x67, 'OP_ELSE'], [0x68, 'OP_ENDIF'], [0x69, 'OP_VERIFY'], [0x6a, 'OP_RETURN'],
    [0x6b, 'OP_TOALTSTACK'], [0x6c, 'OP_FROMALTSTACK'], [0x6d, 'OP_2DROP'], [0x6e, 'OP_2DUP'], [0x6f, 'OP_3DUP'],
    [0x70, 'OP_2OVER'], [0x71, 'OP_2ROT'], [0x72, 'OP_2SWAP'], [0x73, 'OP_IFDUP'], [0x74, 'OP_DEPTH'], [0x75, 'OP_DROP'],
    [0x76, 'OP_DUP'], [0x77, 'OP_NIP'], [0x78, 'OP_OVER'], [0x79, 'OP_PICK'], [0x7a, 'OP_ROLL'], [0x7b, 'OP_ROT'],
    [0x7c, 'OP_SWAP'], [0x7d, 'OP_TUCK'], [0x7e, 'OP_CAT'], [0x7f, 'OP_SUBSTR'], [0x80, 'OP_LEFT'], [0x81, 'OP_RIGHT'],
    [0x82, 'OP_SIZE'], [0x83, 'OP_INVERT'], [0x84, 'OP_AND'], [0x85, 'OP_OR'], [0x86, 'OP_XOR'], [0x87, 'OP_EQUAL'],
    [0x88, 'OP_EQUALVERIFY'], [0x89, 'OP_RESERVED1'], [0x8a, 'OP_RESERVED2'], [0x8b, 'OP_1ADD'], [0x8c, 'OP_1SUB'],
    [0x8d, 'OP_2MUL'], [0x8e, 'OP_2DIV'], [0x8f, 'OP_NEGATE'], [0x90, 'OP_ABS'], [0x91, 'OP_NOT'], [0x92, 'OP_0NOTEQUAL'],
    [0x93, 'OP_ADD'], [0x94, 'OP_SUB'], [0x95, 'OP_MUL'], [0x96, 'OP_DIV'], [0x97, 'OP_MOD'], [0x98, 'OP_LSHIFT'],
    [0x99, 'OP_RSHIFT'], [0x9a, 'OP_BOOLAND'], [0x9b, 'OP_BOOLOR'], [0x9c, 'OP_NUMEQUAL'], [0x9d, 'OP_NUMEQUALVERIFY'],
    [0x9e, 'OP_NUMNOTEQUAL'], [0x9f, 'OP_LESSTHAN'], [0xa0, 'OP_GREATERTHAN'], [0xa1, 'OP_LESSTHANOREQUAL'],
    [0xa2, 'OP_GREATERTHANOREQUAL'], [0xa3, 'OP_MIN'], [0xa4, 'OP_MAX'], [0xa5, 'OP_WITHIN'], [0xa6, 'OP_RIPEMD160'],
    [0xa7, 'OP_SHA1'], [0xa8, 'OP_SHA256'], [0xa9, 'OP_HASH160'], [0xaa, 'OP_HASH256'], [0xab, 'OP_CODESEPARATOR'],
    [0xac, 'OP_CHECKSIG'], [0xad, 'OP_CHECKSIGVERIFY'], [0xae, 'OP_CHECKMULTISIG'], [0xaf, 'OP_CHECKMULTISIGVERIFY'],
    [0xb0, 'OP_NOP1'], [0xb1, 'OP_CHECKLOCKTIMEVERIFY'], [0xb2, 'OP_CHECKSEQUENCEVERIFY'], [0xb3, 'OP_NOP4'],
    [0xb4, 'OP_NOP5'], [0xb5, 'OP_NOP6'], [0xb6, 'OP_NOP7'], [0xb7, 'OP_NOP8'], [0xb8, 'OP_NOP9'], [0xb9, 'OP_NOP10'],
    [0xba, 'OP_CHECKSIGADD'], [0xff, 'OP_INVALIDOPCODE'],
  ];
  for (const [op, name] of names) OP_NAMES[op] = name;
  for (let op = OP_1; op <= OP_16; op++) OP_NAMES[op] = String(op - OP_1 + 1);
})();

/** Core's GetOpName. */
export function opName(opcode: number): string {
  if (opcode === 0) return '0';
  return OP_NAMES[opcode] ?? 'OP_UNKNOWN';
}

const SIGHASH_NAMES: Record<number, string> = {
  0x01: 'ALL',
  0x81: 'ALL|ANYONECANPAY',
  0x02: 'NONE',
  0x82: 'NONE|ANYONECANPAY',
  0x03: 'SINGLE',
  0x83: 'SINGLE|ANYONECANPAY',
};

/** CheckSignatureEncoding under SCRIPT_VERIFY_STRICTENC: valid DER and a defined hash type. */
function looksLikeSignature(sig: Uint8Array): boolean {
  if (!isValidSignatureEncoding(sig)) return false;
  const type = sig[sig.length - 1] & ~0x80;
  return type >= 1 && type <= 3;
}

/**
 * Core's ScriptToAsmStr. Pushes of up to 4 bytes print as numbers; with `attemptSighashDecode` (scriptSigs),
 * a push that is a strictly encoded signature prints its hash type as [ALL] etc.
 */
export function scriptToAsmStr(script: Uint8Array, attemptSighashDecode = false): string {
  const parts: string[] = [];
  let pc = 0;
  while (pc < script.length) {
    const op = getScriptOp(script, pc);
    if (!op) {
      parts.push('[error]');
      break;
    }
    pc = op.end;
    if (op.opcode > OP_PUSHDATA4) {
      parts.push(opName(op.opcode));
      continue;
    }
    let data = op.data;
    if (data.length <= 4) {
      parts.push(String(scriptNumValue(data)));
      continue;
    }
    let suffix = '';
    // The unspendable check keeps OP_RETURN data that happens to look like a signature as plain hex.
    if (attemptSighashDecode && !isUnspendable(script) && looksLikeSignature(data)) {
      const name = SIGHASH_NAMES[data[data.length - 1]];
      if (name) {
        suffix = `[${name}]`;
        data = data.subarray(0, data.length - 1);
      }
    }
    parts.push(toHex(data) + suffix);
  }
  return parts.join(' ');
}

export interface ScriptJson {
  asm: string;
  desc?: string;
  hex?: string;
  address?: string;
  type: string;
}

/** Core's ScriptToUniv: asm, desc (with include_address), hex, address (when one exists, never for P2PK), type. */
export function scriptToUniv(script: Uint8Array, params: Net, includeHex = true, includeAddress = true): ScriptJson {
  const out: Partial<ScriptJson> = { asm: scriptToAsmStr(script) };
  if (includeAddress) out.desc = inferDescriptor(script, params);
  if (includeHex) out.hex = toHex(script);
  const { type } = solve(script);
  if (includeAddress && hasAddress(type)) {
    const address = encodeAddress(script, params);
    if (address !== undefined) out.address = address;
  }
  out.type = type;
  return out as ScriptJson;
}

export type TxVerbosity = 'details' | 'details-and-prevout';

export interface TxToUnivOptions {
  /** Display hex of the block; omitted from the output when not given (Core's null hash). */
  blockHash?: string;
  includeHex?: boolean;
  /** The coins the inputs spent (undo data), in input order: adds the fee, and with verbosity 3 each prevout. */
  spent?: readonly Coin[];
  verbosity?: TxVerbosity;
}

/** BIP141 weight: the size without witness × 3 plus the full size. */
export function transactionWeight(tx: Transaction): number {
  return serializeTransaction(tx, false).length * 3 + serializeTransaction(tx, true).length;
}

/** Core's TxToUniv. */
export function txToUniv(tx: Transaction, params: Net, opts: TxToUnivOptions = {}): Record<string, unknown> {
  const full = serializeTransaction(tx, true);
  const weight = transactionWeight(tx);
  const entry: Record<string, unknown> = {
    txid: hashToHex(txid(tx)),
    hash: hashToHex(wtxid(tx)),
    version: tx.version,
    size: full.length,
    vsize: Math.floor((weight + 3) / 4),
    weight,
    locktime: tx.lockTime >>> 0,
  };
  const spent = opts.spent;
  const coinbase = isCoinbase(tx);
  let totalIn = 0n;
  let totalOut = 0n;
  entry.vin = tx.inputs.map((input, i) => {
    const o: Record<string, unknown> = {};
    if (coinbase) o.coinbase = toHex(input.scriptSig);
    else {
      o.txid = hashToHex(input.prevout.txid);
      o.vout = input.prevout.vout >>> 0;
      o.scriptSig = { asm: scriptToAsmStr(input.scriptSig, true), hex: toHex(input.scriptSig) };
    }
    if (input.witness.length > 0) o.txinwitness = input.witness.map(toHex);
    if (spent) {
      const coin = spent[i];
      totalIn += BigInt(coin.value);
      if (opts.verbosity === 'details-and-prevout') {
        o.prevout = {
          generated: coin.coinbase,
          height: coin.height,
          value: valueFromAmount(coin.value),
          scriptPubKey: scriptToUniv(coin.script, params),
        };
      }
    }
    o.sequence = input.sequence >>> 0;
    return o;
  });
  entry.vout = tx.outputs.map((output, n) => {
    if (spent) totalOut += BigInt(output.value);
    return { value: valueFromAmount(output.value), n, scriptPubKey: scriptToUniv(output.script, params) };
  });
  if (spent) entry.fee = valueFromAmount(totalIn - totalOut);
  if (opts.blockHash !== undefined) entry.blockhash = opts.blockHash;
  if (opts.includeHex) entry.hex = toHex(full);
  return entry;
}
