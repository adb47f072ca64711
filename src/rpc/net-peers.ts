/**
 * Core's rpc/net.cpp peer methods: getpeerinfo, ping, addnode, addconnection, disconnectnode,
 * getaddednodeinfo and getnodeaddresses, with Core's argument names, results and errors.
 */
import { formatService, parseService } from '../net/netaddr.js';
import type { Peer } from '../net/peer.js';
import { serviceNames, servicesHex } from '../net/protocol.js';
import { RPC, RpcError } from './errors.js';
import { exampleCli, exampleRpc, methodHelp, resultText } from './help.js';
import type { RpcMethod } from './method.js';
import { ensureNetwork, networkOf } from './net-control.js';
import { netAddrmanMethods } from './net-addrman.js';
import { getBool, getInt, getStr, isNull, valueFromAmount } from './util.js';

const seconds = (micros: number) => Math.floor(micros / 1e6);

interface SyncStats {
  syncedHeaders: number;
  syncedBlocks: number;
  inflight: number[];
  presynced: number;
}

function peerInfo(p: Peer, stats: SyncStats | undefined, now: number, permissions: string[]) {
  const o: Record<string, unknown> = {
    id: p.id,
    addr: p.address,
  };
  if (p.addrBind) o.addrbind = p.addrBind;
  o.network = p.remote.net === 'ipv4' || p.remote.net === 'ipv6' ? (p.remote.bytes.every((b) => b === 0) ? 'not_publicly_routable' : p.remote.net) : p.remote.net;
  if (p.remote.net === 'ipv4' && (p.remote.bytes[0] === 127 || p.remote.bytes[0] === 10 || p.remote.bytes[0] === 192)) o.network = 'not_publicly_routable';
  if (p.remote.net === 'ipv6' && p.remote.bytes.slice(0, 15).every((b) => b === 0)) o.network = 'not_publicly_routable';
  Object.assign(o, {
    services: servicesHex(p.services),
    servicesnames: serviceNames(p.services),
    relaytxes: false,
    last_inv_sequence: 0,
    inv_to_send: 0,
    lastsend: seconds(p.lastSend),
    lastrecv: seconds(p.lastRecv),
    last_transaction: 0,
    last_block: seconds(p.lastBlockTime),
    bytessent: p.bytesSent,
    bytesrecv: p.bytesRecv,
    conntime: seconds(p.connectedMicros),
    timeoffset: p.timeOffset,
  });
  if (p.lastPingMicros !== undefined && p.lastPingMicros > 0) o.pingtime = p.lastPingMicros / 1e6;
  if (p.minPingMicros !== undefined) o.minping = p.minPingMicros / 1e6;
  if (p.pingNonceSent !== 0n) o.pingwait = (now - p.pingStart) / 1e6;
  Object.assign(o, {
    version: p.version,
    subver: p.userAgent,
    inbound: p.inbound,
    bip152_hb_to: false,
    bip152_hb_from: false,
    startingheight: p.startingHeight,
    presynced_headers: stats?.presynced ?? -1,
    synced_headers: stats?.syncedHeaders ?? -1,
    synced_blocks: stats?.syncedBlocks ?? -1,
    inflight: stats?.inflight ?? [],
    addr_relay_enabled: p.addrRelayEnabled,
    addr_processed: p.addrProcessed,
    addr_rate_limited: p.addrRateLimited,
    permissions,
    minfeefilter: valueFromAmount(p.feeFilter),
    bytessent_per_msg: Object.fromEntries([...p.bytesSentPerType].sort(([a], [b]) => (a < b ? -1 : 1))),
    bytesrecv_per_msg: Object.fromEntries([...p.bytesRecvPerType].sort(([a], [b]) => (a < b ? -1 : 1))),
    connection_type: p.connType,
    transport_protocol_type: p.version === 0 && p.bytesRecv === 0 ? 'detecting' : 'v1',
    session_id: '',
  });
  return o;
}

const getpeerinfo: RpcMethod = {
  name: 'getpeerinfo',
  category: 'network',
  description: 'Returns data about each connected network peer as a json array of objects.',
  args: [],
  result: resultText([['[', '(json array)'], ['  {', '(json object)'], ['    "id" : n,', '(numeric) Peer index'], ['    ...', ''], ['  },...', ''], [']', '']]),
  examples: [exampleCli('getpeerinfo', ''), exampleRpc('getpeerinfo', '')],
  handler: (_params, ctx) => {
    const net = networkOf(ctx);
    if (!net) return [];
    const now = net.nowMicros();
    // presyncedHeaders is HeadersFirstSync's, outside the BlockSync seam: read it when the sync offers it.
    const sync = net.sync as (typeof net.sync & { presyncedHeaders?: (id: number) => number }) | undefined;
    return [...net.livePeers()].map((p) => {
      const s = sync?.peerStats(p.id);
      return peerInfo(p, s && { ...s, presynced: sync?.presyncedHeaders?.(p.id) ?? -1 }, now, net.permissionsOf(p.remote));
    });
  },
};

