/**
 * Every input of the real mainnet and testnet3 blocks in ../shared/vectors verifies under its block's
 * consensus flags; a changed signature byte, a dropped witness and a changed input amount (which breaks the
 * BIP143/BIP341 signature hash) are each refused with the error Core reports.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { describe, it } from 'node:test';
import type { Transaction } from '../../src/primitives/transaction.js';
import { readOp } from '../../src/script/opcodes.js';
import { ScriptError, scriptErrorName } from '../../src/script/script-error.js';
import { precomputeTxData, type PrecomputedTxData } from '../../src/script/tx-checker.js';
import { verifyInput } from '../../src/script/verify-input.js';
import { NO_VECTORS, vector } from '../helpers.js';
import { loadRealBlock, REAL_BLOCKS, withInput } from './real-blocks.js';

/** The first input (transaction, index) the predicate picks. */
function find(txs: PrecomputedTxData[], pick: (tx: Transaction, i: number) => boolean): { d: PrecomputedTxData; i: number } {
  for (const d of txs) for (let i = 0; i < d.tx.inputs.length; i++) if (pick(d.tx, i)) return { d, i };
  throw new Error('no such input in the block');
}

const errorOf = (tx: Transaction, i: number, d: PrecomputedTxData, flags: number) =>
  scriptErrorName(verifyInput(tx, i, precomputeTxData(tx, d.spent), flags));

for (const entry of REAL_BLOCKS) {
  const file = vector(entry.dir, `block-${entry.height}.raw`);
  const skip = NO_VECTORS || (existsSync(file) ? false : `missing ${file}`);
  describe(`${entry.dir} block ${entry.height}`, { skip }, () => {
    const block = skip ? undefined : loadRealBlock(entry);

    it('every input verifies under the block flags', () => {
      const b = block!;
      let checked = 0;
      for (const d of b.txs) {
        for (let i = 0; i < d.tx.inputs.length; i++) {
          const e = verifyInput(d.tx, i, d, b.flags);
          assert.equal(scriptErrorName(e), 'OK', `input ${i} of a transaction in ${b.name}`);
          checked++;
        }
      }
      console.log(`${b.name}: ${checked} inputs verified`);
    });

    it('a changed signature byte is refused', () => {
      const b = block!;
      // A scriptSig whose first push is a DER signature (P2PKH, P2PK, multisig).
      const { d, i } = find(b.txs, (tx, n) => readOp(tx.inputs[n].scriptSig, 0)?.data?.[0] === 0x30);
      const sigOp = readOp(d.tx.inputs[i].scriptSig, 0)!;
      const scriptSig = Uint8Array.from(d.tx.inputs[i].scriptSig);
      scriptSig[sigOp.next - sigOp.data!.length + 10] ^= 0x01;
      const e = errorOf(withInput(d.tx, i, { scriptSig }), i, d, b.flags);
      assert.ok(['EVAL_FALSE', 'CHECKSIGVERIFY', 'EQUALVERIFY'].includes(e) || e === 'SIG_DER', e);
    });

    const hasWitness = (tx: Transaction, n: number) => tx.inputs[n].witness.length > 0;
    it('a dropped witness is refused', { skip: block && !block.txs.some((d) => d.tx.inputs.some((_, n) => hasWitness(d.tx, n))) ? 'no witness inputs' : false }, () => {
      const b = block!;
      const { d, i } = find(b.txs, hasWitness);
      const e = errorOf(withInput(d.tx, i, { witness: [] }), i, d, b.flags);
      assert.ok(['WITNESS_PROGRAM_MISMATCH', 'WITNESS_PROGRAM_WITNESS_EMPTY'].includes(e), e);
    });

    it('a changed input amount breaks the segwit signature hash', { skip: block && !block.txs.some((d) => d.tx.inputs.some((_, n) => hasWitness(d.tx, n))) ? 'no witness inputs' : false }, () => {
      const b = block!;
      const { d, i } = find(b.txs, hasWitness);
      const spent = d.spent.map((o, n) => (n === i ? { ...o, value: o.value + 1 } : o));
      const e = scriptErrorName(verifyInput(d.tx, i, precomputeTxData(d.tx, spent), b.flags));
      assert.ok(['EVAL_FALSE', 'SCHNORR_SIG'].includes(e), e);
      assert.equal(verifyInput(d.tx, i, d, b.flags), ScriptError.OK);
    });
  });
}
