import http2 from 'node:http2';
import type { Duplex } from 'node:stream';
import type { DownstreamConnection } from '../server/service-app.js';
import type { DownstreamExchange, DownstreamServer, ExchangeHandler } from './downstream.js';
import { HeaderMap } from './header-map.js';
import { RequestHead } from './messages.js';
import { log } from '../log.js';
import { H2FloodError, H2MalformedHeaderError } from '../errors/index.js';
import { limitCounters } from './limit-counters.js';

const { NGHTTP2_CANCEL, NGHTTP2_NO_ERROR, NGHTTP2_PROTOCOL_ERROR, NGHTTP2_ENHANCE_YOUR_CALM } = http2.constants;

/** RFC 9113 §8.2.1 / RFC 9110 §5.1: a field name is lowercase token characters (a pseudo-header starts with ':'). */
const FIELD_NAME = /^:?[!#$%&'*+\-.^_`|~0-9a-z]+$/;
/** RFC 9113 §8.2.1: no NUL, CR or LF in a value, and no whitespace at either end. */
const BAD_FIELD_VALUE = /[\0\r\n]|^[ \t]|[ \t]$/;

/** The first field of a request RFC 9113 §8.2.1 calls malformed, or undefined. */
export function malformedField(rawHeaders: readonly string[]): string | undefined {
  for (let i = 0; i < rawHeaders.length; i += 2) {
    const name = rawHeaders[i]!;
    if (!FIELD_NAME.test(name)) return `field name ${JSON.stringify(name)}`;
    if (BAD_FIELD_VALUE.test(rawHeaders[i + 1]!)) return `value of ${name}`;
  }
  return undefined;
}

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
  /**
   * Streams a client may reset (or have refused) before their response ended, per budget
   * window, before the session gets GOAWAY ENHANCE_YOUR_CALM (rapid reset, CVE-2023-44487;
   * default 500). nghttp2's own guard in Node 20 (a burst of 1000 resets, then 33 per second)
   * stays below this one and cannot be raised from Node.
   */
  rapidResetBudget?: number;
  /** SETTINGS + PING frames a client may send per budget window before GOAWAY ENHANCE_YOUR_CALM (default 1000). */
  controlFrameBudget?: number;
  /** The window of the two budgets above (default 10 s). */
  budgetWindowMs?: number;
  /** node:http2's maxSessionInvalidFrames: invalid frames, empty DATA frames included, before the session is destroyed (default 1000). */
  maxInvalidFrames?: number;
  /** Header fields per request (default 128); more: the stream is reset. */
  maxHeaders?: number;
  /** SETTINGS_MAX_HEADER_LIST_SIZE offered (default 32 KiB). */
  maxHeaderBytes?: number;
}

/** The options H2SessionState reads. */
interface SessionLimits {
  idleTimeoutMs: number;
  pingTimeoutMs: number;
  rapidResetBudget: number;
  controlFrameBudget: number;
  budgetWindowMs: number;
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
  private windowStart = Date.now();
  private resets = 0;
  private controlFrames = 0;
  private calmed = false;

  constructor(
    readonly session: http2.ServerHttp2Session,
    readonly conn: DownstreamConnection,
    readonly transport: Duplex,
    private readonly options: SessionLimits,
  ) {
    session.setTimeout(options.idleTimeoutMs, this.onIdle);
    session.on('ping', () => this.controlFrame('PING'));
    session.on('remoteSettings', () => this.controlFrame('SETTINGS'));
  }

  private rollWindow(): void {
    const now = Date.now();
    if (now - this.windowStart >= this.options.budgetWindowMs) {
      this.windowStart = now;
      this.resets = 0;
      this.controlFrames = 0;
    }
  }

  /** A stream the client reset (or that was refused) before its response ended. */
  streamReset(): void {
    this.rollWindow();
    if (++this.resets > this.options.rapidResetBudget) {
      this.enhanceYourCalm(new H2FloodError('RST_STREAM', this.resets, this.options.budgetWindowMs, 'h2_rapid_reset_budget'));
    }
  }

  private controlFrame(frame: 'PING' | 'SETTINGS'): void {
    this.rollWindow();
    if (++this.controlFrames > this.options.controlFrameBudget) {
      this.enhanceYourCalm(new H2FloodError(frame, this.controlFrames, this.options.budgetWindowMs, 'h2_control_frame_budget'));
    }
  }