const ping: RpcMethod = {
  name: 'ping',
  category: 'network',
  description:
    'Requests that a ping be sent to all other nodes, to measure ping time.\nResults are provided in getpeerinfo.\n' +
    'Ping command is handled in queue with all other commands, so it measures processing backlog, not just network ping.\n',
  args: [],
  result: resultText([['null', '(json null)']]),
  examples: [exampleCli('ping', ''), exampleRpc('ping', '')],
  handler: (_params, ctx) => {
    for (const p of ensureNetwork(ctx).livePeers()) p.pingQueued = true;
    return null;
  },
};

const addnode: RpcMethod = {
  name: 'addnode',
  category: 'network',
  description:
    'Attempts to add or remove a node from the addnode list.\nOr try a connection to a node once.\n' +
    'Nodes added using addnode (or -connect) are protected from DoS disconnection and are not required to be\n' +
    'full nodes/support SegWit as other outbound peers are (though such peers will not be synced from).\n' +
    'Addnode connections are limited to 8 at a time and are counted separately from the -maxconnections limit.\n',
  args: [
    { name: 'node', type: 'string', description: 'The IP address/hostname optionally followed by :port of the peer to connect to' },
    { name: 'command', type: 'string', description: "'add' to add a node to the list, 'remove' to remove a node from the list, 'onetry' to try a connection to the node once" },
    { name: 'v2transport', type: 'boolean', optional: true, defaultHint: 'set by -v2transport', description: 'Attempt to connect using BIP324 v2 transport protocol (ignored for \'remove\' command)' },
  ],
  result: resultText([['null', '(json null)']]),
  examples: [exampleCli('addnode', '"192.168.0.6:8333" "onetry"'), exampleRpc('addnode', '"192.168.0.6:8333", "onetry"')],
  handler: ([node, command, v2], ctx) => {
    const cmd = getStr(command);
    if (cmd !== 'onetry' && cmd !== 'add' && cmd !== 'remove') throw new RpcError(RPC.MISC_ERROR, methodHelp(addnode));
    const net = ensureNetwork(ctx);
    const target = getStr(node);
    if (!isNull(v2) && getBool(v2)) throw new RpcError(RPC.INVALID_PARAMETER, 'Error: v2transport requested but not enabled (see -v2transport)');
    const added = net.outbound.added;
    if (cmd === 'onetry') {
      net.outbound.spawn(net.outbound.open(target, 'manual'));
    } else if (cmd === 'add') {
      if (added.some((a) => a.target === target)) throw new RpcError(RPC.CLIENT_NODE_ALREADY_ADDED, 'Error: Node already added');
      added.push({ target, v2: false });
      net.outbound.spawn(net.outbound.open(target, 'manual'));
    } else {
      const i = added.findIndex((a) => a.target === target);
      if (i < 0) throw new RpcError(RPC.CLIENT_NODE_NOT_ADDED, 'Error: Node could not be removed. It has not been added previously.');
      added.splice(i, 1);
    }
    return null;
  },
};

const CONNECTION_TYPES = ['outbound-full-relay', 'block-relay-only', 'addr-fetch', 'feeler'] as const;

const addconnection: RpcMethod = {
  name: 'addconnection',
  category: 'hidden',
  description: 'Open an outbound connection to a specified node. This RPC is for testing only.\n',
  args: [
    { name: 'address', type: 'string', description: 'The IP address and port to attempt connecting to.' },
    { name: 'connection_type', type: 'string', description: 'Type of connection to open ("outbound-full-relay", "block-relay-only", "addr-fetch" or "feeler").' },
    { name: 'v2transport', type: 'boolean', description: 'Attempt to connect using BIP324 v2 transport protocol' },
  ],
  handler: async ([address, type, v2], ctx) => {
    if (ctx.params.name !== 'regtest') throw new RpcError(RPC.MISC_ERROR, 'addconnection is for regression testing (-regtest mode) only.');
    const addr = getStr(address);
    const t = getStr(type).trim();
    if (!(CONNECTION_TYPES as readonly string[]).includes(t)) throw new RpcError(RPC.INVALID_PARAMETER, methodHelp(addconnection));
    const net = ensureNetwork(ctx);
    if (getBool(v2)) throw new RpcError(RPC.INVALID_PARAMETER, 'Error: Adding v2transport connections requires -v2transport init flag to be set.');
    if (!net.canAddConnection(t as (typeof CONNECTION_TYPES)[number])) throw new RpcError(RPC.CLIENT_NODE_CAPACITY_REACHED, 'Error: Already at capacity for specified connection type.');
    const svc = parseService(addr, ctx.params.defaultPort);
    const conn = t as (typeof CONNECTION_TYPES)[number];
    net.outbound.spawn(svc ? net.outbound.openService(svc, conn, addr) : net.outbound.open(addr, conn));
    return { address: addr, connection_type: t };
  },
};

