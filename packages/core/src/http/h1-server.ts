import http from 'node:http';
import type { Duplex } from 'node:stream';
import { TLSSocket } from 'node:tls';
import { EngineStream } from '../tls/engine-stream.js';
import type { DownstreamConnection } from '../server/service-app.js';
import { BadRequestError, HeaderTimeoutError, HeadersTooLargeError, UriTooLongError, type LimitError } from '../errors/index.js';
import { log } from '../log.js';
import type { DownstreamExchange, DownstreamServer, ExchangeHandler } from './downstream.js';
import { HeaderMap } from './header-map.js';
import { limitCounters } from './limit-counters.js';
import { RequestHead } from './messages.js';

/** Downstream HTTP/1.1 limits (docs/limits.md); the defaults are ServerConf's. */
export interface H1ServerOptions {
  /** An idle keep-alive connection is closed after this (default 60 s). */
  keepAliveTimeoutMs?: number;
  /** No progress reading a body or writing a response for this long closes the connection (default 60 s). */
  inactivityTimeoutMs?: number;
  /** The whole request head within this of its first byte (the first request: of the connection); else 408 and close (default 30 s). */
  requestHeaderTimeoutMs?: number;
  /** Requests per connection; 0: no limit (default 1000). */
  keepAliveRequests?: number;
  /** Request line + header fields, bytes (default 32 KiB): 431. */
  maxHeaderBytes?: number;
  /** Header fields per request (default 128): 431. */
  maxHeaders?: number;
  /** Request target length, bytes (default 8 KiB): 414. */
  maxRequestLineBytes?: number;
}

/** After an error response, how long the rest of the client's bytes are read and dropped before the socket is destroyed (nginx's lingering close). */
const LINGER_MS = 2_000;

/** While draining, a keep-alive connection idle this long is closed (a client about to reuse it is answered first). */
const DRAIN_QUIET_MS = 200;

/** What we track per downstream HTTP/1.1 connection. */
interface H1ConnState {
  readonly stream: Duplex;
  readonly conn: DownstreamConnection;
  /** Requests received whose response has not finished yet. */
  inflight: number;
  /** Requests received on this connection. */
  requests: number;
  /** The exchange whose response is being produced (the oldest in flight). */
  current: H1Exchange | undefined;
  /** When the head of the request awaited now started (ms); undefined: no byte of it seen yet. */
  headStart: number | undefined;
  /** bytesRead of the transport when the connection last became idle (-1: unknown). */
  idleBytes: number;
  /** When the connection last became idle (ms). */
  idleSince: number;
  /** An error answer was sent; the connection only lingers now. */
  closing: boolean;
}

const kState = Symbol('proxy.h1.conn');
type StreamWithState = Duplex & { [kState]?: H1ConnState };

/**
 * Bytes received on the transport so far, to see when a keep-alive connection starts its next
 * request: net.Socket and TLSSocket have bytesRead; core's EngineStream has the socket under it.
 */
function bytesRead(stream: Duplex): number {
  const s = stream as Duplex & { bytesRead?: unknown; socket?: { bytesRead?: unknown } };
  if (typeof s.bytesRead === 'number') return s.bytesRead;
  if (typeof s.socket?.bytesRead === 'number') return s.socket.bytesRead;
  return -1;
}

function statusLine(status: number): string {
  return `HTTP/1.1 ${status} ${http.STATUS_CODES[status] ?? ''}\r\nconnection: close\r\ncontent-length: 0\r\n\r\n`;
}

/**
 * HTTP/1.1 termination over any Duplex: Node's http.Server is given each connection with
 * `emit('connection')`, so its llhttp parser, keep-alive and pipelining handling are reused,
 * and it works for TLS streams that are not net.Sockets. We build the exchange adapter and the
 * limits Node does not enforce for connections it did not accept itself: the request-head
 * deadline (Node's headersTimeout only runs for servers that listen()), answers to malformed
 * requests that reach the client (a clientError handler with a lingering close), request line
 * and header count limits.
 */
export class H1Server implements DownstreamServer {
  private readonly server: http.Server;
  private readonly conns = new Set<H1ConnState>();
  private draining = false;
  private drainWaiters: Array<() => void> = [];
  private readonly headerTimeoutMs: number;
  private readonly maxHeaders: number;
  private readonly maxRequestLine: number;
  private readonly maxHeaderBytes: number;
  private sweepTimer: NodeJS.Timeout | undefined;
  private drainTimer: NodeJS.Timeout | undefined;

