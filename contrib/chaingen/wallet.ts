/**
 * The generator's wallet: deterministic keys, the output scripts of every kind it pays to, the coins it can
 * spend (with coinbase maturity), and real signatures for each kind — legacy sighash for P2PKH, P2PK and
 * bare multisig, BIP143 for P2WPKH, P2SH-P2WPKH and P2WSH, BIP341 Schnorr for P2TR key path.
 */
import { concatBytes } from '../../src/primitives/bytes.js';
import { hash160, sha256 } from '../../src/primitives/hash.js';
import { multisig, OP_0, OP_CHECKSIG, p2pk, p2pkh, p2sh, p2tr, p2wpkh, p2wsh, pushData } from '../../src/primitives/script.js';
import type { Transaction } from '../../src/primitives/transaction.js';
import { legacySighash, p2wpkhScriptCode, PrecomputedTx, segwitV0Sighash, SIGHASH_ALL, SIGHASH_DEFAULT, taprootSighash } from '../../src/script/sighash.js';
import { publicKey, signEcdsa, signSchnorr, tweakPrivateKey, tweakPublicKey, xOnlyPublicKey } from '../../src/script/sign.js';

export const COIN_KINDS = [
  'p2pkh',
  'p2sh-p2wpkh',
  'p2wpkh',
  'p2wsh',
  'p2tr',
  'p2pk',
  'p2pk-uncompressed',
  'multisig-1of2',
  'multisig-2of3',
] as const;
export type CoinKind = (typeof COIN_KINDS)[number];
/** Kinds without legacy sigops in the output script, for large fan-outs (P2PKH adds one sigop each). */
export const FANOUT_KINDS: readonly CoinKind[] = ['p2wpkh', 'p2tr', 'p2sh-p2wpkh', 'p2wsh', 'p2pkh'];

export interface WalletCoin {
  txid: Uint8Array;
  vout: number;
  value: number;
  kind: CoinKind;
  key: number;
  script: Uint8Array;
  height: number;
  coinbase: boolean;
}

interface Key {
  priv: Uint8Array;
  pub: Uint8Array;
  pubUncompressed: Uint8Array;
  hash: Uint8Array;
  tapPriv: Uint8Array;
  tapOutput: Uint8Array;
}

/** Keys and scripts are pure functions of the seed; shared between a wallet and its clones. */
class Keyring {
  private readonly keys: Key[] = [];
  private readonly scripts = new Map<string, Uint8Array>();

  constructor(
    readonly seed: string,
    readonly size: number,
  ) {}

  key(i: number): Key {
    let k = this.keys[i];
    if (!k) {
      // sha256 of a label is below the curve order with overwhelming probability; index shifts if not.
      const priv = sha256(new TextEncoder().encode(`chaingen key ${this.seed} ${i}`));
      const pub = publicKey(priv, true);
      const internal = xOnlyPublicKey(priv);
      k = { priv, pub, pubUncompressed: publicKey(priv, false), hash: hash160(pub), tapPriv: tweakPrivateKey(priv), tapOutput: tweakPublicKey(internal) };
      this.keys[i] = k;
    }
    return k;
  }

  multisigKeys(kind: CoinKind, i: number): number[] {
    const n = kind === 'multisig-1of2' ? 2 : 3;
    return [...Array(n).keys()].map((j) => (i + j) % this.size);
  }

  witnessScript(i: number): Uint8Array {
    return concatBytes(pushData(this.key(i).pub), Uint8Array.of(OP_CHECKSIG));
  }

  script(kind: CoinKind, i: number): Uint8Array {
    const id = `${kind}:${i}`;
    let s = this.scripts.get(id);
    if (s) return s;
    const k = this.key(i);
    switch (kind) {
      case 'p2pkh': s = p2pkh(k.hash); break;
      case 'p2sh-p2wpkh': s = p2sh(hash160(p2wpkh(k.hash))); break;
      case 'p2wpkh': s = p2wpkh(k.hash); break;
      case 'p2wsh': s = p2wsh(sha256(this.witnessScript(i))); break;
      case 'p2tr': s = p2tr(k.tapOutput); break;
      case 'p2pk': s = p2pk(k.pub); break;
      case 'p2pk-uncompressed': s = p2pk(k.pubUncompressed); break;
      case 'multisig-1of2': s = multisig(1, this.multisigKeys(kind, i).map((j) => this.key(j).pub)); break;
      case 'multisig-2of3': s = multisig(2, this.multisigKeys(kind, i).map((j) => this.key(j).pub)); break;
    }
    this.scripts.set(id, s);
    return s;
  }
}

export interface WalletOptions {
  keyCount?: number;
  /** Most coins tracked for spending; beyond it new coins stay in the UTXO set untracked. */
  poolCap?: number;
}

export class Wallet {
  /** Matured coinbase outputs: the large coins that fund fan-outs. */
  private funding: WalletCoin[] = [];
  private pools = new Map<CoinKind, WalletCoin[]>(COIN_KINDS.map((k) => [k, []]));
  private pending = new Map<number, WalletCoin[]>();
  private tracked = 0;
  private nextKey = 0;
  private readonly poolCap: number;

