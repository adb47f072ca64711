/**
 * A stand-in for bitcoind's JSON-RPC server in tests of our clients (the RPC client, the RPC block source,
 * the CLI): a real HTTP server on loopback that serves a chain of real blocks the way bitcoind answers
 * getblockhash, getblockheader, getblock, getblockchaininfo, getbestblockhash and getblockcount, with
 * Core's HTTP status rules for JSON-RPC 1.0 and 2.0, batches, Basic auth (password or cookie file), and
 * ways to misbehave (warm-up, slow replies, being killed mid-sync).
 */
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { toHex } from '../../src/primitives/bytes.js';
import { blockHash, parseBlock, serializeHeader } from '../../src/primitives/block.js';
import { hashToHex } from '../../src/primitives/hash.js';
import { txid } from '../../src/primitives/transaction.js';
import { RpcError } from '../../src/rpc/errors.js';

export type Handler = (params: unknown[]) => unknown | Promise<unknown>;

export interface StandinOptions {
  /** blocks[h] is the block at height h (genesis first). */
  blocks: Uint8Array[];
  chain?: string;
  user?: string;
  password?: string;
  /** Write a `__cookie__:hex` cookie here and accept it. */
  cookieFile?: string;
  /** More methods (or replacements), by name. */
  methods?: Record<string, Handler>;
  /** Answer as bitcoind before v28 did: JSON-RPC 1.0 always (errors with HTTP 500/404). */
  legacy?: boolean;
  /** Positional names for named-parameter calls of `methods`. */
  argNames?: Record<string, string[]>;
}

const ARG_NAMES: Record<string, string[]> = {
  getblockhash: ['height'],
  getblockheader: ['blockhash', 'verbose'],
  getblock: ['blockhash', 'verbosity'],
};

export class StandinBitcoind {
  private server: http.Server;
  private readonly sockets = new Set<Socket>();
  private readonly blocks: Uint8Array[] = [];
  private readonly hashes: string[] = [];
  private readonly heights = new Map<string, number>();
  private auth: string | undefined;
  /** Every request body received, parsed. */
  readonly requests: unknown[] = [];
  /** Calls answered with -28 (warm-up) before normal service. */
  warmupCalls = 0;
  /** Runs before each call is answered (slow it down, count it, kill the server…). */
  beforeCall: ((method: string) => Promise<void> | void) | undefined;
  port = 0;

  constructor(private readonly opts: StandinOptions) {
    this.extend(opts.blocks);
    if (opts.password !== undefined) this.auth = `${opts.user ?? ''}:${opts.password}`;
    if (opts.cookieFile) this.rotateCookie();
    this.server = http.createServer((req, res) => void this.serve(req, res));
    this.server.on('connection', (s) => {
      this.sockets.add(s);
      s.on('close', () => this.sockets.delete(s));
    });
  }

  async listen(port = 0): Promise<this> {
    await new Promise<void>((resolve) => this.server.listen(port, '127.0.0.1', resolve));
    this.port = (this.server.address() as AddressInfo).port;
    return this;
  }

  get url(): string {
    return this.auth ? `http://${this.auth}@127.0.0.1:${this.port}` : `http://127.0.0.1:${this.port}`;
  }

  /** A new cookie, as a restarted node writes. */
  rotateCookie(): void {
    this.auth = `__cookie__:${randomBytes(32).toString('hex')}`;
    writeFileSync(this.opts.cookieFile!, this.auth);
  }

  /** New blocks on top of the tip (a node that synced further). */
  extend(blocks: Uint8Array[]): void {
    for (const b of blocks) {
      const hash = hashToHex(blockHash(parseBlock(b).header));
      if (this.heights.has(hash)) continue;
      this.heights.set(hash, this.blocks.length);
      this.blocks.push(b);
      this.hashes.push(hash);
    }
  }

  get height(): number {
    return this.blocks.length - 1;
  }

