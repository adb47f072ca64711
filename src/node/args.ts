/**
 * Core's ArgsManager (common/args.cpp, common/settings.cpp): the settings read from the command line, the
 * settings file and the config file, and the rules by which one value wins — including Core's odd ones,
 * kept for compatibility (first value wins in a config file, negation, `-nofoo=0`, network-only options).
 */
import path from 'node:path';
import { FLAG, optionFlags } from './option-table.js';

/** A JSON value; in the command line and config maps only strings and booleans (false = negated). */
export type SettingValue = string | number | boolean | null | SettingValue[] | { [key: string]: SettingValue };

export interface Settings {
  forced: Map<string, SettingValue>;
  commandLine: Map<string, SettingValue[]>;
  /** settings.json. */
  rw: Map<string, SettingValue>;
  /** Config file values by section ('' for the top of the file). */
  ro: Map<string, Map<string, SettingValue[]>>;
}

export interface SectionInfo {
  name: string;
  file: string;
  line: number;
}

/** Refused arguments, in Core's words (the caller adds "Error parsing command line arguments: "). */
export class ArgsError extends Error {
  override name = 'ArgsError';
}

/** Core's InterpretKey: "section.noname" → section, name, negated. */
export function interpretKey(key: string): { section: string; name: string; negated: boolean } {
  let section = '';
  const dot = key.indexOf('.');
  if (dot >= 0) {
    section = key.slice(0, dot);
    key = key.slice(dot + 1);
  }
  const negated = key.startsWith('no');
  return { section, name: negated ? key.slice(2) : key, negated };
}

/** Core's LocaleIndependentAtoi<int64_t>: atoi's leniency, saturating instead of overflowing. */
export function atoi64(s: string): number {
  let t = s.trim();
  if (t.startsWith('+')) {
    if (t[1] === '-') return 0;
    t = t.slice(1);
  }
  const m = /^-?[0-9]+/.exec(t);
  if (!m) return 0;
  const v = BigInt(m[0]);
  const max = 2n ** 63n - 1n;
  if (v > max) return Number(max);
  if (v < -max - 1n) return Number(-max - 1n);
  return Number(v);
}

/** Core's InterpretBool: empty is true, else atoi != 0 (so "true" is false, as in Core). */
export function interpretBool(s: string): boolean {
  return s === '' || atoi64(s) !== 0;
}

/** Core's InterpretValue, for a key that is registered with `flags`. */
export function interpretValue(key: { name: string; negated: boolean }, value: string | undefined, flags: number): SettingValue {
  if (key.negated) {
    if (flags & FLAG.DISALLOW_NEGATION) throw new ArgsError(`Negating of -${key.name} is meaningless and therefore forbidden`);
    // A double negative (-nofoo=0) means foo=1.
    if (value !== undefined && !interpretBool(value)) return true;
    return false;
  }
  if (value === undefined && flags & FLAG.DISALLOW_ELISION) {
    throw new ArgsError(`Can not set -${key.name} with no value. Please specify value with -${key.name}=value.`);
  }
  return value ?? '';
}

/** A span of values as Core's SettingsSpan: values after the last negation count. */
class Span {
  constructor(readonly data: readonly SettingValue[]) {}
  negated(): number {
    for (let i = this.data.length; i > 0; i--) if (this.data[i - 1] === false) return i;
    return 0;
  }
  lastNegated(): boolean {
    return this.data.length > 0 && this.data[this.data.length - 1] === false;
  }
  empty(): boolean {
    return this.data.length === 0 || this.lastNegated();
  }
  values(): SettingValue[] {
    return this.data.slice(this.negated());
  }
}

type Source = 'forced' | 'command' | 'rw' | 'network-section' | 'default-section';

export class ArgsManager {
  readonly settings: Settings = { forced: new Map(), commandLine: new Map(), rw: new Map(), ro: new Map() };
  /** The chain's section name once selected (Core's m_network). */
  network = '';
  readonly configSections: SectionInfo[] = [];
  /** Log lines produced while parsing (Core logs them as soon as logging starts). */
  readonly log: string[] = [];

