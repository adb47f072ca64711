/**
 * chainsnap.conf: Core's bitcoin.conf syntax (`key=value` lines, `#` comments, `[network]` sections, a
 * key may repeat). Options in a section apply to that network only; top-level ones to every network.
 */
import { readFileSync } from 'node:fs';

export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

export interface Config {
  /** Where it was read from, for messages. */
  source: string;
  top: Map<string, string[]>;
  sections: Map<string, Map<string, string[]>>;
}

/** Section names as Core spells them, plus chainsnap's own name for testnet3. */
const SECTIONS = new Set(['main', 'test', 'testnet3', 'testnet4', 'signet', 'regtest']);

export function parseConfig(text: string, source = 'chainsnap.conf'): Config {
  const cfg: Config = { source, top: new Map(), sections: new Map() };
  let current = cfg.top;
  text.split(/\r?\n/).forEach((raw, i) => {
    const line = raw.replace(/#.*$/, '').trim();
    if (!line) return;
    const where = `${source}:${i + 1}`;
    const section = /^\[([^\]]*)\]$/.exec(line);
    if (section) {
      const name = section[1].trim();
      if (!SECTIONS.has(name)) throw new ConfigError(`${where}: unknown section [${name}] (expected one of ${[...SECTIONS].join(', ')})`);
      const key = name === 'testnet3' ? 'test' : name;
      current = cfg.sections.get(key) ?? new Map();
      cfg.sections.set(key, current);
      return;
    }
    const eq = line.indexOf('=');
    if (eq <= 0) throw new ConfigError(`${where}: expected key=value, got "${line}"`);
    const key = line.slice(0, eq).trim();
    const value = line.slice(eq + 1).trim();
    const list = current.get(key) ?? [];
    list.push(value);
    current.set(key, list);
  });
  return cfg;
}

export function readConfig(file: string): Config {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new ConfigError(`cannot read config file ${file}: ${(e as Error).message}`);
  }
  return parseConfig(text, file);
}

/** Values of `key` for a network (Core chain name): top-level ones first, then the section's. */
export function configValues(cfg: Config | undefined, coreNetwork: string, key: string): string[] {
  if (!cfg) return [];
  return [...(cfg.top.get(key) ?? []), ...(cfg.sections.get(coreNetwork)?.get(key) ?? [])];
}

/** The last value of `key` for a network, as Core lets later settings win. */
export function configValue(cfg: Config | undefined, coreNetwork: string, key: string): string | undefined {
  const all = configValues(cfg, coreNetwork, key);
  return all.length ? all[all.length - 1] : undefined;
}
