/** Every RPC method the node serves, from the files named after Core's (rpc/blockchain.cpp → rpc/blockchain.ts, …). */
import type { RpcMethod } from '../rpc/method.js';
import { blockchainMethods } from '../rpc/blockchain.js';
import { blockchainStatsMethods } from '../rpc/blockchain-stats.js';
import { waitMethods } from '../rpc/blockchain-wait.js';
import { invalidateMethods } from '../rpc/blockchain-invalidate.js';
import { controlMethods } from '../rpc/control.js';
import { miningMethods } from '../rpc/mining.js';
import { hiddenMethods } from '../rpc/hidden.js';
import { mempoolMethods } from '../rpc/mempool.js';
import { netMethods } from '../rpc/net.js';
import { nodeMethods } from '../rpc/node-methods.js';

export function allMethods(): RpcMethod[] {
  return [...blockchainMethods, ...blockchainStatsMethods, ...invalidateMethods, ...waitMethods, ...miningMethods, ...controlMethods, ...nodeMethods, ...netMethods, ...mempoolMethods, ...hiddenMethods];
}