const disconnectnode: RpcMethod = {
  name: 'disconnectnode',
  category: 'network',
  description:
    'Immediately disconnects from the specified peer node.\n\nStrictly one out of \'address\' and \'nodeid\' can be provided to identify the node.\n\n' +
    'To disconnect by nodeid, either set \'address\' to the empty string, or call using the named \'nodeid\' argument only.\n',
  args: [
    { name: 'address', type: 'string', optional: true, defaultHint: 'fallback to nodeid', description: 'The IP address/port of the node' },
    { name: 'nodeid', type: 'number', optional: true, defaultHint: 'fallback to address', description: 'The node ID (see getpeerinfo for node IDs)' },
  ],
  result: resultText([['null', '(json null)']]),
  examples: [exampleCli('disconnectnode', '"192.168.0.6:8333"'), exampleCli('disconnectnode', '"" 1'), exampleRpc('disconnectnode', '"192.168.0.6:8333"'), exampleRpc('disconnectnode', '"", 1')],
  handler: ([address, nodeid], ctx) => {
    const net = ensureNetwork(ctx);
    const addr = isNull(address) ? undefined : getStr(address);
    const id = isNull(nodeid) ? undefined : getInt(nodeid, 'int64');
    let found = false;
    if (addr !== undefined && id === undefined) {
      const svc = parseService(addr, ctx.params.defaultPort);
      const key = svc ? formatService(svc) : addr;
      for (const p of net.livePeers()) {
        if (p.address === key || p.target === addr) {
          p.disconnect('disconnectnode');
          found = true;
        }
      }
    } else if (id !== undefined && (addr === undefined || addr === '')) {
      const p = net.peers.get(id);
      if (p && !p.disconnecting) {
        p.disconnect('disconnectnode');
        found = true;
      }
    } else {
      throw new RpcError(RPC.INVALID_PARAMS, 'Only one of address and nodeid should be provided.');
    }
    if (!found) throw new RpcError(RPC.CLIENT_NODE_NOT_CONNECTED, 'Node not found in connected nodes');
    return null;
  },
};

const getaddednodeinfo: RpcMethod = {
  name: 'getaddednodeinfo',
  category: 'network',
  description: 'Returns information about the given added node, or all added nodes\n(note that onetry addnodes are not listed here)\n',
  args: [{ name: 'node', type: 'string', optional: true, defaultHint: 'all nodes', description: 'If provided, return information about this specific node, otherwise all nodes are returned.' }],
  examples: [exampleCli('getaddednodeinfo', '"192.168.0.201"'), exampleRpc('getaddednodeinfo', '"192.168.0.201"')],
  handler: ([node], ctx) => {
    const net = ensureNetwork(ctx);
    let list = net.outbound.added;
    if (!isNull(node)) {
      list = list.filter((a) => a.target === getStr(node));
      if (list.length === 0) throw new RpcError(RPC.CLIENT_NODE_NOT_ADDED, 'Error: Node has not been added.');
    }
    return list.map((a) => {
      const p = [...net.livePeers()].find((x) => x.target === a.target || x.address === a.target);
      return { addednode: a.target, connected: !!p, addresses: p ? [{ address: p.address, connected: p.inbound ? 'inbound' : 'outbound' }] : [] };
    });
  },
};

const getnodeaddresses: RpcMethod = {
  name: 'getnodeaddresses',
  category: 'network',
  description: 'Return known addresses, after filtering for quality and recency.\nThese can potentially be used to find new peers in the network.\nThe total number of addresses known to the node may be higher.',
  args: [
    { name: 'count', type: 'number', optional: true, default: 1, description: 'The maximum number of addresses to return. Specify 0 to return all known addresses.' },
    { name: 'network', type: 'string', optional: true, defaultHint: 'all networks', description: 'Return only addresses of the specified network. Can be one of: ipv4, ipv6, onion, i2p, cjdns.' },
  ],
  examples: [exampleCli('getnodeaddresses', '8'), exampleRpc('getnodeaddresses', '8')],
  handler: ([count, network], ctx) => {
    const net = ensureNetwork(ctx);
    const n = isNull(count) ? 1 : getInt(count);
    if (n < 0) throw new RpcError(RPC.INVALID_PARAMETER, 'Address count out of range');
    const want = isNull(network) ? undefined : getStr(network);
    if (want !== undefined && !['ipv4', 'ipv6', 'onion', 'i2p', 'cjdns'].includes(want)) throw new RpcError(RPC.INVALID_PARAMETER, `Network not recognized: ${want}`);
    // Core filters by network first, then takes `count` (GetAddresses(count, 0, network)).
    const matching = net.addrman.getAddresses(Infinity, 100, net.now()).filter((a) => !want || a.net === want);
    const all = n === 0 ? matching : matching.slice(0, n);
    return all.map((a) => ({ time: a.time, services: Number(a.services), address: formatService({ ...a, port: 0 }).replace(/:0$/, '').replace(/^\[(.*)\]$/, '$1'), port: a.port, network: a.net }));
  },
};

export const netPeerMethods: RpcMethod[] = [addconnection, addnode, disconnectnode, getaddednodeinfo, getnodeaddresses, getpeerinfo, ping, ...netAddrmanMethods];
