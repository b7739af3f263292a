import http from 'node:http';
import type { Duplex } from 'node:stream';
import type { DownstreamConnection } from '../server/service-app.js';
import type { DownstreamExchange, DownstreamServer, ExchangeHandler } from './downstream.js';
import { HeaderMap } from './header-map.js';
import { RequestHead } from './messages.js';

/** What we track per downstream HTTP/1.1 connection. */
interface H1ConnState {
  readonly stream: Duplex;
  readonly conn: DownstreamConnection;
  /** Requests received whose response has not finished yet. */
  inflight: number;
}

const kState = Symbol('proxy.h1.conn');
type StreamWithState = Duplex & { [kState]?: H1ConnState };

/**
 * HTTP/1.1 termination over any Duplex: Node's http.Server is given each connection with
 * `emit('connection')`, so its llhttp parser, keep-alive and pipelining handling are reused,
 * and it works for TLS streams that are not net.Sockets. We only build the exchange adapter.
 */
export class H1Server implements DownstreamServer {
  private readonly server: http.Server;
  private readonly conns = new Set<H1ConnState>();
  private draining = false;
  private drainWaiters: Array<() => void> = [];

  constructor(private readonly handler: ExchangeHandler, options: { keepAliveTimeoutMs?: number; inactivityTimeoutMs?: number } = {}) {
    this.server = http.createServer({ keepAliveTimeout: options.keepAliveTimeoutMs ?? 60_000 });
    // Node's headersTimeout/requestTimeout are only enforced for servers that listen() themselves,
    // which this one never does. What protects against slow clients instead is an inactivity
    // limit on the connection, nginx's client_header/client_body/send_timeout (60 s): Node arms
    // it with stream.setTimeout, which sockets, TLS sockets and core's EngineStream all have.
    this.server.requestTimeout = 0;
    this.server.timeout = options.inactivityTimeoutMs ?? 60_000;
    this.server.on('request', this.onRequest);
  }

  get connectionCount(): number {
    return this.conns.size;
  }

  serve(stream: Duplex, conn: DownstreamConnection): void {
    // Gone already (the client left during the handshake): its 'close' would never be seen.
    if (stream.destroyed) return;
    const state: H1ConnState = { stream, conn, inflight: 0 };
    (stream as StreamWithState)[kState] = state;
    this.conns.add(state);
    stream.once('close', () => {
      this.conns.delete(state);
      if (this.draining && this.conns.size === 0) this.wakeDrainers();
    });
    if (this.draining) {
      stream.destroy();
      return;
    }
    this.server.emit('connection', stream);
  }

  drain(): Promise<void> {
    this.draining = true;
    for (const state of this.conns) {
      // Idle keep-alive connections close now; busy ones close after their response (shouldKeepAlive off).
      if (state.inflight === 0) state.stream.end();
    }
    if (this.conns.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.drainWaiters.push(resolve));
  }

  closeAll(): void {
    for (const state of this.conns) state.stream.destroy();
  }

  private wakeDrainers(): void {
    const waiters = this.drainWaiters;
    this.drainWaiters = [];
    for (const w of waiters) w();
  }

  private readonly onRequest = (req: http.IncomingMessage, res: http.ServerResponse): void => {
    const state = (req.socket as StreamWithState)[kState]!;
    state.inflight++;
    if (this.draining) res.shouldKeepAlive = false;
    const exchange = new H1Exchange(req, res, state);
    res.once('close', () => {
      state.inflight--;
      exchange.closed();
      if (this.draining && state.inflight === 0) state.stream.end();
    });
    this.handler(exchange);
  };
}

class H1Exchange implements DownstreamExchange {
  readonly httpVersion = 1 as const;
  readonly req: RequestHead;
  readonly conn: DownstreamConnection;
  readonly body: http.IncomingMessage | undefined;
  readonly contentLength: number;
  private abortFn: (() => void) | undefined;
  private done = false;

  constructor(private readonly inc: http.IncomingMessage, private readonly res: http.ServerResponse, state: H1ConnState) {
    this.conn = state.conn;
    // One pass over rawHeaders for what the proxy needs; req.headers (built lazily by Node) is never touched.
    const raw = inc.rawHeaders;
    let host = '';
    let contentLength = -1;
    let chunked = false;
    for (let i = 0; i < raw.length; i += 2) {
      const name = raw[i]!;
      switch (name.length) {
        case 4:
          if (host === '' && name.toLowerCase() === 'host') host = raw[i + 1]!;
          break;
        case 14:
          if (name.toLowerCase() === 'content-length') contentLength = Number(raw[i + 1]);
          break;
        case 17:
          if (name.toLowerCase() === 'transfer-encoding') chunked = true;
          break;
      }
    }
    this.req = new RequestHead(inc.method ?? 'GET', inc.url ?? '/', host, new HeaderMap(raw));
    if (chunked) contentLength = -1;
    this.contentLength = contentLength;
    this.body = chunked || contentLength > 0 ? inc : undefined;
  }

  get headersSent(): boolean {
    return this.res.headersSent;
  }

  get finished(): boolean {
    return this.done || this.res.writableEnded;
  }

  writeHead(status: number, headers: HeaderMap, _endStream: boolean, reason?: string): void {
    if (reason) this.res.writeHead(status, reason, headers.raw);
    else this.res.writeHead(status, headers.raw);
  }

  write(chunk: Buffer): boolean {
    return this.res.write(chunk);
  }

  onDrain(fn: () => void): void {
    this.res.once('drain', fn);
  }

  end(chunk?: Buffer): void {
    if (chunk) this.res.end(chunk);
    else this.res.end();
  }

  abort(): void {
    this.done = true;
    this.res.destroy();
  }

  onAbort(fn: () => void): void {
    this.abortFn = fn;
  }

  /** The response's 'close': either it finished, or the client went away first. */
  closed(): void {
    if (!this.res.writableFinished && !this.done) {
      this.done = true;
      this.abortFn?.();
    }
    this.done = true;
  }
}
