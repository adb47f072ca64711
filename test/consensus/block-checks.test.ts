/**
 * CheckBlock and ContextualCheckBlock: every real block passes; each refusal is made by mutating a real Core
 * regtest block or a generated one (nonce reground where the header changes) and must carry Core's reason,
 * result kind and debug text.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { assembleBlock, grindNonce, makeCoinbase } from '../../contrib/chaingen/blocks.js';
import { blockWeight, checkBlock, contextualCheckBlock } from '../../src/consensus/block-checks.js';
import { getChainParams, type ChainParams } from '../../src/consensus/params.js';
import { legacySigOpCount } from '../../src/consensus/sigops.js';
import { ValidationError } from '../../src/consensus/validation-error.js';
import { blockMerkleRoot, parseBlock, readFramedBlocks, serializeBlock, serializeHeader, type Block } from '../../src/primitives/block.js';
import { hashToHex } from '../../src/primitives/hash.js';
import { pushNumber } from '../../src/primitives/script.js';
import { hasWitness, txid, type Transaction } from '../../src/primitives/transaction.js';
import { NO_VECTORS, vector } from '../helpers.js';

const regtest = getChainParams('regtest');

function refusal(fn: () => void): ValidationError {
  try {
    fn();
  } catch (e) {
    if (e instanceof ValidationError) return e;
    throw e;
  }
  assert.fail('the block was accepted');
}

/** New header with the merkle root recomputed (unless kept) and the first nonce that meets the target. */
function remine(block: Block, keepRoot = false): Block {
  const header = { ...block.header };
  if (!keepRoot) header.merkleRoot = blockMerkleRoot(block).root;
  header.nonce = grindNonce(serializeHeader(header), header.bits);
  return { header, txs: block.txs };
}

const withTxs = (block: Block, txs: Transaction[]): Block => remine({ header: block.header, txs });
const spendTx = (over: Partial<Transaction> = {}): Transaction => ({
  version: 2,
  inputs: [{ prevout: { txid: new Uint8Array(32).fill(7), vout: 0 }, scriptSig: new Uint8Array(0), sequence: 0xffffffff, witness: [] }],
  outputs: [{ value: 1000, script: Uint8Array.of(0x51) }],
  lockTime: 0,
  ...over,
});

/** A generated regtest block at `height` with the given extra transactions. */
function generated(height: number, txs: Transaction[] = [], coinbaseHeight = height): Block {
  const coinbase = makeCoinbase({ height: coinbaseHeight, outputs: [{ value: 50e8, script: Uint8Array.of(0x51) }] });
  return assembleBlock({ height, prevHash: new Uint8Array(32), time: 1_700_000_000, version: 0x20000000, coinbase, txs }).block;
}

interface RealChain {
  blocks: Block[];
  mtps: number[];
}

function loadRegtestA(): RealChain {
  const blocks = [...readFramedBlocks(readFileSync(vector('core-regtest-A', 'blocks.dat')), regtest.messageStart)].map((f) => parseBlock(f.bytes));
  const times: number[] = [];
  const mtps = blocks.map((b) => {
    times.push(b.header.time);
    const last = times.slice(-11).sort((x, y) => x - y);
    return last[Math.floor(last.length / 2)];
  });
  return { blocks, mtps };
}

const pos = (chain: RealChain, height: number, params: ChainParams = regtest) => ({ height, prevMedianTimePast: chain.mtps[height - 1], params });

test('every block of Core regtest-A passes both checks', { skip: NO_VECTORS }, () => {
  const chain = loadRegtestA();
  chain.blocks.forEach((b, h) => {
    checkBlock(b, regtest);
    if (h > 0) contextualCheckBlock(b, pos(chain, h));
  });
});

