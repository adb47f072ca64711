/**
 * A bare P2P client over a real socket for whole-node tests: frames what it is told to send (or raw bytes),
 * collects whole messages, and can do the version handshake. No chainsnap P2P code decides what it sends.
 */
import { connect, type Socket } from 'node:net';
import { getChainParams } from '../../src/consensus/params.js';
import { encodeVersion } from '../../src/net/messages.js';
import { frameMessage } from '../../src/net/protocol.js';
import { V1Receiver } from '../../src/net/transport.js';

export class RawPeer {
  readonly received: { type: string; payload: Uint8Array }[] = [];
  closed = false;
  private readonly receiver: V1Receiver;
  private readonly magic = getChainParams('regtest').messageStart;

  private constructor(readonly socket: Socket) {
    this.receiver = new V1Receiver(this.magic, -1);
    socket.on('data', (d: Buffer) => {
      for (const m of this.receiver.receive(d)) if (m.kind === 'message') this.received.push({ type: m.type, payload: m.payload.slice() });
    });
    socket.on('close', () => (this.closed = true));
    socket.on('error', () => undefined);
  }

  static connect(port: number): Promise<RawPeer> {
    return new Promise((resolve, reject) => {
      const s = connect({ host: '127.0.0.1', port }, () => resolve(new RawPeer(s)));
      s.once('error', reject);
    });
  }

  send(type: string, payload: Uint8Array = new Uint8Array(0)): void {
    this.socket.write(frameMessage(this.magic, type, payload));
  }

  sendRaw(bytes: Uint8Array): void {
    this.socket.write(bytes);
  }

  count(type: string): number {
    return this.received.filter((m) => m.type === type).length;
  }

  /** version → (their version, verack) → verack. */
  async handshake(): Promise<void> {
    this.send('version', encodeVersion({ version: 70016, services: 9n, theirServices: 0n, time: Math.floor(Date.now() / 1000), addrRecv: undefined, nonce: 7n, userAgent: '/raw-peer/', startHeight: 0, relay: false }));
    await waitFor(() => this.count('verack') > 0, 'the node answers version with verack');
    this.send('verack');
  }

  close(): void {
    this.socket.destroy();
  }
}

/** Polls a condition (no fixed sleeps racing the node). */
export async function waitFor(cond: () => boolean | Promise<boolean>, what: string, timeoutMs = 30_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error(`timed out waiting until ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
