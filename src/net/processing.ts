/**
 * Core's PeerManagerImpl::ProcessMessage for the messages the connection layer owns: the handshake,
 * ping/pong, addresses, and the size checks on inv/getdata/headers before they reach block sync. Serving
 * getheaders/getblocks/getdata is in serve.ts; headers, block, inv and notfound go on to BlockSync.
 */
import { ByteReader } from '../primitives/bytes.js';
import { hashToHex } from '../primitives/hash.js';
import { MSG_BLOCK, MSG_WITNESS_FLAG } from './peer-link.js';
import type { Connman } from './connman.js';
import type { Peer } from './peer.js';
import { decodeHeaders, decodeInv, decodeLocator, decodeU64, decodeVersion, encodeU64 } from './messages.js';
import { formatService } from './netaddr.js';
import {
  BIP0031_VERSION,
  MAX_ADDR_TO_SEND,
  MAX_HEADERS_RESULTS,
  MAX_INV_SZ,
  MIN_PEER_PROTO_VERSION,
  PROTOCOL_VERSION,
  SENDHEADERS_VERSION,
  WTXID_RELAY_VERSION,
  desirableServices,
  sanitizeString,
} from './protocol.js';
import { serveGetBlocks, serveGetData, serveGetHeaders } from './serve.js';
import { maybeSendAddr, processAddrs, processGetAddr, setupAddressRelay } from './addr-relay.js';

const hex8 = (n: bigint) => n.toString(16).padStart(8, '0');

/** Core's ProcessMessages around ProcessMessage: exceptions are logged and the peer stays. */
export async function processMessage(net: Connman, peer: Peer, type: string, payload: Uint8Array): Promise<void> {
  peer.log.debug(`received: ${sanitizeString(type)} (${payload.length} bytes) peer=${peer.id}`);
  // What Core's SendMessages pass before this message would have sent goes first (addresses due by now
  // leave before, say, the pong to a ping that follows a clock change).
  maybeSendAddr(net, peer);
  if (peer.successfullyConnected) net.sync?.beforeMessage?.(peer);
  try {
    await dispatch(net, peer, type, payload);
  } catch (e) {
    const err = e as Error;
    const what = err.message === 'DataStream::read(): end of data' ? `${err.message}: iostream error` : err.message;
    peer.log.debug(`ProcessMessages(${sanitizeString(type)}, ${payload.length} bytes): Exception '${what}' (${err.name}) caught`);
  }
  net.maybeDiscourageAndDisconnect(peer);
}

