/**
 * The node's log (Core's logging.cpp): pino loggers whose records are written synchronously as Core's text
 * lines — `2026-11-30T09:20:18Z [net] message` — to debug.log and, with -printtoconsole, to stdout. A record
 * carries its category as a `category` binding (`log.child({ category: 'net' })`); info, warning and error
 * are always written, debug and trace only for enabled categories at or above their level, as in Core. The
 * enabled set changes at run time through the `logging` RPC (LoggingControl).
 */
import { closeSync, openSync, readSync, statSync, writeFileSync, writeSync } from 'node:fs';
import { pino, type Logger } from 'pino';
import { RPC, RpcError } from '../rpc/errors.js';
import type { LoggingControl } from '../rpc/context.js';

/** Core's LOG_CATEGORIES_BY_STR (release builds, so without `lock`), in its sorted order. */
export const LOG_CATEGORIES: readonly string[] = [
  'addrman', 'bench', 'blockstorage', 'cmpctblock', 'coindb', 'estimatefee', 'http', 'i2p', 'ipc', 'kernel',
  'leveldb', 'libevent', 'mempool', 'mempoolrej', 'net', 'proxy', 'prune', 'qt', 'rand', 'reindex', 'rpc', 'scan',
  'selectcoins', 'tor', 'txpackages', 'txreconciliation', 'validation', 'walletdb', 'zmq',
];

export type LogLevelName = 'trace' | 'debug' | 'info';
const USER_LEVELS: readonly LogLevelName[] = ['info', 'debug', 'trace'];
const LEVEL_RANK: Record<LogLevelName, number> = { trace: 10, debug: 20, info: 30 };

export interface LogLevels {
  global: LogLevelName;
  categories: Record<string, LogLevelName>;
}

/** What the logger needs of the node's config (NodeConfig has all of it). */
export interface NodeLogConfig {
  /** Categories enabled by -debug/-debugexclude. */
  debug: string[];
  logLevel: LogLevels;
  printToConsole: boolean;
  /** debug.log, or undefined under -nodebuglogfile. */
  logFile?: string;
  logTimestamps: boolean;
  logTimeMicros: boolean;
  logLevelAlways: boolean;
  shrinkDebugFile: boolean;
}

export class LogConfigError extends Error {
  override name = 'LogConfigError';
}

/** Core's GetLogCategory: '', '1' and 'all' mean every category. */
function categoriesNamed(name: string): string[] | undefined {
  if (name === '' || name === '1' || name === 'all') return [...LOG_CATEGORIES];
  return LOG_CATEGORIES.includes(name) ? [name] : undefined;
}

/** Core's SetLoggingCategories: -debug values after the last 0/none, minus -debugexclude. */
export function resolveDebugCategories(debug: string[], exclude: string[]): string[] {
  const enabled = new Set<string>();
  let from = 0;
  debug.forEach((c, i) => {
    if (c === '0' || c === 'none') from = i + 1;
  });
  for (const c of debug.slice(from)) {
    const names = categoriesNamed(c);
    if (!names) throw new LogConfigError(`Unsupported logging category -debug=${c}.`);
    names.forEach((n) => enabled.add(n));
  }
  for (const c of exclude) {
    const names = categoriesNamed(c);
    if (!names) throw new LogConfigError(`Unsupported logging category -debugexclude=${c}.`);
    names.forEach((n) => enabled.delete(n));
  }
  return LOG_CATEGORIES.filter((c) => enabled.has(c));
}

/** Core's SetLoggingLevel: `level` or `category:level`, levels info, debug, trace. */
export function resolveLogLevels(values: string[]): LogLevels {
  const out: LogLevels = { global: 'debug', categories: {} };
  const isLevel = (s: string): s is LogLevelName => (USER_LEVELS as readonly string[]).includes(s);
  for (const v of values) {
    if (v.indexOf(':', 3) < 0) {
      if (!isLevel(v)) throw new LogConfigError(`Unsupported global logging level -loglevel=${v}. Valid values: ${USER_LEVELS.join(', ')}.`);
      out.global = v;
    } else {
      const parts = v.split(':');
      const names = parts.length === 2 ? categoriesNamed(parts[0]) : undefined;
      if (!names || !isLevel(parts[1])) {
        throw new LogConfigError(
          `Unsupported category-specific logging level -loglevel=${v}. Expected -loglevel=<category>:<loglevel>. Valid categories: ${LOG_CATEGORIES.join(', ')}. Valid loglevels: ${USER_LEVELS.join(', ')}.`,
        );
      }
      // Core keys the level by the category flag; "all" gets its own entry, which we spread.
      for (const n of names) out.categories[n] = parts[1];
    }
  }
  return out;
}

const PINO_LEVEL: Record<number, 'trace' | 'debug' | 'info' | 'warning' | 'error'> = {
  10: 'trace', 20: 'debug', 30: 'info', 40: 'warning', 50: 'error', 60: 'error',
};