  constructor(private readonly handler: ExchangeHandler, options: H1ServerOptions = {}) {
    this.maxHeaderBytes = options.maxHeaderBytes ?? 32 * 1024;
    this.server = http.createServer({
      keepAliveTimeout: options.keepAliveTimeoutMs ?? 60_000,
      maxHeaderSize: this.maxHeaderBytes,
      // llhttp's strict mode stays on (insecureHTTPParser false): CL+TE, bad chunk sizes, obs-fold, bare LF... are 400.
      insecureHTTPParser: false,
    });
    this.headerTimeoutMs = options.requestHeaderTimeoutMs ?? 30_000;
    this.maxHeaders = options.maxHeaders ?? 128;
    this.maxRequestLine = options.maxRequestLineBytes ?? 8 * 1024;
    // One more than the limit, so that going over it is seen (Node silently drops fields past maxHeadersCount).
    this.server.maxHeadersCount = this.maxHeaders + 1;
    this.server.maxRequestsPerSocket = options.keepAliveRequests ?? 1000;
    // Node's headersTimeout/requestTimeout are only enforced for servers that listen() themselves,
    // which this one never does: the head deadline is ours (sweep), and the inactivity limit is
    // nginx's client_body/send_timeout (60 s), armed by Node with stream.setTimeout, which
    // sockets, TLS sockets and core's EngineStream all have. Its 'timeout' comes to onTimeout.
    this.server.requestTimeout = 0;
    this.server.headersTimeout = 0;
    this.server.timeout = options.inactivityTimeoutMs ?? 60_000;
    this.server.on('request', this.onRequest);
    this.server.on('clientError', this.onClientError);
    this.server.on('timeout', this.onTimeout);
  }

  get connectionCount(): number {
    return this.conns.size;
  }

  serve(stream: Duplex, conn: DownstreamConnection): void {
    // Gone already (the client left during the handshake): its 'close' would never be seen.
    if (stream.destroyed) return;
    const state: H1ConnState = {
      stream, conn, inflight: 0, requests: 0, current: undefined, headStart: Date.now(), idleBytes: -1, idleSince: Date.now(), closing: false,
    };
    (stream as StreamWithState)[kState] = state;
    this.conns.add(state);
    stream.once('close', () => {
      this.conns.delete(state);
      if (this.conns.size === 0) this.stopSweep();
      if (this.draining && this.conns.size === 0) this.wakeDrainers();
    });
    if (this.draining) {
      stream.destroy();
      return;
    }
    this.startSweep();
    this.server.emit('connection', stream);
  }

  /**
   * Graceful: responses not yet started say `Connection: close` and close after they end;
   * keep-alive connections close once they have been idle for DRAIN_QUIET_MS, so that a
   * client that was about to reuse one is answered (with `Connection: close`) rather than
   * racing our FIN.
   */
  drain(): Promise<void> {
    this.draining = true;
    for (const state of this.conns) state.current?.noKeepAlive();
    this.closeQuietConnections();
    if (this.conns.size === 0) return Promise.resolve();
    this.drainTimer ??= setInterval(() => this.closeQuietConnections(), DRAIN_QUIET_MS / 4);
    this.drainTimer.unref();
    return new Promise((resolve) => this.drainWaiters.push(resolve));
  }

  private closeQuietConnections(): void {
    const now = Date.now();
    for (const state of this.conns) {
      if (state.inflight === 0 && !state.closing && now - state.idleSince >= DRAIN_QUIET_MS) {
        state.closing = true;
        lingeringClose(state.stream);
      }
    }
  }

  closeAll(): void {
    for (const state of this.conns) state.stream.destroy();
    this.stopSweep();
  }

  private wakeDrainers(): void {
    if (this.drainTimer) clearInterval(this.drainTimer);
    this.drainTimer = undefined;
    const waiters = this.drainWaiters;
    this.drainWaiters = [];
    for (const w of waiters) w();
  }

  // ---- the request-head deadline: one sweep over the connections waiting for a head ----