test('CheckBlock refusals, made from real regtest-A blocks', { skip: NO_VECTORS }, () => {
  const { blocks } = loadRegtestA();
  const h = blocks.findIndex((b, i) => i > 0 && b.txs.length >= 3 && b.txs.length % 2 === 1);
  const real = blocks[h];

  const badPow = { header: { ...real.header, nonce: real.header.nonce + 1 }, txs: real.txs };
  // About half of regtest nonces pass; find one that does not.
  while (checkProofOk(badPow)) badPow.header.nonce++;
  let e = refusal(() => checkBlock(badPow, regtest));
  assert.deepEqual([e.result, e.reason, e.debug], ['consensus', 'high-hash', 'proof of work failed']);
  checkBlock(badPow, regtest, { checkPow: false });

  const changed = { ...real.txs[1], outputs: [{ ...real.txs[1].outputs[0], value: real.txs[1].outputs[0].value - 1 }, ...real.txs[1].outputs.slice(1)] };
  e = refusal(() => checkBlock(remine({ header: real.header, txs: [real.txs[0], changed, ...real.txs.slice(2)] }, true), regtest));
  assert.deepEqual([e.result, e.reason, e.debug], ['mutated', 'bad-txnmrklroot', 'hashMerkleRoot mismatch']);

  // CVE-2012-2459: repeating the last of an odd number of transactions keeps the root, so the header (and
  // its proof of work) is Core's own.
  const dup = { header: real.header, txs: [...real.txs, real.txs.at(-1)!] };
  e = refusal(() => checkBlock(dup, regtest));
  assert.deepEqual([e.result, e.reason, e.debug], ['mutated', 'bad-txns-duplicate', 'duplicate transaction']);
  checkBlock(dup, regtest, { checkMerkle: false });

  e = refusal(() => checkBlock(withTxs(real, [...real.txs, spendTx({ outputs: [{ value: 1, script: new Uint8Array(1_000_000) }] })]), regtest));
  assert.deepEqual([e.result, e.reason, e.debug], ['consensus', 'bad-blk-length', 'size limits failed']);

  e = refusal(() => checkBlock(withTxs(real, real.txs.slice(1)), regtest));
  assert.deepEqual([e.reason, e.debug], ['bad-cb-missing', 'first tx is not coinbase']);

  const secondCoinbase = { ...real.txs[0], lockTime: 12345 };
  e = refusal(() => checkBlock(withTxs(real, [...real.txs, secondCoinbase]), regtest));
  assert.deepEqual([e.reason, e.debug], ['bad-cb-multiple', 'more than one coinbase']);

  // A transaction's own fault: Core reports its reason with the tx hash in the debug text.
  const negative = spendTx({ outputs: [{ value: -1, script: Uint8Array.of(0x51) }] });
  e = refusal(() => checkBlock(withTxs(real, [...real.txs, negative]), regtest));
  assert.deepEqual([e.result, e.reason, e.debug], ['consensus', 'bad-txns-vout-negative', `Transaction check failed (tx hash ${hashToHex(txid(negative))}) `]);
  const dupInputs = spendTx({ inputs: [...spendTx().inputs, ...spendTx().inputs] });
  assert.equal(refusal(() => checkBlock(withTxs(real, [...real.txs, dupInputs]), regtest)).reason, 'bad-txns-inputs-duplicate');
});

function checkProofOk(block: Block): boolean {
  try {
    checkBlock(block, regtest, { checkMerkle: false });
    return true;
  } catch {
    return false;
  }
}

test('CheckBlock legacy sigop limit: 20,000 × 4 passes, one more fails', () => {
  const base = generated(5);
  const have = base.txs.reduce((n, tx) => n + legacySigOpCount(tx), 0);
  const checksigs = (n: number) => spendTx({ outputs: [{ value: 1, script: new Uint8Array(n).fill(0xac) }] });
  checkBlock(generated(5, [checksigs(20_000 - have)]), regtest);
  const e = refusal(() => checkBlock(generated(5, [checksigs(20_001 - have)]), regtest));
  assert.deepEqual([e.reason, e.debug], ['bad-blk-sigops', 'out-of-bounds SigOpCount']);
  // CHECKMULTISIG counts 20 in legacy counting, whatever keys precede it.
  const multisig = spendTx({ outputs: [{ value: 1, script: new Uint8Array(1001).fill(0xae) }] });
  assert.equal(refusal(() => checkBlock(generated(5, [multisig]), regtest)).reason, 'bad-blk-sigops');
});