  /** Core's ParseParameters for bitcoind (no registered commands): stops at the first non-dash token. */
  parseParameters(argv: readonly string[]): { rest: string[] } {
    this.settings.commandLine.clear();
    for (let i = 0; i < argv.length; i++) {
      let key = argv[i];
      if (key === '-') break;
      let value: string | undefined;
      const eq = key.indexOf('=');
      if (eq >= 0) {
        value = key.slice(eq + 1);
        key = key.slice(0, eq);
      }
      if (!key.startsWith('-')) return { rest: argv.slice(i) };
      if (key.length > 1 && key[1] === '-') key = key.slice(1);
      const info = interpretKey(key.slice(1));
      const flags = optionFlags(info.name);
      if (flags === undefined || info.section !== '') throw new ArgsError(`Invalid parameter ${argv[i]}`);
      const v = this.interpret(info, value, flags);
      const list = this.settings.commandLine.get(info.name) ?? [];
      list.push(v);
      this.settings.commandLine.set(info.name, list);
    }
    const includes = this.settings.commandLine.get('includeconf');
    if (includes) {
      const span = new Span(includes);
      if (!span.empty()) throw new ArgsError(`-includeconf cannot be used from commandline; -includeconf=${JSON.stringify(span.values()[0])}`);
    }
    return { rest: [] };
  }

  private interpret(info: { name: string; negated: boolean }, value: string | undefined, flags: number): SettingValue {
    if (info.negated && value !== undefined && !interpretBool(value) && !(flags & FLAG.DISALLOW_NEGATION)) {
      this.log.push(`Warning: parsed potentially confusing double-negative -${info.name}=${value}`);
    }
    return interpretValue(info, value, flags);
  }

  /** Adds one config-file option ("section.name" or "name") as Core's ReadConfigStream; false when unknown. */
  addConfigOption(key: string, value: string): boolean {
    const info = interpretKey(key);
    const flags = optionFlags(info.name);
    if (info.name === 'conf') {
      throw new ArgsError('conf cannot be set in the configuration file; use includeconf= if you want to include additional config files');
    }
    if (info.name === 'reindex') {
      this.log.push('Warning: reindex=1 is set in the configuration file, which will significantly slow down startup. Consider removing or commenting out this option for better performance, unless there is currently a condition which makes rebuilding the indexes necessary');
    }
    if (flags === undefined) return false;
    const v = this.interpret(info, value, flags);
    const section = this.settings.ro.get(info.section) ?? new Map<string, SettingValue[]>();
    this.settings.ro.set(info.section, section);
    const list = section.get(info.name) ?? [];
    list.push(v);
    section.set(info.name, list);
    return true;
  }

  private merge(section: string, name: string, fn: (span: Span, source: Source) => void): void {
    const s = this.settings;
    const forced = s.forced.get(name);
    if (forced !== undefined) fn(new Span([forced]), 'forced');
    const cmd = s.commandLine.get(name);
    if (cmd) fn(new Span(cmd), 'command');
    const rw = s.rw.get(name);
    if (rw !== undefined) fn(new Span([rw]), 'rw');
    if (section !== '') {
      const values = s.ro.get(section)?.get(name);
      if (values) fn(new Span(values), 'network-section');
    }
    const top = s.ro.get('')?.get(name);
    if (top) fn(new Span(top), 'default-section');
  }

  /** Core's common::GetSetting. */
  getSettingRaw(section: string, name: string, ignoreDefaultSection: boolean, ignoreNonpersistent: boolean, getChainType: boolean): SettingValue | undefined {
    let result: SettingValue | undefined;
    let done = false;
    this.merge(section, name, (span, source) => {
      const neverIgnoreNegated = span.lastNegated();
      const config = source === 'network-section' || source === 'default-section';
      const reverse = config && !getChainType;
      if (done) return;
      if (ignoreDefaultSection && source === 'default-section' && !neverIgnoreNegated) return;
      if (ignoreNonpersistent && (source === 'command' || source === 'forced')) return;
      if (getChainType && span.lastNegated()) return;
      if (!span.empty()) {
        const values = span.values();
        result = reverse ? values[0] : values[values.length - 1];
        done = true;
      } else if (span.lastNegated()) {
        result = false;
        done = true;
      }
    });
    return result;
  }

  /** Core's common::GetSettingsList. */
  getSettingsListRaw(section: string, name: string, ignoreDefaultSection: boolean): SettingValue[] {
    const result: SettingValue[] = [];
    let done = false;
    let prevNegatedEmpty = false;
    this.merge(section, name, (span, source) => {
      const config = source === 'network-section' || source === 'default-section';
      const zombies = config && !prevNegatedEmpty;
      if (ignoreDefaultSection && source === 'default-section') return;
      if (!done || zombies) {
        for (const v of span.values()) {
          if (Array.isArray(v)) result.push(...v);
          else result.push(v);
        }
      }
      done ||= span.negated() > 0 || source === 'forced';
      prevNegatedEmpty ||= span.lastNegated() && result.length === 0;
    });
    return result;
  }

  /** True when a network-only option may be read from the top of the config file (Core's UseDefaultSection). */
  private useDefaultSection(name: string): boolean {
    return this.network === 'main' || !((optionFlags(name) ?? 0) & FLAG.NETWORK_ONLY);
  }

