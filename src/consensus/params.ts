/**
 * Chain parameters of the five networks, as in Core's kernel/chainparams.cpp (v30/v31): message start,
 * ports, genesis, proof-of-work rules, buried deployment heights, subsidy schedule and assumeutxo data.
 * Custom signets (own challenge) get their own message start, as in Core. Assumeutxo helpers are
 * re-exported from assumeutxo.ts so callers need one import.
 */
import { compactSizeLength, concatBytes, equalBytes, fromHex, writeCompactSizeInto } from '../primitives/bytes.js';
import { Block, blockHash } from '../primitives/block.js';
import { hashToHex, sha256d } from '../primitives/hash.js';
import { p2pk } from '../primitives/script.js';
import { ASSUMEUTXO_TABLE, withTrustedAssumeutxo } from './assumeutxo.js';
import type { AssumeutxoEntry } from './assumeutxo.js';
import { createGenesisBlock, SATOSHI_OUTPUT_SCRIPT, SATOSHI_TIMESTAMP } from './genesis.js';
import type { PowParams } from './pow.js';
import { ALWAYS_ACTIVE, NEVER_ACTIVE, NO_TIMEOUT, type Bip9Deployment, type VersionBitsDeployments } from './versionbits.js';

export {
  assumeutxoForHash,
  assumeutxoForHeight,
  availableAssumeutxoHeights,
  formatAssumeutxoSpec,
  parseAssumeutxoSpec,
  withTrustedAssumeutxo,
} from './assumeutxo.js';
export type { AssumeutxoEntry } from './assumeutxo.js';

export type NetworkName = 'main' | 'testnet3' | 'testnet4' | 'signet' | 'regtest';
/** Core's ChainTypeToString names, used in its messages (e.g. the snapshot network mismatch error). */
export type CoreChainName = 'main' | 'test' | 'testnet4' | 'signet' | 'regtest';

export const NETWORK_NAMES: readonly NetworkName[] = ['main', 'testnet3', 'testnet4', 'signet', 'regtest'];

const CORE_NAMES: Record<NetworkName, CoreChainName> = {
  main: 'main',
  testnet3: 'test',
  testnet4: 'testnet4',
  signet: 'signet',
  regtest: 'regtest',
};

export function coreChainName(name: NetworkName): CoreChainName {
  return CORE_NAMES[name];
}

/** Accepts our names, Core's names and common aliases (mainnet, testnet). */
export function parseNetworkName(s: string): NetworkName {
  const aliases: Record<string, NetworkName> = {
    main: 'main',
    mainnet: 'main',
    test: 'testnet3',
    testnet: 'testnet3',
    testnet3: 'testnet3',
    testnet4: 'testnet4',
    signet: 'signet',
    regtest: 'regtest',
  };
  const n = aliases[s.toLowerCase()];
  if (!n) throw new Error(`unknown network "${s}" (expected one of: ${NETWORK_NAMES.join(', ')})`);
  return n;
}

export interface Checkpoint {
  height: number;
  /** Display hex. */
  hash: string;
}

/** Core's script_flag_exceptions: historical blocks validated with fewer script flags. */
export interface ScriptFlagException {
  /** Display hex. */
  blockHash: string;
  flags: Array<'P2SH' | 'WITNESS'>;
}

export interface ChainParams extends PowParams {
  name: NetworkName;
  coreName: CoreChainName;
  messageStart: Uint8Array;
  defaultPort: number;
  rpcPort: number;
  genesis: Block;
  /** Display hex. */
  genesisHash: string;
  subsidyHalvingInterval: number;
  bip34Height: number;
  /** Display hex; all zeros where Core leaves it null. */
  bip34Hash: string;
  bip65Height: number;
  bip66Height: number;
  csvHeight: number;
  segwitHeight: number;
  scriptFlagExceptions: readonly ScriptFlagException[];
  /** Core v30 removed the checkpoints; kept as a field so a block index can consult it uniformly. */
  checkpoints: readonly Checkpoint[];
  minimumChainWork: bigint;
  /** Display hex; all zeros when there is none. */
  defaultAssumeValid: string;
  signetBlocks: boolean;
  /** The signet block challenge (empty for non-signet networks). */
  signetChallenge: Uint8Array;
  /** True for a signet whose challenge differs from the default one. */
  isCustomSignet: boolean;
  bech32Hrp: string;
  assumeutxo: readonly AssumeutxoEntry[];
  /** Core's vDeployments: the BIP9 deployments (kernel/chainparams.cpp). */
  versionBits: VersionBitsDeployments;
}

