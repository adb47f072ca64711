/** Core's setban, listbanned and clearbanned (rpc/net.cpp), over the P2P layer's ban list. */
import { formatSubNet, parseNetAddr, parseSubNet, singleAddressSubnet, subnetMatch } from '../net/netaddr.js';
import { RPC, RpcError } from './errors.js';
import { exampleCli, exampleRpc, methodHelp, resultText } from './help.js';
import type { RpcMethod } from './method.js';
import { ensureNetwork } from './net-control.js';
import { getBool, getInt, getStr, isNull } from './util.js';

const setban: RpcMethod = {
  name: 'setban',
  category: 'network',
  description: 'Attempts to add or remove an IP/Subnet from the banned list.\n',
  args: [
    { name: 'subnet', type: 'string', description: 'The IP/Subnet (see getpeerinfo for nodes IP) with an optional netmask (default is /32 = single IP)' },
    { name: 'command', type: 'string', description: "'add' to add an IP/Subnet to the list, 'remove' to remove an IP/Subnet from the list" },
    { name: 'bantime', type: 'number', optional: true, default: 0, description: 'time in seconds how long (or until when if [absolute] is set) the IP is banned (0 or empty means using the default time of 24h which can also be overwritten by the -bantime startup argument)' },
    { name: 'absolute', type: 'boolean', optional: true, default: false, description: 'If set, the bantime must be an absolute timestamp expressed in UNIX epoch time' },
  ],
  result: resultText([['null', '(json null)']]),
  examples: [exampleCli('setban', '"192.168.0.6" "add" 86400'), exampleCli('setban', '"192.168.0.0/24" "add"'), exampleRpc('setban', '"192.168.0.6", "add", 86400')],
  handler: ([subnet, command, bantime, absolute], ctx) => {
    const cmd = getStr(command);
    if (cmd !== 'add' && cmd !== 'remove') throw new RpcError(RPC.MISC_ERROR, methodHelp(setban));
    const net = ensureNetwork(ctx);
    const arg = getStr(subnet);
    const isSubnet = arg.includes('/');
    const addr = isSubnet ? undefined : parseNetAddr(arg);
    const sub = isSubnet ? parseSubNet(arg) : addr && singleAddressSubnet(addr);
    if (!sub) throw new RpcError(RPC.CLIENT_INVALID_IP_OR_SUBNET, 'Error: Invalid IP/Subnet');
    const banman = net.banman;
    if (cmd === 'add') {
      if (addr ? banman.isBanned(addr) : banman.isSubnetBanned(sub)) throw new RpcError(RPC.CLIENT_NODE_ALREADY_ADDED, 'Error: IP/Subnet already banned');
      const time = isNull(bantime) ? 0 : getInt(bantime, 'int64');
      const abs = isNull(absolute) ? false : getBool(absolute);
      if (abs && time < ctx.now()) throw new RpcError(RPC.INVALID_PARAMETER, 'Error: Absolute timestamp is in the past');
      banman.ban(sub, time, abs);
      net.disconnectMatching((a) => subnetMatch(sub, a));
    } else if (!banman.unban(sub)) {
      throw new RpcError(RPC.CLIENT_INVALID_IP_OR_SUBNET, 'Error: Unban failed. Requested address/subnet was not previously manually banned.');
    }
    return null;
  },
};

const listbanned: RpcMethod = {
  name: 'listbanned',
  category: 'network',
  description: 'List all manually banned IPs/Subnets.\n',
  args: [],
  result: resultText([
    ['[', '(json array)'],
    ['  {', '(json object)'],
    ['    "address" : "str",', '(string) The IP/Subnet of the banned node'],
    ['    "ban_created" : xxx,', '(numeric) The UNIX epoch time the ban was created'],
    ['    "banned_until" : xxx,', '(numeric) The UNIX epoch time the ban expires'],
    ['    "ban_duration" : xxx,', '(numeric) The ban duration, in seconds'],
    ['    "time_remaining" : xxx', '(numeric) The time remaining until the ban expires, in seconds'],
    ['  },', ''],
    ['  ...', ''],
    [']', ''],
  ]),
  examples: [exampleCli('listbanned', ''), exampleRpc('listbanned', '')],
  handler: (_params, ctx) => {
    const net = ensureNetwork(ctx);
    const now = ctx.now();
    return net.banman.list().map((b) => ({
      address: formatSubNet(b.subnet),
      ban_created: b.created,
      banned_until: b.until,
      ban_duration: b.until - b.created,
      time_remaining: b.until - now,
    }));
  },
};

const clearbanned: RpcMethod = {
  name: 'clearbanned',
  category: 'network',
  description: 'Clear all banned IPs.\n',
  args: [],
  result: resultText([['null', '(json null)']]),
  examples: [exampleCli('clearbanned', ''), exampleRpc('clearbanned', '')],
  handler: (_params, ctx) => {
    ensureNetwork(ctx).banman.clear();
    return null;
  },
};

export const netBanMethods: RpcMethod[] = [clearbanned, listbanned, setban];
