/**
 * Assumeutxo over RPC: loadtxoutset, dumptxoutset and getchainstates with Core's arguments, results and
 * errors, and chainsnap's getprogress for long operations. loadtxoutset also takes `wait` (default true,
 * Core's blocking call): with false it starts the load and returns its operation id at once
 * (bitcoin/bitcoin#28620), to be polled with getprogress.
 *
 * A load or a dump holds ctx.exclusive while it runs (the engine must not connect blocks under it), so
 * getchainstates and getprogress read in-memory state without it and keep answering meanwhile.
 */
import path from 'node:path';
import { DumpError, resolveDumpTarget, type DumpResult } from '../chain/dump.js';
import { openSnapshot, SnapshotActivationError } from '../chain/snapshot-activation.js';
import { SnapshotError } from '../snapshot/errors.js';
import type { RpcContext } from './context.js';
import { RPC, RpcError } from './errors.js';
import type { RpcMethod } from './method.js';
import type { Operation } from './operations.js';
import { coreReal, getBool, getDifficulty, getInt, getStr, hex32, isNull, optional, parseHashV, targetHex, typeError, verificationProgress } from './util.js';

/** Core's answers to a snapshot file it cannot open or whose metadata it cannot parse. */
function snapshotFileError(e: SnapshotError): RpcError {
  if (e.kind === 'io') return new RpcError(RPC.INVALID_PARAMETER, e.message);
  return new RpcError(RPC.DESERIALIZATION_ERROR, `Unable to parse metadata: ${e.coreWhat}`);
}

function loadError(e: unknown, file: string): RpcError {
  if (e instanceof RpcError) return e;
  if (e instanceof SnapshotError && (e.kind === 'io' || e.kind === 'metadata')) return snapshotFileError(e);
  const reason = e instanceof Error ? e.message : String(e);
  return new RpcError(RPC.INTERNAL_ERROR, `Unable to load UTXO snapshot: ${reason}. (${file})`);
}

const asError = (e: RpcError) => ({ code: e.code, message: e.message });

const loadtxoutset: RpcMethod = {
  name: 'loadtxoutset',
  category: 'blockchain',
  description:
    'Load the serialized UTXO set from a file.\nOnce this snapshot is loaded, its contents will be deserialized into a second chainstate data structure, which is then used to sync to the network\'s tip. ' +
    'Meanwhile, the original chainstate will complete the initial block download process in the background, eventually validating up to the block that the snapshot is based upon.\n\n' +
    'chainsnap: with wait=false the call returns {"operation": id} at once; follow the load with getprogress.',
  args: [
    { name: 'path', type: 'string', description: 'path to the snapshot file. If relative, will be prefixed by datadir.' },
    { name: 'wait', type: 'boolean', optional: true, default: true, description: 'Wait for the load to finish (false: return its operation id at once; chainsnap only).' },
  ],
  result: '{coins_loaded, tip_hash, base_height, path}, or {operation} with wait=false',
  examples: ['-rpcclienttimeout=0 loadtxoutset utxo.dat', '-named loadtxoutset path=utxo.dat wait=false'],
  handler: async ([pathArg, waitArg], ctx) => {
    const file = path.resolve(ctx.networkDir, getStr(pathArg));
    const wait = optional(waitArg, getBool, true);
    // Core opens the file and reads its metadata before anything else: those errors come back at once.
    let coins: number;
    try {
      const reader = openSnapshot(file, ctx.params);
      coins = reader.metadata.coinsCount;
      reader.close();
    } catch (e) {
      if (e instanceof SnapshotError) throw snapshotFileError(e);
      throw e;
    }
    const op = ctx.operations.start('loadtxoutset', file, coins, 'coins');
    const run = ctx
      .exclusive(() => ctx.manager.loadSnapshot(file, (done, total) => ctx.operations.update(op, done, total)))
      .then(
        (r) => {
          const result = { coins_loaded: coins, tip_hash: r.base.key, base_height: r.base.height, path: file };
          ctx.operations.finish(op, result);
          return result;
        },
        (e: unknown) => {
          const err = loadError(e, file);
          if (!(e instanceof SnapshotActivationError) && !(e instanceof SnapshotError)) ctx.log.error({ err: e }, 'loadtxoutset failed');
          ctx.operations.fail(op, asError(err));
          throw err;
        },
      );
    if (wait) return run;
    run.catch(() => undefined);
    return { operation: op.id };
  },
};