async function dispatch(net: Connman, peer: Peer, type: string, payload: Uint8Array): Promise<void> {
  if (type === 'version') return onVersion(net, peer, payload);
  if (peer.version === 0) {
    peer.log.debug(`non-version message before version handshake. Message "${sanitizeString(type)}" from peer=${peer.id}`);
    return;
  }
  switch (type) {
    case 'verack':
      return onVerack(net, peer);
    case 'sendheaders':
      peer.preferHeaders = true;
      return;
    case 'sendcmpct':
      // We neither request nor send compact blocks; the peer keeps announcing by inv/headers.
      return;
    case 'wtxidrelay':
      if (peer.successfullyConnected) {
        peer.log.debug(`wtxidrelay received after verack, disconnecting peer=${peer.id}`);
        return peer.disconnect('wtxidrelay after verack');
      }
      if (peer.commonVersion >= WTXID_RELAY_VERSION) peer.wtxidRelay = true;
      return;
    case 'sendaddrv2':
      if (peer.successfullyConnected) {
        peer.log.debug(`sendaddrv2 received after verack, disconnecting peer=${peer.id}`);
        return peer.disconnect('sendaddrv2 after verack');
      }
      peer.wantsAddrV2 = true;
      return;
  }
  if (!peer.successfullyConnected) {
    peer.log.debug(`Unsupported message "${sanitizeString(type)}" prior to verack from peer=${peer.id}`);
    return;
  }
  switch (type) {
    case 'ping':
      if (peer.commonVersion > BIP0031_VERSION) peer.sendRaw('pong', encodeU64(decodeU64(payload)));
      return;
    case 'pong':
      return onPong(net, peer, payload);
    case 'feefilter': {
      const fee = new ByteReader(payload).readI64LE();
      if (fee >= 0 && fee <= 21e14) peer.feeFilter = fee;
      return;
    }
    case 'addr':
    case 'addrv2':
      return processAddrs(net, peer, type, payload);
    case 'getaddr':
      return processGetAddr(net, peer);
    case 'inv':
      return onInv(net, peer, payload);
    case 'getdata': {
      const { count, items } = decodeInv(payload, MAX_INV_SZ);
      if (!items) return peer.misbehaving(`getdata message size = ${count}`);
      peer.log.debug(`received getdata (${count} invsz) peer=${peer.id}`);
      return serveGetData(net, peer, items);
    }
    case 'getheaders':
      await serveGetHeaders(net, peer, payload);
      // Block sync learns what the peer now has (Core's pindexBestHeaderSent), after the answer went out.
      return net.sync?.handle(peer, { command: 'getheaders', ...decodeLocator(payload) });
    case 'getblocks':
      return serveGetBlocks(net, peer, payload);
    case 'headers': {
      const { count, headers } = decodeHeaders(payload, MAX_HEADERS_RESULTS);
      if (!headers) return peer.misbehaving(`headers message size = ${count}`);
      return net.sync?.handle(peer, { command: 'headers', headers });
    }
    case 'block':
      peer.lastBlockTime = net.nowMicros();
      return net.sync?.handle(peer, { command: 'block', bytes: payload.slice() });
    case 'notfound': {
      const { items } = decodeInv(payload, MAX_INV_SZ);
      const blocks = items?.filter((i) => (i.type & ~MSG_WITNESS_FLAG) === MSG_BLOCK) ?? [];
      if (blocks.length > 0) return net.sync?.handle(peer, { command: 'notfound', items: blocks });
      return;
    }
    case 'filterload':
    case 'filteradd':
    case 'filterclear':
      // We do not offer NODE_BLOOM.
      peer.log.debug(`${type} received despite not offering bloom services, disconnecting peer=${peer.id}`);
      return peer.disconnect('bloom filter message');
    case 'mempool':
      if (!net.permissionsOf(peer.remote).includes('mempool')) {
        peer.log.debug(`mempool request with bloom filters disabled, disconnecting peer=${peer.id}`);
        return peer.disconnect('mempool request');
      }
      return;
    case 'tx':
      // No mempool: transactions are neither wanted nor served.
      return;
  }
  peer.log.debug(`Unknown message type "${sanitizeString(type)}" from peer=${peer.id}`);
}

function onVersion(net: Connman, peer: Peer, payload: Uint8Array): void {
  if (peer.version !== 0) {
    peer.log.debug(`redundant version message from peer=${peer.id}`);
    return;
  }
  const v = decodeVersion(payload);
  if (!peer.inbound) net.addrman.setServices(peer.remote, v.services);
  const desired = desirableServices(v.services, net.tipIsRecent());
  if (peer.expectsServices && (v.services & desired) !== desired) {
    peer.log.debug(`peer does not offer the expected services (${hex8(v.services)} offered, ${hex8(desired)} expected), disconnecting peer=${peer.id}`);
    return peer.disconnect('missing services');
  }
  if (v.version < MIN_PEER_PROTO_VERSION) {
    peer.log.debug(`peer using obsolete version ${v.version}, disconnecting peer=${peer.id}`);
    return peer.disconnect('obsolete version');
  }
  if (peer.inbound && !net.checkIncomingNonce(v.nonce)) {
    peer.log.info(`connected to self at ${peer.address}, disconnecting`);
    return peer.disconnect('connected to self');
  }
  if (peer.inbound) net.pushVersion(peer);
  peer.commonVersion = Math.min(v.version, PROTOCOL_VERSION);
  peer.version = v.version;
  if (peer.commonVersion >= WTXID_RELAY_VERSION) peer.sendRaw('wtxidrelay');
  if (peer.commonVersion >= 70016) peer.sendRaw('sendaddrv2');
  peer.services = v.services;
  peer.userAgent = sanitizeString(v.userAgent);
  peer.startingHeight = v.startHeight;
  peer.relayTxs = v.relay && peer.connType !== 'block-relay-only' && peer.connType !== 'feeler';
  peer.sendRaw('verack');
  // Outbound peers other than block-relay-only take part in address relay and are asked for addresses.
  if (!peer.inbound && setupAddressRelay(peer)) {
    peer.sendRaw('getaddr');
    peer.getaddrSent = true;
    peer.addrTokens += MAX_ADDR_TO_SEND;
  }
  if (!peer.inbound) net.addrman.good(peer.remote, net.now());
  const us = v.addrRecv ? formatService(v.addrRecv) : '0.0.0.0:0';
  peer.log.debug(`receive version message: ${peer.userAgent}: version ${v.version}, blocks=${v.startHeight}, us=${us}, txrelay=${v.relay ? 1 : 0}, peer=${peer.id}`);
  peer.timeOffset = v.time - net.now();
  if (peer.connType === 'feeler') {
    peer.log.debug(`feeler connection completed, disconnecting peer=${peer.id}`);
    peer.disconnect('feeler done');
  }
}

