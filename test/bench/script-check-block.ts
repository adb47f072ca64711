/**
 * A real mainnet block with its spent outputs, as the script-check benchmarks feed it to a check queue
 * (shared by script-checks.ts and its inline twin worker).
 */
import { existsSync, readFileSync } from 'node:fs';
import type { CheckQueue } from '../../src/chain/check-queue.js';
import { blockScriptFlags } from '../../src/chain/connect-block.js';
import { getChainParams } from '../../src/consensus/params.js';
import { blockHash, parseBlock, type Block } from '../../src/primitives/block.js';
import { fromHex } from '../../src/primitives/bytes.js';
import type { TxOut } from '../../src/primitives/transaction.js';
import { vector } from '../helpers.js';

interface SpentJson {
  txout: { value: number; script_pubkey: string };
}

export interface BenchBlock {
  height: number;
  block: Block;
  /** Spent outputs per non-coinbase transaction, input order. */
  spent: TxOut[][];
  flags: number;
}

/** Block `height` from ../shared/vectors/mainnet; undefined when the vectors are absent. */
export function loadBlock(height: number): BenchBlock | undefined {
  const raw = vector('mainnet', `block-${height}.raw`);
  const json = vector('mainnet', `block-${height}-spent.json`);
  if (!existsSync(raw) || !existsSync(json)) return undefined;
  const block = parseBlock(readFileSync(raw));
  const coins = (JSON.parse(readFileSync(json, 'utf8')) as SpentJson[]).map((c) => ({ value: c.txout.value, script: fromHex(c.txout.script_pubkey) }));
  const spent: TxOut[][] = [];
  let k = 0;
  for (const tx of block.txs.slice(1)) {
    spent.push(coins.slice(k, k + tx.inputs.length));
    k += tx.inputs.length;
  }
  if (k !== coins.length) throw new Error(`block ${height}: ${coins.length} spent outputs for ${k} inputs`);
  return { height, block, spent, flags: blockScriptFlags(height, blockHash(block.header), getChainParams('main')) };
}

/** One block's checks through `queue`; throws if any input fails (the blocks are valid). */
export async function checkBlock(queue: CheckQueue, b: BenchBlock): Promise<void> {
  const session = queue.session();
  b.block.txs.slice(1).forEach((tx, i) => session.add(tx, b.spent[i], b.flags));
  await session.complete();
}

/** Blocks checked before timing: a worker's isolate compiles the interpreter from its own share of the checks, so it needs about twice as many blocks as one thread to run at its steady speed (measured: ~10 blocks against ~5). */
export const WARM_UP_BLOCKS = 10;
