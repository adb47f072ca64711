/**
 * `chainsnap snapshot info|verify|export`: the offline snapshot tools. They read a file the way a node
 * loading it would (every check, Core's messages) but touch no datadir.
 */
import { createWriteStream, realpathSync, renameSync, rmSync, statSync, type Stats } from 'node:fs';
import path from 'node:path';
import type { Writable } from 'node:stream';
import type { Argv } from 'yargs';
import { assumeutxoForHash, availableAssumeutxoHeights, coreChainName, type NetworkName } from '../consensus/params.js';
import { toHex } from '../primitives/bytes.js';
import { hashToHex } from '../primitives/hash.js';
import { forEachRecord, readRecord } from '../coins/coin-record.js';
import { formatBtc } from '../coins/utxo-stats.js';
import { MSG } from '../snapshot/errors.js';
import { SnapshotReader } from '../snapshot/reader.js';
import { verifySnapshot, type VerifyResult } from '../snapshot/verify.js';
import { fileError, onExit, runCommand, UserError } from './errors.js';
import { loadConfig, networkFromArgs, paramsFor, parseThreads, withParamsOptions, type ParamsArgs } from './options.js';
import { fileProgress } from './progress.js';

export function snapshotCommands(y: Argv): Argv {
  return y
    .command(
      'info <file>',
      'Show what a snapshot file holds: network, base block (and its height when the parameters know it), coin count, size. Reads only the header.',
      (a) => withParamsOptions(a.positional('file', { type: 'string', demandOption: true }).option('json', { type: 'boolean', describe: 'Print one JSON object' })),
      (args) => runCommand(() => info(args as InfoArgs)),
    )
    .command(
      'verify <file>',
      'Stream a snapshot through every check Bitcoin Core makes when loading it, compute its UTXO hash and statistics, and compare with the assumeutxo parameters. Exit status 0 only when it matches a known entry.',
      (a) =>
        withParamsOptions(
          a
            .positional('file', { type: 'string', demandOption: true })
            .option('muhash', { type: 'boolean', describe: 'Also compute the MuHash of the set (on worker threads)' })
            .option('threads', { type: 'string', describe: 'Worker threads for MuHash (default: one per core)' })
            .option('json', { type: 'boolean', describe: 'Print one JSON object' }),
        ),
      (args) => runCommand(() => verify(args as VerifyArgs)),
    )
    .command(
      'export <file>',
      'Write one line per coin (txid, vout, value in satoshis, coinbase, height, scriptPubKey hex), streamed, in the UTXO-hash order (txid, then vout).',
      (a) =>
        withParamsOptions(
          a
            .positional('file', { type: 'string', demandOption: true })
            .option('format', { choices: ['csv', 'jsonl'] as const, default: 'csv' as const, describe: 'Line format' })
            .option('output', { alias: 'o', type: 'string', describe: 'Write to this file instead of stdout' }),
        ),
      (args) => runCommand(() => exportCoins(args as ExportArgs)),
    )
    .demandCommand(1, 'Name a snapshot command: info, verify or export.');
}

interface InfoArgs extends ParamsArgs {
  file: string;
  json?: boolean;
}
interface VerifyArgs extends InfoArgs {
  muhash?: boolean;
  threads?: string;
}
interface ExportArgs extends ParamsArgs {
  file: string;
  format: 'csv' | 'jsonl';
  output?: string;
}

function context(args: ParamsArgs) {
  const cfg = loadConfig(args);
  const network = networkFromArgs(args, cfg);
  return { cfg, network, resolve: (n: NetworkName) => paramsFor(n, args, cfg) };
}

async function info(args: InfoArgs): Promise<number> {
  checkInputFile(args.file);
  const { network, resolve } = context(args);
  const expected = network ? resolve(network) : undefined;
  const reader = SnapshotReader.open(args.file, { expectedMessageStart: expected?.messageStart, expectedNetwork: network, allowUnknownNetwork: !network });
  reader.close();
  const m = reader.metadata;
  const net = network ?? m.network;
  const params = net ? resolve(net) : undefined;
  const baseHash = hashToHex(m.baseHash);
  const entry = params ? assumeutxoForHash(params, baseHash) : undefined;
  const out = {
    path: args.file,
    network: net ?? null,
    network_magic: toHex(m.messageStart),
    base_hash: baseHash,
    base_height: entry?.height ?? null,
    coins: m.coinsCount,
    size: reader.fileSize,
    known: entry !== undefined,
  };
  if (args.json) {
    process.stdout.write(`${JSON.stringify(out)}\n`);
    return 0;
  }
  const rows: [string, string][] = [
    ['file', `${args.file} (${reader.fileSize.toLocaleString('en-US')} bytes)`],
    ['network', net ? `${net} (magic ${out.network_magic})` : `unknown (magic ${out.network_magic})`],
    ['base block', `${baseHash}${entry ? ` (height ${entry.height})` : ' (height unknown: no assumeutxo entry for it)'}`],
    ['coins', m.coinsCount.toLocaleString('en-US')],
  ];
  process.stdout.write(table(rows));
  return 0;
}

