/**
 * One bitcoin-cli request: send, read the reply with its numbers intact, and fail with bitcoin-cli's
 * messages; with -rpcwait, retry every second while the node cannot be reached or is warming up (-28).
 * Also how bitcoin-cli prints a reply: the result (strings raw, JSON pretty, null as nothing) on stdout
 * with status 0, or the error on stderr with status |code|.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { checkReply, RpcClient, RpcConnectionError, RpcHttpError } from '../rpc/client.js';
import { CliError, type Connection } from './rpc-args.js';
import { getKey, isObject, JsonNumber, JsonSyntaxError, parseJson, writeJson, type JsonValue } from './univalue.js';

/** Core's RPC_IN_WARMUP. */
const IN_WARMUP = -28;

/** Nothing usable came back: the condition -rpcwait waits out. */
class ConnectionFailed extends Error {}

/** Sends a request body (one call or a batch) as bitcoin-cli's ConnectAndCallRPC does; returns the reply. */
export async function callNode(conn: Connection, client: RpcClient, body: string): Promise<JsonValue> {
  const deadline = Date.now() + conn.waitTimeout * 1000;
  for (;;) {
    try {
      const reply = await callOnce(conn, client, body);
      const error = getKey(reply, 'error');
      if (conn.wait && isObject(error) && numberOf(getKey(error, 'code')) === IN_WARMUP) throw new ConnectionFailed('server in warmup');
      return reply;
    } catch (e) {
      if (!(e instanceof ConnectionFailed)) throw e;
      if (!conn.wait || (conn.waitTimeout > 0 && Date.now() >= deadline)) throw new CliError(`timeout on transient error: ${e.message}`);
      await sleep(1000);
    }
  }
}

async function callOnce(conn: Connection, client: RpcClient, body: string): Promise<JsonValue> {
  let reply;
  try {
    reply = await client.post(body);
  } catch (e) {
    if (!(e instanceof RpcConnectionError)) throw e;
    throw new ConnectionFailed(
      `Could not connect to the server ${client.endpoint}\n\n` +
        'Make sure the bitcoind server is running and that you are connecting to the correct RPC port.\n' +
        'Use "chainsnap rpc -help" for more info.',
    );
  }
  try {
    checkReply(reply);
  } catch (e) {
    if (!(e instanceof RpcHttpError)) throw e;
    if (e.status === 401 && !client.hasCredentials) {
      throw new CliError(
        `Could not locate RPC credentials. No authentication cookie could be found, and RPC password is not set.  See -rpcpassword and -stdinrpcpass.  Configuration file: (${conn.configPath})`,
      );
    }
    throw new CliError(e.message);
  }
  try {
    return parseJson(reply.body);
  } catch (e) {
    if (!(e instanceof JsonSyntaxError)) throw e;
    throw new CliError("couldn't parse reply from server");
  }
}

function numberOf(v: JsonValue | undefined): number | undefined {
  return v instanceof JsonNumber ? Number(v.raw) : undefined;
}

export interface Printed {
  stdout: string;
  stderr: string;
  status: number;
}

/** bitcoin-cli's ParseResult / ParseError for a single call's reply. */
export function printReply(reply: JsonValue): Printed {
  if (!isObject(reply)) throw new CliError('expected reply to have result, error and id properties');
  const error = getKey(reply, 'error');
  if (error === undefined || error === null) {
    const result = getKey(reply, 'result') ?? null;
    if (result === null) return { stdout: '', stderr: '', status: 0 };
    return { stdout: `${typeof result === 'string' ? result : writeJson(result, 2)}\n`, stderr: '', status: 0 };
  }
  let text: string;
  if (isObject(error)) {
    const code = getKey(error, 'code');
    const message = getKey(error, 'message');
    text = code !== undefined && code !== null ? `error code: ${typeof code === 'string' ? code : writeJson(code)}\n` : '';
    if (typeof message === 'string') text += `error message:\n${message}`;
  } else {
    text = `error: ${writeJson(error)}`;
  }
  const code = isObject(error) ? numberOf(getKey(error, 'code')) : undefined;
  return { stdout: '', stderr: text ? `${text}\n` : '', status: Math.abs(code ?? 1) || 1 };
}

/** A request as bitcoin-cli writes it (JSONRPCRequestObj, id 1). */
export function requestBody(method: string, params: JsonValue): string {
  return writeJson({ entries: [['method', method], ['params', params], ['id', new JsonNumber('1')], ['jsonrpc', '2.0']] }) + '\n';
}

/** bitcoin-cli's catch-all: "error: MESSAGE" (or its startup messages as they are), status 1. */
export function failure(e: unknown): Printed {
  if (e instanceof CliError) return { stdout: '', stderr: `${e.bare ? '' : 'error: '}${e.message}\n`, status: 1 };
  if (e instanceof Error && /^Error parsing JSON: /.test(e.message)) return { stdout: '', stderr: `error: ${e.message}\n`, status: 1 };
  throw e;
}
