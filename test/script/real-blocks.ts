/**
 * Real blocks with the coins their inputs spend (../shared/vectors/{mainnet,testnet3}), prepared for script
 * checks: each non-coinbase transaction with its precomputed data, and the block's consensus script flags as
 * Core's GetBlockScriptFlags sets them for its height (P2SH, WITNESS and TAPROOT always; the others from
 * their activation heights).
 */
import { readFileSync } from 'node:fs';
import { getChainParams, type NetworkName } from '../../src/consensus/params.js';
import { ByteReader, fromHex } from '../../src/primitives/bytes.js';
import { parseBlock } from '../../src/primitives/block.js';
import type { Transaction, TxOut } from '../../src/primitives/transaction.js';
import {
  SCRIPT_VERIFY_CHECKLOCKTIMEVERIFY,
  SCRIPT_VERIFY_CHECKSEQUENCEVERIFY,
  SCRIPT_VERIFY_DERSIG,
  SCRIPT_VERIFY_NULLDUMMY,
  SCRIPT_VERIFY_P2SH,
  SCRIPT_VERIFY_TAPROOT,
  SCRIPT_VERIFY_WITNESS,
} from '../../src/script/script-flags.js';
import { precomputeTxData, type PrecomputedTxData } from '../../src/script/tx-checker.js';
import { vector } from '../helpers.js';

export interface RealBlock {
  name: string;
  height: number;
  flags: number;
  txs: PrecomputedTxData[];
  inputs: number;
}

export const REAL_BLOCKS: ReadonlyArray<{ network: NetworkName; dir: string; height: number; spent: 'json' | 'raw' }> = [
  { network: 'main', dir: 'mainnet', height: 866342, spent: 'json' },
  { network: 'main', dir: 'mainnet', height: 367891, spent: 'json' },
  { network: 'main', dir: 'mainnet', height: 300025, spent: 'raw' },
  { network: 'testnet3', dir: 'testnet3', height: 928828, spent: 'raw' },
  { network: 'testnet3', dir: 'testnet3', height: 1087400, spent: 'raw' },
];

function blockFlags(network: NetworkName, height: number): number {
  const p = getChainParams(network);
  let flags = SCRIPT_VERIFY_P2SH | SCRIPT_VERIFY_WITNESS | SCRIPT_VERIFY_TAPROOT;
  if (height >= p.bip66Height) flags |= SCRIPT_VERIFY_DERSIG;
  if (height >= p.bip65Height) flags |= SCRIPT_VERIFY_CHECKLOCKTIMEVERIFY;
  if (height >= p.csvHeight) flags |= SCRIPT_VERIFY_CHECKSEQUENCEVERIFY;
  if (height >= p.segwitHeight) flags |= SCRIPT_VERIFY_NULLDUMMY;
  return flags;
}

function readSpent(file: string, kind: 'json' | 'raw'): TxOut[] {
  if (kind === 'json') {
    const rows = JSON.parse(readFileSync(file, 'utf8')) as Array<{ txout: { value: number; script_pubkey: string } }>;
    return rows.map((r) => ({ value: r.txout.value, script: fromHex(r.txout.script_pubkey) }));
  }
  const r = new ByteReader(new Uint8Array(readFileSync(file)));
  const out: TxOut[] = [];
  while (!r.eof) {
    const value = r.readI64LE();
    out.push({ value, script: r.readBytes(r.readCompactSize()) });
  }
  return out;
}

export function loadRealBlock(entry: (typeof REAL_BLOCKS)[number]): RealBlock {
  const base = vector(entry.dir, `block-${entry.height}`);
  const block = parseBlock(new Uint8Array(readFileSync(`${base}.raw`)));
  const spent = readSpent(`${base}-spent.${entry.spent}`, entry.spent);
  const txs: PrecomputedTxData[] = [];
  let at = 0;
  for (const tx of block.txs.slice(1)) {
    txs.push(precomputeTxData(tx, spent.slice(at, at + tx.inputs.length)));
    at += tx.inputs.length;
  }
  if (at !== spent.length) throw new Error(`${base}: ${spent.length} spent outputs for ${at} inputs`);
  return { name: `${entry.dir} ${entry.height}`, height: entry.height, flags: blockFlags(entry.network, entry.height), txs, inputs: at };
}

/** The same transaction with one input's fields replaced (inputs are shared otherwise). */
export function withInput(tx: Transaction, index: number, change: Partial<Transaction['inputs'][number]>): Transaction {
  return { ...tx, inputs: tx.inputs.map((i, n) => (n === index ? { ...i, ...change } : i)) };
}
