import http2 from 'node:http2';
import type { Duplex } from 'node:stream';
import type { DownstreamConnection } from '../server/service-app.js';
import type { DownstreamExchange, DownstreamServer, ExchangeHandler } from './downstream.js';
import { HeaderMap } from './header-map.js';
import { RequestHead } from './messages.js';

const { NGHTTP2_CANCEL, NGHTTP2_INTERNAL_ERROR } = http2.constants;

const kConn = Symbol('proxy.h2.conn');
type SessionWithConn = http2.ServerHttp2Session & { [kConn]?: DownstreamConnection };

/**
 * HTTP/2 termination over any Duplex (the TLS stream after ALPN chose "h2"). One plain
 * http2 server object is fed connections with `emit('connection')`; Node wraps non-socket
 * Duplexes itself. The core stream API is used, not the compatibility layer, to keep the
 * per-request cost down.
 */
export class H2Server implements DownstreamServer {
  private readonly server: http2.Http2Server;
  private readonly sessions = new Set<http2.ServerHttp2Session>();
  /** Set only during `emit('connection')`: Node creates the session synchronously inside it. */
  private pendingConn: DownstreamConnection | undefined;
  private draining = false;
  private drainWaiters: Array<() => void> = [];

  constructor(private readonly handler: ExchangeHandler, options: { maxConcurrentStreams?: number } = {}) {
    this.server = http2.createServer({
      settings: { maxConcurrentStreams: options.maxConcurrentStreams ?? 128 },
    });
    this.server.on('session', this.onSession);
    this.server.on('stream', this.onStream);
    // Session errors surface on the streams they affect; a broken connection must not crash the process.
    this.server.on('sessionError', () => {});
  }

  get connectionCount(): number {
    return this.sessions.size;
  }

  serve(stream: Duplex, conn: DownstreamConnection): void {
    if (stream.destroyed) return;
    if (this.draining) {
      stream.destroy();
      return;
    }
    this.pendingConn = conn;
    try {
      this.server.emit('connection', stream);
    } finally {
      this.pendingConn = undefined;
    }
  }

  drain(): Promise<void> {
    this.draining = true;
    // close(): GOAWAY now, no new streams, the session ends once in-flight streams finish.
    for (const s of this.sessions) s.close();
    if (this.sessions.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.drainWaiters.push(resolve));
  }

  closeAll(): void {
    for (const s of this.sessions) s.destroy();
  }

  private readonly onSession = (session: http2.ServerHttp2Session): void => {
    (session as SessionWithConn)[kConn] = this.pendingConn;
    this.sessions.add(session);
    session.on('error', () => {});
    session.once('close', () => {
      this.sessions.delete(session);
      if (this.draining && this.sessions.size === 0) {
        const waiters = this.drainWaiters;
        this.drainWaiters = [];
        for (const w of waiters) w();
      }
    });
  };

  private readonly onStream = (stream: http2.ServerHttp2Stream, headers: http2.IncomingHttpHeaders): void => {
    const conn = (stream.session as SessionWithConn | undefined)?.[kConn];
    if (!conn) {
      stream.close(NGHTTP2_INTERNAL_ERROR);
      return;
    }
    this.handler(new H2Exchange(stream, headers, conn));
  };
}

class H2Exchange implements DownstreamExchange {
  readonly httpVersion = 2 as const;
  readonly req: RequestHead;
  readonly body: http2.ServerHttp2Stream | undefined;
  readonly contentLength: number;
  private abortFn: (() => void) | undefined;
  private done = false;
  /** We ended the response (endStream head or end()); a 'close' after that is not an abort. */
  private ended = false;

  constructor(private readonly stream: http2.ServerHttp2Stream, headers: http2.IncomingHttpHeaders, readonly conn: DownstreamConnection) {
    const authority = (headers[':authority'] as string | undefined) ?? (headers.host as string | undefined) ?? '';
    const map = HeaderMap.fromObject(headers as Record<string, string | string[] | undefined>);
    this.req = new RequestHead(
      (headers[':method'] as string | undefined) ?? 'GET',
      (headers[':path'] as string | undefined) ?? '/',
      authority,
      map,
    );
    const cl = headers['content-length'];
    this.contentLength = cl === undefined ? -1 : Number(cl);
    this.body = stream.endAfterHeaders ? undefined : stream;
    stream.on('error', () => {});
    stream.once('close', this.onClose);
  }

  get headersSent(): boolean {
    return this.stream.headersSent;
  }

  get finished(): boolean {
    return this.done || this.ended;
  }

  /** The client reset the stream or the session died; 'close' may not have been emitted yet. */
  private get gone(): boolean {
    return this.stream.destroyed || this.stream.closed;
  }

  writeHead(status: number, headers: HeaderMap, endStream: boolean): void {
    if (this.gone) {
      this.onClose();
      return;
    }
    const out: http2.OutgoingHttpHeaders = headers.toObject();
    out[':status'] = status;
    this.stream.respond(out, { endStream });
    if (endStream) this.ended = true;
  }

  write(chunk: Buffer): boolean {
    if (this.gone) {
      this.onClose();
      return true;
    }
    return this.stream.write(chunk);
  }

  onDrain(fn: () => void): void {
    this.stream.once('drain', fn);
  }

  end(chunk?: Buffer): void {
    if (this.done || this.ended) return;
    if (this.gone) {
      this.onClose();
      return;
    }
    this.ended = true;
    if (chunk) this.stream.end(chunk);
    else this.stream.end();
  }

  abort(): void {
    this.done = true;
    if (!this.stream.destroyed) this.stream.close(NGHTTP2_CANCEL);
  }

  onAbort(fn: () => void): void {
    this.abortFn = fn;
  }

  private readonly onClose = (): void => {
    // A destroyed stream reports writableFinished too, so our own `ended` decides.
    if (!this.done && !this.ended) {
      this.done = true;
      this.abortFn?.();
    }
    this.done = true;
  };
}
