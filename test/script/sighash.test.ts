import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { fromHex, toHex } from '../../src/primitives/bytes.js';
import { hashToHex, sha256 } from '../../src/primitives/hash.js';
import { transactionFromHex, type Transaction } from '../../src/primitives/transaction.js';
import { legacySighash, PrecomputedTx, segwitV0Sighash, taggedHash, tapBranchHash, tapleafHash, taprootSigMsg, taprootSighash } from '../../src/script/sighash.js';
import { signEcdsa, signTaprootKeyPath, tapTweak, tweakPrivateKey, tweakPublicKey, verifyEcdsa, verifySchnorr, xOnlyPublicKey } from '../../src/script/sign.js';
import { NO_VECTORS, vector } from '../helpers.js';

const SIGHASH_JSON = vector('core-tests', 'sighash.json');
const BIP341_JSON = vector('core-tests', 'bip341_wallet_vectors.json');
const skipFor = (file: string) => NO_VECTORS || (existsSync(file) ? false : `missing ${file}`);

describe('legacy signature hash (Core sighash.json)', () => {
  it('matches every vector', { skip: skipFor(SIGHASH_JSON) }, () => {
    const rows = JSON.parse(readFileSync(SIGHASH_JSON, 'utf8')) as unknown[][];
    let checked = 0;
    for (const row of rows) {
      if (row.length !== 5) continue;
      const [rawTx, script, index, hashType, expected] = row as [string, string, number, number, string];
      const tx = transactionFromHex(rawTx);
      assert.equal(hashToHex(legacySighash(tx, index, fromHex(script), hashType)), expected, `vector ${checked}`);
      checked++;
    }
    assert.ok(checked >= 500, `only ${checked} vectors`);
  });
});

describe('BIP143 signature hash', () => {
  // The native P2WPKH example of BIP143 (input 1).
  it('matches the BIP143 P2WPKH example', () => {
    const tx = transactionFromHex(
      '0100000002fff7f7881a8099afa6940d42d1e7f6362bec38171ea3edf433541db4e4ad969f0000000000eeffffffef51e1b804cc89d182d279655c3aa89e815b1b309fe287d9b2b55d57b90ec68a0100000000ffffffff02202cb206000000001976a9148280b37df378db99f66f85c95a783a76ac7a6d5988ac9093510d000000001976a9143bde42dbee7e4dbe6a21b2d50ce2f0167faa815988ac11000000',
    );
    const scriptCode = fromHex('76a9141d0f172a0ecb48aee1be1f2687d2963ae33f71a188ac');
    const h = segwitV0Sighash(tx, 1, scriptCode, 600_000_000, 1);
    assert.equal(toHex(h), 'c37af31116d1b27caf68aae9e3ac82f1477929014d5b917657d0eb49478cb670');
  });
});

interface KeyPathInput {
  given: { txinIndex: number; internalPrivkey: string; merkleRoot: string | null; hashType: number };
  intermediary: { internalPubkey: string; tweak: string; tweakedPrivkey: string; sigMsg: string; sigHash: string };
  expected: { witness: string[] };
}

describe('hashSequence shared between transactions', () => {
  it('is the hash of each transaction\'s own sequences, whatever was hashed before it', () => {
    const tx = (sequences: number[]): Transaction => ({
      version: 2,
      inputs: sequences.map((sequence, i) => ({ prevout: { txid: new Uint8Array(32).fill(i), vout: i }, scriptSig: new Uint8Array(0), sequence, witness: [] })),
      outputs: [],
      lockTime: 0,
    });
    const expected = (sequences: number[]) => {
      const b = Buffer.alloc(4 * sequences.length);
      sequences.forEach((q, i) => b.writeUInt32LE(q >>> 0, 4 * i));
      return toHex(sha256(b));
    };
    // Counts and values whose keys a careless sum would confuse (2 x 0 against 1 x 2^32, -1 against 0xffffffff).
    const cases = [[0xffffffff], [-1], [0, 0], [0xfffffffd], [0xffffffff, 0xffffffff], [-1, -1], [0], [0xfffffffd, 0xffffffff], [0xffffffff], [0, 0]];
    for (const sequences of [...cases, ...cases.reverse()]) {
      assert.equal(toHex(new PrecomputedTx(tx(sequences)).sequences()), expected(sequences), `sequences ${sequences}`);
    }
  });
});