export const DEFAULT_SIGNET_CHALLENGE =
  '512103ad5e0edad18cb1f0fc0d28a3d4f1f3e445640337489abb10404f2d1e086be430210359ef5021964fe22d6f8e05b2463c9540ce96883fe3b278760f048f5189f2e6c452ae';

const COIN = 100_000_000;
const ZERO = '0'.repeat(64);
const TWO_WEEKS = 14 * 24 * 60 * 60;
const MAIN_POW_LIMIT = BigInt('0x00000000ffffffffffffffffffffffffffffffffffffffffffffffffffffffff');

/** A deployment in Core's chainparams terms: bit, start, timeout, min activation height, threshold, period. */
const bip9 = (bit: number, startTime: number, timeout: number, minActivationHeight: number, threshold: number, period: number): Bip9Deployment =>
  Object.freeze({ bit, startTime, timeout, minActivationHeight, threshold, period });

/** Core's signet message start: the first 4 bytes of SHA256d(CompactSize(len) ‖ challenge). */
export function signetMessageStart(challenge: Uint8Array): Uint8Array {
  const prefix = new Uint8Array(compactSizeLength(challenge.length));
  writeCompactSizeInto(prefix, 0, challenge.length);
  return sha256d(concatBytes(prefix, challenge)).slice(0, 4);
}

type Base = Omit<ChainParams, 'genesisHash' | 'coreName' | 'assumeutxo'>;

function finish(p: Base): ChainParams {
  const genesisHash = hashToHex(blockHash(p.genesis.header));
  return Object.freeze({ ...p, coreName: CORE_NAMES[p.name], genesisHash, assumeutxo: ASSUMEUTXO_TABLE[p.name] });
}

const satoshiGenesis = (time: number, nonce: number, bits: number): Block =>
  createGenesisBlock({
    timestamp: SATOSHI_TIMESTAMP,
    outputScript: SATOSHI_OUTPUT_SCRIPT,
    time,
    nonce,
    bits,
    version: 1,
    reward: 50 * COIN,
  });

function mainParams(): ChainParams {
  return finish({
    name: 'main',
    messageStart: Uint8Array.of(0xf9, 0xbe, 0xb4, 0xd9),
    defaultPort: 8333,
    rpcPort: 8332,
    genesis: satoshiGenesis(1231006505, 2083236893, 0x1d00ffff),
    subsidyHalvingInterval: 210000,
    bip34Height: 227931,
    bip34Hash: '000000000000024b89b42a942fe0d9fea3bb44ab7bd1b19115dd6a759c0808b8',
    bip65Height: 388381,
    bip66Height: 363725,
    csvHeight: 419328,
    segwitHeight: 481824,
    scriptFlagExceptions: [
      { blockHash: '00000000000002dc756eebf4f49723ed8d30cc28a5f108eb94b1ba88ac4f9c22', flags: [] },
      { blockHash: '0000000000000000000f14c35b2d841e986ab5441de8c585d5ffe55ea1e395ad', flags: ['P2SH', 'WITNESS'] },
    ],
    checkpoints: [],
    powLimit: MAIN_POW_LIMIT,
    powTargetTimespan: TWO_WEEKS,
    powTargetSpacing: 600,
    powAllowMinDifficultyBlocks: false,
    powNoRetargeting: false,
    enforceBIP94: false,
    // Core v30 values; later releases raise them.
    minimumChainWork: BigInt('0x0000000000000000000000000000000000000000dee8e2a309ad8a9820433c68'),
    defaultAssumeValid: '00000000000000000000611fd22f2df7c8fbd0688745c3a6c3bb5109cc2a12cb',
    signetBlocks: false,
    signetChallenge: new Uint8Array(0),
    isCustomSignet: false,
    bech32Hrp: 'bc',
    versionBits: { testdummy: bip9(28, NEVER_ACTIVE, NO_TIMEOUT, 0, 1815, 2016), taproot: bip9(2, 1619222400, 1628640000, 709632, 1815, 2016) },
  });
}

