/** Methods from Core's rpc/node.cpp: echo, echojson, logging, setmocktime, getmemoryinfo. */
import { RPC, RpcError } from './errors.js';
import { exampleCli, exampleRpc, resultText } from './help.js';
import type { RpcArg, RpcMethod } from './method.js';
import { expectType } from './params.js';

/** Core's debug categories (LOG_CATEGORIES_BY_STR), as `logging` lists them in its help. */
export const LOG_CATEGORIES = [
  'net', 'tor', 'mempool', 'http', 'bench', 'zmq', 'walletdb', 'rpc', 'estimatefee', 'addrman', 'selectcoins',
  'reindex', 'cmpctblock', 'rand', 'prune', 'proxy', 'mempoolrej', 'libevent', 'coindb', 'qt', 'leveldb',
  'validation', 'i2p', 'ipc', 'blockstorage', 'txreconciliation', 'scan', 'txpackages', 'kernel',
] as const;

/** Core's largest mock time: std::chrono::nanoseconds::max() in seconds. */
const MAX_MOCKTIME = 9223372036;

const echoArgs: RpcArg[] = Array.from({ length: 10 }, (_, i) => ({
  name: `arg${i}`,
  type: 'string',
  optional: true,
  skipTypeCheck: true,
  description: '',
}));

function echo(name: string): RpcMethod {
  return {
    name,
    category: 'hidden',
    description:
      'Simply echo back the input arguments. This command is for testing.\n' +
      "\nIt will return an internal bug report when arg9='trigger_internal_bug' is passed.\n" +
      '\nThe difference between echo and echojson is that echojson has argument conversion enabled in the client-side table in ' +
      'bitcoin-cli and the GUI. There is no server-side difference.',
    args: echoArgs,
    handler: (params) => {
      if (params[9] === 'trigger_internal_bug') throw new Error('Internal bug detected: request.params[9].get_str() != "trigger_internal_bug"');
      return params;
    },
  };
}

const setmocktime: RpcMethod = {
  name: 'setmocktime',
  category: 'hidden',
  description: 'Set the local time to given timestamp (-regtest only)\n',
  args: [
    {
      name: 'timestamp',
      type: 'number',
      description: 'UNIX epoch time\nPass 0 to go back to using the system time.',
    },
  ],
  result: resultText([['null', '(json null)']]),
  handler: ([timestamp], ctx) => {
    if (ctx.params.name !== 'regtest') throw new Error('setmocktime is for regression testing (-regtest mode) only');
    const time = timestamp as number;
    if (!Number.isInteger(time)) throw new Error('JSON integer out of range');
    if (time < 0 || time > MAX_MOCKTIME) {
      throw new RpcError(RPC.INVALID_PARAMETER, `Mocktime must be in the range [0, ${MAX_MOCKTIME}], not ${time}.`);
    }
    ctx.mockTime = time;
    return null;
  },
};

const categoriesArg = (name: string, what: string, inner: string): RpcArg => ({
  name,
  type: 'array',
  optional: true,
  description: `The categories to ${what} debug logging`,
  inner: [{ name: inner, type: 'string', optional: true, description: 'the valid logging category' }],
});

const logging: RpcMethod = {
  name: 'logging',
  category: 'control',
  description:
    'Gets and sets the logging configuration.\n' +
    'When called without an argument, returns the list of categories with status that are currently being debug logged or not.\n' +
    'When called with arguments, adds or removes categories from debug logging and return the lists above.\n' +
    'The arguments are evaluated in order "include", "exclude".\n' +
    'If an item is both included and excluded, it will thus end up being excluded.\n' +
    `The valid logging categories are: ${[...LOG_CATEGORIES].sort().join(', ')}\n` +
    'In addition, the following are available as category names with special meanings:\n' +
    '  - "all",  "1" : represent all logging categories.\n',
  args: [categoriesArg('include', 'add to', 'include_category'), categoriesArg('exclude', 'remove from', 'exclude_category')],
  result: resultText([
    ['{', '(json object) keys are the logging categories, and values indicates its status'],
    ['  "category" : true|false,', '(boolean) if being debug logged or not. false:inactive, true:active'],
    ['  ...', ''],
    ['}', ''],
  ]),
  examples: [exampleCli('logging', '"[\\"all\\"]" "[\\"http\\"]"'), exampleRpc('logging', '["all"], ["libevent"]')],
  handler: ([include, exclude], ctx) => {
    const names = (v: unknown) => (Array.isArray(v) ? v.map((c) => expectType<string>(c, 'string')) : []);
    ctx.logging.update(names(include), names(exclude));
    return ctx.logging.categories();
  },
};

const getmemoryinfo: RpcMethod = {
  name: 'getmemoryinfo',
  category: 'control',
  description: 'Returns an object containing information about memory usage.\n',
  args: [
    {
      name: 'mode',
      type: 'string',
      default: 'stats',
      description:
        'determines what kind of information is returned.\n' +
        '  - "stats" returns general statistics about memory usage in the daemon.\n' +
        '  - "mallocinfo" returns an XML string describing low-level heap state (only available if compiled with glibc).',
    },
  ],
  examples: [exampleCli('getmemoryinfo', ''), exampleRpc('getmemoryinfo', '')],
  handler: ([mode]) => {
    const m = (mode as string | null | undefined) ?? 'stats';
    // chainsnap holds no keys, so it has no locked (non-swappable) memory.
    if (m === 'stats') return { locked: { used: 0, free: 0, total: 0, locked: 0, chunks_used: 0, chunks_free: 0 } };
    if (m === 'mallocinfo') throw new RpcError(RPC.INVALID_PARAMETER, 'mallocinfo mode not available');
    throw new RpcError(RPC.INVALID_PARAMETER, `unknown mode ${m}`);
  },
};

export const nodeMethods: RpcMethod[] = [getmemoryinfo, logging, setmocktime, echo('echo'), echo('echojson')];
