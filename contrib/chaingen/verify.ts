/**
 * Independent checks of generated blocks, as a node would apply them: merkle root (not mutated), witness
 * commitment, proof of work, BIP34 height, weight and sigop limits, coinbase maturity, subsidy + fees, and
 * every signature verified with noble against our sighash. It recognises spends by the spent script alone,
 * not by asking the wallet, so a wallet bug cannot hide itself.
 */
import { MemoryUtxoSet } from '../../src/coins/memory-utxo-set.js';
import { blockSubsidy, getChainParams } from '../../src/consensus/params.js';
import { checkProofOfWork } from '../../src/consensus/pow.js';
import { equalBytes } from '../../src/primitives/bytes.js';
import { blockHash, blockMerkleRoot, checkWitnessCommitment, serializeBlock } from '../../src/primitives/block.js';
import { hash160, hashToHex, sha256 } from '../../src/primitives/hash.js';
import { pushNumber } from '../../src/primitives/script.js';
import { isCoinbase, Transaction, TxOut, txid } from '../../src/primitives/transaction.js';
import { legacySighash, p2wpkhScriptCode, PrecomputedTx, segwitV0Sighash, taprootSighash } from '../../src/script/sighash.js';
import { verifyEcdsa, verifySchnorr } from '../../src/script/sign.js';
import { GeneratedBlock, legacySigOps, MAX_BLOCK_SIGOPS_COST, MAX_BLOCK_WEIGHT, txWeight } from './blocks.js';

export class ChainCheckError extends Error {}

function fail(msg: string): never {
  throw new ChainCheckError(msg);
}

/** The data pushes of a push-only script (OP_0 as an empty push); undefined if it has other opcodes. */
export function scriptPushes(s: Uint8Array): Uint8Array[] | undefined {
  const out: Uint8Array[] = [];
  for (let pc = 0; pc < s.length; ) {
    const op = s[pc++];
    if (op > 0x4e) return undefined;
    let size = op;
    if (op >= 0x4c) {
      const len = op === 0x4c ? 1 : op === 0x4d ? 2 : 4;
      size = 0;
      for (let i = len - 1; i >= 0; i--) size = size * 256 + s[pc + i];
      pc += len;
    }
    if (pc + size > s.length) return undefined;
    out.push(s.subarray(pc, pc + size));
    pc += size;
  }
  return out;
}

function checkEcdsa(sig: Uint8Array, pub: Uint8Array, sighashOf: (hashType: number) => Uint8Array): boolean {
  if (sig.length < 9) return false;
  return verifyEcdsa(sig.subarray(0, -1), sighashOf(sig[sig.length - 1]), pub);
}

/** Bare `m <keys> n CHECKMULTISIG`: m and the keys, or undefined. */
function parseMultisig(s: Uint8Array): { m: number; keys: Uint8Array[] } | undefined {
  if (s.length < 3 || s[s.length - 1] !== 0xae) return undefined;
  const m = s[0] - 0x50;
  const n = s[s.length - 2] - 0x50;
  const keys = scriptPushes(s.subarray(1, -2));
  if (!keys || keys.length !== n || m < 1 || m > n) return undefined;
  return { m, keys };
}

const isP2pkh = (s: Uint8Array) => s.length === 25 && s[0] === 0x76 && s[1] === 0xa9 && s[2] === 20 && s[23] === 0x88 && s[24] === 0xac;
const isP2sh = (s: Uint8Array) => s.length === 23 && s[0] === 0xa9 && s[1] === 20 && s[22] === 0x87;

/**
 * Verifies every input's signatures; returns a label per input (e.g. 'p2wpkh', 'multisig-2of3') and throws
 * ChainCheckError when an input is not a recognised kind or a signature does not verify.
 */