function testnet3Params(): ChainParams {
  return finish({
    name: 'testnet3',
    messageStart: Uint8Array.of(0x0b, 0x11, 0x09, 0x07),
    defaultPort: 18333,
    rpcPort: 18332,
    genesis: satoshiGenesis(1296688602, 414098458, 0x1d00ffff),
    subsidyHalvingInterval: 210000,
    bip34Height: 21111,
    bip34Hash: '0000000023b3a96d3484e5abb3755c413e7d41500f8e2a5c3f0dd01299cd8ef8',
    bip65Height: 581885,
    bip66Height: 330776,
    csvHeight: 770112,
    segwitHeight: 834624,
    scriptFlagExceptions: [{ blockHash: '00000000dd30457c001f4095d208cc1296b0eed002427aa599874af7a432b105', flags: [] }],
    checkpoints: [],
    powLimit: MAIN_POW_LIMIT,
    powTargetTimespan: TWO_WEEKS,
    powTargetSpacing: 600,
    powAllowMinDifficultyBlocks: true,
    powNoRetargeting: false,
    enforceBIP94: false,
    minimumChainWork: BigInt('0x0000000000000000000000000000000000000000000016dd270dd94fac1d7632'),
    defaultAssumeValid: '0000000000000065c6c38258e201971a3fdfcc2ceee0dd6e85a6c022d45dee34',
    signetBlocks: false,
    signetChallenge: new Uint8Array(0),
    isCustomSignet: false,
    bech32Hrp: 'tb',
    versionBits: { testdummy: bip9(28, NEVER_ACTIVE, NO_TIMEOUT, 0, 1512, 2016), taproot: bip9(2, 1619222400, 1628640000, 0, 1512, 2016) },
  });
}

function testnet4Params(): ChainParams {
  return finish({
    name: 'testnet4',
    messageStart: Uint8Array.of(0x1c, 0x16, 0x3f, 0x28),
    defaultPort: 48333,
    rpcPort: 48332,
    genesis: createGenesisBlock({
      timestamp: '03/May/2024 000000000000000000001ebd58c244970b3aa9d783bb001011fbe8ea8e98e00e',
      outputScript: p2pk(new Uint8Array(33)),
      time: 1714777860,
      nonce: 393743547,
      bits: 0x1d00ffff,
      version: 1,
      reward: 50 * COIN,
    }),
    subsidyHalvingInterval: 210000,
    bip34Height: 1,
    bip34Hash: ZERO,
    bip65Height: 1,
    bip66Height: 1,
    csvHeight: 1,
    segwitHeight: 1,
    scriptFlagExceptions: [],
    checkpoints: [],
    powLimit: MAIN_POW_LIMIT,
    powTargetTimespan: TWO_WEEKS,
    powTargetSpacing: 600,
    powAllowMinDifficultyBlocks: true,
    powNoRetargeting: false,
    enforceBIP94: true,
    minimumChainWork: BigInt('0x00000000000000000000000000000000000000000000034a4690fe592dc49c7c'),
    defaultAssumeValid: '000000000000000180a58e7fa3b0db84b5ea76377524894f53660d93ac839d9b',
    signetBlocks: false,
    signetChallenge: new Uint8Array(0),
    isCustomSignet: false,
    bech32Hrp: 'tb',
    versionBits: { testdummy: bip9(28, NEVER_ACTIVE, NO_TIMEOUT, 0, 1512, 2016), taproot: bip9(2, ALWAYS_ACTIVE, NO_TIMEOUT, 0, 1512, 2016) },
  });
}

function signetParams(challengeHex?: string): ChainParams {
  const challenge = fromHex(challengeHex ?? DEFAULT_SIGNET_CHALLENGE);
  const custom = !equalBytes(challenge, fromHex(DEFAULT_SIGNET_CHALLENGE));
  return finish({
    name: 'signet',
    messageStart: signetMessageStart(challenge),
    defaultPort: 38333,
    rpcPort: 38332,
    // Custom signets share the default signet's genesis block.
    genesis: satoshiGenesis(1598918400, 52613770, 0x1e0377ae),
    subsidyHalvingInterval: 210000,
    bip34Height: 1,
    bip34Hash: ZERO,
    bip65Height: 1,
    bip66Height: 1,
    csvHeight: 1,
    segwitHeight: 1,
    scriptFlagExceptions: [],
    checkpoints: [],
    powLimit: BigInt('0x00000377ae000000000000000000000000000000000000000000000000000000'),
    powTargetTimespan: TWO_WEEKS,
    powTargetSpacing: 600,
    powAllowMinDifficultyBlocks: false,
    powNoRetargeting: false,
    enforceBIP94: false,
    minimumChainWork: custom ? 0n : BigInt('0x0000000000000000000000000000000000000000000000000000067d328e681a'),
    defaultAssumeValid: custom ? ZERO : '000000128586e26813922680309f04e1de713c7542fee86ed908f56368aefe2e',
    signetBlocks: true,
    signetChallenge: challenge,
    isCustomSignet: custom,
    bech32Hrp: 'tb',
    versionBits: { testdummy: bip9(28, NEVER_ACTIVE, NO_TIMEOUT, 0, 1815, 2016), taproot: bip9(2, ALWAYS_ACTIVE, NO_TIMEOUT, 0, 1815, 2016) },
  });
}

