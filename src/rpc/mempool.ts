/**
 * Mempool methods from Core's rpc/mempool.cpp. chainsnap relays no transactions yet, so its mempool is
 * always empty (and "loaded"); the limits reported are Core v30's defaults.
 */
import { RPC, RpcError } from './errors.js';
import { exampleCli, exampleRpc, resultText } from './help.js';
import type { RpcMethod } from './method.js';
import { INCREMENTAL_RELAY_FEE_PER_KVB, MIN_RELAY_FEE_PER_KVB } from './net.js';
import { valueFromAmount } from './util.js';

/** Core's DEFAULT_MAX_MEMPOOL_SIZE_MB, MAX_OP_RETURN_RELAY, DEFAULT_CLUSTER_LIMIT, DEFAULT_CLUSTER_SIZE_LIMIT_KVB. */
const MAX_MEMPOOL_BYTES = 300_000_000;
const MAX_DATACARRIER_BYTES = 100_000;
const CLUSTER_COUNT = 64;
const CLUSTER_SIZE_VBYTES = 101_000;

const getmempoolinfo: RpcMethod = {
  name: 'getmempoolinfo',
  category: 'blockchain',
  description: 'Returns details on the active state of the TX memory pool.',
  args: [],
  examples: [exampleCli('getmempoolinfo', ''), exampleRpc('getmempoolinfo', '')],
  handler: () => ({
    loaded: true,
    size: 0,
    bytes: 0,
    usage: 0,
    total_fee: valueFromAmount(0),
    maxmempool: MAX_MEMPOOL_BYTES,
    mempoolminfee: valueFromAmount(MIN_RELAY_FEE_PER_KVB),
    minrelaytxfee: valueFromAmount(MIN_RELAY_FEE_PER_KVB),
    incrementalrelayfee: valueFromAmount(INCREMENTAL_RELAY_FEE_PER_KVB),
    unbroadcastcount: 0,
    fullrbf: true,
    permitbaremultisig: true,
    maxdatacarriersize: MAX_DATACARRIER_BYTES,
    limitclustercount: CLUSTER_COUNT,
    limitclustersize: CLUSTER_SIZE_VBYTES,
  }),
};

const getrawmempool: RpcMethod = {
  name: 'getrawmempool',
  category: 'blockchain',
  description:
    'Returns all transaction ids in memory pool as a json array of string transaction ids.\n' +
    '\nHint: use getmempoolentry to fetch a specific transaction from the mempool.\n',
  args: [
    { name: 'verbose', type: 'boolean', default: false, description: 'True for a json object, false for array of transaction ids' },
    {
      name: 'mempool_sequence',
      type: 'boolean',
      default: false,
      description: 'If verbose=false, returns a json object with transaction list and mempool sequence number attached.',
    },
  ],
  result: resultText([['[', '(json array)'], ['  "hex",', '(string) The transaction id'], ['  ...', ''], [']', '']]),
  examples: [exampleCli('getrawmempool', 'true'), exampleRpc('getrawmempool', 'true')],
  handler: ([verbose, sequence]) => {
    if (verbose === true) {
      if (sequence === true) throw new RpcError(RPC.INVALID_PARAMETER, 'Verbose results cannot contain mempool sequence values.');
      return {};
    }
    return sequence === true ? { txids: [], mempool_sequence: 1 } : [];
  },
};

export const mempoolMethods: RpcMethod[] = [getmempoolinfo, getrawmempool];