async function verify(args: VerifyArgs): Promise<number> {
  const threads = parseThreads(args.threads);
  checkInputFile(args.file);
  const { network, resolve } = context(args);
  let progress = fileProgress('verifying', 1);
  const started = performance.now();
  const r = await verifySnapshot(args.file, {
    network,
    resolveParams: resolve,
    muhash: args.muhash,
    muhashThreads: threads,
    onOpen: (reader) => {
      progress.stop();
      progress = fileProgress('verifying', reader.fileSize);
    },
    onProgress: (coins, bytes) => progress.update(coins, bytes),
  }).finally(() => progress.stop());
  const seconds = (performance.now() - started) / 1000;
  if (args.json) {
    process.stdout.write(`${JSON.stringify(verifyJson(r, seconds))}\n`);
  } else {
    process.stdout.write(verifyReport(r, seconds));
  }
  if (!r.known) {
    const params = resolve(r.network);
    const heights = availableAssumeutxoHeights(params).join(', ');
    process.stderr.write(
      `chainsnap: error: assumeutxo block hash in snapshot metadata not recognized (hash: ${r.baseHash}). The following snapshot heights are available: ${heights}\n`,
    );
    return 1;
  }
  if (!r.matches) {
    process.stderr.write(`chainsnap: error: ${MSG.badHash(r.expected!, r.hashSerialized3)}\n`);
    return 1;
  }
  return 0;
}

function verifyJson(r: VerifyResult, seconds: number) {
  return {
    path: r.path,
    size: r.fileSize,
    network: r.network,
    base_hash: r.baseHash,
    base_height: r.baseHeight,
    coins: r.coins,
    hash_serialized_3: r.hashSerialized3,
    ...(r.muhash ? { muhash: r.muhash } : {}),
    txouts: r.txouts,
    transactions: r.transactions,
    bogosize: r.bogosize,
    total_amount: r.totalAmount === null ? null : Number(formatBtc(r.totalAmount)),
    known: r.known,
    expected: r.expected,
    matches: r.matches,
    nchaintx: r.entry?.chainTxCount ?? null,
    seconds: Number(seconds.toFixed(3)),
  };
}

function verifyReport(r: VerifyResult, seconds: number): string {
  const verdict = !r.known ? 'UNKNOWN: no assumeutxo entry for this base block' : r.matches ? 'OK: matches the assumeutxo parameters' : 'MISMATCH';
  const rows: [string, string][] = [
    ['file', `${r.path} (${r.fileSize.toLocaleString('en-US')} bytes)`],
    ['network', `${r.network} (${coreChainName(r.network)})`],
    ['base block', `${r.baseHash}${r.baseHeight === null ? '' : ` (height ${r.baseHeight})`}`],
    ['coins (txouts)', r.txouts.toLocaleString('en-US')],
    ['transactions', r.transactions.toLocaleString('en-US')],
    ['bogosize', r.bogosize.toLocaleString('en-US')],
    ['total_amount', r.totalAmount === null ? 'overflow' : `${formatBtc(r.totalAmount)} BTC`],
    ['hash_serialized_3', r.hashSerialized3],
  ];
  if (r.muhash) rows.push(['muhash', r.muhash]);
  if (r.expected) rows.push(['expected', `${r.expected} (chain tx count ${r.entry!.chainTxCount})`]);
  rows.push(['result', verdict]);
  rows.push(['time', `${seconds.toFixed(2)} s (${Math.round(r.coins / Math.max(seconds, 1e-6)).toLocaleString('en-US')} coins/s)`]);
  return table(rows);
}

