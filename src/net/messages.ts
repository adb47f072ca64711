/**
 * Payloads of the messages chainsnap speaks (protocol.h, net_processing.cpp), encoded and decoded as Core
 * serialises them. Decoders throw DeserializeError with Core's DataStream words on short input, and a plain
 * Error with Core's words on the few checks done while reading (address too long).
 */
import { ByteReader, ByteWriter } from '../primitives/bytes.js';
import { parseHeader, writeHeader, type BlockHeader } from '../primitives/block.js';
import type { InvItem } from './peer-link.js';
import { BIP155, fromIPv6Bytes, toV1Bytes, type NetAddr, type Service } from './netaddr.js';
import { MAX_SUBVERSION_LENGTH } from './protocol.js';

export interface VersionMessage {
  version: number;
  services: bigint;
  time: number;
  /** The address the sender sees us at (addrMe in Core's receive code), when it sent one. */
  addrRecv: Service | undefined;
  nonce: bigint;
  userAgent: string;
  startHeight: number;
  relay: boolean;
}

function readV1Service(r: ByteReader): Service | undefined {
  const a = fromIPv6Bytes(r.readBytes(16));
  const port = (r.readU8() << 8) | r.readU8();
  return a.bytes.every((b) => b === 0) ? undefined : { ...a, port };
}

function writeV1Service(w: ByteWriter, s: Service | undefined): void {
  w.writeBytes(toV1Bytes(s));
  const port = s?.port ?? 0;
  w.writeU8(port >> 8).writeU8(port & 0xff);
}

export function encodeVersion(m: VersionMessage & { addrFrom?: Service; theirServices: bigint }): Uint8Array {
  const w = new ByteWriter(128);
  w.writeI32LE(m.version).writeU64LE(m.services).writeI64LE(m.time);
  w.writeU64LE(m.theirServices);
  writeV1Service(w, m.addrRecv);
  w.writeU64LE(m.services);
  writeV1Service(w, undefined);
  w.writeU64LE(m.nonce);
  w.writeVarBytes(new TextEncoder().encode(m.userAgent));
  w.writeI32LE(m.startHeight).writeU8(m.relay ? 1 : 0);
  return w.toBytes();
}

/** Core's reading of version: the fields after addrMe are optional. */
export function decodeVersion(payload: Uint8Array): VersionMessage {
  const r = new ByteReader(payload);
  const version = r.readI32LE();
  const services = r.readU64LE();
  const time = Math.max(0, r.readI64LE());
  r.skip(8);
  const addrRecv = readV1Service(r);
  const m: VersionMessage = { version, services, time, addrRecv, nonce: 1n, userAgent: '', startHeight: -1, relay: true };
  if (r.eof) return m;
  r.skip(26);
  m.nonce = r.readU64LE();
  if (r.eof) return m;
  const len = r.readCompactSize();
  if (len > MAX_SUBVERSION_LENGTH) throw new Error('String length limit exceeded');
  m.userAgent = new TextDecoder('latin1').decode(r.readBytes(len));
  if (r.eof) return m;
  m.startHeight = r.readI32LE();
  if (r.eof) return m;
  m.relay = r.readU8() !== 0;
  return m;
}

export function encodeU64(n: bigint): Uint8Array {
  return new ByteWriter(8).writeU64LE(n).toBytes();
}

export function decodeU64(payload: Uint8Array): bigint {
  return new ByteReader(payload).readU64LE();
}

export function encodeLocator(version: number, locator: Uint8Array[], stop: Uint8Array): Uint8Array {
  const w = new ByteWriter(8 + 32 * (locator.length + 1));
  w.writeU32LE(version).writeCompactSize(locator.length);
  for (const h of locator) w.writeBytes(h);
  return w.writeBytes(stop).toBytes();
}