  constructor(
    private readonly keyring: Keyring,
    opts: WalletOptions = {},
  ) {
    this.poolCap = opts.poolCap ?? 50_000;
  }

  static create(seed: string, opts: WalletOptions = {}): Wallet {
    return new Wallet(new Keyring(seed, opts.keyCount ?? 64), opts);
  }

  /** An independent copy sharing the keys: lets a fork branch spend the same coins differently. */
  clone(): Wallet {
    const w = new Wallet(this.keyring, { poolCap: this.poolCap });
    w.funding = [...this.funding];
    w.pools = new Map([...this.pools].map(([k, v]) => [k, [...v]]));
    w.pending = new Map([...this.pending].map(([h, v]) => [h, [...v]]));
    w.tracked = this.tracked;
    w.nextKey = this.nextKey;
    return w;
  }

  /** A fresh output script of `kind` (keys rotate so coins spread over many scripts). */
  receive(kind: CoinKind): { script: Uint8Array; key: number } {
    const key = this.nextKey;
    this.nextKey = (this.nextKey + 1) % this.keyring.size;
    return { script: this.keyring.script(kind, key), key };
  }

  /** Tracks a coin from the moment it may be spent (coinbase: 100 blocks later). Returns false when full. */
  track(coin: WalletCoin): boolean {
    if (this.tracked >= this.poolCap || coin.value === 0) return false;
    const at = coin.coinbase ? coin.height + 100 : coin.height + 1;
    const list = this.pending.get(at) ?? [];
    list.push(coin);
    this.pending.set(at, list);
    this.tracked++;
    return true;
  }

  /** Makes the coins spendable in a block at `height` available. */
  advanceTo(height: number): void {
    const due = this.pending.get(height);
    if (!due) return;
    this.pending.delete(height);
    for (const c of due) (c.coinbase ? this.funding : this.pools.get(c.kind)!).push(c);
  }

  get fundingCount(): number {
    return this.funding.length;
  }

  takeFunding(pick: (n: number) => number): WalletCoin | undefined {
    const c = take(this.funding, pick);
    if (c) this.tracked--;
    return c;
  }

  /** A coin of `kind`, else of any kind (then funding); undefined when the wallet has nothing spendable. */
  take(kind: CoinKind, pick: (n: number) => number): WalletCoin | undefined {
    const c = take(this.pools.get(kind)!, pick) ?? COIN_KINDS.map((k) => this.pools.get(k)!).find((p) => p.length > 0)?.pop() ?? take(this.funding, pick);
    if (c) this.tracked--;
    return c;
  }

  /**
   * Fills scriptSigs and witnesses of `tx`, whose inputs spend `coins` in order. Taproot inputs alternate
   * SIGHASH_DEFAULT and SIGHASH_ALL so both signature sizes appear.
   */
  sign(tx: Transaction, coins: WalletCoin[]): void {
    const pre = new PrecomputedTx(tx, coins.map((c) => ({ value: c.value, script: c.script })));
    coins.forEach((c, i) => {
      const k = this.keyring.key(c.key);
      const input = tx.inputs[i];
      const legacy = () => legacySighash(tx, i, c.script, SIGHASH_ALL);
      switch (c.kind) {
        case 'p2pkh':
          input.scriptSig = concatBytes(pushData(signEcdsa(legacy(), k.priv)), pushData(k.pub));
          break;
        case 'p2pk':
        case 'p2pk-uncompressed':
          input.scriptSig = pushData(signEcdsa(legacy(), k.priv));
          break;
        case 'multisig-1of2':
        case 'multisig-2of3': {
          const m = c.kind === 'multisig-1of2' ? 1 : 2;
          const h = legacy();
          const sigs = this.keyring.multisigKeys(c.kind, c.key).slice(0, m).map((j) => pushData(signEcdsa(h, this.keyring.key(j).priv)));
          input.scriptSig = concatBytes(Uint8Array.of(OP_0), ...sigs);
          break;
        }
        case 'p2wpkh':
        case 'p2sh-p2wpkh': {
          const h = segwitV0Sighash(tx, i, p2wpkhScriptCode(k.hash), c.value, SIGHASH_ALL, pre);
          input.witness = [signEcdsa(h, k.priv), k.pub];
          if (c.kind === 'p2sh-p2wpkh') input.scriptSig = pushData(p2wpkh(k.hash));
          break;
        }
        case 'p2wsh': {
          const ws = this.keyring.witnessScript(c.key);
          input.witness = [signEcdsa(segwitV0Sighash(tx, i, ws, c.value, SIGHASH_ALL, pre), k.priv), ws];
          break;
        }
        case 'p2tr': {
          const type = c.vout % 2 === 0 ? SIGHASH_DEFAULT : SIGHASH_ALL;
          input.witness = [signSchnorr(taprootSighash(pre, i, type), k.tapPriv, type)];
          break;
        }
      }
    });
  }
}

function take(list: WalletCoin[], pick: (n: number) => number): WalletCoin | undefined {
  if (list.length === 0) return undefined;
  const i = pick(list.length);
  const c = list[i];
  list[i] = list[list.length - 1];
  list.pop();
  return c;
}