/** Core's FormatISO8601DateTime. */
function iso(seconds: number): string {
  return new Date(seconds * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** Core's LogEscapeMessage: control characters other than newline become \xNN. */
function escape(s: string): string {
  // eslint-disable-next-line no-control-regex
  return s.replace(/[\x00-\x09\x0b-\x1f\x7f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
}

/** A warning or error as the status page shows it. */
export interface LogProblem {
  /** Unix milliseconds. */
  time: number;
  level: 'warning' | 'error';
  category?: string;
  message: string;
}

/** The last warnings and errors (newest last, at most KEEP_PROBLEMS) and how many there were in all. */
export interface LogProblems {
  recent: readonly LogProblem[];
  warnings: number;
  errors: number;
}

/** Enough to see what went wrong lately; a node that warns all day must not grow. */
const KEEP_PROBLEMS = 50;

export interface NodeLogger {
  log: Logger;
  logging: LoggingControl;
  /** The status page's view of the log. */
  problems(): LogProblems;
  flush(): void;
  close(): Promise<void>;
}

export interface NodeLoggerOptions {
  /** Node time override in seconds (setmocktime); 0 when none. Shown as Core does. */
  mockTime?: () => number;
}

/** Keeps the last 10 MB of a debug.log grown past 11 MB (Core's ShrinkDebugFile). */
function shrinkDebugFile(file: string): void {
  const keep = 10_000_000;
  let size: number;
  try {
    size = statSync(file).size;
  } catch {
    return;
  }
  if (size <= 11 * (keep / 10)) return;
  const fd = openSync(file, 'r');
  const buf = Buffer.alloc(keep);
  const n = readSync(fd, buf, 0, keep, size - keep);
  closeSync(fd);
  writeFileSync(file, buf.subarray(0, n));
}

export function createNodeLogger(cfg: NodeLogConfig, opts: NodeLoggerOptions = {}): NodeLogger {
  const enabled = new Set(cfg.debug);
  const levels = cfg.logLevel;
  let fd: number | undefined;
  if (cfg.logFile) {
    if (cfg.shrinkDebugFile) shrinkDebugFile(cfg.logFile);
    try {
      fd = openSync(cfg.logFile, 'a');
    } catch {
      throw new LogConfigError(`Could not open debug log file ${cfg.logFile}`);
    }
    // Core separates runs with blank lines.
    writeSync(fd, '\n\n\n\n\n');
  }

  const levelOf = (category: string): number => LEVEL_RANK[levels.categories[category] ?? levels.global];
  const wanted = (category: string | undefined, rank: number): boolean => {
    if (rank >= 30) return true;
    if (category === undefined) return enabled.size > 0 && rank >= LEVEL_RANK[levels.global];
    return enabled.has(category) && rank >= levelOf(category);
  };
  const prefix = (category: string | undefined, level: string): string => {
    const hasCategory = cfg.logLevelAlways || category !== undefined;
    if (!hasCategory && level === 'info') return '';
    let s = '[';
    if (hasCategory) s += category ?? 'all';
    if (cfg.logLevelAlways || !hasCategory || level !== 'debug') s += (hasCategory ? ':' : '') + level;
    return s + '] ';
  };
  const timestamp = (): string => {
    if (!cfg.logTimestamps) return '';
    const nowMs = performance.timeOrigin + performance.now();
    const secs = Math.floor(nowMs / 1000);
    let s = iso(secs);
    if (cfg.logTimeMicros) s = s.slice(0, -1) + `.${String(Math.floor((nowMs - secs * 1000) * 1000)).padStart(6, '0')}Z`;
    const mock = opts.mockTime?.() ?? 0;
    if (mock > 0) s += ` (mocktime: ${iso(mock)})`;
    return s + ' ';
  };

  const write = (line: string): void => {
    if (cfg.printToConsole) {
      try {
        writeSync(1, line);
      } catch {
        // A closed or full stdout must not stop the node; debug.log still gets the line.
      }
    }
    if (fd !== undefined) writeSync(fd, line);
  };

  const recent: LogProblem[] = [];
  const counts = { warnings: 0, errors: 0 };
  const noteProblem = (level: 'warning' | 'error', category: string | undefined, message: string): void => {
    if (level === 'warning') counts.warnings++;
    else counts.errors++;
    recent.push({ time: Date.now(), level, category, message });
    if (recent.length > KEEP_PROBLEMS) recent.shift();
  };

  const stream = {
    write(json: string): void {
      const rec = JSON.parse(json) as { level: number; msg?: string; category?: string; err?: { message?: string } };
      const level = PINO_LEVEL[rec.level] ?? 'info';
      if (!wanted(rec.category, rec.level)) return;
      let msg = rec.msg ?? rec.err?.message ?? '';
      if (rec.err?.message && rec.msg && !rec.msg.includes(rec.err.message)) msg += `: ${rec.err.message}`;
      if (level === 'warning' || level === 'error') noteProblem(level, rec.category, msg);
      write(timestamp() + prefix(rec.category, level) + escape(msg.endsWith('\n') ? msg.slice(0, -1) : msg) + '\n');
    },
  };

  // pino drops records below its level before they cost anything; keep it at the lowest level some enabled
  // category may log at. Children without their own level follow the root's (they inherit its methods).
  const rootLevel = (): string => {
    let min = 30;
    for (const c of enabled) min = Math.min(min, levelOf(c));
    return min <= 10 ? 'trace' : min <= 20 ? 'debug' : 'info';
  };
  const log = pino({ level: rootLevel(), base: undefined, timestamp: false }, stream);

  const logging: LoggingControl = {
    categories: () => Object.fromEntries(LOG_CATEGORIES.map((c) => [c, enabled.has(c)])),
    update: (include, exclude) => {
      const apply = (names: string[], on: boolean) => {
        for (const name of names) {
          const cats = categoriesNamed(name);
          if (!cats) throw new RpcError(RPC.INVALID_PARAMETER, `unknown logging category ${name}`);
          cats.forEach((c) => (on ? enabled.add(c) : enabled.delete(c)));
        }
      };
      try {
        apply(include, true);
        apply(exclude, false);
      } finally {
        log.level = rootLevel();
      }
    },
  };

  return {
    log,
    logging,
    problems: () => ({ recent: [...recent], ...counts }),
    flush: () => {
      // Lines are written synchronously; nothing is buffered.
    },
    close: async () => {
      if (fd !== undefined) closeSync(fd);
      fd = undefined;
    },
  };
}
