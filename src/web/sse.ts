/**
 * Server-Sent Events for the status page: each client gets the chart's history once, then every snapshot
 * the collector computes (one computation for all clients). A client that goes away is forgotten at once,
 * a slow one is dropped rather than buffered for, and the hub holds one listener on the collector however
 * many clients come and go.
 */
import type http from 'node:http';
import type { HistoryPoint, StatusCollector, StatusSnapshot } from './snapshot.js';

/** Bytes a client may have unread before it is dropped (its browser reconnects by itself). */
const MAX_BUFFERED = 1 << 20;
/** Clients at once; more get 503 (each costs a socket and a little memory). */
const MAX_CLIENTS = 64;
/** A comment line now and then keeps proxies from closing an idle stream. */
const KEEPALIVE_MS = 15_000;

export class SseHub {
  private readonly clients = new Set<http.ServerResponse>();
  private unsubscribe: (() => void) | undefined;
  private keepalive: NodeJS.Timeout | undefined;

  constructor(private readonly collector: StatusCollector) {}

  get clientCount(): number {
    return this.clients.size;
  }

  /** Answers GET /events. */
  open(req: http.IncomingMessage, res: http.ServerResponse): void {
    if (this.clients.size >= MAX_CLIENTS) {
      res.writeHead(503, { 'content-type': 'text/plain', 'retry-after': '10' }).end('too many status page clients\n');
      return;
    }
    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-store',
      connection: 'keep-alive',
      'x-accel-buffering': 'no',
    });
    req.socket.setNoDelay(true);
    req.socket.setTimeout(0);
    // The browser waits this long before reconnecting after the node went away.
    res.write('retry: 2000\n\n');
    res.write(event('history', this.collector.historyPoints()));
    const snap = this.collector.snapshot();
    if (snap) res.write(event('status', { snapshot: snap }));
    this.clients.add(res);
    res.once('close', () => this.drop(res));
    this.ensureRunning();
  }

  private drop(res: http.ServerResponse): void {
    this.clients.delete(res);
    if (!res.destroyed) res.destroy();
    if (this.clients.size === 0) this.pause();
  }

  /** Listens to the collector only while someone watches. */
  private ensureRunning(): void {
    if (this.unsubscribe) return;
    this.unsubscribe = this.collector.subscribe((s, p) => this.broadcast(s, p));
    this.keepalive = setInterval(() => this.send(': keepalive\n\n'), KEEPALIVE_MS);
    this.keepalive.unref();
  }

  private pause(): void {
    this.unsubscribe?.();
    this.unsubscribe = undefined;
    clearInterval(this.keepalive);
    this.keepalive = undefined;
  }

  private broadcast(snapshot: StatusSnapshot, point: HistoryPoint): void {
    this.send(event('status', { snapshot, point }));
  }

  private send(text: string): void {
    for (const res of [...this.clients]) {
      if (res.writableLength > MAX_BUFFERED) this.drop(res);
      else res.write(text);
    }
  }

  close(): void {
    for (const res of [...this.clients]) this.drop(res);
    this.pause();
  }
}

function event(name: string, data: unknown): string {
  return `event: ${name}\ndata: ${JSON.stringify(data)}\n\n`;
}