export function decodeLocator(payload: Uint8Array): { version: number; locator: Uint8Array[]; stop: Uint8Array } {
  const r = new ByteReader(payload);
  const version = r.readU32LE();
  const n = r.readCompactSize();
  const locator: Uint8Array[] = [];
  for (let i = 0; i < n; i++) locator.push(r.readBytes(32).slice());
  return { version, locator, stop: r.readBytes(32).slice() };
}

export function encodeHeaders(headers: BlockHeader[]): Uint8Array {
  const w = new ByteWriter(3 + 81 * headers.length);
  w.writeCompactSize(headers.length);
  for (const h of headers) writeHeader(w, h), w.writeU8(0);
  return w.toBytes();
}

/** The count first, so the caller can refuse an oversized message before reading it (Core reads the count, then checks). */
export function decodeHeaders(payload: Uint8Array, maxCount: number): { count: number; headers?: BlockHeader[] } {
  const r = new ByteReader(payload);
  const count = r.readCompactSize();
  if (count > maxCount) return { count };
  const headers: BlockHeader[] = [];
  for (let i = 0; i < count; i++) {
    headers.push(parseHeader(r));
    r.readCompactSize();
  }
  return { count, headers };
}

export function encodeInv(items: InvItem[]): Uint8Array {
  const w = new ByteWriter(3 + 36 * items.length);
  w.writeCompactSize(items.length);
  for (const i of items) w.writeU32LE(i.type).writeBytes(i.hash);
  return w.toBytes();
}

export function decodeInv(payload: Uint8Array, maxCount: number): { count: number; items?: InvItem[] } {
  const r = new ByteReader(payload);
  const count = r.readCompactSize();
  if (count > maxCount) return { count };
  const items: InvItem[] = [];
  for (let i = 0; i < count; i++) items.push({ type: r.readU32LE(), hash: r.readBytes(32).slice() });
  return { count, items };
}

export interface AddrEntry extends Service {
  time: number;
  services: bigint;
}

/** addr (v1) or addrv2 (BIP155). Entries of networks we cannot hold are skipped, as Core does. */
export function decodeAddrs(payload: Uint8Array, v2: boolean, maxCount: number): { count: number; addrs?: AddrEntry[] } {
  const r = new ByteReader(payload);
  const count = r.readCompactSize();
  if (count > maxCount) return { count };
  const addrs: AddrEntry[] = [];
  for (let i = 0; i < count; i++) {
    const time = r.readU32LE();
    if (!v2) {
      const services = r.readU64LE();
      const s = readV1Service(r);
      if (s) addrs.push({ ...s, time, services });
      continue;
    }
    const services = BigInt(r.readCompactSize(false));
    const netId = r.readU8();
    const len = r.readCompactSize();
    if (len > 512) throw new Error(`Address too long: ${len} > 512`);
    const bytes = r.readBytes(len).slice();
    const port = (r.readU8() << 8) | r.readU8();
    const known = BIP155[netId];
    if (!known) continue;
    if (len !== known.size) throw new Error(`BIP155 ${known.net} address with length ${len} (should be ${known.size})`);
    const addr: NetAddr = known.net === 'ipv6' ? fromIPv6Bytes(bytes) : { net: known.net, bytes };
    addrs.push({ ...addr, port, time, services });
  }
  return { count, addrs };
}

const NET_IDS: Record<string, number> = { ipv4: 1, ipv6: 2, onion: 4, i2p: 5, cjdns: 6 };

export function encodeAddrs(addrs: AddrEntry[], v2: boolean): Uint8Array {
  const w = new ByteWriter(3 + 40 * addrs.length);
  w.writeCompactSize(addrs.length);
  for (const a of addrs) {
    w.writeU32LE(a.time);
    if (v2) {
      w.writeCompactSize(Number(a.services)).writeU8(NET_IDS[a.net]!).writeVarBytes(a.bytes);
      w.writeU8(a.port >> 8).writeU8(a.port & 0xff);
    } else {
      w.writeU64LE(a.services);
      writeV1Service(w, a);
    }
  }
  return w.toBytes();
}
