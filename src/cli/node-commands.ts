/**
 * `chainsnap loadtxoutset FILE`, `dumptxoutset FILE [--rollback [H]]`, `getchainstates` and `status`: the
 * node's assumeutxo calls with bitcoin-cli's options (anywhere on the line), paths made absolute here
 * (the node would take them relative to its data directory), no request timeout unless one is asked for,
 * and a progress view while a load or dump runs.
 */
import path from 'node:path';
import { RpcClient } from '../rpc/client.js';
import { CliError, parseCliArgs, resolveConnection, resolveSettings, type Connection } from './rpc-args.js';
import { callNode, failure, printReply, requestBody, type Printed } from './rpc-call.js';
import { fromPlain, getKey, isObject, writeJson, type JsonValue } from './univalue.js';
import { progressView, watchOperation } from './node-progress.js';
import { formatStatus } from './node-status.js';

export const NODE_COMMANDS: ReadonlyArray<[command: string, describe: string]> = [
  ['loadtxoutset <file>', 'Load a UTXO snapshot into the running node, showing its progress'],
  ['dumptxoutset <file>', "Write the running node's UTXO set to a snapshot file (--rollback [HEIGHT|HASH] for an earlier block)"],
  ['getchainstates', "Show the running node's chainstates"],
  ['status', 'Summarise the running node: chain, chainstates, background validation, long operations'],
];

interface Session {
  conn: Connection;
  client: RpcClient;
  positional: string[];
  option(name: string): string | undefined;
}

export async function runNodeCommand(name: string, argv: string[]): Promise<Printed> {
  try {
    const args = parseCliArgs(argv, true);
    if (args.options.has('help') || args.options.has('h') || args.options.has('?')) {
      const [usage, describe] = NODE_COMMANDS.find(([c]) => c.split(' ')[0] === name)!;
      return { stdout: `Usage: chainsnap ${usage} [options]\n\n${describe}.\nOptions as for chainsnap rpc (see chainsnap rpc -help).\n`, stderr: '', status: 0 };
    }
    const settings = resolveSettings(args);
    const conn = resolveConnection(settings);
    // Loads and dumps take as long as they take: no timeout unless one was asked for.
    if (settings.get('rpcclienttimeout') === undefined) conn.client.timeoutMs = 0;
    const client = new RpcClient(conn.client);
    const session: Session = { conn, client, positional: args.positional, option: (n) => args.options.get(n)?.at(-1) };
    try {
      return await COMMANDS[name](session);
    } finally {
      client.close();
    }
  } catch (e) {
    return failure(e);
  }
}

const call = (s: Session, method: string, params: JsonValue[]) => callNode(s.conn, s.client, requestBody(method, params));

function fileArg(s: Session, command: string): string {
  if (s.positional.length !== 1) throw new CliError(`${command} needs one FILE argument`);
  return path.resolve(s.positional[0]);
}

/** A long call with getprogress polled beside it. */
async function withProgress(s: Session, kind: string, target: string, label: string, run: () => Promise<JsonValue>): Promise<Printed> {
  const watch = watchOperation(s.client, kind, target, progressView(label));
  try {
    return printReply(await run());
  } finally {
    await watch.stop();
  }
}

const COMMANDS: Record<string, (s: Session) => Promise<Printed>> = {
  loadtxoutset: (s) => {
    const file = fileArg(s, 'loadtxoutset');
    return withProgress(s, 'loadtxoutset', file, 'Loading snapshot', () => call(s, 'loadtxoutset', [file]));
  },
  dumptxoutset: (s) => {
    const file = fileArg(s, 'dumptxoutset');
    const rollback = s.option('rollback');
    const params: JsonValue[] =
      rollback === undefined ? [file, 'latest'] : rollback === '' ? [file, 'rollback'] : [file, 'rollback', fromPlain({ rollback: /^\d+$/.test(rollback) ? Number(rollback) : rollback })];
    return withProgress(s, 'dumptxoutset', file, 'Writing snapshot', () => call(s, 'dumptxoutset', params));
  },
  getchainstates: async (s) => printReply(await call(s, 'getchainstates', [])),
  status: async (s) => {
    const replies: Record<string, JsonValue> = {};
    for (const method of ['getblockchaininfo', 'getchainstates', 'getprogress']) {
      const reply = await call(s, method, []);
      const error = getKey(reply, 'error');
      // A node without getprogress still has a status; any other error is the answer.
      if (isObject(error) && method === 'getprogress') continue;
      if (error !== undefined && error !== null) return printReply(reply);
      replies[method] = getKey(reply, 'result') ?? null;
    }
    return { stdout: formatStatus(JSON.parse(writeJson({ entries: Object.entries(replies) })) as Record<string, unknown>), stderr: '', status: 0 };
  },
};
