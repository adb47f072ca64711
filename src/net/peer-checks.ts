/**
 * The per-peer timing checks Core runs on every pass of its socket and message loops: InactivityCheck
 * (nothing heard, nothing sent, no handshake) and MaybeSendPing (the keepalive ping and its timeout). All
 * times are node time in microseconds, so setmocktime moves them as it moves Core's.
 */
import { randomBytes } from 'node:crypto';
import type { Logger } from 'pino';
import type { Peer } from './peer.js';

/** net.h: the ping and inactivity limits (Core's PING_INTERVAL is in net_processing.cpp). */
export const PING_INTERVAL_S = 2 * 60;
export const TIMEOUT_INTERVAL_S = 20 * 60;

/** Core's ShouldRunInactivityChecks: -peertimeout seconds after the connection. */
export function shouldRunInactivityChecks(peer: Peer, now: number, peerTimeout: number): boolean {
  return Math.floor(peer.connectedMicros / 1e6) + peerTimeout < Math.floor(now / 1e6);
}

/** Core's InactivityCheck: true when the peer is to be disconnected (the reason is logged). */
export function inactive(peer: Peer, now: number, peerTimeout: number, log: Logger): boolean {
  if (!shouldRunInactivityChecks(peer, now, peerTimeout)) return false;
  const nowS = Math.floor(now / 1e6);
  if (peer.lastRecv === 0 || peer.lastSend === 0) {
    const never = (peer.lastRecv === 0 ? ', never received from peer' : '') + (peer.lastSend === 0 ? ', never sent to peer' : '');
    log.debug(`socket no message in first ${peerTimeout} seconds${never}, disconnecting peer=${peer.id}`);
    return true;
  }
  const lastSend = Math.floor(peer.lastSend / 1e6);
  const lastRecv = Math.floor(peer.lastRecv / 1e6);
  if (nowS > lastSend + TIMEOUT_INTERVAL_S) {
    log.debug(`socket sending timeout: ${nowS - lastSend}s, disconnecting peer=${peer.id}`);
    return true;
  }
  if (nowS > lastRecv + TIMEOUT_INTERVAL_S) {
    log.debug(`socket receive timeout: ${nowS - lastRecv}s, disconnecting peer=${peer.id}`);
    return true;
  }
  if (!peer.successfullyConnected) {
    log.debug(`version handshake timeout, disconnecting peer=${peer.id}`);
    return true;
  }
  return false;
}

/** Core's MaybeSendPing: a ping every two minutes or when the ping RPC asked; none answered for 20 minutes ends the peer. */
export function maybeSendPing(peer: Peer, now: number, peerTimeout: number, log: Logger): void {
  if (shouldRunInactivityChecks(peer, now, peerTimeout) && peer.pingNonceSent !== 0n && now > peer.pingStart + TIMEOUT_INTERVAL_S * 1e6) {
    log.debug(`ping timeout: ${((now - peer.pingStart) / 1e6).toFixed(6)}s, disconnecting peer=${peer.id}`);
    return peer.disconnect('ping timeout');
  }
  if (!peer.pingQueued && !(peer.pingNonceSent === 0n && now > peer.pingStart + PING_INTERVAL_S * 1e6)) return;
  let nonce = 0n;
  while (nonce === 0n) nonce = randomBytes(8).readBigUInt64LE();
  peer.pingQueued = false;
  peer.pingStart = now;
  peer.pingNonceSent = nonce;
  const payload = new Uint8Array(8);
  new DataView(payload.buffer).setBigUint64(0, nonce, true);
  peer.sendRaw('ping', payload);
}