  /** Stops at once: open connections are cut, as when the process is killed. */
  async kill(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private async serve(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const expected = this.auth && `Basic ${Buffer.from(this.auth).toString('base64')}`;
    if (req.headers.authorization !== expected) {
      res.writeHead(401, { 'WWW-Authenticate': 'Basic realm="jsonrpc"' }).end();
      return;
    }
    let body: unknown;
    try {
      body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
    } catch {
      res.writeHead(500, { 'Content-Type': 'application/json' }).end(JSON.stringify({ result: null, error: { code: -32700, message: 'Parse error' }, id: null }) + '\n');
      return;
    }
    this.requests.push(body);
    if (Array.isArray(body)) {
      const replies = [];
      for (const r of body) replies.push((await this.answer(r)).reply);
      if (res.destroyed) return;
      res.writeHead(200, { 'Content-Type': 'application/json' }).end(JSON.stringify(replies) + '\n');
      return;
    }
    const { reply, status } = await this.answer(body);
    if (res.destroyed) return;
    res.writeHead(status, { 'Content-Type': 'application/json' }).end(JSON.stringify(reply) + '\n');
  }

  /** One call, with Core's reply shape and HTTP status for its JSON-RPC version. */
  private async answer(req: unknown): Promise<{ reply: unknown; status: number }> {
    const r = req as { method?: string; params?: unknown; id?: unknown; jsonrpc?: string };
    const v2 = !this.opts.legacy && r.jsonrpc === '2.0';
    try {
      await this.beforeCall?.(r.method ?? '');
      if (this.warmupCalls > 0) {
        this.warmupCalls--;
        throw new RpcError(-28, 'Loading block index…');
      }
      const result = await this.call(r.method ?? '', r.params ?? []);
      return { reply: v2 ? { jsonrpc: '2.0', result, id: r.id } : { result, error: null, id: r.id }, status: 200 };
    } catch (e) {
      const error = e instanceof RpcError ? { code: e.code, message: e.message } : { code: -1, message: (e as Error).message };
      const status = v2 ? 200 : error.code === -32601 ? 404 : 500;
      return { reply: v2 ? { jsonrpc: '2.0', error, id: r.id } : { result: null, error, id: r.id }, status };
    }
  }

  private call(method: string, raw: unknown): unknown {
    const params = Array.isArray(raw) ? raw : this.positional(method, raw as Record<string, unknown>);
    const extra = this.opts.methods?.[method];
    if (extra) return extra(params);
    const block = (hash: unknown) => {
      const h = this.heights.get(String(hash));
      if (h === undefined) throw new RpcError(-5, 'Block not found');
      return { h, bytes: this.blocks[h] };
    };
    switch (method) {
      case 'getblockcount':
        return this.height;
      case 'getbestblockhash':
        return this.hashes[this.height];
      case 'getblockchaininfo':
        return { chain: this.opts.chain ?? 'regtest', blocks: this.height, headers: this.height, bestblockhash: this.hashes[this.height] };
      case 'getblockhash': {
        const h = params[0];
        if (typeof h !== 'number') throw new RpcError(-3, 'JSON value of type string is not of expected type number');
        if (h < 0 || h > this.height) throw new RpcError(-8, 'Block height out of range');
        return this.hashes[h];
      }
      case 'getblockheader': {
        const { h, bytes } = block(params[0]);
        const header = parseBlock(bytes).header;
        if (params[1] === false) return toHex(serializeHeader(header));
        return { hash: this.hashes[h], height: h, previousblockhash: h > 0 ? this.hashes[h - 1] : undefined };
      }
      case 'getblock': {
        const { h, bytes } = block(params[0]);
        if (params[1] === 0) return toHex(bytes);
        return { hash: this.hashes[h], height: h, tx: parseBlock(bytes).txs.map((t) => hashToHex(txid(t))) };
      }
      case 'echo':
      case 'echojson':
        return params;
      default:
        throw new RpcError(-32601, 'Method not found');
    }
  }

  private positional(method: string, named: Record<string, unknown>): unknown[] {
    const names = this.opts.argNames?.[method] ?? ARG_NAMES[method] ?? [];
    const out: unknown[] = Array.isArray(named.args) ? [...named.args] : [];
    names.forEach((n, i) => {
      if (n in named) out[i] = named[n];
    });
    return out;
  }
}