  private startSweep(): void {
    if (this.sweepTimer || this.headerTimeoutMs <= 0) return;
    const period = Math.max(20, Math.min(1_000, Math.floor(this.headerTimeoutMs / 5)));
    this.sweepTimer = setInterval(this.sweep, period);
    this.sweepTimer.unref();
  }

  private stopSweep(): void {
    if (this.sweepTimer) clearInterval(this.sweepTimer);
    this.sweepTimer = undefined;
  }

  private readonly sweep = (): void => {
    const now = Date.now();
    for (const state of this.conns) {
      if (state.inflight > 0 || state.closing) continue;
      if (state.headStart === undefined) {
        // Idle keep-alive: the deadline starts with the next request's first byte (Node's
        // keepAliveTimeout closes it if none comes). Transports without a byte count: from idle.
        const b = state.idleBytes < 0 ? -1 : bytesRead(state.stream);
        if (b < 0 || b > state.idleBytes) state.headStart = now;
        continue;
      }
      if (now - state.headStart >= this.headerTimeoutMs) {
        this.refuse(state, new HeaderTimeoutError(this.headerTimeoutMs));
      }
    }
  };

  /** Answers a limit with its status (when nothing of a response was sent), then closes lingering. */
  private refuse(state: H1ConnState, err: LimitError): void {
    if (state.closing) return;
    state.closing = true;
    limitCounters.add(err.code);
    if (log.enabled('debug')) log.debug(`HTTP/1.1 client ${state.conn.info.peerAddr}: ${err.status || 'closed'}`, err);
    const stream = state.stream;
    // A request in flight whose response has not started (its body was malformed): cut that
    // exchange (the upstream side is freed) and answer instead. A response already started: only close.
    const current = state.current;
    if (current && !current.headersSent) current.cancel();
    const responding = state.inflight > 0 && (current === undefined || current.headersSent);
    if (err.status > 0 && !responding && stream.writable) stream.write(statusLine(err.status), 'latin1');
    lingeringClose(stream);
  }

  private readonly onClientError = (err: Error & { code?: string; rawPacket?: Buffer }, socket: Duplex): void => {
    const state = (socket as StreamWithState)[kState];
    if (!state || !err.code?.startsWith('HPE_')) {
      // A transport error (reset, TLS failure): nothing to answer.
      socket.destroy();
      return;
    }
    if (state.closing) return; // more bytes of the request we already refused
    let limitErr: LimitError;
    if (err.code === 'HPE_HEADER_OVERFLOW') {
      const raw = err.rawPacket;
      const lf = raw ? raw.indexOf(0x0a) : -1;
      // The overflowing read starts with a request line that is not over yet: it is the line that is too long.
      const lineTooLong = raw !== undefined && /^[A-Z]{3,10} /.test(raw.subarray(0, 12).toString('latin1')) && (lf < 0 || lf > this.maxRequestLine);
      limitErr = lineTooLong
        ? new UriTooLongError(lf < 0 ? raw.length : lf, this.maxRequestLine)
        : new HeadersTooLargeError(`request head larger than ${this.maxHeaderBytes} bytes`, 'max_request_header_bytes');
    } else {
      limitErr = new BadRequestError(`malformed request: ${err.code}`, err.code);
    }
    this.refuse(state, limitErr);
  };

  /** The inactivity or keep-alive timer of a connection fired. */
  private readonly onTimeout = (socket: Duplex): void => {
    const state = (socket as StreamWithState)[kState];
    const ex = state?.current;
    // The request is in and we wait for the origin: the upstream read timeout answers that (504).
    if (ex && !state.closing && ex.waitingForUpstream) return;
    if (state && log.enabled('debug')) {
      log.debug(`HTTP/1.1 client ${state.conn.info.peerAddr}: ${state.inflight > 0 ? 'inactive' : 'idle keep-alive'} connection closed`);
    }
    if (state) limitCounters.add(state.inflight > 0 ? 'HTTP_CLIENT_TIMEOUT' : 'HTTP_KEEPALIVE_TIMEOUT');
    socket.destroy();
  };

