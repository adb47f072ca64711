/**
 * Config files. readNodeConfigFiles reads bitcoin.conf (and chainsnap.conf) into the node's ArgsManager as
 * Core's ReadConfigFiles does, includeconf and all. The older parseConfig/readConfig serve the offline CLI:
 * chainsnap.conf: Core's bitcoin.conf syntax (`key=value` lines, `#` comments, `[network]` sections, a
 * key may repeat). Options in a section apply to that network only; top-level ones to every network.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { ArgsError, type ArgsManager } from './args.js';
import { absPathForConfigVal, isDirectory } from './datadir.js';

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
  /** The line of each value, by `section\0key` ('' for the top level), in the order of the values. */
  lines: Map<string, number[]>;
}

/** A value of a config file and where it was written ("chainsnap.conf:3"), for messages. */
export interface ConfigValue {
  value: string;
  where: string;
}

/** Section names as Core spells them, plus chainsnap's own name for testnet3. */
const SECTIONS = new Set(['main', 'test', 'testnet3', 'testnet4', 'signet', 'regtest']);

export function parseConfig(text: string, source = 'chainsnap.conf'): Config {
  const cfg: Config = { source, top: new Map(), sections: new Map(), lines: new Map() };
  let current = cfg.top;
  let currentName = '';
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
      currentName = key;
      return;
    }
    const eq = line.indexOf('=');
    if (eq <= 0) throw new ConfigError(`${where}: expected key=value, got "${line}"`);
    const key = line.slice(0, eq).trim();
    const value = line.slice(eq + 1).trim();
    const list = current.get(key) ?? [];
    list.push(value);
    current.set(key, list);
    const lineKey = `${currentName}\0${key}`;
    cfg.lines.set(lineKey, [...(cfg.lines.get(lineKey) ?? []), i + 1]);
  });
  return cfg;
}

export function readConfig(file: string): Config {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    // "ENOENT: no such file or directory, open 'FILE'" would name the file a second time.
    const m = /^E[A-Z]+: ([^,]+)/.exec((e as Error).message);
    throw new ConfigError(`cannot read config file ${file}: ${m ? m[1] : (e as Error).message}`);
  }
  return parseConfig(text, file);
}

/** Values of `key` for a network (Core chain name): top-level ones first, then the section's. */
export function configValues(cfg: Config | undefined, coreNetwork: string, key: string): string[] {
  return configValuesWhere(cfg, coreNetwork, key).map((v) => v.value);
}

/**
 * configValues with the file and line of each value; `topLevel: false` leaves out the lines above the
 * first section.
 */
export function configValuesWhere(cfg: Config | undefined, coreNetwork: string, key: string, opts: { topLevel?: boolean } = {}): ConfigValue[] {
  if (!cfg) return [];
  const at = (section: string, values: string[] | undefined): ConfigValue[] =>
    (values ?? []).map((value, i) => ({ value, where: `${cfg.source}:${cfg.lines.get(`${section}\0${key}`)?.[i] ?? '?'}` }));
  return [
    ...(opts.topLevel === false ? [] : at('', cfg.top.get(key))),
    ...at(coreNetwork, cfg.sections.get(coreNetwork)?.get(key)),
  ];
}

/** The last value of `key` for a network, as Core lets later settings win. */
export function configValue(cfg: Config | undefined, coreNetwork: string, key: string): string | undefined {
  const all = configValues(cfg, coreNetwork, key);
  return all.length ? all[all.length - 1] : undefined;
}

/** One `name=value` line of a Core config file; `name` carries the section prefix ("regtest.rpcport"). */
export interface ConfigOption {
  name: string;
  value: string;
}

export interface ConfigSectionRef {
  name: string;
  file: string;
  line: number;
}

/**
 * Core's GetConfigOptions: the options of a config file in order, with the sections it names. Throws a
 * ConfigError carrying Core's words ("parse error on line 1: garbage").
 */
export function parseConfigOptions(text: string, file: string): { options: ConfigOption[]; sections: ConfigSectionRef[] } {
  const options: ConfigOption[] = [];
  const sections: ConfigSectionRef[] = [];
  let prefix = '';
  const lines = text.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  lines.forEach((raw, i) => {
    const line = i + 1;
    const hash = raw.indexOf('#');
    const usedHash = hash >= 0;
    const str = (usedHash ? raw.slice(0, hash) : raw).replace(/^[ \t\r\n]+|[ \t\r\n]+$/g, '');
    if (!str) return;
    if (str.startsWith('[') && str.endsWith(']')) {
      const name = str.slice(1, -1);
      sections.push({ name, file, line });
      prefix = name + '.';
    } else if (str.startsWith('-')) {
      throw new ConfigError(`parse error on line ${line}: ${str}, options in configuration file must be specified without leading -`);
    } else if (str.includes('=')) {
      const eq = str.indexOf('=');
      const name = prefix + str.slice(0, eq).replace(/^[ \t\r\n]+|[ \t\r\n]+$/g, '');
      const value = str.slice(eq + 1).replace(/^[ \t\r\n]+|[ \t\r\n]+$/g, '');
      if (usedHash && name.includes('rpcpassword')) {
        throw new ConfigError(`parse error on line ${line}, using # in rpcpassword can be ambiguous and should be avoided`);
      }
      options.push({ name, value });
      const dot = name.lastIndexOf('.');
      if (dot >= 0 && prefix.length <= dot) sections.push({ name: name.slice(0, dot), file, line });
    } else {
      let message = `parse error on line ${line}: ${str}`;
      if (str.length >= 2 && str.startsWith('no')) message += `, if you intended to specify a negated option, use ${str}=1 instead`;
      throw new ConfigError(message);
    }
  });
  return { options, sections };
}