describe('BIP341 wallet vectors', { skip: skipFor(BIP341_JSON) }, () => {
  const load = () => JSON.parse(readFileSync(BIP341_JSON, 'utf8'));

  it('key path spending: sigMsg, sigHash, tweak and signature of every input', () => {
    for (const spend of load().keyPathSpending) {
      const tx = transactionFromHex(spend.given.rawUnsignedTx);
      const spent = spend.given.utxosSpent.map((u: { scriptPubKey: string; amountSats: number }) => ({ value: u.amountSats, script: fromHex(u.scriptPubKey) }));
      const pre = new PrecomputedTx(tx, spent);
      for (const input of spend.inputSpending as KeyPathInput[]) {
        const { txinIndex, hashType, internalPrivkey } = input.given;
        const merkleRoot = input.given.merkleRoot ? fromHex(input.given.merkleRoot) : undefined;
        assert.equal(toHex(taprootSigMsg(pre, txinIndex, hashType)!), input.intermediary.sigMsg);
        const sighash = taprootSighash(pre, txinIndex, hashType);
        assert.equal(toHex(sighash), input.intermediary.sigHash);
        const priv = fromHex(internalPrivkey);
        assert.equal(toHex(xOnlyPublicKey(priv)), input.intermediary.internalPubkey);
        assert.equal(toHex(tapTweak(xOnlyPublicKey(priv), merkleRoot)), input.intermediary.tweak);
        assert.equal(toHex(tweakPrivateKey(priv, merkleRoot)), input.intermediary.tweakedPrivkey);
        // BIP341's vectors are signed with all-zero aux randomness, as signSchnorr does.
        const sig = signTaprootKeyPath(sighash, priv, hashType, merkleRoot);
        assert.equal(toHex(sig), input.expected.witness[0]);
        const outputKey = spent[txinIndex].script.subarray(2);
        assert.ok(verifySchnorr(sig.subarray(0, 64), sighash, outputKey));
      }
    }
  });

  it('scriptPubKey: leaf hashes, merkle root and tweaked output key', () => {
    type Tree = { script: string; leafVersion: number } | Tree[];
    const leaves: string[] = [];
    const walk = (t: Tree): Uint8Array => {
      if (Array.isArray(t)) return tapBranchHash(walk(t[0]), walk(t[1]));
      const h = tapleafHash(fromHex(t.script), t.leafVersion);
      leaves.push(toHex(h));
      return h;
    };
    for (const v of load().scriptPubKey) {
      leaves.length = 0;
      const root = v.given.scriptTree ? walk(v.given.scriptTree) : undefined;
      if (root) {
        assert.deepEqual(leaves, v.intermediary.leafHashes);
        assert.equal(toHex(root), v.intermediary.merkleRoot);
      }
      const internal = fromHex(v.given.internalPubkey);
      assert.equal(toHex(tapTweak(internal, root)), v.intermediary.tweak);
      assert.equal(toHex(tweakPublicKey(internal, root)), v.intermediary.tweakedPubkey);
      assert.equal(v.expected.scriptPubKey, '5120' + v.intermediary.tweakedPubkey);
    }
  });
});

describe('signing', () => {
  it('ECDSA signatures are deterministic, low-S DER and verify', () => {
    const priv = new Uint8Array(32);
    priv[31] = 1;
    const msg = taggedHash('test', Uint8Array.of(1));
    const a = signEcdsa(msg, priv);
    assert.deepEqual(a, signEcdsa(msg, priv));
    assert.equal(a[0], 0x30);
    assert.equal(a[a.length - 1], 1);
    const pub = fromHex('0279be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798');
    assert.ok(verifyEcdsa(a.subarray(0, -1), msg, pub));
  });
});