function onVerack(net: Connman, peer: Peer): void {
  if (peer.successfullyConnected) {
    peer.log.debug(`ignoring redundant verack message from peer=${peer.id}`);
    return;
  }
  const line = `New ${peer.connType} v1 peer connected: version: ${peer.version}, blocks=${peer.startingHeight}, peer=${peer.id}`;
  if (peer.inbound) peer.log.debug(line);
  else peer.log.info(line);
  peer.successfullyConnected = true;
  // Core runs SendMessages for a peer right after each of its messages: the first ping follows the handshake
  // at once (p2p_ping.py checks for it without waiting), not at the next 100 ms tick.
  net.sendPingIfDue(peer);
  if (peer.commonVersion >= SENDHEADERS_VERSION) peer.sendRaw('sendheaders');
  if (peer.connType !== 'feeler' && peer.connType !== 'addr-fetch') net.peerReady(peer);
}

function onPong(net: Connman, peer: Peer, payload: Uint8Array): void {
  const end = net.nowMicros();
  let nonce = 0n;
  let finished = false;
  let problem = '';
  if (payload.length >= 8) {
    nonce = decodeU64(payload);
    if (peer.pingNonceSent !== 0n) {
      if (nonce === peer.pingNonceSent) {
        finished = true;
        const t = end - peer.pingStart;
        if (t >= 0) {
          peer.lastPingMicros = t;
          peer.minPingMicros = Math.min(peer.minPingMicros ?? Infinity, t);
        } else problem = 'Timing mishap';
      } else {
        problem = 'Nonce mismatch';
        if (nonce === 0n) {
          finished = true;
          problem = 'Nonce zero';
        }
      }
    } else problem = 'Unsolicited pong without ping';
  } else {
    finished = true;
    problem = 'Short payload';
  }
  if (problem) {
    peer.log.debug(`pong peer=${peer.id}: ${problem}, ${peer.pingNonceSent.toString(16)} expected, ${nonce.toString(16)} received, ${payload.length} bytes`);
  }
  if (finished) peer.pingNonceSent = 0n;
}

function onInv(net: Connman, peer: Peer, payload: Uint8Array): Promise<void> | void {
  const { count, items } = decodeInv(payload, MAX_INV_SZ);
  if (!items) return peer.misbehaving(`inv message size = ${count}`);
  const blocks = items.filter((i) => (i.type & ~MSG_WITNESS_FLAG) === MSG_BLOCK);
  for (const b of blocks) peer.log.debug(`got inv: block ${hashToHex(b.hash)} peer=${peer.id}`);
  // Transaction announcements are ignored: we told the peer fRelay=false and keep no mempool.
  if (blocks.length > 0) return net.sync?.handle(peer, { command: 'inv', items: blocks });
}