export const BITCOIN_CONF_FILENAME = 'bitcoin.conf';
export const CHAINSNAP_CONF_FILENAME = 'chainsnap.conf';

export interface ConfigFilesRead {
  /** The bitcoin.conf path in use ('' under -noconf). */
  configPath: string;
  /** chainsnap.conf in the datadir, when it was read. */
  chainsnapConfPath?: string;
  /** Core writes these straight to stderr ("warning: -includeconf cannot be used from included files ..."). */
  stderrWarnings: string[];
}

function readStream(args: ArgsManager, text: string, file: string): void {
  const { options, sections } = parseConfigOptions(text, file);
  args.configSections.push(...sections);
  for (const o of options) {
    if (!args.addConfigOption(o.name, o.value)) args.log.push(`Ignoring unknown configuration value ${o.name}`);
  }
}

function readable(file: string): string | undefined {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
}

/**
 * Core's ReadConfigFiles (with ignore_invalid_keys, as bitcoind calls it). `base` is the datadir before the
 * file is read. chainsnap.conf in the datadir is read first, so its values win over bitcoin.conf's (in a
 * config file the first value wins). Throws ConfigError in Core's words; ArgsError for a bad chain choice.
 */
export function readNodeConfigFiles(args: ArgsManager, base: string): ConfigFilesRead {
  const configPath = absPathForConfigVal(base, args.getPathArg('conf', BITCOIN_CONF_FILENAME));
  const result: ConfigFilesRead = { configPath, stderrWarnings: [] };
  let text: string | undefined;
  if (configPath !== '') {
    if (isDirectory(configPath)) throw new ConfigError(`Config file "${configPath}" is a directory.`);
    text = readable(configPath);
    if (args.isArgSet('conf') && text === undefined) throw new ConfigError(`specified config file "${configPath}" could not be opened.`);
    const own = path.join(base, CHAINSNAP_CONF_FILENAME);
    const ownText = base !== '' && existsSync(own) && !isDirectory(own) ? readable(own) : undefined;
    if (ownText !== undefined) {
      wrapArgs(() => readStream(args, ownText, own));
      result.chainsnapConfPath = own;
    }
  }
  if (text !== undefined || result.chainsnapConfPath) {
    if (text !== undefined) wrapArgs(() => readStream(args, text, configPath));
    // -noincludeconf on the command line turns includes off (ParseParameters refused any other use).
    if (!args.settings.commandLine.has('includeconf')) readIncludes(args, base, result);
  }
  const datadir = args.getPathArg('datadir');
  if (datadir !== '' && !isDirectory(path.resolve(datadir))) {
    throw new ConfigError(`specified data directory "${args.getArg('datadir') ?? ''}" does not exist.`);
  }
  return result;
}

function readIncludes(args: ArgsManager, base: string, result: ConfigFilesRead): void {
  const chainId = args.chainTypeString();
  const names: string[] = [];
  const addIncludes = (section: string, skip = 0): number => {
    const values = args.settings.ro.get(section)?.get('includeconf');
    if (!values) return 0;
    let negated = 0;
    values.forEach((v, i) => {
      if (v === false) negated = i + 1;
    });
    for (let i = Math.max(skip, negated); i < values.length; i++) names.push(String(values[i]));
    return values.length;
  };
  const chainIncludes = addIncludes(chainId);
  const defaultIncludes = addIncludes('');
  for (const name of names) {
    const file = absPathForConfigVal(base, name);
    if (isDirectory(file)) throw new ConfigError(`Included config file "${file}" is a directory.`);
    const text = readable(file);
    if (text === undefined) throw new ConfigError(`Failed to include configuration file ${name}`);
    wrapArgs(() => readStream(args, text, name));
    args.log.push(`Included configuration file ${name}`);
  }
  names.length = 0;
  addIncludes(chainId, chainIncludes);
  addIncludes('', defaultIncludes);
  const finalChain = args.chainTypeString();
  if (finalChain !== chainId) addIncludes(finalChain);
  for (const name of names) {
    result.stderrWarnings.push(`warning: -includeconf cannot be used from included files; ignoring -includeconf=${name}`);
  }
}

/** Argument errors met while reading a file are the file's errors. */
function wrapArgs(fn: () => void): void {
  try {
    fn();
  } catch (e) {
    if (e instanceof ArgsError) throw new ConfigError(e.message);
    throw e;
  }
}
