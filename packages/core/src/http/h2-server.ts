import http2 from 'node:http2';
import type { Duplex } from 'node:stream';
import type { DownstreamConnection } from '../server/service-app.js';
import type { DownstreamExchange, DownstreamServer, ExchangeHandler } from './downstream.js';
import { HeaderMap } from './header-map.js';
import { RequestHead } from './messages.js';
import { log } from '../log.js';

const { NGHTTP2_CANCEL, NGHTTP2_NO_ERROR } = http2.constants;

export interface H2ServerOptions {
  /** SETTINGS_MAX_CONCURRENT_STREAMS offered to clients (default 128). */
  maxConcurrentStreams?: number;
  /**
   * A session with no open stream and no frame either way for this long gets a GOAWAY and is
   * closed (default 60 s, nginx's keepalive_timeout for h2).
   */
  idleTimeoutMs?: number;
  /**
   * How long a session may take to answer a liveness PING once it looks broken (a client reset
   * or a refused stream) before it is destroyed (default 5 s).
   */
  pingTimeoutMs?: number;
}

/** After close() (GOAWAY), how long in-flight frames may take before the session is destroyed. */
const GOAWAY_GRACE_MS = 1_000;

/**
 * What H2Server keeps per session. nghttp2 may end a session on its own (a flood guard, a
 * connection error it answers with GOAWAY): it then stops reading and Node emits nothing, so
 * the socket would sit in CLOSE-WAIT for ever. Two bounds catch that: the idle timeout, and a
 * liveness PING after any stream the client reset or nghttp2 refused; a session that cannot
 * answer a PING is gone and is destroyed with its transport.
 */
class H2SessionState {
  openStreams = 0;
  private probing = false;
  private closeTimer: NodeJS.Timeout | undefined;

  constructor(
    readonly session: http2.ServerHttp2Session,
    readonly conn: DownstreamConnection,
    readonly transport: Duplex,
    private readonly options: Required<Omit<H2ServerOptions, 'maxConcurrentStreams'>>,
  ) {
    session.setTimeout(options.idleTimeoutMs, this.onIdle);
  }

  /** A stream ended abnormally: check that the session still reads and answers. */
  probe(): void {
    if (this.probing || this.session.destroyed || this.session.closed) return;
    this.probing = true;
    const timer = setTimeout(() => this.kill('did not answer a liveness PING'), this.options.pingTimeoutMs);
    timer.unref();
    let sent = false;
    try {
      sent = this.session.ping((err) => {
        clearTimeout(timer);
        this.probing = false;
        if (err) this.kill('liveness PING failed');
      });
    } catch {
      sent = false;
    }
    if (!sent) {
      clearTimeout(timer);
      this.kill('cannot send a liveness PING');
    }
  }

  /** GOAWAY(NO_ERROR) now, destroy once in-flight frames had a moment to leave. */
  closeGracefully(): void {
    if (this.session.destroyed) return;
    if (!this.session.closed) this.session.close();
    if (!this.closeTimer) {
      this.closeTimer = setTimeout(() => this.kill('did not close after GOAWAY'), GOAWAY_GRACE_MS);
      this.closeTimer.unref();
    }
  }

  /** The session is over: no socket outlives it. */
  kill(why: string): void {
    if (log.enabled('debug')) log.debug(`h2 session from ${this.conn.info.peerAddr} destroyed: ${why}`);
    if (!this.session.destroyed) this.session.destroy();
    if (!this.transport.destroyed) this.transport.destroy();
  }

  onClosed(): void {
    clearTimeout(this.closeTimer);
    if (!this.transport.destroyed) this.transport.destroy();
  }

  private readonly onIdle = (): void => {
    if (this.openStreams === 0) this.closeGracefully();
    // With streams open, their own timeouts (upstream read, downstream inactivity) apply; a
    // session nghttp2 stopped reading is found by the PING probe instead.
    else this.probe();
  };
}

/**
 * HTTP/2 termination over any Duplex (the TLS stream after ALPN chose "h2"). One plain
 * http2 server object is fed connections with `emit('connection')`; Node wraps non-socket
 * Duplexes itself. The core stream API is used, not the compatibility layer, to keep the
 * per-request cost down.
 *
 * Node creates each stream while nghttp2 parses a read and emits 'stream' on the next tick,
 * so a stream can already be destroyed (a connection error in the same read) when it reaches
 * us: every stream gets its 'error' listener before anything else is done with it.
 */
export class H2Server implements DownstreamServer {
  private readonly server: http2.Http2Server;
  private readonly sessions = new Map<http2.Http2Session, H2SessionState>();
  /** Set only during `emit('connection')`: Node creates the session synchronously inside it. */
  private pending: { conn: DownstreamConnection; transport: Duplex } | undefined;
  private draining = false;
  private drainWaiters: Array<() => void> = [];
  private readonly stateOptions: Required<Omit<H2ServerOptions, 'maxConcurrentStreams'>>;

  constructor(private readonly handler: ExchangeHandler, options: H2ServerOptions = {}) {
    this.server = http2.createServer({
      settings: { maxConcurrentStreams: options.maxConcurrentStreams ?? 128 },
    });
    this.stateOptions = { idleTimeoutMs: options.idleTimeoutMs ?? 60_000, pingTimeoutMs: options.pingTimeoutMs ?? 5_000 };
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
    this.pending = { conn, transport: stream };
    try {
      this.server.emit('connection', stream);
    } finally {
      this.pending = undefined;
    }
  }

  drain(): Promise<void> {
    this.draining = true;
    // close(): GOAWAY now, no new streams, the session ends once in-flight streams finish.
    for (const s of this.sessions.keys()) s.close();
    if (this.sessions.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.drainWaiters.push(resolve));
  }

  closeAll(): void {
    for (const state of this.sessions.values()) state.kill('server closing');
  }

  private readonly onSession = (session: http2.ServerHttp2Session): void => {
    session.on('error', () => {});
    const pending = this.pending;
    if (!pending) {
      // Not fed by serve(): nothing to attach it to.
      session.destroy();
      return;
    }
    const state = new H2SessionState(session, pending.conn, pending.transport, this.stateOptions);
    this.sessions.set(session, state);
    session.on('frameError', () => state.probe());
    session.once('close', () => {
      state.onClosed();
      this.sessions.delete(session);
      if (this.draining && this.sessions.size === 0) {
        const waiters = this.drainWaiters;
        this.drainWaiters = [];
        for (const w of waiters) w();
      }
    });
  };

  private readonly onStream = (stream: http2.ServerHttp2Stream, headers: http2.IncomingHttpHeaders): void => {
    stream.on('error', () => {});
    const state = stream.session ? this.sessions.get(stream.session) : undefined;
    if (!state || stream.destroyed || stream.closed) {
      // Reset by the client, refused, or its session died in the same read.
      state?.probe();
      if (!stream.destroyed) stream.close(NGHTTP2_CANCEL);
      return;
    }
    state.openStreams++;
    stream.once('close', () => {
      state.openStreams--;
      if (stream.rstCode !== undefined && stream.rstCode !== NGHTTP2_NO_ERROR) state.probe();
    });
    this.handler(new H2Exchange(stream, headers, state.conn));
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