  private readonly onRequest = (req: http.IncomingMessage, res: http.ServerResponse): void => {
    const state = (req.socket as StreamWithState)[kState]!;
    if (state.closing) {
      res.destroy();
      return;
    }
    state.inflight++;
    state.requests++;
    state.headStart = undefined;
    const over = this.overLimit(req);
    if (over) {
      state.inflight--;
      state.current = undefined;
      this.refuse(state, over);
      return;
    }
    if (this.draining) res.shouldKeepAlive = false;
    const exchange = new H1Exchange(req, res, state);
    state.current ??= exchange;
    res.once('close', () => {
      state.inflight--;
      if (state.current === exchange) state.current = undefined;
      exchange.closed();
      if (state.inflight === 0) {
        state.idleSince = Date.now();
        state.idleBytes = bytesRead(state.stream);
        state.headStart = state.idleBytes < 0 ? Date.now() : undefined;
      }
    });
    this.handler(exchange);
  };

  private overLimit(req: http.IncomingMessage): LimitError | undefined {
    const url = req.url ?? '';
    if (url.length > this.maxRequestLine) return new UriTooLongError(url.length, this.maxRequestLine);
    const fields = req.rawHeaders.length / 2;
    if (fields > this.maxHeaders) {
      return new HeadersTooLargeError(`more than ${this.maxHeaders} header fields`, 'max_request_headers');
    }
    return undefined;
  }
}

/** Ends our side now, reads and drops what the client still sends, destroys after LINGER_MS. */
function lingeringClose(stream: Duplex): void {
  if (stream.destroyed) return;
  const timer = setTimeout(() => stream.destroy(), LINGER_MS);
  timer.unref();
  stream.once('close', () => clearTimeout(timer));
  stream.end();
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

  /** Graceful shutdown: this response closes the connection, if its head has not gone yet. */
  noKeepAlive(): void {
    if (!this.res.headersSent) this.res.shouldKeepAlive = false;
  }

  /** The request is complete and no response byte is waiting for the client: the origin is what we wait for. */
  get waitingForUpstream(): boolean {
    return this.inc.complete && !this.done && !this.res.writableNeedDrain;
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

  /**
   * A borrowed chunk goes straight into the TLS stream when that consumes it before returning:
   * Node's TLSSocket hands a write to OpenSSL's SSL_write at once (which encrypts into its own
   * buffer, or copies what it cannot take yet), and an EngineStream (the engine backends) hands
   * it to engine.send, which seals it into records of its own, provided nothing is queued in
   * front of it. The
   * response's own cork (http corks the socket for a tick on each write) is replaced by ours,
   * lifted right after, so the head and the chunk still leave as one write. Otherwise the
   * chunk would sit in a queue by reference: a copy is written instead.
   */
  writeBorrowed(chunk: Buffer): boolean {
    const sock = this.consumingSocket();
    if (sock === undefined) return this.res.write(Buffer.from(chunk));
    sock.cork();
    try {
      return this.res.write(chunk);
    } finally {
      sock.uncork();
    }
  }

  onDrain(fn: () => void): void {
    this.res.once('drain', fn);
  }

  end(chunk?: Buffer): void {
    if (chunk) this.res.end(chunk);
    else this.res.end();
  }

  /** end() with a borrowed chunk: http's end() uncorks the socket itself, so the chunk is written at once when nothing is queued. */
  endBorrowed(chunk: Buffer): void {
    this.res.end(this.consumingSocket() === undefined ? Buffer.from(chunk) : chunk);
  }

  /** The stream when a write of this response now reaches the TLS library synchronously; undefined: a write would be queued (or go elsewhere). */
  private consumingSocket(): TLSSocket | EngineStream | undefined {
    const res = this.res;
    const sock = res.socket as unknown;
    if (!(sock instanceof TLSSocket) && !(sock instanceof EngineStream)) return undefined;
    // Only a write to an idle socket that this response owns: a write in flight (TLS completes
    // writes a tick later), a cork, or a response still waiting for its turn (pipelining:
    // outputData) would keep the chunk by reference.
    if (sock.writableLength !== 0 || sock.writableCorked !== 0 || !sock.writable || res.writableCorked !== 0) return undefined;
    if ((sock as { _httpMessage?: unknown })._httpMessage !== res) return undefined;
    return sock;
  }

  abort(): void {
    this.done = true;
    this.res.destroy();
  }

  /** The connection is being refused under this exchange: the proxy drops it as if the client had left. */
  cancel(): void {
    if (this.done) return;
    this.done = true;
    this.abortFn?.();
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
