/**
 * The P2P part of NodeConfig (Core's InitParameterInteraction and AppInitMain for CConnman's options):
 * listening, binds, -connect/-addnode/-seednode, limits, reachable networks, seeds, timeouts, whitelists.
 * Refusals carry Core's words.
 */
import type { ChainParams } from '../consensus/params.js';
import type { ArgsManager } from './args.js';
import { ConfigValueError, splitHostPort } from './node-config-parts.js';
import { DEFAULT_BAN_TIME } from '../net/banman.js';
import type { P2POptions, Permission, WhitelistEntry } from '../net/connman.js';
import { parseNetAddr, parseSubNet, type NetName, type Service } from '../net/netaddr.js';

const DEFAULT_MAX_PEER_CONNECTIONS = 125;
const DEFAULT_PEER_CONNECT_TIMEOUT = 60;
/** Core's DEFAULT_CONNECT_TIMEOUT (ms). */
const DEFAULT_CONNECT_TIMEOUT = 5000;
const NETWORKS: Record<string, NetName> = { ipv4: 'ipv4', ipv6: 'ipv6', onion: 'onion', tor: 'onion', i2p: 'i2p', cjdns: 'cjdns' };
const PERMISSIONS: Record<string, Permission[]> = {
  bloomfilter: ['bloomfilter'], noban: ['noban', 'download'], forcerelay: ['forcerelay', 'relay'], relay: ['relay'],
  mempool: ['mempool'], download: ['download'], addr: ['addr'],
  all: ['bloomfilter', 'noban', 'forcerelay', 'relay', 'mempool', 'download', 'addr'],
};

/** Core's NetWhitelistPermissions::TryParse, without the in/out direction (inbound is what we check). */
function parseWhitelist(s: string): WhitelistEntry {
  const at = s.indexOf('@');
  const perms = new Set<Permission>();
  const net = at < 0 ? s : s.slice(at + 1);
  if (at < 0) ['relay', 'noban', 'mempool', 'download'].forEach((p) => perms.add(p as Permission));
  else {
    for (const p of s.slice(0, at).split(',')) {
      if (p === '' || p === 'in' || p === 'out') continue;
      const got = PERMISSIONS[p];
      if (!got) throw new ConfigValueError(`Invalid P2P permission: '${p}'`);
      got.forEach((x) => perms.add(x));
    }
  }
  const subnet = parseSubNet(net);
  if (!subnet) throw new ConfigValueError(`Invalid netmask specified in -whitelist: '${net}'`);
  return { subnet, permissions: [...perms] };
}

export function resolveP2P(args: ArgsManager, params: ChainParams, log: string[]): P2POptions {
  const binds = args.getArgs('bind');
  const connect = args.getArgs('connect');
  const maxConnections = args.getIntArg('maxconnections') ?? DEFAULT_MAX_PEER_CONNECTIONS;
  const connectGiven = connect.length > 0 || args.isArgNegated('connect');
  let listen = args.getBoolArg('listen');
  let dnsseed = args.getBoolArg('dnsseed');
  if (binds.length > 0 && listen === undefined) {
    listen = true;
    log.push('parameter interaction: -bind set -> setting -listen=1');
  }
  if (connectGiven || maxConnections <= 0) {
    if (dnsseed === undefined) {
      dnsseed = false;
      log.push('parameter interaction: -connect or -maxconnections=0 set -> setting -dnsseed=0');
    }
    if (listen === undefined) {
      listen = false;
      log.push('parameter interaction: -connect or -maxconnections=0 set -> setting -listen=0');
    }
  }
  const portArg = args.getArg('port');
  let port = params.defaultPort;
  if (portArg !== undefined && !args.isArgNegated('port')) {
    if (!/^[0-9]+$/.test(portArg) || Number(portArg) < 1 || Number(portArg) > 65535) throw new ConfigValueError(`Invalid port specified in -port: '${portArg}'`);
    port = Number(portArg);
  }
  const bindServices: Service[] = binds.map((b) => {
    const spec = b.endsWith('=onion') ? b.slice(0, -6) : b;
    const hp = splitHostPort(spec, port);
    const addr = hp.valid ? parseNetAddr(hp.host) : undefined;
    if (!addr) throw new ConfigValueError(`Cannot resolve -bind address: '${b}'`);
    return { ...addr, port: hp.port };
  });
  const onlynet = args.getArgs('onlynet');
  const reachable: NetName[] = [];
  for (const n of onlynet) {
    const net = NETWORKS[n.toLowerCase()];
    if (!net) throw new ConfigValueError(`Unknown network specified in -onlynet: '${n}'`);
    if (!reachable.includes(net)) reachable.push(net);
  }
  const peerTimeout = args.getIntArg('peertimeout') ?? DEFAULT_PEER_CONNECT_TIMEOUT;
  if (peerTimeout <= 0) throw new ConfigValueError('peertimeout must be a positive integer.');
  return {
    listen: listen ?? true,
    binds: bindServices,
    port,
    connect: connect.length === 1 && connect[0] === '0' ? [] : connect,
    connectOnly: connectGiven,
    addnode: args.getArgs('addnode'),
    seednode: args.getArgs('seednode'),
    maxConnections: Math.max(0, maxConnections),
    // Only IPv4 and IPv6 are reachable: chainsnap has no proxy, Tor, I2P or CJDNS support.
    reachable: (onlynet.length > 0 ? reachable : ['ipv4', 'ipv6']).filter((n) => n === 'ipv4' || n === 'ipv6'),
    dnsseed: dnsseed ?? true,
    fixedSeeds: args.getBoolArg('fixedseeds') ?? true,
    networkActive: args.getBoolArg('networkactive') ?? true,
    peerTimeout,
    // Core: values below 1 fall back to the default.
    connectTimeoutMs: (args.getIntArg('timeout') ?? DEFAULT_CONNECT_TIMEOUT) > 0 ? (args.getIntArg('timeout') ?? DEFAULT_CONNECT_TIMEOUT) : DEFAULT_CONNECT_TIMEOUT,
    banTime: args.getIntArg('bantime') ?? DEFAULT_BAN_TIME,
    whitelist: args.getArgs('whitelist').map(parseWhitelist),
    deterministicAddrman: args.getArgs('test').includes('addrman'),
  };
}
