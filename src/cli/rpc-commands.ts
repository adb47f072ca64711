/**
 * The client side of the node: `chainsnap rpc METHOD [ARGS...]` as bitcoin-cli (options before the method,
 * Core's argument conversion, -named, -stdin, -stdinrpcpass, -rpcwait; output and exit statuses as
 * bitcoin-cli's), and the node commands built on it (node-commands.ts). Each writes to stdout/stderr and
 * returns its exit status; main.ts dispatches here before yargs, since bitcoin-cli's single-dash options
 * are not yargs syntax.
 */
import { readFileSync } from 'node:fs';
import { RpcClient } from '../rpc/client.js';
import { CliError, parseCliArgs, resolveConnection, resolveSettings, type CliArgs } from './rpc-args.js';
import { callNode, failure, printReply, requestBody, type Printed } from './rpc-call.js';
import { convertNamedValues, convertValues } from './rpc-convert.js';
import { runNodeCommand, NODE_COMMANDS } from './node-commands.js';
import type { JsonValue } from './univalue.js';

/** Commands handled here, with their one-line descriptions for `chainsnap --help`. */
export const CLIENT_COMMANDS: ReadonlyArray<[command: string, describe: string]> = [
  ['rpc <method> [args..]', 'Call a method of a running node, as bitcoin-cli does (chainsnap rpc -help)'],
  ...NODE_COMMANDS,
];

export function isClientCommand(argv: string[]): boolean {
  return argv.length > 0 && CLIENT_COMMANDS.some(([c]) => c.split(' ')[0] === argv[0]);
}

/** Runs a client command; sets the process's exit status. */
export async function runClientCommand(argv: string[]): Promise<void> {
  const out = argv[0] === 'rpc' ? await runRpc(argv.slice(1), readStdin) : await runNodeCommand(argv[0], argv.slice(1));
  if (out.stdout) process.stdout.write(out.stdout);
  if (out.stderr) process.stderr.write(out.stderr);
  process.exitCode = out.status;
}

const USAGE = `chainsnap rpc: the JSON-RPC client of chainsnap, compatible with bitcoin-cli.

Usage: chainsnap rpc [options] <command> [params]
or:    chainsnap rpc [options] -named <command> [name=value]...
or:    chainsnap rpc [options] help
or:    chainsnap rpc [options] help <command>

Options:
  -conf=<file>          Configuration file, relative to the data directory (default: bitcoin.conf, then chainsnap.conf)
  -datadir=<dir>        Data directory
  -named                Pass named instead of positional arguments
  -rpcclienttimeout=<n> Timeout in seconds during HTTP requests, or 0 for no timeout (default: 900)
  -rpcconnect=<ip>      Send commands to node running on <ip> (default: 127.0.0.1)
  -rpccookiefile=<loc>  Location of the auth cookie, relative to the network's data directory
  -rpcpassword=<pw>     Password for JSON-RPC connections
  -rpcport=<port>       Connect to JSON-RPC on <port> (default: 8332, testnet: 18332, testnet4: 48332, signet: 38332, regtest: 18443)
  -rpcuser=<user>       Username for JSON-RPC connections
  -rpcwait              Wait for RPC server to start
  -rpcwaittimeout=<n>   Timeout in seconds to wait for the RPC server to start, or 0 for no timeout (default: 0)
  -rpcwallet=<name>     Send RPC for a wallet (the /wallet/<name> endpoint)
  -stdin                Read extra arguments from standard input, one per line until EOF
  -stdinrpcpass         Read RPC password from standard input as a single line
  -regtest, -testnet, -testnet4, -signet, -chain=<chain>   Choose the network
`;

/** Lines of standard input as bitcoin-cli's getline reads them (a final newline ends the last line). */
function readStdin(): string[] {
  const text = readFileSync(0, 'utf8');
  if (text === '') return [];
  const lines = text.split('\n');
  if (text.endsWith('\n')) lines.pop();
  return lines;
}

/** `chainsnap rpc ...`: bitcoin-cli's AppInitRPC and CommandLineRPC. */
export async function runRpc(argv: string[], stdin: () => string[]): Promise<Printed> {
  if (argv.length === 0) return { stdout: USAGE, stderr: 'Error: too few parameters\n', status: 1 };
  let args: CliArgs;
  try {
    args = parseCliArgs(argv);
    const has = (k: string) => args.options.has(k);
    if (has('help') || has('h') || has('?')) return { stdout: USAGE, stderr: '', status: 0 };
    if (has('version')) return { stdout: 'chainsnap RPC client version 0.1.0\n', stderr: '', status: 0 };
    const settings = resolveSettings(args);
    const conn = resolveConnection(settings);
    const warning = conn.warning ? `${conn.warning}\n` : '';
    const positional = [...args.positional];
    if (settings.flag('stdinrpcpass') || settings.flag('stdin')) {
      const lines = stdin();
      if (settings.flag('stdinrpcpass')) {
        if (lines.length === 0) throw new CliError('-stdinrpcpass specified but failed to read from standard input');
        const password = lines.shift()!;
        conn.client.password = password;
        conn.client.user = settings.get('rpcuser') ?? '';
        conn.client.cookieFile = undefined;
      }
      if (settings.flag('stdin')) positional.push(...lines);
    }
    if (positional.length === 0) throw new CliError('too few parameters (need at least command)');
    const [method, ...params] = positional;
    const converted: JsonValue = settings.flag('named') ? convertNamedValues(method, params) : convertValues(method, params);
    const body = requestBody(method, converted);
    const client = new RpcClient(conn.client);
    try {
      const printed = printReply(await callNode(conn, client, body));
      return { ...printed, stderr: warning + printed.stderr };
    } finally {
      client.close();
    }
  } catch (e) {
    return failure(e);
  }
}
