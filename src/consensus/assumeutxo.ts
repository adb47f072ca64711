/**
 * Assumeutxo parameters: Core's `m_assumeutxo_data` tables (spec assumeutxo.md §5), lookups as Core does them,
 * and user-trusted entries. Core has no way to add entries; chainsnap allows it only where nothing of value is
 * at stake (regtest and custom signets), so a snapshot of a public chain is always checked against Core's
 * own numbers.
 */
import type { ChainParams, NetworkName } from './params.js';

export interface AssumeutxoEntry {
  height: number;
  /** Display hex. */
  blockHash: string;
  /** hash_serialized_3, display hex. */
  hashSerialized: string;
  /** Transactions from genesis through the base block. */
  chainTxCount: number;
}

const e = (height: number, hashSerialized: string, chainTxCount: number, blockHash: string): AssumeutxoEntry =>
  Object.freeze({ height, blockHash, hashSerialized, chainTxCount });

/** Built-in entries, in Core's order. Copied from spec §5 (Core v30/v31 chainparams). */
export const ASSUMEUTXO_TABLE: Readonly<Record<NetworkName, readonly AssumeutxoEntry[]>> = Object.freeze({
  main: [
    e(840000, 'a2a5521b1b5ab65f67818e5e8eccabb7171a517f9e2382208f77687310768f96', 991032194, '0000000000000000000320283a032748cef8227873ff4872689bf23f1cda83a5'),
    e(880000, 'dbd190983eaf433ef7c15f78a278ae42c00ef52e0fd2a54953782175fbadcea9', 1145604538, '000000000000000000010b17283c3c400507969a9c2afd1dcf2082ec5cca2880'),
    e(910000, '4daf8a17b4902498c5787966a2b51c613acdab5df5db73f196fa59a4da2f1568', 1226586151, '0000000000000000000108970acb9522ffd516eae17acddcb1bd16469194a821'),
    e(935000, 'e4b90ef9eae834f56c4b64d2d50143cee10ad87994c614d7d04125e2a6025050', 1305397408, '0000000000000000000147034958af1652b2b91bba607beacc5e72a56f0fb5ee'),
  ],
  testnet3: [
    e(2500000, 'f841584909f68e47897952345234e37fcd9128cd818f41ee6c3ca68db8071be7', 66484552, '0000000000000093bcb68c03a9a168ae252572d348a2eaeba2cdf9231d73206f'),
    e(4840000, 'ce6bb677bb2ee9789c4a1c9d73e6683c53fc20e8fdbedbdaaf468982a0c8db2a', 536078574, '00000000000000f4971a7fb37fbdff89315b69a2e1920c467654a382f0d64786'),
  ],
  testnet4: [
    e(90000, '784fb5e98241de66fdd429f4392155c9e7db5c017148e66e8fdbc95746f8b9b5', 11347043, '0000000002ebe8bcda020e0dd6ccfbdfac531d2f6a81457191b99fc2df2dbe3b'),
    e(120000, '10b05d05ad468d0971162e1b222a4aa66caca89da2bb2a93f8f37fb29c4794b0', 14141057, '000000000bd2317e51b3c5794981c35ba894ce27d3e772d5c39ecd9cbce01dc8'),
  ],
  signet: [
    e(160000, 'fe0a44309b74d6b5883d246cb419c6221bcccf0b308c9b59b7d70783dbdf928a', 2289496, '0000003ca3c99aff040f2563c2ad8f8ec88bd0fd6b8f0895cfaf1ef90353a62c'),
    e(290000, '97267e000b4b876800167e71b9123f1529d13b14308abec2888bbd2160d14545', 28547497, '0000000577f2741bb30cd9d39d6d71b023afbeb9764f6260786a97969d5c9ac0'),
  ],
  regtest: [
    e(110, 'b952555c8ab81fec46f3d4253b7af256d766ceb39fb7752b9d18cdf4a0141327', 111, '6affe030b7965ab538f820a56ef56c8149b7dc1d1c144af57113be080db7c397'),
    e(200, '17dcc016d188d16068907cdeb38b75691a118d43053b8cd6a25969419381d13a', 201, '385901ccbd69dff6bbd00065d01fb8a9e464dede7cfe0372443884f9b1dcf6b9'),
    e(299, 'd2b051ff5e8eef46520350776f4100dd710a63447a8e01d917e92e79751a63e2', 334, '7cc695046fec709f8c9394b6f928f81e81fd3ac20977bb68760fa1faa7916ea2'),
  ],
});

