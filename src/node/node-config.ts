/**
 * resolveNodeConfig: bitcoind's start-up as far as the engine (bitcoind.cpp ParseArgs, common/init.cpp
 * InitConfig, init.cpp AppInitParameterInteraction) — the command line, the config files, the settings file
 * and the chain — turned into one typed NodeConfig. It reads files but writes nothing (prepareDataDir and the
 * lock do). Every refusal is a NodeConfigError whose message is Core's; the daemon prints "Error: " + message.
 */
import { existsSync, realpathSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import path from 'node:path';
import type { Logger } from 'pino';
import type { ChainParams, CoreChainName, NetworkName } from '../consensus/params.js';
import { ArgsError, ArgsManager } from './args.js';
import { BITCOIN_CONF_FILENAME, ConfigError, readNodeConfigFiles } from './config.js';
import { CLIENT_NAME, dataDirBase, defaultDataDir, networkSubdir, quoted, readSettingsFile, SettingsFileError } from './datadir.js';
import { resolveDebugCategories, resolveLogLevels, LogConfigError, type NodeLogConfig } from './logging.js';
import { chainsnapVersion } from './help.js';
import { OPTIONS } from './option-table.js';
import { resolveChain, resolveMining, resolveRpc, resolveSubversion, resolveWeb, type RpcConfig, type WebConfig } from './node-config-parts.js';
import { DEFAULT_SUBVERSION } from '../rpc/net.js';
import { resolveP2P } from './node-config-p2p.js';
import type { P2POptions } from '../net/connman.js';

export type { RpcConfig, WebConfig } from './node-config-parts.js';

export class NodeConfigError extends Error {
  override name = 'NodeConfigError';
}

export interface NodeConfig extends NodeLogConfig {
  network: NetworkName;
  coreChain: CoreChainName;
  /** With the trusted -assumeutxo entries, -minimumchainwork and -test=bip94 applied. */
  params: ChainParams;
  /** Regtest's -blockversion: the version of every mined block; undefined for versionbits' (RpcContext.blockVersion). */
  blockVersion?: number;
  /** The user agent with the -uacomment values (RpcContext.subversion, getnetworkinfo). */
  subversion: string;
  datadir: string;
  networkDir: string;
  blocksDir: string;
  conf: {
    /** bitcoin.conf in use ('' under -noconf); it may not exist. */
    file: string;
    /** chainsnap.conf in the datadir, when read. */
    chainsnapFile?: string;
  };
  /** settings.json, or undefined under -nosettings. */
  settingsFile?: string;
  rpc: RpcConfig;
  /** The status page and /metrics (-webport, -webbind); undefined when off. */
  web?: WebConfig;
  /** The P2P layer's options (listening, peers, seeds, limits). */
  p2p: P2POptions;
  dbcacheBytes: number;
  /** -par as given (0 = auto, <0 = leave cores free). */
  par: number;
  /** Script verification threads including the caller's, after Core's arithmetic (at least 1, at most 16). */
  scriptThreads: number;
  debugExclude: string[];
  daemon: boolean;
  daemonWait: boolean;
  /** bitcoind.pid, or undefined under -nopid. */
  pidFile?: string;
  stopAtHeight: number;
  /** -reindex-chainstate: wipe the chainstates and connect the stored blocks again from genesis. */
  reindexChainstate: boolean;
  /** -dbbatchsize: bytes per partial LevelDB batch of a coins flush (Core's BatchWrite). */
  dbBatchSize?: number;
  /** -dbcrashratio (test only): a 1-in-N chance of a simulated crash after each partial batch. */
  dbCrashRatio?: number;
  /** -assumevalid as 64 hex digits (all zeros: verify everything); undefined for the network's default. */
  assumeValid?: string;
  /** Seconds (Core's -maxtipage). */
  maxTipAge: number;
  mockTime: number;
  networkActive: boolean;
  sources: { rpc: string[]; blocks?: string };
  background: 'worker' | 'in-process';
  /** Harmless bitcoind options given that chainsnap does not implement (logged once each). */
  ignored: string[];
  /** What to print as "--help"/"-version" instead of starting. */
  infoRequest?: 'help' | 'help-debug' | 'version';
  /** Core's InitWarning: "Warning: " + each on stderr, and in debug.log. */
  initWarnings: string[];
  /** Lines for debug.log once it is open (Core buffers them until logging starts). */
  startupLog: string[];
  /** Core writes these to stderr as it meets them. */
  stderrLines: string[];
  /** The raw settings, for anything not resolved here. */
  args: ArgsManager;
}

/** Throws NodeConfigError with `prefix` + the message of a parse error. */
function wrap<T>(fn: () => T, prefix = ''): T {
  try {
    return fn();
  } catch (e) {
    if (e instanceof ArgsError || e instanceof ConfigError || e instanceof LogConfigError || e instanceof SettingsFileError) {
      throw new NodeConfigError(prefix + e.message);
    }
    if (e instanceof NodeConfigError) throw e;
    throw new NodeConfigError((e as Error).message);
  }
}

function sameFile(a: string, b: string): boolean {
  try {
    return realpathSync(a) === realpathSync(b);
  } catch {
    return false;
  }
}

/**
 * The node's configuration from its argv (without the program name) and environment (HOME: the default
 * datadir). Throws NodeConfigError in Core's words.
 */
export function resolveNodeConfig(argv: readonly string[], env: NodeJS.ProcessEnv = process.env): NodeConfig {
  const args = new ArgsManager();
  const { rest } = wrap(() => args.parseParameters(argv), 'Error parsing command line arguments: ');

  // ---- InitConfig
  const datadirArg = args.getPathArg('datadir');
  if (datadirArg !== '' && dataDirBase(args, env) === '') {
    throw new NodeConfigError(`Specified data directory "${args.getArg('datadir') ?? ''}" does not exist.`);
  }
  const origBase = dataDirBase(args, env);
  // A file's own errors carry Core's "Error reading configuration file: "; a bad chain choice met while
  // following includes does not (Core throws it through ReadConfigFiles).
  const files = wrap(() => {
    try {
      return readNodeConfigFiles(args, origBase);
    } catch (e) {
      if (e instanceof ConfigError) throw new NodeConfigError(`Error reading configuration file: ${e.message}`);
      throw e;
    }
  });
  const coreChain = wrap(() => args.chainTypeString());
  if (!isCoreChain(coreChain)) throw new NodeConfigError(`Unknown chain ${coreChain}.`);
  args.network = coreChain;
  const datadir = dataDirBase(args, env);
  const networkDir = path.join(datadir, networkSubdir(coreChain));
  const startupLog = [...args.log];
  const initWarnings: string[] = [];

  const baseConf = path.join(datadir, BITCOIN_CONF_FILENAME);
  if (files.configPath === '') {
    if (existsSync(baseConf)) {
      startupLog.push(`Data directory ${quoted(datadir)} contains a ${quoted(BITCOIN_CONF_FILENAME)} file which is explicitly ignored using -noconf.`);
    }
  } else if (existsSync(baseConf) && !sameFile(files.configPath, baseConf)) {
    const cliConf = args.getArg('conf') ?? '';
    const source = cliConf === '' ? `data directory ${quoted(origBase)}` : `command line argument ${quoted('-conf=' + cliConf)}`;
    let error =
      `Data directory ${quoted(datadir)} contains a ${quoted(BITCOIN_CONF_FILENAME)} file which is ignored, because a different configuration file ` +
      `${quoted(files.configPath)} from ${source} is being used instead. Possible ways to address this would be to:\n` +
      `- Delete or rename the ${quoted(BITCOIN_CONF_FILENAME)} file in data directory ${quoted(datadir)}.\n` +
      '- Change datadir= or conf= options to specify one configuration file, not two, and use includeconf= to include any other configuration files.';
    if (args.getBoolArg('allowignoredconf')) {
      initWarnings.push(error);
    } else {
      error += '\n- Set allowignoredconf=1 option to treat this condition as a warning, not an error.';
      throw new NodeConfigError(error);
    }
  }

  const settingsName = args.getPathArg('settings', 'settings.json');
  const settingsFile = settingsName === '' ? undefined : path.resolve(networkDir, settingsName);
  if (settingsFile) {
    for (const [k, v] of wrap(() => readSettingsFile(settingsFile))) args.settings.rw.set(k, v);
    for (const k of args.settings.rw.keys()) {
      const name = k.includes('.') ? k.slice(k.indexOf('.') + 1) : k;
      if (!OPTIONS.has(name.startsWith('no') ? name.slice(2) : name)) startupLog.push(`Ignoring unknown rw_settings value ${k}`);
    }
  }

  if (rest.length > 0) {
    throw new NodeConfigError(`Command line contains unexpected token '${rest[0]}', see bitcoind -h for a list of options.`);
  }
  const infoRequest = args.isArgSet('?') || args.isArgSet('h') || args.isArgSet('help')
    ? args.getBoolArg('help-debug') ? 'help-debug' : 'help'
    : args.isArgSet('help-debug') ? 'help-debug' : args.getBoolArg('version') ? 'version' : undefined;

  // ---- AppInitParameterInteraction
  if (args.isArgSet('checkpoints')) initWarnings.push("Option '-checkpoints' is set but checkpoints were removed. This option has no effect.");
  const unsuitable = args.unsuitableSectionOnlyArgs();
  if (unsuitable.length > 0) {
    throw new NodeConfigError(unsuitable.map((a) => `Config setting for ${a} only applied on ${coreChain} network when in [${coreChain}] section.`).join('\n'));
  }
  if (coreChain === 'test') {
    startupLog.push('Warning: Support for testnet3 is deprecated and will be removed in an upcoming release. Consider switching to testnet4.');
  }
  const unknownSections = args.unrecognizedSections();
  if (unknownSections.length > 0) {
    initWarnings.push(unknownSections.map((s) => `${s.file}:${s.line} Section [${s.name}] is not recognized.`).join('\n'));
  }

  const refused = [...args.givenNames()].filter((n) => OPTIONS.get(n)?.support === 'refused' && optionActive(args, n));
  if (refused.length > 0) throw new NodeConfigError(refused.map((n) => `-${n} is not supported by chainsnap.`).join('\n'));
  const ignored = [...args.givenNames()].filter((n) => OPTIONS.get(n)?.support === 'ignored').sort();
  for (const n of ignored) startupLog.push(`Option -${n} has no effect in chainsnap`);

  const debug = wrap(() => resolveDebugCategories(args.getArgs('debug'), args.getArgs('debugexclude')));
  const logLevel = wrap(() => resolveLogLevels(args.getArgs('loglevel')));
  const chain = wrap(() => resolveChain(args, coreChain));
  const mining = wrap(() => resolveMining(args, chain.network, chain.params));
  initWarnings.push(...mining.warnings);
  const subversion = wrap(() => resolveSubversion(args, DEFAULT_SUBVERSION));
  const rpc = wrap(() => resolveRpc(args, mining.params, networkDir, startupLog));
  const web = wrap(() => resolveWeb(args));
  const p2p = wrap(() => resolveP2P(args, mining.params, startupLog));

  const daemon = args.getBoolArg('daemon') ?? false;
  const pathIn = (dir: string, name: string, def: string): string | undefined => {
    if (args.isArgNegated(name)) return undefined;
    const p = args.getPathArg(name, def);
    return p === '' ? undefined : path.resolve(dir, p);
  };
  const dbcacheMiB = args.getIntArg('dbcache');
  const par = args.getIntArg('par') ?? 0;
  const sourceBlocks = args.getPathArg('source-blocks');
  const background = args.getArg('background') ?? 'worker';
  if (background !== 'worker' && background !== 'in-process') {
    throw new NodeConfigError(`Invalid -background=${background}; must be 'worker' or 'in-process'.`);
  }

  return {
    ...chain,
    params: mining.params,
    blockVersion: mining.blockVersion,
    subversion,
    coreChain,
    datadir,
    networkDir,
    blocksDir: path.join(networkDir, 'blocks'),
    conf: { file: files.configPath, chainsnapFile: files.chainsnapConfPath },
    settingsFile,
    rpc,
    web,
    p2p,
    dbcacheBytes: dbcacheMiB === undefined ? 450 * 2 ** 20 : Math.max(4 * 2 ** 20, Math.max(dbcacheMiB, 0) * 2 ** 20),
    par,
    scriptThreads: Math.min(16, Math.max(1, par <= 0 ? par + cores() : par)),
    debug,
    debugExclude: args.getArgs('debugexclude'),
    logLevel,
    printToConsole: args.getBoolArg('printtoconsole') ?? !daemon,
    logFile: pathIn(networkDir, 'debuglogfile', 'debug.log'),
    logTimestamps: args.getBoolArg('logtimestamps') ?? true,
    logTimeMicros: args.getBoolArg('logtimemicros') ?? false,
    logLevelAlways: args.getBoolArg('loglevelalways') ?? false,
    shrinkDebugFile: args.getBoolArg('shrinkdebugfile') ?? debug.length === 0,
    daemon,
    daemonWait: args.getBoolArg('daemonwait') ?? false,
    pidFile: pathIn(networkDir, 'pid', 'bitcoind.pid'),
    stopAtHeight: args.getIntArg('stopatheight') ?? 0,
    reindexChainstate: args.getBoolArg('reindex-chainstate') ?? false,
    dbBatchSize: args.getIntArg('dbbatchsize'),
    dbCrashRatio: args.getIntArg('dbcrashratio'),
    maxTipAge: args.getIntArg('maxtipage') ?? 24 * 60 * 60,
    mockTime: args.getIntArg('mocktime') ?? 0,
    networkActive: args.getBoolArg('networkactive') ?? true,
    sources: { rpc: args.getArgs('source-rpc'), blocks: sourceBlocks === '' ? undefined : path.resolve(sourceBlocks) },
    background,
    ignored,
    infoRequest,
    initWarnings,
    startupLog: [...startupLog, ...startupArgsLog(args, networkDir, files.configPath, env)],
    stderrLines: files.stderrWarnings,
    args,
  };
}

function isCoreChain(s: string): s is CoreChainName {
  return ['main', 'test', 'testnet4', 'signet', 'regtest'].includes(s);
}

function cores(): number {
  return availableParallelism();
}

/** A refused option counts only when it asks for something: set, not negated, not "0". */
function optionActive(args: ArgsManager, name: string): boolean {
  const v = args.getSetting(name);
  return v !== undefined && v !== null && v !== false && v !== '0';
}

/** Core's StartLogging and LogArgs lines. */
function startupArgsLog(args: ArgsManager, networkDir: string, configPath: string, env: NodeJS.ProcessEnv): string[] {
  const out = [`Default data directory ${defaultDataDir(env)}`, `Using data directory ${networkDir}`];
  if (args.isArgNegated('conf')) out.push('Config file: <disabled>');
  else if (existsSync(configPath)) out.push(`Config file: ${configPath}`);
  else if (!args.isArgSet('conf')) out.push(`Config file: ${configPath} (not found, skipping)`);
  const write = (name: string, v: unknown) => (OPTIONS.get(name)?.flags ?? 0) & 4 ? '****' : JSON.stringify(v);
  for (const [section, m] of [...args.settings.ro].sort(([a], [b]) => (a < b ? -1 : 1))) {
    const prefix = section === '' ? '' : `[${section}] `;
    for (const [name, values] of [...m].sort(([a], [b]) => (a < b ? -1 : 1))) {
      for (const v of values) out.push(`Config file arg: ${prefix}${name}=${write(name, v)}`);
    }
  }
  for (const [name, v] of args.settings.rw) out.push(`Setting file arg: ${name} = ${JSON.stringify(v)}`);
  for (const [name, values] of [...args.settings.commandLine].sort(([a], [b]) => (a < b ? -1 : 1))) {
    for (const v of values) out.push(`Command-line arg: ${name}=${write(name, v)}`);
  }
  return out;
}

/**
 * What Core does once logging starts: the version line, the lines buffered while reading the config, and
 * each init warning as "Warning: …" on stderr (Core's noui) and in the log. `stderr` defaults to the process's.
 */
export function logStartup(cfg: NodeConfig, log: Logger, stderr: (line: string) => void = (l) => process.stderr.write(l)): void {
  log.info(`${CLIENT_NAME} version v${chainsnapVersion()}`);
  for (const line of cfg.stderrLines) stderr(line + '\n');
  for (const line of cfg.startupLog) log.info(line);
  for (const warning of cfg.initWarnings) {
    stderr(`Warning: ${warning}\n`);
    log.warn(warning);
  }
}

/** How bitcoind prints a start-up error (noui's "Error: "), for the daemon's main. */
export function formatInitError(e: NodeConfigError | Error): string {
  return `Error: ${e.message}\n`;
}