export function verifyTxSignatures(tx: Transaction, spent: TxOut[]): string[] {
  const pre = new PrecomputedTx(tx, spent);
  const id = hashToHex(txid(tx));
  return tx.inputs.map((input, i) => {
    const s = spent[i].script;
    const where = `tx ${id} input ${i}`;
    const pushes = scriptPushes(input.scriptSig) ?? fail(`${where}: scriptSig not push-only`);
    const legacy = (h: number) => legacySighash(tx, i, s, h);
    const v0 = (code: Uint8Array) => (h: number) => segwitV0Sighash(tx, i, code, spent[i].value, h, pre);
    const ok = (cond: boolean, label: string) => (cond ? label : fail(`${where} (${label}): signature does not verify`));
    const wit = input.witness;

    if (isP2pkh(s)) {
      const [sig, pub] = pushes;
      return ok(pushes.length === 2 && equalBytes(hash160(pub), s.subarray(3, 23)) && checkEcdsa(sig, pub, legacy), 'p2pkh');
    }
    if ((s.length === 35 || s.length === 67) && s[0] === s.length - 2 && s[s.length - 1] === 0xac) {
      return ok(pushes.length === 1 && checkEcdsa(pushes[0], s.subarray(1, -1), legacy), s.length === 35 ? 'p2pk' : 'p2pk-uncompressed');
    }
    const ms = parseMultisig(s);
    if (ms) {
      // Core's CHECKMULTISIG: signatures must match keys in order; the extra leading item must be empty.
      const sigs = pushes.slice(1);
      let k = 0;
      let matched = 0;
      for (const sig of sigs) {
        while (k < ms.keys.length && !checkEcdsa(sig, ms.keys[k], legacy)) k++;
        if (k++ < ms.keys.length) matched++;
      }
      return ok(pushes.length === ms.m + 1 && pushes[0].length === 0 && matched === ms.m, `multisig-${ms.m}of${ms.keys.length}`);
    }
    if (isP2sh(s)) {
      const redeem = pushes[pushes.length - 1];
      if (pushes.length !== 1 || !equalBytes(hash160(redeem), s.subarray(2, 22))) fail(`${where}: bad P2SH redeem script`);
      if (redeem.length === 22 && redeem[0] === 0 && redeem[1] === 20) {
        const [sig, pub] = wit;
        return ok(wit.length === 2 && equalBytes(hash160(pub), redeem.subarray(2)) && checkEcdsa(sig, pub, v0(p2wpkhScriptCode(redeem.subarray(2)))), 'p2sh-p2wpkh');
      }
      fail(`${where}: unsupported P2SH redeem script`);
    }
    if (input.scriptSig.length !== 0) fail(`${where}: witness spend with a scriptSig`);
    if (s.length === 22 && s[0] === 0 && s[1] === 20) {
      const [sig, pub] = wit;
      return ok(wit.length === 2 && equalBytes(hash160(pub), s.subarray(2)) && checkEcdsa(sig, pub, v0(p2wpkhScriptCode(s.subarray(2)))), 'p2wpkh');
    }
    if (s.length === 34 && s[0] === 0 && s[1] === 32) {
      const ws = wit[wit.length - 1];
      if (wit.length !== 2 || !equalBytes(sha256(ws), s.subarray(2))) fail(`${where}: bad witness script`);
      // The generator's witness script is `<pubkey> OP_CHECKSIG`.
      const key = ws.length === 35 && ws[0] === 33 && ws[34] === 0xac ? ws.subarray(1, 34) : fail(`${where}: unsupported witness script`);
      return ok(checkEcdsa(wit[0], key, v0(ws)), 'p2wsh');
    }
    if (s.length === 34 && s[0] === 0x51 && s[1] === 32) {
      const sig = wit[0];
      if (wit.length !== 1 || (sig.length !== 64 && sig.length !== 65) || sig[64] === 0) fail(`${where}: bad taproot key-path witness`);
      const hashType = sig.length === 65 ? sig[64] : 0;
      return ok(verifySchnorr(sig.subarray(0, 64), taprootSighash(pre, i, hashType), s.subarray(2)), 'p2tr');
    }
    return fail(`${where}: unrecognised spent script`);
  });
}

export interface ChainCheckResult {
  utxo: MemoryUtxoSet;
  signedInputs: number;
  /** Spent inputs per recognised kind. */
  spentKinds: Map<string, number>;
}

/**
 * Applies `blocks` (consecutive, the first one's parent being `utxo`'s tip) to `utxo` after checking each.
 * Throws ChainCheckError naming the block and the rule on the first failure.
 */
export function checkChain(blocks: GeneratedBlock[], prevHash: Uint8Array, utxo = new MemoryUtxoSet()): ChainCheckResult {
  const params = getChainParams('regtest');
  const spentKinds = new Map<string, number>();
  let signedInputs = 0;
  for (const gb of blocks) {
    const { block, height } = gb;
    const at = `block ${height} ${hashToHex(gb.hash)}`;
    const check = (cond: boolean, what: string) => cond || fail(`${at}: ${what}`);
    check(equalBytes(block.header.prevHash, prevHash), 'does not extend the previous block');
    check(equalBytes(blockHash(block.header), gb.hash) && equalBytes(serializeBlock(block), gb.bytes), 'hash or bytes inconsistent');
    const merkle = blockMerkleRoot(block);
    check(!merkle.mutated && equalBytes(merkle.root, block.header.merkleRoot), 'bad merkle root');
    const wc = checkWitnessCommitment(block, true);
    check(wc.ok, `witness commitment: ${wc.ok ? '' : wc.reason}`);
    check(checkProofOfWork(gb.hash, block.header.bits, params.powLimit), 'proof of work');
    const cb = block.txs[0];
    check(isCoinbase(cb) && block.txs.slice(1).every((t) => !isCoinbase(t)), 'coinbase placement');
    const bip34 = pushNumber(height);
    check(equalBytes(cb.inputs[0].scriptSig.subarray(0, bip34.length), bip34), 'BIP34 height');
    const weight = block.txs.reduce((w, t) => w + txWeight(t), 4 * 83);
    check(weight <= MAX_BLOCK_WEIGHT, `weight ${weight}`);
    check(block.txs.reduce((n, t) => n + 4 * legacySigOps(t), 0) <= MAX_BLOCK_SIGOPS_COST, 'sigops');

    let fees = 0;
    for (const tx of block.txs.slice(1)) {
      const spent = tx.inputs.map((inp) => {
        const coin = utxo.get(inp.prevout.txid, inp.prevout.vout) ?? fail(`${at}: missing input ${hashToHex(inp.prevout.txid)}:${inp.prevout.vout}`);
        check(!coin.coinbase || height - coin.height >= 100, 'premature coinbase spend');
        return coin;
      });
      const fee = spent.reduce((s, c) => s + c.value, 0) - tx.outputs.reduce((s, o) => s + o.value, 0);
      check(fee >= 0 && tx.outputs.every((o) => o.value >= 0), 'outputs exceed inputs');
      fees += fee;
      for (const kind of verifyTxSignatures(tx, spent)) spentKinds.set(kind, (spentKinds.get(kind) ?? 0) + 1);
      signedInputs += tx.inputs.length;
    }
    check(cb.outputs.reduce((s, o) => s + o.value, 0) <= blockSubsidy(height, params) + fees, 'coinbase pays more than subsidy + fees');
    utxo.applyBlock(block, height);
    prevHash = gb.hash;
  }
  return { utxo, signedInputs, spentKinds };
}