/** dumptxoutset's `options` object and its `rollback` (a height or a block hash), checked as Core does. */
function rollbackOption(type: string, options: unknown): number | string | undefined {
  if (isNull(options)) return undefined;
  if (typeof options !== 'object' || Array.isArray(options)) throw typeError(options, 'object');
  if (!Object.prototype.hasOwnProperty.call(options, 'rollback')) return undefined;
  if (type !== '' && type !== 'rollback') {
    throw new RpcError(RPC.INVALID_PARAMETER, `Invalid snapshot type "${type}" specified with rollback option`);
  }
  const r = (options as { rollback: unknown }).rollback;
  if (typeof r === 'number') return getInt(r);
  return parseHashV(r, 'hash_or_height').hex;
}

function dumpResult(r: DumpResult): Record<string, unknown> {
  return { coins_written: r.coins_written, base_hash: r.base_hash, base_height: r.base_height, path: r.path, txoutset_hash: r.txoutset_hash, nchaintx: r.nchaintx };
}

const dumptxoutset: RpcMethod = {
  name: 'dumptxoutset',
  category: 'blockchain',
  description:
    'Write the serialized UTXO set to a file. This can be used in loadtxoutset afterwards if this snapshot height is supported in the chainparams as well.\n\n' +
    'Unless the "latest" type is requested, the node will roll back to the requested height and network activity will be suspended during this process.\n\n' +
    'This call may take several minutes. Make sure to use no RPC timeout (bitcoin-cli -rpcclienttimeout=0)',
  args: [
    { name: 'path', type: 'string', description: 'Path to the output file. If relative, will be prefixed by datadir.' },
    {
      name: 'type',
      type: 'string',
      optional: true,
      default: '',
      description: 'The type of snapshot to create. Can be "latest" to create a snapshot of the current UTXO set or "rollback" to temporarily roll back the state of the node to a historical block before creating the snapshot of a historical UTXO set.',
    },
    {
      name: 'options',
      type: 'object',
      optional: true,
      description: '',
      options: [{ name: 'rollback', type: ['number', 'string'], optional: true, description: 'Height or hash of the block to roll back to before creating the snapshot.' }],
    },
  ],
  result: '{coins_written, base_hash, base_height, path, txoutset_hash, nchaintx}',
  examples: ['-rpcclienttimeout=0 dumptxoutset utxo.dat latest', '-rpcclienttimeout=0 -named dumptxoutset utxo.dat rollback=853456'],
  handler: async ([pathArg, typeArg, optionsArg], ctx) => {
    const type = optional(typeArg, getStr, '');
    const rollback = rollbackOption(type, optionsArg);
    const file = path.resolve(ctx.networkDir, getStr(pathArg));
    return ctx.exclusive(async () => {
      const m = ctx.manager;
      let target;
      try {
        target = resolveDumpTarget({ datadir: m.datadir, messageStart: ctx.params.messageStart, storage: m.storage, active: m.active }, ctx.params, type, rollback);
      } catch (e) {
        throw e instanceof DumpError ? new RpcError(e.code, e.message) : e;
      }
      const rollingBack = target !== undefined && target !== m.active.tip;
      // Core's NetworkDisable: peers are not served a rolled-back state; left off if it was off already.
      const disabledNetwork = rollingBack && ctx.networkActive;
      if (disabledNetwork) ctx.networkActive = false;
      const op = ctx.operations.start('dumptxoutset', file, 0, 'coins');
      try {
        const result = dumpResult(await m.dumpTxoutSet(file, type, rollback, (done, total, phase) => phase === 'writing' && ctx.operations.update(op, done, total)));
        ctx.operations.update(op, result.coins_written as number, result.coins_written as number);
        ctx.operations.finish(op, result);
        return result;
      } catch (e) {
        let err: unknown = e;
        if (e instanceof DumpError) err = new RpcError(e.code, e.message);
        else if (rollingBack) {
          ctx.log.warn({ err: e }, 'dumptxoutset failed to roll back to requested height, reverting to tip.');
          err = new RpcError(RPC.MISC_ERROR, 'Could not roll back to requested height.');
        }
        ctx.operations.fail(op, err instanceof RpcError ? asError(err) : { code: RPC.MISC_ERROR, message: (err as Error).message });
        throw err;
      } finally {
        if (disabledNetwork) ctx.networkActive = true;
      }
    });
  },
};

