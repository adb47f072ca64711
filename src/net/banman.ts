/**
 * Core's BanMan: bans by subnet with an expiry, persisted as Core's banlist.json in the network's data
 * directory, and discouragement (Misbehaving), which is kept in memory only, as Core keeps it.
 */
import path from 'node:path';
import type { Logger } from 'pino';
import { compareSubNet, formatSubNet, parseSubNet, subnetMatch, type NetAddr, type SubNet } from './netaddr.js';
import { readJson, writeJsonAtomic } from './persist.js';

/** Core's DEFAULT_MISBEHAVING_BANTIME (-bantime): 24 hours. */
export const DEFAULT_BAN_TIME = 24 * 60 * 60;
/** Core keeps discouraged addresses in a rolling bloom filter of 50,000; so do we, as a bounded set. */
const DISCOURAGED_MAX = 50_000;

export interface BanEntry {
  subnet: SubNet;
  created: number;
  until: number;
}

export class BanMan {
  private banned: BanEntry[] = [];
  private readonly discouraged = new Set<string>();
  private readonly file: string;

  constructor(
    networkDir: string,
    private readonly log: Logger,
    private readonly now: () => number,
    private readonly defaultBanTime = DEFAULT_BAN_TIME,
  ) {
    this.file = path.join(networkDir, 'banlist.json');
    const data = readJson(this.file) as { banned_nets?: { version: number; ban_created: number; banned_until: number; address: string }[] } | undefined;
    if (data && Array.isArray(data.banned_nets)) {
      for (const b of data.banned_nets) {
        const subnet = parseSubNet(b.address);
        if (subnet) this.banned.push({ subnet, created: b.ban_created, until: b.banned_until });
      }
      this.sort();
      this.sweep();
      this.log.debug(`Loaded ${this.banned.length} banned node addresses/subnets`);
    } else {
      this.log.info('Recreating the banlist database');
    }
    this.dump();
  }

  private sort(): void {
    this.banned.sort((a, b) => compareSubNet(a.subnet, b.subnet));
  }

  private sweep(): boolean {
    const now = this.now();
    const before = this.banned.length;
    this.banned = this.banned.filter((b) => {
      if (now <= b.until) return true;
      this.log.debug(`Removed banned node address/subnet: ${formatSubNet(b.subnet)}`);
      return false;
    });
    return this.banned.length !== before;
  }

  dump(): void {
    this.sweep();
    const banned_nets = this.banned.map((b) => ({ version: 1, ban_created: b.created, banned_until: b.until, address: formatSubNet(b.subnet) }));
    writeJsonAtomic(this.file, { banned_nets });
  }

  isBanned(a: NetAddr, now = this.now()): boolean {
    return this.banned.some((b) => now < b.until && subnetMatch(b.subnet, a));
  }

  isSubnetBanned(s: SubNet): boolean {
    const now = this.now();
    return this.banned.some((b) => compareSubNet(b.subnet, s) === 0 && now < b.until);
  }

  /** Core's Ban: a non-positive offset means the default ban time from now. */
  ban(subnet: SubNet, offset: number, absolute: boolean): void {
    const now = this.now();
    if (offset <= 0) {
      offset = this.defaultBanTime;
      absolute = false;
    }
    const until = (absolute ? 0 : now) + offset;
    const existing = this.banned.find((b) => compareSubNet(b.subnet, subnet) === 0);
    if (existing && existing.until >= until) return;
    if (existing) Object.assign(existing, { created: now, until });
    else this.banned.push({ subnet, created: now, until });
    this.sort();
    this.dump();
  }

  unban(subnet: SubNet): boolean {
    const i = this.banned.findIndex((b) => compareSubNet(b.subnet, subnet) === 0);
    if (i < 0) return false;
    this.banned.splice(i, 1);
    this.dump();
    return true;
  }

  list(): BanEntry[] {
    if (this.sweep()) this.dump();
    return [...this.banned];
  }

  clear(): void {
    this.banned = [];
    this.dump();
  }

  discourage(a: NetAddr): void {
    if (this.discouraged.size >= DISCOURAGED_MAX) this.discouraged.delete(this.discouraged.values().next().value!);
    this.discouraged.add(`${a.net}:${Buffer.from(a.bytes).toString('hex')}`);
  }

  isDiscouraged(a: NetAddr): boolean {
    return this.discouraged.has(`${a.net}:${Buffer.from(a.bytes).toString('hex')}`);
  }

  clearDiscouraged(): void {
    this.discouraged.clear();
  }
}
