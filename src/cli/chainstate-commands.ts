/**
 * `chainsnap chainstate stats DIR`: gettxoutsetinfo for a chainstate LevelDB directory, ours or Bitcoin
 * Core's. The directory is opened read-only (on a private copy, see CoinsDB), so a stopped node's datadir
 * stays untouched. There is no block index here, so no height.
 */
import { existsSync, statSync } from 'node:fs';
import type { Argv } from 'yargs';
import { CoinsDB, CoinsDBError } from '../coins/coins-db.js';
import { computeChainstateStats, type ChainstateStatsWithout } from '../coins/coins-stats.js';
import { formatBtc } from '../coins/utxo-stats.js';
import { DeserializeError } from '../primitives/errors.js';
import { hashToHex } from '../primitives/hash.js';
import { runCommand, UserError } from './errors.js';
import { parseThreads } from './options.js';

/** Core's gettxoutsetinfo hash_type values. */
const HASH_TYPES = ['hash_serialized_3', 'muhash', 'none'] as const;

interface StatsArgs {
  dir: string;
  muhash?: boolean;
  hashType: (typeof HASH_TYPES)[number];
  threads?: string;
  json?: boolean;
}

export function chainstateCommands(y: Argv): Argv {
  return y
    .command(
      'stats <dir>',
      "Compute gettxoutsetinfo's statistics (hash_serialized_3, txouts, total_amount, ...) for a chainstate directory (chainsnap's or a stopped Bitcoin Core's) without modifying it.",
      (a) =>
        a
          .positional('dir', { type: 'string', demandOption: true, describe: 'The chainstate directory (e.g. ~/.bitcoin/regtest/chainstate)' })
          .option('hash-type', { choices: HASH_TYPES, default: 'hash_serialized_3' as const, describe: "Which hash to compute, as gettxoutsetinfo's hash_type: only that one is computed (MuHash on worker threads)" })
          .option('muhash', { type: 'boolean', describe: 'Also compute the MuHash of the set, beside --hash-type' })
          .option('threads', { type: 'string', describe: 'Worker threads for MuHash (default: one per core)' })
          .option('json', { type: 'boolean', describe: 'Print one JSON object' }),
      (args) => runCommand(() => stats(args as unknown as StatsArgs)),
    )
    .demandCommand(1, 'Name a chainstate command: stats.');
}

async function stats(args: StatsArgs): Promise<number> {
  const threads = parseThreads(args.threads);
  if (!existsSync(args.dir)) throw new UserError(`${args.dir}: no such directory`);
  if (!statSync(args.dir).isDirectory()) throw new UserError(`${args.dir} is not a directory (give the chainstate directory, e.g. ~/.bitcoin/chainstate)`);
  const started = performance.now();
  let s: ChainstateStatsWithout;
  const muhash = args.muhash === true || args.hashType === 'muhash';
  try {
    const db = await CoinsDB.open(args.dir, { readOnly: true });
    try {
      refuseNonChainstate(db, args.dir);
      s = await computeChainstateStats(db, { muhash, hashSerialized3: args.hashType === 'hash_serialized_3', threads });
    } finally {
      await db.close();
    }
  } catch (e) {
    if (e instanceof CoinsDBError) throw new UserError(e.message);
    if (e instanceof DeserializeError) throw new UserError(`${args.dir}: corrupt coin in the database: ${e.message}`);
    throw e;
  }
  const seconds = (performance.now() - started) / 1000;
  const out = {
    bestblock: s.bestBlock ? hashToHex(s.bestBlock) : null,
    txouts: s.txouts,
    transactions: s.transactions,
    bogosize: s.bogosize,
    ...(s.hashSerialized3 ? { hash_serialized_3: hashToHex(s.hashSerialized3) } : {}),
    ...(s.muhash ? { muhash: hashToHex(s.muhash) } : {}),
    disk_size: s.diskSize,
    total_amount: s.totalAmount === null ? null : Number(formatBtc(s.totalAmount)),
  };
  if (args.json) {
    process.stdout.write(`${JSON.stringify(out)}\n`);
    return 0;
  }
  const rows: [string, string][] = [
    ['directory', args.dir],
    ['bestblock', out.bestblock ?? '(none: empty database)'],
    ['txouts', s.txouts.toLocaleString('en-US')],
    ['transactions', s.transactions.toLocaleString('en-US')],
    ['bogosize', s.bogosize.toLocaleString('en-US')],
  ];
  if (out.hash_serialized_3) rows.push(['hash_serialized_3', out.hash_serialized_3]);
  if (out.muhash) rows.push(['muhash', out.muhash]);
  rows.push(['disk_size', s.diskSize.toLocaleString('en-US')]);
  rows.push(['total_amount', s.totalAmount === null ? 'overflow' : `${formatBtc(s.totalAmount)} BTC`]);
  rows.push(['time', `${seconds.toFixed(2)} s`]);
  const w = Math.max(...rows.map(([k]) => k.length));
  process.stdout.write(rows.map(([k, v]) => `${k.padEnd(w)}  ${v}\n`).join(''));
  return 0;
}

/**
 * Any LevelDB opens as a CoinsDB (Core's blocks/index would read as an empty coin set): a chainstate is
 * recognised by the two records every chainstate has, the obfuscation key and the best block.
 */
function refuseNonChainstate(db: CoinsDB, dir: string): void {
  const missing = [
    ...(db.obfuscationKey.every((b) => b === 0) ? ['obfuscation key'] : []),
    ...(db.bestBlock() === undefined ? ['best block'] : []),
  ];
  if (missing.length > 0) {
    throw new UserError(`${dir} is not a chainstate database: it has no ${missing.join(' or ')} record (a node's chainstate is <datadir>/chainstate)`);
  }
}