const getchainstates: RpcMethod = {
  name: 'getchainstates',
  category: 'blockchain',
  description: 'Return information about chainstates.',
  args: [],
  result:
    '{headers, chainstates: [{blocks, bestblockhash, bits, target, difficulty, verificationprogress, coins_db_cache_bytes, coins_tip_cache_bytes, snapshot_blockhash?, validated}, ...]} (the active chainstate last)',
  examples: ['getchainstates'],
  handler: (_p, ctx) => ({
    headers: ctx.manager.storage.index.bestHeader.height,
    chainstates: ctx.manager.chainstates().map((c) => {
      const out: Record<string, unknown> = {
        blocks: c.tip.height,
        bestblockhash: c.tip.key,
        bits: hex32(c.tip.header.bits),
        target: targetHex(c.tip.header.bits),
        difficulty: coreReal(getDifficulty(c.tip.header.bits)),
        verificationprogress: coreReal(verificationProgress(ctx, c.tip)),
        coins_db_cache_bytes: c.coinsDbCacheBytes,
        coins_tip_cache_bytes: c.coinsTipCacheBytes,
      };
      if (c.snapshotBase) out.snapshot_blockhash = c.snapshotBase.key;
      out.validated = c.validated;
      return out;
    }),
  }),
};

function operationJson(op: Operation, nowMs: number): Record<string, unknown> {
  const end = op.finishedAt ?? nowMs;
  const elapsed = (end - op.startedAt) / 1000;
  const rate = elapsed > 0 ? op.done / elapsed : 0;
  const out: Record<string, unknown> = {
    id: op.id,
    kind: op.kind,
    target: op.target,
    state: op.state,
    started: Math.floor(op.startedAt / 1000),
    elapsed: Number(elapsed.toFixed(3)),
    done: op.done,
    total: op.total,
    unit: op.unit,
  };
  if (op.total > 0) out.progress = Math.min(1, op.done / op.total);
  if (op.state === 'running') {
    out.rate = Number(rate.toFixed(1));
    if (rate > 0 && op.total > op.done) out.eta_seconds = Math.round((op.total - op.done) / rate);
  } else out.finished = Math.floor(end / 1000);
  if (op.result !== undefined) out.result = op.result;
  if (op.error) out.error = op.error;
  return out;
}

function backgroundJson(ctx: RpcContext): Record<string, unknown> | undefined {
  const st = ctx.manager.backgroundStatus();
  if (!st) return undefined;
  const out: Record<string, unknown> = {
    height: st.height,
    base: st.baseHeight,
    bestblockhash: st.tip.key,
    progress: st.progress,
    blocks_per_second: Number(st.blocksPerSecond.toFixed(1)),
    inputs_per_second: Math.round(st.inputsPerSecond),
  };
  if (st.etaSeconds !== undefined) out.eta_seconds = Math.round(st.etaSeconds);
  return out;
}

const getprogress: RpcMethod = {
  name: 'getprogress',
  category: 'blockchain',
  description:
    'chainsnap only: long operations (snapshot loads, dumps) with what is done of how much, their rate, ETA and outcome, ' +
    'and background validation of a snapshot (height, base, blocks/s, ETA) while it runs.',
  args: [{ name: 'operation', type: 'number', optional: true, description: 'Only this operation (the id loadtxoutset wait=false returned).' }],
  result:
    '{operations: [{id, kind, target, state, started, elapsed, done, total, unit, progress?, rate?, eta_seconds?, finished?, result?, error?}], backgroundvalidation?: {height, base, bestblockhash, progress, blocks_per_second, inputs_per_second, eta_seconds?}}, or one operation',
  examples: ['getprogress', 'getprogress 1'],
  handler: ([idArg], ctx) => {
    const now = Date.now();
    if (!isNull(idArg)) {
      const id = getInt(idArg);
      const op = ctx.operations.get(id);
      if (!op) throw new RpcError(RPC.INVALID_PARAMETER, `No operation with id ${id}`);
      return operationJson(op, now);
    }
    const out: Record<string, unknown> = { operations: ctx.operations.list().filter((o) => o.kind !== 'backgroundvalidation').map((o) => operationJson(o, now)) };
    const bg = backgroundJson(ctx);
    if (bg) out.backgroundvalidation = bg;
    return out;
  },
};

export const blockchainSnapshotMethods: RpcMethod[] = [dumptxoutset, loadtxoutset, getchainstates, getprogress];