test('ContextualCheckBlock refusals', { skip: NO_VECTORS }, () => {
  const chain = loadRegtestA();
  const h = chain.blocks.findIndex((b) => b.txs.slice(1).some(hasWitness));
  const real = chain.blocks[h];

  // The witness is not in the header: dropping the reserved value or changing a witness leaves Core's
  // header and proof of work valid, and only the commitment check notices.
  const cb = real.txs[0];
  const noNonce = { header: real.header, txs: [{ ...cb, inputs: [{ ...cb.inputs[0], witness: [] }] }, ...real.txs.slice(1)] };
  checkBlock(noNonce, regtest);
  let e = refusal(() => contextualCheckBlock(noNonce, pos(chain, h)));
  assert.deepEqual([e.result, e.reason, e.debug], ['mutated', 'bad-witness-nonce-size', 'CheckWitnessMalleation : invalid witness reserved value size']);

  const wi = real.txs.findIndex((tx, i) => i > 0 && hasWitness(tx));
  const wtx = real.txs[wi];
  const j = wtx.inputs.findIndex((i) => i.witness.length > 0);
  const inputs = wtx.inputs.map((inp, k) => (k === j ? { ...inp, witness: [...inp.witness.slice(0, -1), Uint8Array.of(...inp.witness.at(-1)!, 0)] } : inp));
  const badWitness = { header: real.header, txs: real.txs.map((tx, i) => (i === wi ? { ...wtx, inputs } : tx)) };
  checkBlock(badWitness, regtest);
  e = refusal(() => contextualCheckBlock(badWitness, pos(chain, h)));
  assert.deepEqual([e.result, e.reason, e.debug], ['mutated', 'bad-witness-merkle-match', 'CheckWitnessMalleation : witness merkle commitment mismatch']);

  // Before segwit activation no witness is allowed at all.
  const preSegwit = { ...regtest, segwitHeight: h + 1 };
  e = refusal(() => contextualCheckBlock(real, pos(chain, h, preSegwit)));
  assert.deepEqual([e.result, e.reason, e.debug], ['mutated', 'unexpected-witness', 'CheckWitnessMalleation : unexpected witness data found']);
  const noCommitment = withTxs(real, [{ ...cb, outputs: cb.outputs.filter((o) => o.script[0] !== 0x6a) }, ...real.txs.slice(1)]);
  assert.equal(refusal(() => contextualCheckBlock(noCommitment, pos(chain, h))).reason, 'unexpected-witness');

  const cbScript = cb.inputs[0].scriptSig;
  const wrongHeight = pushNumber(h + 1);
  const badHeight = withTxs(real, [{ ...cb, inputs: [{ ...cb.inputs[0], scriptSig: Uint8Array.of(...wrongHeight, ...cbScript.subarray(pushNumber(h).length)) }] }, ...real.txs.slice(1)]);
  e = refusal(() => contextualCheckBlock(badHeight, pos(chain, h)));
  assert.deepEqual([e.reason, e.debug], ['bad-cb-height', 'block height mismatch in coinbase']);
  // BIP34 not yet active: the same block passes.
  contextualCheckBlock(badHeight, pos(chain, h, { ...regtest, bip34Height: h + 1 }));
});

test('ContextualCheckBlock: BIP113 finality against the parent MTP, and block weight', () => {
  const seq = 0xfffffffe;
  const locked = (lockTime: number) => spendTx({ lockTime, inputs: [{ ...spendTx().inputs[0], sequence: seq }] });
  const at = { height: 10, prevMedianTimePast: 1_600_000_000, params: regtest };
  contextualCheckBlock(generated(10, [locked(9)]), at);
  let e = refusal(() => contextualCheckBlock(generated(10, [locked(10)]), at));
  assert.deepEqual([e.reason, e.debug], ['bad-txns-nonfinal', 'non-final transaction']);
  // The block's own time (1.7e9) is later, but once CSV is active the parent's MTP is the cut-off.
  contextualCheckBlock(generated(10, [locked(1_600_000_000 - 1)]), at);
  assert.equal(refusal(() => contextualCheckBlock(generated(10, [locked(1_600_000_000)]), at)).reason, 'bad-txns-nonfinal');
  contextualCheckBlock(generated(10, [locked(1_600_000_000)]), { ...at, params: { ...regtest, csvHeight: 11 } });

  // Witness stuffing: small base size, weight over 4,000,000 only through the witness.
  const stuffed = spendTx({ inputs: [{ ...spendTx().inputs[0], witness: [new Uint8Array(4_000_000)] }] });
  const heavy = generated(10, [stuffed]);
  checkBlock(heavy, regtest);
  assert.ok(blockWeight(heavy) > 4_000_000);
  assert.equal(blockWeight(heavy), 3 * serializeBlock(heavy, false).length + serializeBlock(heavy).length);
  e = refusal(() => contextualCheckBlock(heavy, at));
  assert.deepEqual([e.result, e.reason, e.debug], ['consensus', 'bad-blk-weight', 'ContextualCheckBlock : weight limit failed']);
});