  getSetting(name: string): SettingValue | undefined {
    return this.getSettingRaw(this.network, name, !this.useDefaultSection(name), false, false);
  }

  getSettingsList(name: string): SettingValue[] {
    return this.getSettingsListRaw(this.network, name, !this.useDefaultSection(name));
  }

  isArgSet(name: string): boolean {
    return this.getSetting(name) !== undefined && this.getSetting(name) !== null;
  }

  isArgNegated(name: string): boolean {
    return this.getSetting(name) === false;
  }

  getArg(name: string): string | undefined {
    return settingToString(this.getSetting(name));
  }

  getArgs(name: string): string[] {
    return this.getSettingsList(name).map((v) => (v === false ? '0' : v === true ? '1' : typeof v === 'string' ? v : JSON.stringify(v)));
  }

  getIntArg(name: string): number | undefined {
    const v = this.getSetting(name);
    if (v === undefined || v === null) return undefined;
    if (v === false) return 0;
    if (v === true) return 1;
    if (typeof v === 'number') return Math.trunc(v);
    return atoi64(typeof v === 'string' ? v : '');
  }

  getBoolArg(name: string): boolean | undefined {
    const v = this.getSetting(name);
    if (v === undefined || v === null) return undefined;
    if (typeof v === 'boolean') return v;
    return interpretBool(typeof v === 'string' ? v : String(v));
  }

  /** Core's GetPathArg: '' when negated, the default when unset or empty; normalised, no trailing slash. */
  getPathArg(name: string, defaultValue = ''): string {
    if (this.isArgNegated(name)) return '';
    const s = this.getArg(name) ?? '';
    if (s === '') return defaultValue;
    const normal = path.normalize(s);
    return normal.length > 1 && normal.endsWith(path.sep) ? normal.slice(0, -1) : normal;
  }

  /** Core's GetChainArg: a known chain's name (as ChainTypeToString) or the unknown -chain value. */
  chainTypeString(): string {
    const net = (name: string) => {
      const v = this.getSettingRaw('', name, false, false, true);
      return v === undefined || v === null ? false : typeof v === 'boolean' ? v : interpretBool(String(v));
    };
    const regtest = net('regtest');
    const signet = net('signet');
    const testnet = net('testnet');
    const testnet4 = net('testnet4');
    const chain = this.getArg('chain');
    if (Number(chain !== undefined) + Number(regtest) + Number(signet) + Number(testnet) + Number(testnet4) > 1) {
      throw new ArgsError('Invalid combination of -regtest, -signet, -testnet, -testnet4 and -chain. Can use at most one.');
    }
    if (chain !== undefined) return chain;
    if (regtest) return 'regtest';
    if (signet) return 'signet';
    if (testnet) return 'test';
    if (testnet4) return 'testnet4';
    return 'main';
  }

  /** Network-only options given only at the top of the config file (Core's GetUnsuitableSectionOnlyArgs). */
  unsuitableSectionOnlyArgs(): string[] {
    if (this.network === '' || this.network === 'main') return [];
    const out: string[] = [];
    const names = new Set<string>();
    for (const m of this.settings.ro.values()) for (const k of m.keys()) names.add(k);
    for (const name of [...names].sort()) {
      if (!((optionFlags(name) ?? 0) & FLAG.NETWORK_ONLY)) continue;
      let inDefault = false;
      let elsewhere = false;
      this.merge(this.network, name, (span, source) => {
        if (span.empty()) return;
        if (source === 'default-section') inDefault = true;
        else elsewhere = true;
      });
      if (inDefault && !elsewhere) out.push(`-${name}`);
    }
    return out;
  }

  unrecognizedSections(): SectionInfo[] {
    const known = new Set(['regtest', 'signet', 'test', 'testnet4', 'main']);
    return this.configSections.filter((s) => !known.has(s.name));
  }

  /** Every option name given anywhere (command line, settings file, config sections that apply). */
  givenNames(): Set<string> {
    const names = new Set<string>([...this.settings.commandLine.keys(), ...this.settings.rw.keys()]);
    for (const [section, m] of this.settings.ro) {
      if (section === '' || section === this.network) for (const k of m.keys()) names.add(k);
    }
    return names;
  }
}

/** Core's SettingToString. */
export function settingToString(v: SettingValue | undefined): string | undefined {
  if (v === undefined || v === null) return undefined;
  if (v === false) return '0';
  if (v === true) return '1';
  if (typeof v === 'number') return String(v);
  return typeof v === 'string' ? v : JSON.stringify(v);
}
