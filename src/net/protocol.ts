/**
 * Core's protocol.h/net.h constants for the v1 wire protocol: the message header (magic, type, length,
 * checksum), message types, service bits and the size limits that decide when a peer is dropped.
 */
import { sha256d } from '../primitives/hash.js';

export const PROTOCOL_VERSION = 70016;
/** Core's MIN_PEER_PROTO_VERSION: older peers are disconnected after their version message. */
export const MIN_PEER_PROTO_VERSION = 31800;
export const WTXID_RELAY_VERSION = 70016;
export const SENDHEADERS_VERSION = 70012;
export const BIP0031_VERSION = 60000;

export const HEADER_SIZE = 24;
export const MESSAGE_TYPE_SIZE = 12;
/** net.h: the largest message payload accepted; a longer one disconnects the peer. */
export const MAX_PROTOCOL_MESSAGE_LENGTH = 4_000_000;
/** serialize.h MAX_SIZE. */
export const MAX_SIZE = 0x02000000;
export const MAX_LOCATOR_SZ = 101;
export const MAX_INV_SZ = 50_000;
export const MAX_HEADERS_RESULTS = 2000;
export const MAX_SUBVERSION_LENGTH = 256;
export const MAX_ADDR_TO_SEND = 1000;
export const MAX_BLOCKS_TO_ANNOUNCE = 8;

export const NODE_NONE = 0n;
export const NODE_NETWORK = 1n;
export const NODE_BLOOM = 1n << 2n;
export const NODE_WITNESS = 1n << 3n;
export const NODE_COMPACT_FILTERS = 1n << 6n;
export const NODE_NETWORK_LIMITED = 1n << 10n;
export const NODE_P2P_V2 = 1n << 11n;

const SERVICE_NAMES: [bigint, string][] = [
  [NODE_NETWORK, 'NETWORK'],
  [NODE_BLOOM, 'BLOOM'],
  [NODE_WITNESS, 'WITNESS'],
  [NODE_COMPACT_FILTERS, 'COMPACT_FILTERS'],
  [NODE_NETWORK_LIMITED, 'NETWORK_LIMITED'],
  [NODE_P2P_V2, 'P2P_V2'],
];

/** Core's GetServicesNames: known bits by name, unknown ones as UNKNOWN[2^n]. */
export function serviceNames(services: bigint): string[] {
  const out: string[] = [];
  for (let bit = 0n; bit < 64n; bit++) {
    const flag = 1n << bit;
    if (!(services & flag)) continue;
    out.push(SERVICE_NAMES.find(([f]) => f === flag)?.[1] ?? `UNKNOWN[2^${bit}]`);
  }
  return out;
}

export function servicesHex(services: bigint): string {
  return services.toString(16).padStart(16, '0');
}

/** Core's GetDesirableServiceFlags: limited peers do only while our tip is recent (see HasAllDesirableServiceFlags). */
export function desirableServices(services: bigint, tipIsRecent: boolean): bigint {
  if (services & NODE_NETWORK_LIMITED && tipIsRecent) return NODE_NETWORK_LIMITED | NODE_WITNESS;
  return NODE_NETWORK | NODE_WITNESS;
}

/** Core's ALL_NET_MESSAGE_TYPES: per-type byte counters; anything else counts as "*other*". */
export const ALL_NET_MESSAGE_TYPES: readonly string[] = [
  'version', 'verack', 'addr', 'addrv2', 'sendaddrv2', 'inv', 'getdata', 'merkleblock', 'getblocks', 'getheaders',
  'tx', 'headers', 'block', 'getaddr', 'mempool', 'ping', 'pong', 'notfound', 'filterload', 'filteradd',
  'filterclear', 'sendheaders', 'feefilter', 'sendcmpct', 'cmpctblock', 'getblocktxn', 'blocktxn', 'getcfilters',
  'cfilter', 'getcfheaders', 'cfheaders', 'getcfcheckpt', 'cfcheckpt', 'wtxidrelay', 'sendtxrcncl',
];
export const NET_MESSAGE_TYPE_OTHER = '*other*';

/** Core's SanitizeString(SAFE_CHARS_DEFAULT). */
export function sanitizeString(s: string): string {
  return s.replace(/[^A-Za-z0-9 .,;\-_/:?@()]/g, '');
}

export interface MessageHeader {
  magic: Uint8Array;
  /** Bytes of the 12-byte type field. */
  rawType: Uint8Array;
  /** Up to the first NUL (CMessageHeader::GetMessageType). */
  type: string;
  length: number;
  checksum: Uint8Array;
}

export function parseMessageHeader(b: Uint8Array): MessageHeader {
  const rawType = b.subarray(4, 16);
  const nul = rawType.indexOf(0);
  const type = String.fromCharCode(...(nul < 0 ? rawType : rawType.subarray(0, nul)));
  const length = (b[16]! | (b[17]! << 8) | (b[18]! << 16) | (b[19]! << 24)) >>> 0;
  return { magic: b.subarray(0, 4), rawType, type, length, checksum: b.subarray(20, 24) };
}

/** Core's IsMessageTypeValid: printable ASCII, then only NULs. */
export function isMessageTypeValid(rawType: Uint8Array): boolean {
  let i = 0;
  for (; i < rawType.length && rawType[i] !== 0; i++) if (rawType[i]! < 0x20 || rawType[i]! > 0x7e) return false;
  for (; i < rawType.length; i++) if (rawType[i] !== 0) return false;
  return true;
}

/** A whole v1 message: header and payload. */
export function frameMessage(magic: Uint8Array, type: string, payload: Uint8Array): Uint8Array {
  const out = new Uint8Array(HEADER_SIZE + payload.length);
  out.set(magic, 0);
  for (let i = 0; i < type.length && i < MESSAGE_TYPE_SIZE; i++) out[4 + i] = type.charCodeAt(i);
  new DataView(out.buffer).setUint32(16, payload.length, true);
  out.set(sha256d(payload).subarray(0, 4), 20);
  out.set(payload, HEADER_SIZE);
  return out;
}
