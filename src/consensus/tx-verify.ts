/**
 * Transaction rules that need the coins being spent (Core's consensus/tx_verify.cpp): CheckTxInputs (inputs
 * present, coinbase maturity, amounts in range, fee) and BIP68 relative lock times (CalculateSequenceLocks /
 * EvaluateSequenceLocks). Chain history comes in through a median-time-past callback, not a block index.
 */
import type { Coin } from '../coins/coin.js';
import { outpointKey, type CoinsView } from '../coins/view.js';
import { Transaction } from '../primitives/transaction.js';
import { moneyRange } from './tx-checks.js';
import { ValidationError } from './validation-error.js';

export const COINBASE_MATURITY = 100;
export const LOCKTIME_VERIFY_SEQUENCE = 1 << 0;
export const SEQUENCE_LOCKTIME_DISABLE_FLAG = 0x80000000;
export const SEQUENCE_LOCKTIME_TYPE_FLAG = 1 << 22;
export const SEQUENCE_LOCKTIME_MASK = 0x0000ffff;
/** Time-based relative locks count in units of 2^9 = 512 seconds. */
export const SEQUENCE_LOCKTIME_GRANULARITY = 9;

const COIN = 100_000_000;

/** Core's FormatMoney: at least two decimals, trailing zeros trimmed beyond them ("1.00", "0.0001"). */
export function formatMoney(n: number): string {
  const neg = n < 0;
  const a = Math.abs(n);
  let s = `${Math.floor(a / COIN)}.${String(a % COIN).padStart(8, '0')}`;
  s = s.replace(/(\.\d\d\d*?)0+$/, '$1');
  return neg ? `-${s}` : s;
}

/**
 * Core's Consensus::CheckTxInputs for a non-coinbase transaction: returns the fee, or throws
 * ValidationError with Core's reason and debug message. The spent coins are pushed to `coins` (input order)
 * when given, so the caller does not look them up again.
 */
export function checkTxInputs(tx: Transaction, view: CoinsView, spendHeight: number, coins?: Coin[]): number {
  const found: Coin[] = coins ?? [];
  found.length = 0;
  // HaveInputs first: a missing input wins over any other fault, as in Core.
  for (const input of tx.inputs) {
    const coin = view.getCoin(outpointKey(input.prevout.txid, input.prevout.vout));
    if (!coin) {
      found.length = 0;
      throw new ValidationError('consensus', 'bad-txns-inputs-missingorspent', 'CheckTxInputs: inputs missing/spent');
    }
    found.push(coin);
  }
  let valueIn = 0;
  for (const coin of found) {
    if (coin.coinbase && spendHeight - coin.height < COINBASE_MATURITY) {
      throw new ValidationError(
        'consensus',
        'bad-txns-premature-spend-of-coinbase',
        `tried to spend coinbase at depth ${spendHeight - coin.height}`,
      );
    }
    valueIn += coin.value;
    if (!moneyRange(coin.value) || !moneyRange(valueIn)) throw new ValidationError('consensus', 'bad-txns-inputvalues-outofrange');
  }
  // CheckTransaction has bounded each output and the sum, so this sum is exact.
  let valueOut = 0;
  for (const o of tx.outputs) valueOut += o.value;
  if (valueIn < valueOut) {
    throw new ValidationError(
      'consensus',
      'bad-txns-in-belowout',
      `value in (${formatMoney(valueIn)}) < value out (${formatMoney(valueOut)})`,
    );
  }
  const fee = valueIn - valueOut;
  if (!moneyRange(fee)) throw new ValidationError('consensus', 'bad-txns-fee-outofrange');
  return fee;
}

/** The last invalid height and time (nLockTime semantics; -1 = no constraint). */
export interface SequenceLock {
  minHeight: number;
  minTime: number;
}

/**
 * Core's CalculateSequenceLocks. `prevHeights[i]` is the height of the coin input i spends;
 * `ancestorMedianTimePast(h)` is the median time past of the block at height h on this chain.
 * Enforced only for version ≥ 2 transactions and with LOCKTIME_VERIFY_SEQUENCE in `flags`.
 */
export function calculateSequenceLocks(
  tx: Transaction,
  flags: number,
  prevHeights: readonly number[],
  ancestorMedianTimePast: (height: number) => number,
): SequenceLock {
  let minHeight = -1;
  let minTime = -1;
  // Core's nVersion is unsigned since v28: a "negative" int32 version is ≥ 2 there.
  if ((tx.version >>> 0) < 2 || (flags & LOCKTIME_VERIFY_SEQUENCE) === 0) return { minHeight, minTime };
  for (let i = 0; i < tx.inputs.length; i++) {
    const seq = tx.inputs[i].sequence >>> 0;
    if (seq & SEQUENCE_LOCKTIME_DISABLE_FLAG) continue;
    const coinHeight = prevHeights[i];
    const masked = seq & SEQUENCE_LOCKTIME_MASK;
    if (seq & SEQUENCE_LOCKTIME_TYPE_FLAG) {
      // Measured from the MTP of the block before the one that created the coin; -1 for nLockTime semantics.
      const coinTime = ancestorMedianTimePast(Math.max(coinHeight - 1, 0));
      minTime = Math.max(minTime, coinTime + masked * 2 ** SEQUENCE_LOCKTIME_GRANULARITY - 1);
    } else {
      minHeight = Math.max(minHeight, coinHeight + masked - 1);
    }
  }
  return { minHeight, minTime };
}

/** Core's EvaluateSequenceLocks for a block at `height` whose parent has median time past `prevMedianTimePast`. */
export function evaluateSequenceLocks(height: number, prevMedianTimePast: number, lock: SequenceLock): boolean {
  return !(lock.minHeight >= height || lock.minTime >= prevMedianTimePast);
}
