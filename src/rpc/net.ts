/**
 * Network methods from Core's rpc/net.cpp: counts, totals, the node's network state and the switch. They
 * read the P2P layer when the daemon attached one (net-control.ts); without it they report no peers and
 * no traffic, in Core's fields and types. Peer and ban methods are net-peers.ts and net-bans.ts.
 */
import { valueFromAmount } from './util.js';
import { exampleCli, exampleRpc, resultText } from './help.js';
import type { RpcMethod } from './method.js';
import { networkOf } from './net-control.js';
import { netBanMethods } from './net-bans.js';
import { netPeerMethods } from './net-peers.js';
import { serviceNames, servicesHex } from '../net/protocol.js';

/** Core's CLIENT_VERSION of the release chainsnap follows (v30.99), and its PROTOCOL_VERSION. */
export const CLIENT_VERSION = 309900;
export const PROTOCOL_VERSION = 70016;
export const DEFAULT_SUBVERSION = '/chainsnap:0.1.0/';
/** Core's DEFAULT_MIN_RELAY_TX_FEE and DEFAULT_INCREMENTAL_RELAY_FEE (v30), in sat/kvB. */
export const MIN_RELAY_FEE_PER_KVB = 100;
export const INCREMENTAL_RELAY_FEE_PER_KVB = 100;

/** Core's GetNetworksInfo: onion, i2p and cjdns are unreachable without a proxy or opt-in; -onlynet narrows the rest. */
function networks(reachableNets: readonly string[] = ['ipv4', 'ipv6']) {
  return ['ipv4', 'ipv6', 'onion', 'i2p', 'cjdns'].map((name) => {
    const reachable = reachableNets.includes(name);
    return { name, limited: !reachable, reachable, proxy: '', proxy_randomize_credentials: false };
  });
}

const getconnectioncount: RpcMethod = {
  name: 'getconnectioncount',
  category: 'network',
  description: 'Returns the number of connections to other nodes.\n',
  args: [],
  result: resultText([['n', '(numeric) The connection count']]),
  examples: [exampleCli('getconnectioncount', ''), exampleRpc('getconnectioncount', '')],
  handler: (_params, ctx) => {
    const net = networkOf(ctx);
    return net ? [...net.livePeers()].length : 0;
  },
};

const getnettotals: RpcMethod = {
  name: 'getnettotals',
  category: 'network',
  description: 'Returns information about network traffic, including bytes in, bytes out,\nand current system time.',
  args: [],
  result: resultText([
    ['{', '(json object)'],
    ['  "totalbytesrecv" : n,', '(numeric) Total bytes received'],
    ['  "totalbytessent" : n,', '(numeric) Total bytes sent'],
    ['  "timemillis" : xxx,', '(numeric) Current system UNIX epoch time in milliseconds'],
    ['  "uploadtarget" : {', '(json object)'],
    ['    "timeframe" : n,', '(numeric) Length of the measuring timeframe in seconds'],
    ['    "target" : n,', '(numeric) Target in bytes'],
    ['    "target_reached" : true|false,', '(boolean) True if target is reached'],
    ['    "serve_historical_blocks" : true|false,', '(boolean) True if serving historical blocks'],
    ['    "bytes_left_in_cycle" : n,', '(numeric) Bytes left in current time cycle'],
    ['    "time_left_in_cycle" : n', '(numeric) Seconds left in current time cycle'],
    ['  }', ''],
    ['}', ''],
  ]),
  examples: [exampleCli('getnettotals', ''), exampleRpc('getnettotals', '')],
  handler: (_params, ctx) => ({
    totalbytesrecv: networkOf(ctx)?.totalBytesRecv ?? 0,
    totalbytessent: networkOf(ctx)?.totalBytesSent ?? 0,
    timemillis: Date.now(),
    uploadtarget: {
      timeframe: 86400,
      target: 0,
      target_reached: false,
      serve_historical_blocks: true,
      bytes_left_in_cycle: 0,
      time_left_in_cycle: 0,
    },
  }),
};

const getnetworkinfo: RpcMethod = {
  name: 'getnetworkinfo',
  category: 'network',
  description: 'Returns an object containing various state info regarding P2P networking.\n',
  args: [],
  examples: [exampleCli('getnetworkinfo', ''), exampleRpc('getnetworkinfo', '')],
  handler: (_params, ctx) => {
    const net = networkOf(ctx);
    const peers = net ? [...net.livePeers()] : [];
    const services = net?.localServices() ?? 0n;
    return {
    version: CLIENT_VERSION,
    subversion: ctx.subversion ?? DEFAULT_SUBVERSION,
    protocolversion: PROTOCOL_VERSION,
    localservices: servicesHex(services),
    localservicesnames: serviceNames(services),
    localrelay: false,
    timeoffset: 0,
    networkactive: ctx.networkActive,
    connections: peers.length,
    connections_in: peers.filter((p) => p.inbound).length,
    connections_out: peers.filter((p) => !p.inbound).length,
    networks: networks(net?.opts.reachable),
    relayfee: valueFromAmount(MIN_RELAY_FEE_PER_KVB),
    incrementalfee: valueFromAmount(INCREMENTAL_RELAY_FEE_PER_KVB),
    localaddresses: [],
    warnings: [],
    };
  },
};

const setnetworkactive: RpcMethod = {
  name: 'setnetworkactive',
  category: 'network',
  description: 'Disable/enable all p2p network activity.\n',
  args: [{ name: 'state', type: 'boolean', description: 'true to enable networking, false to disable' }],
  result: resultText([['true|false', '(boolean) The value that was passed in']]),
  handler: ([state], ctx) => {
    ctx.networkActive = state as boolean;
    const net = networkOf(ctx);
    if (net) net.setNetworkActive(ctx.networkActive);
    else ctx.log.info(`SetNetworkActive: ${String(state)}`);
    return ctx.networkActive;
  },
};

export const netMethods: RpcMethod[] = [getconnectioncount, getnettotals, getnetworkinfo, setnetworkactive, ...netPeerMethods, ...netBanMethods];
