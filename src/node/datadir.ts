/**
 * The data directory as Core lays it out: `<datadir>` for main and `testnet3/`, `testnet4/`, `signet/`,
 * `regtest/` under it; in each, `blocks/`, an empty `wallets/`, `settings.json` and, while running,
 * `bitcoind.pid`. Paths given in options resolve against it as Core's AbsPathForConfigVal does.
 */
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { isMainThread } from 'node:worker_threads';
import type { ArgsManager, SettingValue } from './args.js';

/** Core's CLIENT_NAME, in the messages where Core names itself. */
export const CLIENT_NAME = 'chainsnap';

/** The network's directory name under the datadir (Core's CBaseChainParams::DataDir). */
export function networkSubdir(coreChain: string): string {
  return coreChain === 'main' ? '' : coreChain === 'test' ? 'testnet3' : coreChain;
}

/** Core's default datadir is ~/.bitcoin; chainsnap keeps its own (~/.chainsnap) so it never takes over Core's. */
export function defaultDataDir(env: NodeJS.ProcessEnv): string {
  const home = env.HOME && env.HOME.length > 0 ? env.HOME : '/';
  return path.join(home, '.chainsnap');
}

export function isDirectory(p: string): boolean {
  try {
    return statSync(p).isDirectory();
  } catch {
    return false;
  }
}

/** Core's GetDataDirBase: '' when -datadir names no directory. */
export function dataDirBase(args: ArgsManager, env: NodeJS.ProcessEnv): string {
  const given = args.getPathArg('datadir');
  if (given === '') return defaultDataDir(env);
  const abs = path.resolve(given);
  return isDirectory(abs) ? abs : '';
}

/** Core's AbsPathForConfigVal. */
export function absPathForConfigVal(base: string, p: string): string {
  if (p === '' || path.isAbsolute(p)) return p;
  return path.join(base, p);
}

/** Core's std::quoted, used where Core quotes paths in messages. */
export function quoted(s: string): string {
  return `"${s.replace(/["\\]/g, (c) => '\\' + c)}"`;
}

export interface DataDirLayout {
  datadir: string;
  networkDir: string;
  blocksDir: string;
  /** settings.json, or undefined under -nosettings. */
  settingsFile?: string;
}

/**
 * Creates what Core's InitConfig and AppInitMain create before the engine opens: the datadir and network
 * directory (each new one with an empty `wallets/`), `blocks/`, and settings.json written back as Core
 * writes it. Returns the settings that were read, for logging.
 */
export function prepareDataDir(cfg: DataDirLayout): void {
  // Core's SetupEnvironment: umask 077 for the whole process, so the datadir, debug.log, the cookie and every
  // database file are private to the user (feature_posix_fs_permissions.py). Workers cannot change it.
  if (isMainThread) process.umask(0o077);
  if (!existsSync(cfg.datadir)) mkdirSync(path.join(cfg.datadir, 'wallets'), { recursive: true });
  if (!existsSync(cfg.networkDir)) mkdirSync(path.join(cfg.networkDir, 'wallets'), { recursive: true });
  mkdirSync(cfg.blocksDir, { recursive: true });
  if (cfg.settingsFile) {
    const settings = readSettingsFile(cfg.settingsFile);
    writeSettingsFile(cfg.settingsFile, settings);
  }
}

export class SettingsFileError extends Error {
  override name = 'SettingsFileError';
  constructor(readonly details: string[]) {
    super(`Settings file could not be read:\n${details.map((d) => `- ${d}`).join('\n')}`);
  }
}

const WARNING_KEY = '_warning_';

/** Core's ReadSettings: an absent file is empty; invalid JSON, a non-object or a duplicate key is an error. */
export function readSettingsFile(file: string): Map<string, SettingValue> {
  const values = new Map<string, SettingValue>();
  if (!existsSync(file)) return values;
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    throw new SettingsFileError([`${file}. Please check permissions.`]);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new SettingsFileError([
      `Settings file ${file} does not contain valid JSON. This is probably caused by disk corruption or a crash, and can be fixed by removing the file, which will reset settings to default values.`,
    ]);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new SettingsFileError([`Found non-object value ${writeUniValue(parsed as SettingValue)} in settings file ${file}`]);
  }
  const seen = new Set<string>();
  for (const k of topLevelKeys(text)) {
    if (seen.has(k)) throw new SettingsFileError([`Found duplicate key ${k} in settings file ${file}`]);
    seen.add(k);
  }
  for (const [k, v] of Object.entries(parsed as Record<string, SettingValue>)) if (k !== WARNING_KEY) values.set(k, v);
  return values;
}

/** The keys of a JSON object's top level, duplicates included (JSON.parse keeps only the last). */
function topLevelKeys(text: string): string[] {
  const keys: string[] = [];
  let depth = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '{' || c === '[') depth++;
    else if (c === '}' || c === ']') depth--;
    else if (c === '"') {
      let j = i + 1;
      while (j < text.length && text[j] !== '"') j += text[j] === '\\' ? 2 : 1;
      const str = text.slice(i, j + 1);
      i = j;
      let k = j + 1;
      while (k < text.length && /\s/.test(text[k])) k++;
      if (depth === 1 && text[k] === ':') keys.push(JSON.parse(str) as string);
    }
  }
  return keys;
}

/** Core's WriteSettings: the warning first, then the values, UniValue's pretty print, newline, via a .tmp file. */
export function writeSettingsFile(file: string, values: Map<string, SettingValue>): void {
  const out: Record<string, SettingValue> = {
    [WARNING_KEY]: `This file is automatically generated and updated by ${CLIENT_NAME}. Please do not edit this file while the node is running, as any changes might be ignored or overwritten.`,
  };
  for (const [k, v] of values) out[k] = v;
  const tmp = file + '.tmp';
  writeFileSync(tmp, writeUniValue(out, 4, 1) + '\n');
  renameSync(tmp, file);
}

/** UniValue::write: JSON.stringify's layout, except that empty containers still break lines. */
export function writeUniValue(v: SettingValue, indent = 0, level = 0): string {
  const lvl = level === 0 ? 1 : level;
  const pad = (n: number) => ' '.repeat(indent * n);
  if (Array.isArray(v) || (typeof v === 'object' && v !== null)) {
    const isArr = Array.isArray(v);
    const entries = isArr ? (v as SettingValue[]).map((x) => ['', x] as const) : Object.entries(v as Record<string, SettingValue>);
    let s = isArr ? '[' : '{';
    if (indent) s += '\n';
    entries.forEach(([k, x], i) => {
      if (indent) s += pad(lvl);
      if (!isArr) s += JSON.stringify(k) + ':' + (indent ? ' ' : '');
      s += writeUniValue(x, indent, lvl + 1);
      if (i !== entries.length - 1) s += ',';
      if (indent) s += '\n';
    });
    if (indent) s += pad(lvl - 1);
    return s + (isArr ? ']' : '}');
  }
  return JSON.stringify(v);
}

/** Writes `<pid>\n` as Core's CreatePidFile (unless -nopid). */
export function writePidFile(pidFile: string | undefined): void {
  if (!pidFile) return;
  try {
    writeFileSync(pidFile, `${process.pid}\n`);
  } catch (e) {
    throw new Error(`Unable to create the PID file '${pidFile}': ${(e as NodeJS.ErrnoException).message}`);
  }
}

export function removePidFile(pidFile: string | undefined): void {
  if (pidFile) rmSync(pidFile, { force: true });
}