  /** A budget is spent: GOAWAY ENHANCE_YOUR_CALM, and the connection ends. */
  enhanceYourCalm(err: H2FloodError): void {
    if (this.calmed || this.session.destroyed) return;
    this.calmed = true;
    limitCounters.add(err.code);
    if (log.enabled('debug')) log.debug(`h2 session from ${this.conn.info.peerAddr}: GOAWAY ENHANCE_YOUR_CALM (${err.limit})`, err);
    // GOAWAY with the code first (destroy(err, code) alone sends NO_ERROR when the session is
    // already closing), then the session and its transport go once the frame had a moment to leave.
    try {
      this.session.goaway(NGHTTP2_ENHANCE_YOUR_CALM);
    } catch {
      // already destroyed
    }
    const t = setTimeout(() => this.kill('ended after ENHANCE_YOUR_CALM'), 50);
    t.unref();
  }

  /** A stream ended abnormally: check that the session still reads and answers. */
  probe(): void {
    if (this.probing || this.session.destroyed || this.session.closed) return;
    this.probing = true;
    const timer = setTimeout(() => this.kill('did not answer a liveness PING'), this.options.pingTimeoutMs);
    timer.unref();
    let sent: boolean;
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
    // Only the transport: the session ends with its socket. Destroying the session itself while
    // its JS stream still has a write in flight (a peer that stopped reading) trips an internal
    // assertion in Node 24's JSStreamSocket (engine backends), an uncaught exception.
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
  private readonly stateOptions: SessionLimits;

  constructor(private readonly handler: ExchangeHandler, options: H2ServerOptions = {}) {
    this.server = http2.createServer({
      settings: { maxConcurrentStreams: options.maxConcurrentStreams ?? 128, maxHeaderListSize: options.maxHeaderBytes ?? 32 * 1024 },
      maxSessionInvalidFrames: options.maxInvalidFrames ?? 1000,
      // Pseudo-header fields count as pairs for node:http2.
      maxHeaderListPairs: (options.maxHeaders ?? 128) + 4,
    });
    this.stateOptions = {
      idleTimeoutMs: options.idleTimeoutMs ?? 60_000,
      pingTimeoutMs: options.pingTimeoutMs ?? 5_000,
      rapidResetBudget: options.rapidResetBudget ?? 500,
      controlFrameBudget: options.controlFrameBudget ?? 1000,
      budgetWindowMs: options.budgetWindowMs ?? 10_000,
    };
    this.server.on('session', this.onSession);
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
    // Per session rather than on the server: a stream destroyed in the same read has no
    // `stream.session` any more, and its reset must still count against this session's budget.
    session.on('stream', (stream: http2.ServerHttp2Stream, headers: http2.IncomingHttpHeaders, flags: number, raw: string[]) => {
      this.onStream(state, stream, headers, flags, raw);
    });
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

  private onStream(
    state: H2SessionState, stream: http2.ServerHttp2Stream, headers: http2.IncomingHttpHeaders, _flags: number, rawHeaders: string[],
  ): void {
    stream.on('error', () => {});
    if (stream.destroyed || stream.closed) {
      // Reset by the client, refused, or its session died in the same read.
      state.probe();
      state.streamReset();
      if (!stream.destroyed) stream.close(NGHTTP2_CANCEL);
      return;
    }
    const bad = Array.isArray(rawHeaders) ? malformedField(rawHeaders) : undefined;
    if (bad !== undefined) {
      // RFC 9113 §8.1.1: a malformed request is a stream error of type PROTOCOL_ERROR; it never reaches the origin.
      const err = new H2MalformedHeaderError(`malformed request header field: ${bad}`);
      limitCounters.add(err.code);
      if (log.enabled('debug')) log.debug(`h2 client ${state.conn.info.peerAddr}: stream ${stream.id} reset`, err);
      stream.close(NGHTTP2_PROTOCOL_ERROR);
      return;
    }
    state.openStreams++;
    const exchange = new H2Exchange(stream, headers, state.conn);
    stream.once('close', () => {
      state.openStreams--;
      if (stream.rstCode !== undefined && stream.rstCode !== NGHTTP2_NO_ERROR) {
        state.probe();
        // Reset by the client before its response ended (not our own abort).
        if (!exchange.abortedByUs && !exchange.responseEnded) state.streamReset();
      }
    });
    this.handler(exchange);
  }
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
    const authority = (headers[':authority']) ?? (headers.host) ?? '';
    const map = HeaderMap.fromObject(headers);
    this.req = new RequestHead(
      (headers[':method']) ?? 'GET',
      (headers[':path']) ?? '/',
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

  /** We ended the response (a reset after that is not the client's doing). */
  get responseEnded(): boolean {
    return this.ended;
  }

  /** abort() was called: a reset of ours, not the client's. */
  abortedByUs = false;

  abort(): void {
    this.done = true;
    this.abortedByUs = true;
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