async function exportCoins(args: ExportArgs): Promise<number> {
  const input = checkInputFile(args.file);
  const { network, resolve } = context(args);
  const params = network ? resolve(network) : undefined;
  const target = args.output === undefined ? undefined : exportTarget(args.file, input, args.output);
  const reader = SnapshotReader.open(args.file, { expectedMessageStart: params?.messageStart, expectedNetwork: network });
  const entry = assumeutxoForHash(params ?? resolve(reader.metadata.network!), hashToHex(reader.metadata.baseHash));
  reader.baseHeight = entry?.height;
  const out: Writable = target ? createWriteStream(target.writePath) : process.stdout;
  // Until the last coin is written the output is incomplete: a temporary file is removed, and stdout
  // (which cannot be taken back) gets a last word on stderr so a partial CSV is never taken for a whole one.
  let done = false;
  const cleanup = onExit((signal) => {
    if (done) return;
    if (target && target.writePath !== target.finalPath) rmSync(target.writePath, { force: true });
    if (signal) process.stderr.write(`chainsnap: error: export interrupted by ${signal}: ${target ? `${target.finalPath} not written` : 'the output is incomplete'}\n`);
  });
  const csv = args.format === 'csv';
  let pending = csv ? 'txid,vout,value,coinbase,height,script_pubkey\n' : '';
  try {
    await reader.readCoins(async (batch, length) => {
      forEachRecord(batch, length, (off) => {
        const c = readRecord(batch, off);
        const txid = hashToHex(c.txid);
        const script = toHex(c.script);
        pending += csv
          ? `${txid},${c.vout},${c.value},${c.coinbase ? 1 : 0},${c.height},${script}\n`
          : `{"txid":"${txid}","vout":${c.vout},"value":${c.value},"coinbase":${c.coinbase},"height":${c.height},"script_pubkey":"${script}"}\n`;
      });
      await write(out, pending);
      pending = '';
    });
    await write(out, pending);
    if (target) {
      await endStream(out);
      if (target.writePath !== target.finalPath) renameSync(target.writePath, target.finalPath);
    }
    done = true;
  } catch (e) {
    throw target ? fileError(target.finalPath, e) : e;
  } finally {
    reader.close();
    // The temporary file is removed only once the stream has let go of it (its open may still be under way).
    if (!done && target && !out.closed) await new Promise((res) => out.once('close', res).destroy());
    cleanup();
  }
  return 0;
}

/** Where an export to a file writes: a temporary name beside a regular file, the file itself otherwise. */
function exportTarget(inputPath: string, input: Stats, output: string): { finalPath: string; writePath: string } {
  let existing: Stats | undefined;
  try {
    existing = statSync(output);
  } catch {
    existing = undefined;
  }
  if (existing && (sameFile(existing, input) || realpathSync(output) === realpathSync(inputPath))) {
    throw new UserError(`${output} is the input snapshot ${inputPath}: refusing to overwrite it`, 2);
  }
  if (existing?.isDirectory()) throw new UserError(`${output}: is a directory`);
  // Devices and pipes (/dev/stdout, a FIFO) cannot be renamed onto; they are written as they are.
  if (existing && !existing.isFile()) return { finalPath: output, writePath: output };
  const writePath = path.join(path.dirname(output), `.${path.basename(output)}.${process.pid}.tmp`);
  return { finalPath: output, writePath };
}

function sameFile(a: Stats, b: Stats): boolean {
  return a.dev === b.dev && a.ino === b.ino;
}

/** The input snapshot exists and is a non-empty file; otherwise one line that names it. */
function checkInputFile(file: string): Stats {
  let st: Stats;
  try {
    st = statSync(file);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new UserError(`Couldn't open file ${file} for reading.${code === 'ENOENT' ? ' No such file.' : ''}`);
  }
  if (st.isDirectory()) throw new UserError(`${file} is a directory, not a snapshot file`);
  // The reader seeks (and sizes the file for the progress bar): a pipe or a device cannot serve it.
  if (!st.isFile()) throw new UserError(`${file} is ${kindOf(st)}, not a snapshot file (give a regular file)`);
  if (st.size === 0) throw new UserError(`${file} is empty, not a snapshot file`);
  return st;
}

function kindOf(st: Stats): string {
  if (st.isFIFO()) return 'a pipe';
  if (st.isCharacterDevice() || st.isBlockDevice()) return 'a device';
  if (st.isSocket()) return 'a socket';
  return 'not a regular file';
}

function endStream(out: Writable): Promise<void> {
  return new Promise((resolve, reject) => {
    out.once('error', reject);
    out.end(() => {
      out.off('error', reject);
      resolve();
    });
  });
}

function write(out: Writable, text: string): Promise<void> {
  if (!text) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const onError = (e: Error) => reject(e.message.includes('EPIPE') ? new UserError('output closed', 0) : e);
    out.once('error', onError);
    if (out.write(text)) {
      out.off('error', onError);
      resolve();
    } else {
      out.once('drain', () => {
        out.off('error', onError);
        resolve();
      });
    }
  });
}

function table(rows: [string, string][]): string {
  const w = Math.max(...rows.map(([k]) => k.length));
  return rows.map(([k, v]) => `${k.padEnd(w)}  ${v}\n`).join('');
}
