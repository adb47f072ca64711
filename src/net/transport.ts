/**
 * Core's V1Transport, receive side: bytes from the socket in whatever pieces they come, out as whole
 * messages. A bad magic or an oversized length ends the connection (the caller disconnects); a bad checksum
 * or message type drops just that message. Payload bytes are hashed as they arrive, so a 4 MB message costs
 * no second pass.
 */
import { createHash, type Hash } from 'node:crypto';
import { toHex, equalBytes } from '../primitives/bytes.js';
import {
  HEADER_SIZE,
  MAX_PROTOCOL_MESSAGE_LENGTH,
  MAX_SIZE,
  isMessageTypeValid,
  parseMessageHeader,
  sanitizeString,
  type MessageHeader,
} from './protocol.js';

export type Received =
  | { kind: 'message'; type: string; payload: Uint8Array; rawSize: number }
  /** Checksum or message type wrong: dropped, and counted as "*other*" traffic. */
  | { kind: 'rejected'; rawSize: number; log: string };

export class TransportError extends Error {}

export class V1Receiver {
  private readonly headerBuf = new Uint8Array(HEADER_SIZE);
  private headerPos = 0;
  private header: MessageHeader | undefined;
  private payload: Uint8Array | undefined;
  private payloadPos = 0;
  private hasher: Hash | undefined;

  constructor(
    private readonly magic: Uint8Array,
    private readonly peerId: number,
  ) {}

  /** Feeds bytes; returns the messages they complete. Throws TransportError (with Core's log line) to disconnect. */
  receive(bytes: Uint8Array): Received[] {
    const out: Received[] = [];
    let pos = 0;
    while (pos < bytes.length) {
      if (!this.header) {
        const n = Math.min(HEADER_SIZE - this.headerPos, bytes.length - pos);
        this.headerBuf.set(bytes.subarray(pos, pos + n), this.headerPos);
        this.headerPos += n;
        pos += n;
        if (this.headerPos < HEADER_SIZE) break;
        this.startPayload(parseMessageHeader(this.headerBuf.slice()));
      } else {
        const want = this.header.length - this.payloadPos;
        const n = Math.min(want, bytes.length - pos);
        const piece = bytes.subarray(pos, pos + n);
        this.grow(this.payloadPos + n);
        this.payload!.set(piece, this.payloadPos);
        this.hasher!.update(piece);
        this.payloadPos += n;
        pos += n;
      }
      if (this.header && this.payloadPos === this.header.length) out.push(this.finish());
    }
    return out;
  }

  private startPayload(h: MessageHeader): void {
    if (!equalBytes(h.magic, this.magic)) {
      throw new TransportError(`Header error: Wrong MessageStart ${toHex(h.magic)} received, peer=${this.peerId}`);
    }
    if (h.length > MAX_SIZE || h.length > MAX_PROTOCOL_MESSAGE_LENGTH) {
      throw new TransportError(`Header error: Size too large (${sanitizeString(h.type)}, ${h.length} bytes), peer=${this.peerId}`);
    }
    this.header = h;
    this.payload = new Uint8Array(Math.min(h.length, 256 * 1024));
    this.payloadPos = 0;
    this.hasher = createHash('sha256');
  }

  /** Core allocates up to 256 KiB ahead of what arrived, never the announced size at once. */
  private grow(size: number): void {
    const buf = this.payload!;
    if (buf.length >= size) return;
    const next = new Uint8Array(Math.min(this.header!.length, Math.max(size + 256 * 1024, buf.length * 2)));
    next.set(buf.subarray(0, this.payloadPos));
    this.payload = next;
  }

  private finish(): Received {
    const h = this.header!;
    const payload = this.payload!.subarray(0, h.length);
    const hash = createHash('sha256').update(this.hasher!.digest()).digest();
    this.header = undefined;
    this.payload = undefined;
    this.hasher = undefined;
    this.headerPos = 0;
    const rawSize = HEADER_SIZE + h.length;
    if (!equalBytes(hash.subarray(0, 4), h.checksum)) {
      return {
        kind: 'rejected',
        rawSize,
        log: `Header error: Wrong checksum (${sanitizeString(h.type)}, ${h.length} bytes), expected ${toHex(hash.subarray(0, 4))} was ${toHex(h.checksum)}, peer=${this.peerId}`,
      };
    }
    if (!isMessageTypeValid(h.rawType)) {
      return { kind: 'rejected', rawSize, log: `Header error: Invalid message type (${sanitizeString(h.type)}, ${h.length} bytes), peer=${this.peerId}` };
    }
    return { kind: 'message', type: h.type, payload, rawSize };
  }
}
