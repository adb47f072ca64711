/**
 * The snapshot file header (Core's SnapshotMetadata, version 2): magic "utxo\xff", u16 version, the
 * network's message start, the base block hash and the coin count. Parsing checks them in Core's order
 * with Core's messages.
 */
import { readU32LE, toHex, writeU32LE } from '../primitives/bytes.js';
import { hashToHex } from '../primitives/hash.js';
import { coreChainName, networkForMessageStart, type NetworkName } from '../consensus/params.js';
import { MSG, SnapshotError } from './errors.js';

const CORE_NAME_OF: Record<NetworkName, true> = { main: true, testnet3: true, testnet4: true, signet: true, regtest: true };

export const SNAPSHOT_MAGIC = Uint8Array.of(0x75, 0x74, 0x78, 0x6f, 0xff);
export const SNAPSHOT_VERSION = 2;
export const METADATA_SIZE = 51;

export interface SnapshotMetadata {
  /** The 4-byte message start of the network the snapshot was made on. */
  messageStart: Uint8Array;
  /** Known network of that message start, if any. */
  network: NetworkName | undefined;
  /** Internal byte order. */
  baseHash: Uint8Array;
  coinsCount: number;
}

export function serializeMetadata(m: { messageStart: Uint8Array; baseHash: Uint8Array; coinsCount: number }): Uint8Array {
  const out = new Uint8Array(METADATA_SIZE);
  out.set(SNAPSHOT_MAGIC, 0);
  out[5] = SNAPSHOT_VERSION & 0xff;
  out[6] = SNAPSHOT_VERSION >> 8;
  out.set(m.messageStart, 7);
  out.set(m.baseHash, 11);
  writeU32LE(out, 43, m.coinsCount % 0x1_0000_0000);
  writeU32LE(out, 47, Math.floor(m.coinsCount / 0x1_0000_0000));
  return out;
}

/**
 * Parses the header. `expected` is the node's own message start; without it (offline tools) any known
 * network is accepted and an unknown one is refused with Core's message, unless `allowUnknownNetwork`.
 * A short file fails the way Core's AutoFile does.
 */
export function parseMetadata(
  bytes: Uint8Array,
  opts: { expected?: Uint8Array; expectedName?: string; allowUnknownNetwork?: boolean } = {},
): SnapshotMetadata {
  const need = (n: number) => {
    if (bytes.length < n) throw new SnapshotError('metadata', MSG.headerEof, bytes.length);
  };
  need(5);
  for (let i = 0; i < 5; i++) {
    if (bytes[i] !== SNAPSHOT_MAGIC[i]) throw new SnapshotError('metadata', MSG.badMagic, 0, oldFormatHint(bytes));
  }
  need(7);
  const version = bytes[5] | (bytes[6] << 8);
  if (version !== SNAPSHOT_VERSION) throw new SnapshotError('metadata', MSG.badVersion(version), 5);
  need(11);
  const messageStart = bytes.slice(7, 11);
  const network = networkForMessageStart(messageStart);
  if (opts.expected && toHex(opts.expected) !== toHex(messageStart)) {
    const own = opts.expectedName ?? networkForMessageStart(opts.expected);
    const ownName = own === undefined ? toHex(opts.expected) : own in CORE_NAME_OF ? coreChainName(own as NetworkName) : own;
    if (network) throw new SnapshotError('metadata', MSG.wrongNetwork(coreChainName(network), ownName), 7);
    throw new SnapshotError('metadata', MSG.unknownNetwork, 7);
  }
  if (!opts.expected && !network && !opts.allowUnknownNetwork) throw new SnapshotError('metadata', MSG.unknownNetwork, 7);
  need(METADATA_SIZE);
  const baseHash = bytes.slice(11, 43);
  const coinsCount = readU32LE(bytes, 43) + readU32LE(bytes, 47) * 0x1_0000_0000;
  return { messageStart, network, baseHash, coinsCount };
}

/**
 * Files written by Core v26/v27 start with the base block hash and a u64 coin count. Say so, since
 * Core's message only hints at it. Recognised by a count that fits 40 bits (random bytes do that once
 * in 16 million), or by a hash ending in the zero bytes of mainnet or testnet proof of work.
 */
function oldFormatHint(bytes: Uint8Array): string | undefined {
  if (bytes.length < 40) return undefined;
  const powHash = bytes[28] === 0 && bytes[29] === 0 && bytes[30] === 0 && bytes[31] === 0;
  const plausibleCount = bytes[37] === 0 && bytes[38] === 0 && bytes[39] === 0 && bytes.subarray(32, 37).some((b) => b !== 0);
  if (!powHash && !plausibleCount) return undefined;
  return `(This looks like a snapshot in the old v26/v27 format, for base block ${hashToHex(bytes.subarray(0, 32))}; ` +
    'Bitcoin Core v28+ and chainsnap read only version 2: dump it again with a current node.)';
}
