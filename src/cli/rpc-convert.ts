/**
 * bitcoin-cli's argument conversion (Core's rpc/client.cpp): command-line arguments are strings, except
 * the parameters listed here, which are parsed as JSON (or, for 'json-or-string', as JSON when they parse
 * and as a string otherwise). With -named, NAME=VALUE arguments become named parameters and the rest go
 * to "args", with Core's rules for values that contain '='. The table holds the methods chainsnap serves
 * (and their close relatives), with Core's indices, names and formats.
 */
import { JsonSyntaxError, parseJson, setKey, type JsonObject, type JsonValue } from './univalue.js';

type Format = 'json' | 'string' | 'json-or-string';
type Row = [method: string, index: number, name: string, format?: Format];

const CONVERT: readonly Row[] = [
  ['setmocktime', 0, 'timestamp'],
  ['mockscheduler', 0, 'delta_time'],
  ['generatetoaddress', 0, 'nblocks'],
  ['generatetoaddress', 2, 'maxtries'],
  ['generatetodescriptor', 0, 'num_blocks'],
  ['generatetodescriptor', 2, 'maxtries'],
  ['generateblock', 1, 'transactions'],
  ['generateblock', 2, 'submit'],
  ['getnetworkhashps', 0, 'nblocks'],
  ['getnetworkhashps', 1, 'height'],
  ['getblockfrompeer', 1, 'peer_id'],
  ['getblockhash', 0, 'height'],
  ['waitforblockheight', 0, 'height'],
  ['waitforblockheight', 1, 'timeout'],
  ['waitforblock', 1, 'timeout'],
  ['waitfornewblock', 0, 'timeout'],
  ['getblocktemplate', 0, 'template_request'],
  ['deriveaddresses', 1, 'range'],
  ['scantxoutset', 1, 'scanobjects'],
  ['getblock', 1, 'verbosity'],
  ['getblock', 1, 'verbose'],
  ['getblockheader', 1, 'verbose'],
  ['getchaintxstats', 0, 'nblocks'],
  ['getrawtransaction', 1, 'verbosity'],
  ['getrawtransaction', 1, 'verbose'],
  ['createrawtransaction', 0, 'inputs'],
  ['createrawtransaction', 1, 'outputs'],
  ['createrawtransaction', 2, 'locktime'],
  ['createrawtransaction', 3, 'replaceable'],
  ['createrawtransaction', 4, 'version'],
  ['decoderawtransaction', 1, 'iswitness'],
  ['sendrawtransaction', 1, 'maxfeerate'],
  ['sendrawtransaction', 2, 'maxburnamount'],
  ['testmempoolaccept', 0, 'rawtxs'],
  ['testmempoolaccept', 1, 'maxfeerate'],
  ['submitpackage', 0, 'package'],
  ['submitpackage', 1, 'maxfeerate'],
  ['submitpackage', 2, 'maxburnamount'],
  ['gettxout', 1, 'n'],
  ['gettxout', 2, 'include_mempool'],
  ['gettxoutsetinfo', 1, 'hash_or_height', 'json-or-string'],
  ['gettxoutsetinfo', 2, 'use_index'],
  ['dumptxoutset', 0, 'path', 'string'],
  ['dumptxoutset', 1, 'type', 'string'],
  ['dumptxoutset', 2, 'options'],
  ['dumptxoutset', 2, 'rollback', 'json-or-string'],
  ['verifychain', 0, 'checklevel'],
  ['verifychain', 1, 'nblocks'],
  ['getblockstats', 0, 'hash_or_height', 'json-or-string'],
  ['getblockstats', 1, 'stats'],
  ['pruneblockchain', 0, 'height'],
  ['getrawmempool', 0, 'verbose'],
  ['getrawmempool', 1, 'mempool_sequence'],
  ['setnetworkactive', 0, 'state'],
  ['addnode', 2, 'v2transport'],
  ['addconnection', 2, 'v2transport'],
  ['setban', 2, 'bantime'],
  ['setban', 3, 'absolute'],
  ['disconnectnode', 1, 'nodeid'],
  ['getnodeaddresses', 0, 'count'],
  ['getmempoolancestors', 1, 'verbose'],
  ['getmempooldescendants', 1, 'verbose'],
  ['logging', 0, 'include'],
  ['logging', 1, 'exclude'],
  ['echojson', 0, 'arg0'],
  ['echojson', 1, 'arg1'],
  ['echojson', 2, 'arg2'],
  ['echojson', 3, 'arg3'],
  ['echojson', 4, 'arg4'],
  ['echojson', 5, 'arg5'],
  ['echojson', 6, 'arg6'],
  ['echojson', 7, 'arg7'],
  ['echojson', 8, 'arg8'],
  ['echojson', 9, 'arg9'],
  ['stop', 0, 'wait'],
  ['loadtxoutset', 0, 'path', 'string'],
  // chainsnap's own.
  ['loadtxoutset', 1, 'wait'],
  ['getprogress', 0, 'operation'],
];

interface Param {
  format: Format;
}

function byPosition(method: string, pos: number): Param | undefined {
  const row = CONVERT.find(([m, i]) => m === method && i === pos);
  return row && { format: row[3] ?? 'json' };
}

function byName(method: string, name: string): Param | undefined {
  const row = CONVERT.find(([m, , n]) => m === method && n === name);
  return row && { format: row[3] ?? 'json' };
}

/** Core's Parse: JSON, or the raw string for json-or-string; otherwise "Error parsing JSON: RAW". */
function parse(raw: string, format: Format): JsonValue {
  try {
    return parseJson(raw);
  } catch (e) {
    if (!(e instanceof JsonSyntaxError)) throw e;
    if (format === 'json-or-string') return raw;
    throw new Error(`Error parsing JSON: ${raw}`);
  }
}

function parseParam(param: Param | undefined, raw: string): JsonValue {
  return param && param.format !== 'string' ? parse(raw, param.format) : raw;
}

/** Core's RPCConvertValues (positional). */
export function convertValues(method: string, args: string[]): JsonValue[] {
  const out: JsonValue[] = [];
  for (const s of args) out.push(parseParam(byPosition(method, out.length), s));
  return out;
}

/** Core's RPCConvertNamedValues (-named). */
export function convertNamedValues(method: string, args: string[]): JsonObject {
  const params: JsonObject = { entries: [] };
  const positional: JsonValue[] = [];
  for (const s of args) {
    const eq = s.indexOf('=');
    if (eq < 0) {
      positional.push(parseParam(byPosition(method, positional.length), s));
      continue;
    }
    const name = s.slice(0, eq);
    const value = s.slice(eq + 1);
    const named = byName(method, name);
    if (!named) {
      // An unknown NAME may be a positional value that contains '=' (Core's two special cases).
      const next = byPosition(method, positional.length);
      if (next?.format === 'json') {
        try {
          positional.push(parseJson(s));
          continue;
        } catch (e) {
          if (!(e instanceof JsonSyntaxError)) throw e;
        }
      } else if (next?.format === 'string') {
        positional.push(s);
        continue;
      }
    }
    setKey(params, name, parseParam(named, value));
  }
  // Appended even after an explicit "args": the server judges the request as given (Core's pushKVEnd).
  if (positional.length > 0) params.entries.push(['args', positional]);
  return params;
}
