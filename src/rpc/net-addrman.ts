/** Core's hidden address-manager method for tests: addpeeraddress. */
import { isRoutable, parseNetAddr } from '../net/netaddr.js';
import { NODE_NETWORK, NODE_WITNESS } from '../net/protocol.js';
import { RPC, RpcError } from './errors.js';
import { exampleCli, exampleRpc, resultText } from './help.js';
import type { RpcMethod } from './method.js';
import { ensureNetwork } from './net-control.js';
import { getBool, getInt, getStr, isNull } from './util.js';

const addpeeraddress: RpcMethod = {
  name: 'addpeeraddress',
  category: 'hidden',
  description: 'Add the address of a potential peer to an address manager table. This RPC is for testing only.',
  args: [
    { name: 'address', type: 'string', description: 'The IP address of the peer' },
    { name: 'port', type: 'number', description: 'The port of the peer' },
    { name: 'tried', type: 'boolean', optional: true, default: false, description: 'If true, attempt to add the peer to the tried addresses table' },
  ],
  result: resultText([
    ['{', '(json object)'],
    ['  "success" : true|false,', '(boolean) whether the peer address was successfully added to the address manager table'],
    ['  "error" : "str"', '(string, optional) error description, if the address could not be added'],
    ['}', ''],
  ]),
  examples: [exampleCli('addpeeraddress', '"1.2.3.4" 8333 true'), exampleRpc('addpeeraddress', '"1.2.3.4", 8333, true')],
  handler: ([address, port, tried], ctx) => {
    const net = ensureNetwork(ctx);
    const addr = parseNetAddr(getStr(address));
    const p = getInt(port);
    if (p < 0 || p > 0xffff) throw new RpcError(RPC.INVALID_PARAMETER, 'JSON integer out of range');
    if (!addr) throw new RpcError(RPC.CLIENT_INVALID_IP_OR_SUBNET, 'Invalid IP address');
    const now = net.now();
    // The address is its own source, as if the peer announced itself; unroutable ones are refused (Core's AddSingle).
    const entry = { ...addr, port: p, time: now, services: NODE_NETWORK | NODE_WITNESS };
    const out: { error?: string; success?: boolean } = {};
    let success = false;
    if (isRoutable(addr) && net.addrman.add([entry], addr, 0, now, `${getStr(address)}`) === 1) {
      success = true;
      if (!isNull(tried) && getBool(tried) && !net.addrman.good(entry, now)) {
        success = false;
        out.error = 'failed-adding-to-tried';
      }
    } else {
      out.error = 'failed-adding-to-new';
    }
    out.success = success;
    return out;
  },
};

export const netAddrmanMethods: RpcMethod[] = [addpeeraddress];