/** Core's AssumeutxoForBlockhash. `hashHex` is display hex, any case. */
export function assumeutxoForHash(params: ChainParams, hashHex: string): AssumeutxoEntry | undefined {
  const want = hashHex.toLowerCase();
  return params.assumeutxo.find((a) => a.blockHash === want);
}

/**
 * Core's AssumeutxoForHeight. With user-trusted entries a height can have two entries (two regtest chains);
 * this returns the first (the built-in one). Code that knows the block looks it up by hash instead.
 */
export function assumeutxoForHeight(params: ChainParams, height: number): AssumeutxoEntry | undefined {
  return params.assumeutxo.find((a) => a.height === height);
}

/** Core's GetAvailableSnapshotHeights (used in the "not recognized" error), each height once. */
export function availableAssumeutxoHeights(params: ChainParams): number[] {
  return [...new Set(params.assumeutxo.map((a) => a.height))];
}

const HASH_RE = /^[0-9a-fA-F]{64}$/;
const UINT_RE = /^(0|[1-9][0-9]*)$/;

/** Parses a user-trusted entry "HEIGHT:BLOCKHASH:HASH_SERIALIZED_3:CHAIN_TX_COUNT" (hashes in display hex). */
export function parseAssumeutxoSpec(spec: string): AssumeutxoEntry {
  const where = `assumeutxo entry "${spec}"`;
  const parts = spec.trim().split(':');
  if (parts.length !== 4) {
    throw new Error(`${where}: expected HEIGHT:BLOCKHASH:HASH_SERIALIZED_3:CHAIN_TX_COUNT (4 fields), got ${parts.length}`);
  }
  const [h, blockHash, hashSerialized, count] = parts;
  if (!UINT_RE.test(h) || Number(h) > 0x7fffffff) throw new Error(`${where}: height "${h}" is not a block height`);
  if (!HASH_RE.test(blockHash)) throw new Error(`${where}: block hash "${blockHash}" is not 64 hex digits`);
  if (!HASH_RE.test(hashSerialized)) {
    throw new Error(`${where}: hash_serialized_3 "${hashSerialized}" is not 64 hex digits`);
  }
  if (!UINT_RE.test(count) || !Number.isSafeInteger(Number(count))) {
    throw new Error(`${where}: chain tx count "${count}" is not a non-negative integer`);
  }
  const height = Number(h);
  const chainTxCount = Number(count);
  // Every block from genesis to the base has at least its coinbase.
  if (chainTxCount < height + 1) {
    throw new Error(`${where}: chain tx count ${chainTxCount} is below height + 1 (${height + 1})`);
  }
  return e(height, hashSerialized.toLowerCase(), chainTxCount, blockHash.toLowerCase());
}

/**
 * Returns params extended with user-trusted entries. Refused for main, testnet3, testnet4 and the default
 * signet, whose snapshots must match Core's own parameters. Entries are told apart by block hash, as Core
 * looks them up when loading: regtest chains differ from user to user, so an entry for a height the
 * built-in table uses, but for another block, is a different entry and both apply, each to its own block.
 * An entry identical to an existing one is ignored; one for the same block with other data (height,
 * hash_serialized_3 or chain tx count) contradicts it and is an error: a snapshot can match only one.
 */
export function withTrustedAssumeutxo(params: ChainParams, entries: Array<AssumeutxoEntry | string>): ChainParams {
  if (entries.length === 0) return params;
  const allowed = params.name === 'regtest' || (params.name === 'signet' && params.isCustomSignet);
  if (!allowed) {
    const which = params.name === 'signet' ? 'the default signet' : `network ${params.name}`;
    throw new Error(
      `refusing user-trusted assumeutxo entries on ${which}: only Bitcoin Core's built-in parameters are used there ` +
        '(trusted entries are allowed on regtest and custom signets)',
    );
  }
  const list = [...params.assumeutxo];
  for (const raw of entries) {
    const entry = typeof raw === 'string' ? parseAssumeutxoSpec(raw) : parseAssumeutxoSpec(formatAssumeutxoSpec(raw));
    const clash = list.find((a) => a.blockHash === entry.blockHash);
    if (clash) {
      if (formatAssumeutxoSpec(clash) === formatAssumeutxoSpec(entry)) continue;
      throw new Error(
        `assumeutxo entry ${formatAssumeutxoSpec(entry)} conflicts with existing entry ${formatAssumeutxoSpec(clash)}`,
      );
    }
    list.push(entry);
  }
  return Object.freeze({ ...params, assumeutxo: Object.freeze(list) });
}

export function formatAssumeutxoSpec(a: AssumeutxoEntry): string {
  return `${a.height}:${a.blockHash}:${a.hashSerialized}:${a.chainTxCount}`;
}