function regtestParams(): ChainParams {
  return finish({
    name: 'regtest',
    messageStart: Uint8Array.of(0xfa, 0xbf, 0xb5, 0xda),
    defaultPort: 18444,
    rpcPort: 18443,
    genesis: satoshiGenesis(1296688602, 2, 0x207fffff),
    subsidyHalvingInterval: 150,
    bip34Height: 1,
    bip34Hash: ZERO,
    bip65Height: 1,
    bip66Height: 1,
    csvHeight: 1,
    segwitHeight: 0,
    scriptFlagExceptions: [],
    checkpoints: [],
    powLimit: BigInt('0x7fffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff'),
    powTargetTimespan: 24 * 60 * 60,
    powTargetSpacing: 600,
    powAllowMinDifficultyBlocks: true,
    powNoRetargeting: true,
    enforceBIP94: false,
    minimumChainWork: 0n,
    defaultAssumeValid: ZERO,
    signetBlocks: false,
    signetChallenge: new Uint8Array(0),
    isCustomSignet: false,
    bech32Hrp: 'bcrt',
    versionBits: { testdummy: bip9(28, 0, NO_TIMEOUT, 0, 108, 144), taproot: bip9(2, ALWAYS_ACTIVE, NO_TIMEOUT, 0, 108, 144) },
  });
}

const BUILDERS: Record<NetworkName, () => ChainParams> = {
  main: mainParams,
  testnet3: testnet3Params,
  testnet4: testnet4Params,
  signet: () => signetParams(),
  regtest: regtestParams,
};
const cache = new Map<NetworkName, ChainParams>();

export interface ChainParamsOptions {
  /** Hex of a custom signet challenge (signet only). */
  signetChallenge?: string;
  /** User-trusted assumeutxo entries, "HEIGHT:BLOCKHASH:HASH_SERIALIZED_3:CHAIN_TX_COUNT". */
  assumeutxo?: string[];
}

export function getChainParams(name: NetworkName, opts: ChainParamsOptions = {}): ChainParams {
  let params: ChainParams;
  if (opts.signetChallenge !== undefined) {
    if (name !== 'signet') throw new Error(`a signet challenge was given for network ${name}; it applies to signet only`);
    if (!/^([0-9a-fA-F]{2})+$/.test(opts.signetChallenge)) {
      throw new Error(`signet challenge must be non-empty hex, got "${opts.signetChallenge}"`);
    }
    params = signetParams(opts.signetChallenge);
  } else {
    params = cache.get(name) ?? BUILDERS[name]();
    cache.set(name, params);
  }
  return opts.assumeutxo?.length ? withTrustedAssumeutxo(params, opts.assumeutxo) : params;
}

/**
 * Core's GetNetworkForMagic over the five default networks. A custom signet's magic is only recognised when
 * its params are passed as `custom`.
 */
export function networkForMessageStart(bytes: Uint8Array, custom?: ChainParams): NetworkName | undefined {
  if (bytes.length < 4) return undefined;
  const magic = bytes.subarray(0, 4);
  if (custom && equalBytes(magic, custom.messageStart)) return custom.name;
  return NETWORK_NAMES.find((n) => equalBytes(magic, getChainParams(n).messageStart));
}

/** Core's GetBlockSubsidy, in satoshis: 50 BTC halved every interval, nothing after 64 halvings. */
export function blockSubsidy(height: number, params: Pick<ChainParams, 'subsidyHalvingInterval'>): number {
  const halvings = Math.floor(height / params.subsidyHalvingInterval);
  if (halvings >= 64) return 0;
  return Math.floor((50 * COIN) / 2 ** halvings);
}
