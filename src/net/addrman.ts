/**
 * The address manager (Core's AddrMan, simplified): addresses we heard of sit in the "new" table, those we
 * connected to in "tried". Buckets are chosen by a keyed hash of the address's and its source's network
 * group, as in Core, so one source cannot fill the table. Persisted as peers.json in the network's data
 * directory (our own format), written atomically.
 */
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import type { Logger } from 'pino';
import { sha256d } from '../primitives/hash.js';
import { formatService, netGroup, parseService, type NetAddr, type Service } from './netaddr.js';
import { readJson, writeJsonAtomic } from './persist.js';

const NEW_BUCKETS = 1024;
const TRIED_BUCKETS = 256;
const BUCKET_SIZE = 64;
const HORIZON = 30 * 24 * 60 * 60;
const RETRIES = 3;
const MAX_FAILURES = 10;
const MIN_FAIL = 7 * 24 * 60 * 60;

export interface AddrInfo extends Service {
  services: bigint;
  /** Last time the address was seen announced (seconds). */
  time: number;
  lastTry: number;
  lastSuccess: number;
  attempts: number;
  tried: boolean;
  /** "new[b][p]" or "tried[b][p]". */
  bucket: number;
  position: number;
  source: string;
}

interface Stored {
  addr: string;
  services: string;
  time: number;
  lastTry: number;
  lastSuccess: number;
  attempts: number;
  tried: boolean;
  source: string;
}

export class AddrMan {
  private readonly entries = new Map<string, AddrInfo>();
  /** "t:bucket:pos" / "n:bucket:pos" → entry key. */
  private readonly slots = new Map<string, string>();
  private readonly key: Uint8Array;
  private readonly file: string;
  private dirty = false;

  constructor(
    networkDir: string,
    defaultPort: number,
    private readonly log: Logger,
    deterministic = false,
  ) {
    this.file = path.join(networkDir, 'peers.json');
    const data = readJson(this.file) as { key?: string; addrs?: Stored[] } | undefined;
    this.key = data?.key ? Buffer.from(data.key, 'hex') : deterministic ? new Uint8Array(32).fill(1) : randomBytes(32);
    for (const s of data?.addrs ?? []) {
      const svc = parseService(s.addr, defaultPort);
      if (!svc) continue;
      const info: AddrInfo = { ...svc, services: BigInt(s.services), time: s.time, lastTry: s.lastTry, lastSuccess: s.lastSuccess, attempts: s.attempts, tried: false, bucket: 0, position: 0, source: s.source };
      this.place(info, s.tried);
    }
    if (data) this.log.info(`Loaded ${this.entries.size} addresses from peers.json`);
  }

  get size(): number {
    return this.entries.size;
  }

  private hash(...parts: string[]): number {
    const h = sha256d(Uint8Array.from([...this.key, ...new TextEncoder().encode(parts.join('|'))]));
    return (h[0]! | (h[1]! << 8) | (h[2]! << 16)) >>> 0;
  }

  private keyOf(a: Service): string {
    return formatService(a);
  }

  /** Puts an entry in its table, evicting whatever held the slot (Core's bucket collision, simplified). */
  private place(info: AddrInfo, tried: boolean): void {
    const k = this.keyOf(info);
    const group = netGroup(info);
    info.tried = tried;
    info.bucket = tried ? this.hash('t', group, k) % TRIED_BUCKETS : this.hash('n', group, info.source) % NEW_BUCKETS;
    info.position = this.hash('p', tried ? 't' : 'n', String(info.bucket), k) % BUCKET_SIZE;
    const slot = `${tried ? 't' : 'n'}:${info.bucket}:${info.position}`;
    const old = this.slots.get(slot);
    if (old && old !== k) this.entries.delete(old);
    this.slots.set(slot, k);
    this.entries.set(k, info);
    this.dirty = true;
  }

  private unplace(info: AddrInfo): void {
    this.slots.delete(`${info.tried ? 't' : 'n'}:${info.bucket}:${info.position}`);
  }

  /** Core's Add: new addresses into "new"; known ones get the fresher time and services. */
  add(addrs: (Service & { time: number; services: bigint })[], source: NetAddr, penalty: number, now: number, sourceText: string): number {
    let added = 0;
    for (const a of addrs) {
      const k = this.keyOf(a);
      const known = this.entries.get(k);
      const time = Math.max(0, a.time - penalty);
      if (known) {
        known.services |= a.services;
        if (time > known.time) known.time = time;
        this.dirty = true;
        continue;
      }
      if (this.isTerrible({ time, lastTry: 0, lastSuccess: 0, attempts: 0 }, now)) continue;
      const info: AddrInfo = { ...a, time, lastTry: 0, lastSuccess: 0, attempts: 0, tried: false, bucket: 0, position: 0, source: netGroup(source) };
      this.place(info, false);
      added++;
      this.log.child({ category: 'addrman' }).debug(`Added ${k} to new[${info.bucket}][${info.position}]`);
    }
    this.log.child({ category: 'addrman' }).debug(`Added ${added} addresses (of ${addrs.length}) from ${sourceText}: 0 tried, ${this.entries.size - this.triedCount()} new`);
    return added;
  }

  private triedCount(): number {
    let n = 0;
    for (const e of this.entries.values()) if (e.tried) n++;
    return n;
  }

  /** Core's Good: a completed handshake moves the address to "tried". */
  good(a: Service, now: number): boolean {
    const info = this.entries.get(this.keyOf(a));
    if (!info) return false;
    const wasTried = info.tried;
    info.lastSuccess = now;
    info.lastTry = now;
    info.attempts = 0;
    if (!info.tried) {
      this.unplace(info);
      this.place(info, true);
      this.log.child({ category: 'addrman' }).debug(`Moved ${this.keyOf(a)} to tried[${info.bucket}][${info.position}]`);
    }
    this.dirty = true;
    // Core's Good: false when it was in "tried" already (or the move lost it to a collision).
    return !wasTried && this.entries.get(this.keyOf(a)) === info;
  }

  attempt(a: Service, now: number): void {
    const info = this.entries.get(this.keyOf(a));
    if (!info) return;
    info.lastTry = now;
    info.attempts++;
    this.dirty = true;
  }

  setServices(a: Service, services: bigint): void {
    const info = this.entries.get(this.keyOf(a));
    if (info) info.services = services;
  }

  /** Core's IsTerrible. */
  private isTerrible(i: { time: number; lastTry: number; lastSuccess: number; attempts: number }, now: number): boolean {
    if (i.lastTry && i.lastTry >= now - 60) return false;
    if (i.time > now + 10 * 60) return true;
    if (now - i.time > HORIZON) return true;
    if (i.lastSuccess === 0 && i.attempts >= RETRIES) return true;
    if (now - i.lastSuccess > MIN_FAIL && i.attempts >= MAX_FAILURES) return true;
    return false;
  }

  /** Core's Select: tried or new with even odds, weighted against recently failed addresses. */
  select(now: number, accept: (a: AddrInfo) => boolean): AddrInfo | undefined {
    const all = [...this.entries.values()].filter(accept);
    if (all.length === 0) return undefined;
    const tried = all.filter((e) => e.tried);
    const pool = tried.length > 0 && (Math.random() < 0.5 || tried.length === all.length) ? tried : all.filter((e) => !e.tried);
    for (let i = 0; i < 50; i++) {
      const e = pool[Math.floor(Math.random() * pool.length)]!;
      let chance = Math.pow(0.66, Math.min(e.attempts, 8));
      if (now - e.lastTry < 10 * 60) chance *= 0.01;
      if (Math.random() < chance || i === 49) return e;
    }
    return undefined;
  }

  /** Core's GetAddr: up to `max` and `pct` percent of the table, terrible ones left out. */
  getAddresses(max: number, pct: number, now: number): AddrInfo[] {
    const good = [...this.entries.values()].filter((e) => !this.isTerrible(e, now));
    for (let i = good.length - 1; i > 0; i--) {
      const j = Math.floor(Math.random() * (i + 1));
      [good[i], good[j]] = [good[j]!, good[i]!];
    }
    return good.slice(0, Math.min(max, Math.floor((this.entries.size * pct) / 100)));
  }

  all(): AddrInfo[] {
    return [...this.entries.values()];
  }

  /** Written at shutdown and every 15 minutes (Core's DUMP_PEERS_INTERVAL). */
  save(): void {
    if (!this.dirty && this.entries.size > 0) return;
    const addrs: Stored[] = [...this.entries.values()].map((e) => ({
      addr: this.keyOf(e), services: e.services.toString(), time: e.time, lastTry: e.lastTry, lastSuccess: e.lastSuccess, attempts: e.attempts, tried: e.tried, source: e.source,
    }));
    writeJsonAtomic(this.file, { version: 1, key: Buffer.from(this.key).toString('hex'), addrs });
    this.dirty = false;
  }
}
