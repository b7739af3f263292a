import type { Duplex, Readable } from 'node:stream';
import { ConnectionClosedError, ProxyError, RequestBodyTooLargeError, TimeoutError } from '../errors/index.js';
import type { DownstreamExchange } from '../http/downstream.js';
import { H1Server } from '../http/h1-server.js';
import { H2Server } from '../http/h2-server.js';
import type { RequestHead, ResponseHead } from '../http/messages.js';
import { ServerConf } from '../server/conf.js';
import type { DownstreamConnection, ServiceApp } from '../server/service-app.js';
import { CertKey } from '../tls/cert-key.js';
import { Connector } from '../upstream/connector.js';
import type { HttpPeer } from '../upstream/peer.js';
import type { UpstreamConnection } from '../upstream/pool.js';
import { errorStatus, toProxyError } from './error-status.js';
import { upstreamRequestHead } from './forwarding-headers.js';
import { H1UpstreamRequest } from './upstream-h1.js';
import { H2UpstreamRequest } from './upstream-h2.js';
import type { UpstreamRequest, UpstreamSink } from './upstream-request.js';
import type { ProxyHttp } from './proxy-http.js';
import { Session } from './session.js';
import { log } from '../log.js';
import { metrics, requestRoute, secondsSince } from '../metrics/metrics.js';
import { accessLog } from '../log/access-log.js';
import { limitCounters } from '../http/limit-counters.js';


/**
 * Request body bytes kept so that a request whose reused upstream connection turned out to be
 * dead can be replayed on a new one (Pingora's retry buffer). Larger bodies are not retried.
 */
const RETRY_BUFFER_LIMIT = 64 * 1024;

/** Overrides of ServerConf's downstream limits for this proxy (tests, embedding); unset: ServerConf's value. */
export interface HttpProxyOptions {
  /** How long an idle keep-alive HTTP/1.1 client connection is kept (ServerConf keepalive_timeout_ms). */
  keepAliveTimeoutMs?: number;
  /** An HTTP/1.1 client connection with no progress for this long is closed (ServerConf client_timeout_ms). */
  downstreamInactivityTimeoutMs?: number;
  /** SETTINGS_MAX_CONCURRENT_STREAMS offered to HTTP/2 clients (ServerConf h2_max_concurrent_streams). */
  h2MaxConcurrentStreams?: number;
  /** The whole HTTP/1.1 request head within this (ServerConf request_header_timeout_ms). */
  requestHeaderTimeoutMs?: number;
  /** Idle HTTP/2 connections are closed after this (ServerConf h2_idle_timeout_ms). */
  h2IdleTimeoutMs?: number;
}

function asConf(conf: ServerConf | Partial<ServerConf>): ServerConf {
  return conf instanceof ServerConf ? conf : new ServerConf(conf);
}

function isPromiseLike(v: unknown): v is PromiseLike<unknown> {
  return v !== null && typeof v === 'object' && typeof (v as { then?: unknown }).then === 'function';
}

/**
 * The HTTP proxy service app: terminates HTTP/1.1 and HTTP/2 on the connections a Service
 * hands it, runs the ProxyHttp phases per request and streams requests and responses to the
 * chosen upstream over pooled HTTP/1.1 or HTTP/2 connections.
 */
export class HttpProxy<Ctx = unknown> implements ServiceApp {
  readonly connector: Connector;
  private readonly h1: H1Server;
  private readonly h2: H2Server;

  private constructor(
    readonly app: ProxyHttp<Ctx>,
    readonly conf: ServerConf,
    clientCertKey: CertKey | undefined,
    options: HttpProxyOptions,
  ) {
    this.connector = new Connector({
      caFile: conf.caFile,
      configCacheSize: conf.s2nConfigCacheSize,
      poolSize: conf.upstreamKeepalivePoolSize,
      defaultClientCertKey: clientCertKey,
      defaultConnectTimeoutMs: conf.upstreamConnectTimeoutMs,
    });
    this.h1 = new H1Server(this.onExchange, {
      keepAliveTimeoutMs: options.keepAliveTimeoutMs ?? conf.keepaliveTimeoutMs,
      inactivityTimeoutMs: options.downstreamInactivityTimeoutMs ?? conf.clientTimeoutMs,
      requestHeaderTimeoutMs: options.requestHeaderTimeoutMs ?? conf.requestHeaderTimeoutMs,
      keepAliveRequests: conf.keepaliveRequests,
      maxHeaderBytes: conf.maxRequestHeaderBytes,
      maxHeaders: conf.maxRequestHeaders,
      maxRequestLineBytes: conf.maxRequestLineBytes,
    });
    this.h2 = new H2Server(this.onExchange, {
      maxConcurrentStreams: options.h2MaxConcurrentStreams ?? conf.h2MaxConcurrentStreams,
      idleTimeoutMs: options.h2IdleTimeoutMs ?? conf.h2IdleTimeoutMs,
      rapidResetBudget: conf.h2RapidResetBudget,
      controlFrameBudget: conf.h2ControlFrameBudget,
      budgetWindowMs: conf.h2BudgetWindowMs,
      maxInvalidFrames: conf.h2MaxInvalidFrames,
      maxHeaders: conf.maxRequestHeaders,
      maxHeaderBytes: conf.maxRequestHeaderBytes,
    });
  }

  /** `conf`: a ServerConf, or the fields to change from the defaults. */
  static new<Ctx>(app: ProxyHttp<Ctx>, conf: ServerConf | Partial<ServerConf> = {}, options: HttpProxyOptions = {}): HttpProxy<Ctx> {
    return new HttpProxy(app, asConf(conf), undefined, options);
  }

  /** Like `new`, and presents this client certificate (chain PEM, leaf first) to every upstream that asks, unless the peer has its own. */
  static newMtls<Ctx>(
    app: ProxyHttp<Ctx>, conf: ServerConf | Partial<ServerConf>, clientCertPem: string | Buffer, clientKeyPem: string | Buffer,
    options: HttpProxyOptions = {},
  ): HttpProxy<Ctx> {
    return new HttpProxy(app, asConf(conf), CertKey.fromPem(clientCertPem, clientKeyPem, 'HttpProxy.newMtls client certificate'), options);
  }

  /** Downstream connections being served (HTTP/1.1 + HTTP/2). */
  get connectionCount(): number {
    return this.h1.connectionCount + this.h2.connectionCount;
  }

  handleConnection(stream: Duplex, conn: DownstreamConnection): void {
    if (conn.digest?.alpn === 'h2') this.h2.serve(stream, conn);
    else this.h1.serve(stream, conn);
  }

  async shutdown(graceMs: number): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const grace = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, graceMs);
    });
    await Promise.race([Promise.all([this.h1.drain(), this.h2.drain()]), grace]);
    clearTimeout(timer);
    this.h1.closeAll();
    this.h2.closeAll();
    this.connector.close();
  }

  private readonly onExchange = (exchange: DownstreamExchange): void => {
    let task: ProxyTask<Ctx>;
    try {
      task = new ProxyTask(this, exchange);
    } catch {
      // newCtx threw: nothing of the phases can run, not even logging. Answer rather than crash.
      if (!exchange.headersSent) new Session(exchange).respond(500);
      return;
    }
    task.start();
  };
}

/** One request through the phases. Implements the upstream sink so no per-chunk closures are needed. */
class ProxyTask<Ctx> implements UpstreamSink {
  /** Borrowed upstream chunks are written with the exchange's writeBorrowed/endBorrowed, or copied. */
  readonly takesBorrowedChunks = true;
  private readonly app: ProxyHttp<Ctx>;
  private readonly session: Session;
  private readonly ctx: Ctx;
  private peer: HttpPeer | undefined;
  /** The connection acquired for this attempt, until the request is sent on it. */
  private conn: UpstreamConnection | undefined;
  /** The request in flight upstream (HTTP/1.1 or HTTP/2 module), once its head went out. */
  private up: UpstreamRequest | undefined;
  private retries = 0;
  private done = false;
  private bodyStarted = false;
  private bodyEnded = false;
  /** Copies of the body bytes sent so far while they fit RETRY_BUFFER_LIMIT; undefined past it. */
  private retryBuf: Buffer[] | undefined = [];
  private retryBufLen = 0;
  private bodyChunked = false;
  private responseHead: ResponseHead | undefined;
  /** Runs while the upstream refuses request bytes (peer writeTimeout). */
  private writeTimer: NodeJS.Timeout | undefined;
  /** When the request reached the proxy (ms), for the retry budget and the failure log. */
  private readonly startedAt = Date.now();
  /** For metrics and the access log. */
  private readonly startedAtNs = process.hrtime.bigint();
  private bytesOut = 0;
  /** Request body bytes received from the client so far (for maxRequestBodyBytes). */
  private bodyBytes = 0;

  constructor(
    private readonly proxy: HttpProxy<Ctx>,
    private readonly ex: DownstreamExchange,
  ) {
    this.app = proxy.app;
    this.session = new Session(ex);
    this.ctx = this.app.newCtx();
    ex.onAbort(this.onDownstreamAbort);
  }

  /**
   * Runs the request filters synchronously while they answer synchronously (the common case
   * costs no promise); the first one returning a promise moves the rest to continueAsync.
   */
  start(): void {
    const { app, session, ctx } = this;
    try {
      if (app.earlyRequestFilter) {
        const r = app.earlyRequestFilter(session, ctx);
        if (isPromiseLike(r)) {
          this.continueAsync(r, false).then(undefined, this.fail);
          return;
        }
      }
      if (app.requestFilter) {
        const r = app.requestFilter(session, ctx);
        if (isPromiseLike(r)) {
          this.continueAsync(r, true).then(undefined, this.fail);
          return;
        }
        if (r) {
          this.requestAnswered();
          return;
        }
      }
    } catch (e) {
      this.fail(e);
      return;
    }
    this.attempt().then(undefined, this.fail);
  }

  /** The filters' slow path: `pending` is earlyRequestFilter's promise, or requestFilter's when `fromRequestFilter`. */
  private async continueAsync(pending: PromiseLike<unknown>, fromRequestFilter: boolean): Promise<void> {
    const { app, session, ctx } = this;
    let handled = await pending;
    if (!fromRequestFilter) {
      handled = false;
      if (app.requestFilter) {
        const r = app.requestFilter(session, ctx);
        handled = isPromiseLike(r) ? await r : r;
      }
    }
    if (handled) {
      this.requestAnswered();
      return;
    }
    await this.attempt();
  }

  /** requestFilter returned true: it must have answered. */
  private requestAnswered(): void {
    if (!this.ex.headersSent) {
      throw new ProxyError('NO_RESPONSE', 'requestFilter returned true without sending a response', { source: 'internal' });
    }
    this.finish(undefined);
  }

  /** upstreamPeer → connect → request; loops on retryable connect failures. */
  private async attempt(): Promise<void> {
    const { app, session, ctx } = this;
    // A declared body over the route's limit: 413 before anything is forwarded.
    const maxBody = session.maxRequestBodyBytes;
    if (maxBody !== undefined && this.ex.contentLength > maxBody) throw this.bodyTooLarge(this.ex.contentLength, true);
    for (;;) {
      let p = app.upstreamPeer(session, ctx);
      if (isPromiseLike(p)) p = await p;
      if (this.done) return;
      const peer = p;
      this.peer = peer;
      let conn: UpstreamConnection;
      try {
        const c = this.proxy.connector.acquire(peer);
        conn = isPromiseLike(c) ? await c : c;
      } catch (e) {
        let err = toProxyError(e);
        if (app.failToConnect) {
          const replaced = app.failToConnect(session, peer, ctx, err);
          if (replaced instanceof ProxyError) err = replaced;
        }
        if (err.retryable && this.mayRetry() && !this.done) {
          this.retries++;
          this.logRetry(err);
          continue;
        }
        throw err;
      }
      const reused = conn.uses > 0;
      this.conn = conn;
      if (this.done) {
        this.releaseUnused();
        return;
      }
      if (app.connectedToUpstream) {
        const r = app.connectedToUpstream(session, reused, peer, conn.digest, ctx);
        if (isPromiseLike(r)) await r;
      }
      const upReq = upstreamRequestHead(session.req, session.clientAddr);
      if (app.upstreamRequestFilter) {
        const r = app.upstreamRequestFilter(session, upReq, ctx);
        if (isPromiseLike(r)) await r;
      }
      if (this.done) {
        this.releaseUnused();
        return;
      }
      if (conn.closed) {
        // The upstream closed it while the phases above ran: take another, as for any reused connection.
        this.conn = undefined;
        if (this.mayRetry()) {
          this.retries++;
          continue;
        }
        throw new ConnectionClosedError(`upstream ${peer.address} closed the connection before the request was sent`, 'upstream');
      }
      this.send(conn, upReq, peer);
      return;
    }
  }

  /** Another attempt is allowed: under max_retries, and retry_budget_ms not spent since the request came in. */
  private mayRetry(): boolean {
    const conf = this.proxy.conf;
    if (this.retries >= conf.maxRetries) return false;
    return conf.retryBudgetMs <= 0 || Date.now() - this.startedAt < conf.retryBudgetMs;
  }

  private logRetry(err: ProxyError): void {
    if (log.enabled('debug')) {
      log.debug(`upstream ${this.peer?.toString() ?? '?'} failed (attempt ${this.retries} of at most ${this.proxy.conf.maxRetries + 1}), retrying`, err);
    }
  }

  private readTimeout(peer: HttpPeer): number {
    return peer.options.readTimeout ?? this.proxy.conf.upstreamReadTimeoutMs;
  }

  /** Hands the request to the upstream module of the connection's HTTP version. */
  private send(conn: UpstreamConnection, upReq: RequestHead, peer: HttpPeer): void {
    const body = this.ex.body;
    const readTimeout = this.readTimeout(peer);
    this.conn = undefined;
    if (conn.protocol === 'h1') {
      this.bodyChunked = body !== undefined && this.ex.contentLength < 0;
      this.up = H1UpstreamRequest.send(conn, this.proxy.connector, peer, upReq, this, body !== undefined, this.bodyChunked, readTimeout);
    } else {
      try {
        this.up = H2UpstreamRequest.send(conn, peer, upReq, this, body !== undefined, readTimeout);
      } catch (e) {
        // The session went away between acquire and request (GOAWAY): try again on a new one.
        this.onUpstreamError(toProxyError(e));
        return;
      }
    }
    if (body) this.startBody(body);
  }

  // ---- request body: downstream → upstream, with backpressure both ways ----

  /** Replays what a failed attempt already sent, then streams the rest of the body. */
  private startBody(body: Readable): void {
    const replay = this.retryBuf;
    if (replay !== undefined) for (const chunk of replay) this.writeUpstream(chunk);
    if (this.bodyEnded) {
      this.endUpstreamBody();
      return;
    }
    body.on('data', this.onReqData);
    body.on('end', this.onReqEnd);
    // Paused by the failed attempt's backpressure, whose 'drain' will never come.
    if (body.isPaused()) body.resume();
  }

  private readonly onReqData = (chunk: Buffer): void => {
    this.bodyStarted = true;
    this.bodyBytes += chunk.length;
    const maxBody = this.session.maxRequestBodyBytes;
    if (maxBody !== undefined && this.bodyBytes > maxBody) {
      // A chunked or HTTP/2 body growing past the limit: the upstream request ends here.
      this.fail(this.bodyTooLarge(this.bodyBytes, false));
      return;
    }
    const kept = this.retryBuf;
    if (kept !== undefined) {
      if (this.retryBufLen + chunk.length <= RETRY_BUFFER_LIMIT) {
        // A copy: the parser may reuse the memory behind `chunk`.
        kept.push(Buffer.from(chunk));
        this.retryBufLen += chunk.length;
      } else {
        this.retryBuf = undefined;
      }
    }
    this.writeUpstream(chunk);
  };

  private writeUpstream(chunk: Buffer): void {
    const up = this.up;
    if (up && !up.writeBody(chunk)) {
      this.ex.body!.pause();
      up.onWritable(this.onUpstreamWritable);
      this.startWriteTimer();
    }
  }

  private startWriteTimer(): void {
    const ms = this.peer ? this.peer.options.writeTimeout ?? this.proxy.conf.upstreamWriteTimeoutMs : undefined;
    if (ms && this.writeTimer === undefined) this.writeTimer = setTimeout(this.onWriteTimeout, ms, ms);
  }

  private readonly onWriteTimeout = (ms: number): void => {
    this.writeTimer = undefined;
    this.onUpstreamError(new TimeoutError('write', ms, 'upstream'));
  };

  private readonly onUpstreamWritable = (): void => {
    if (this.writeTimer !== undefined) {
      clearTimeout(this.writeTimer);
      this.writeTimer = undefined;
    }
    if (!this.done) this.ex.body?.resume();
  };

  private readonly onReqEnd = (): void => {
    this.bodyEnded = true;
    this.endUpstreamBody();
  };

  private endUpstreamBody(): void {
    this.up?.endBody();
  }

  private stopBody(): void {
    const body = this.ex.body;
    if (!body) return;
    body.off('data', this.onReqData);
    body.off('end', this.onReqEnd);
    // Let Node's server discard whatever of the request body is left, so the connection can carry on.
    if (!body.readableEnded) {
      this.up?.abandonBody();
      body.resume();
    }
  }

  /** The 413 error, counted and logged; the response closes an HTTP/1.1 connection (the rest of the body is not read). */
  private bodyTooLarge(bytes: number, declared: boolean): RequestBodyTooLargeError {
    const err = new RequestBodyTooLargeError(bytes, this.session.maxRequestBodyBytes ?? 0, declared);
    limitCounters.add(err.code);
    if (log.enabled('debug')) log.debug(`request from ${this.session.clientAddr} refused`, err);
    this.ex.noKeepAlive?.();
    return err;
  }

  // ---- response: upstream → downstream ----

  onUpstreamHead(head: ResponseHead, endStream: boolean): void {
    this.responseHead = head;
    const { app, session, ctx } = this;
    try {
      if (app.upstreamResponseFilter) app.upstreamResponseFilter(session, head, ctx);
      if (app.responseFilter) {
        const r = app.responseFilter(session, head, ctx);
        if (isPromiseLike(r)) {
          this.pauseUpstream();
          r.then(() => {
            if (this.done) return;
            this.writeResponseHead(head, endStream);
            this.resumeUpstream();
          }).then(undefined, this.fail);
          return;
        }
      }
      this.writeResponseHead(head, endStream);
    } catch (e) {
      this.fail(e);
    }
  }

  private writeResponseHead(head: ResponseHead, endStream: boolean): void {
    this.session.responseStatus = head.status;
    this.ex.writeHead(head.status, head.headers, endStream, head.reason);
  }

  onUpstreamBody(chunk: Buffer, borrowed?: boolean): void {
    this.bytesOut += chunk.length;
    const ex = this.ex;
    const ok = borrowed !== true ? ex.write(chunk)
      : ex.writeBorrowed ? ex.writeBorrowed(chunk) : ex.write(Buffer.from(chunk));
    if (!ok) {
      this.pauseUpstream();
      ex.onDrain(this.onDownstreamDrain);
    }
  }

  onUpstreamEnd(last: Buffer | undefined, borrowed?: boolean): void {
    if (this.done) return;
    const ex = this.ex;
    if (last === undefined) {
      ex.end();
    } else {
      this.bytesOut += last.length;
      if (borrowed !== true) ex.end(last);
      else if (ex.endBorrowed) ex.endBorrowed(last);
      else ex.end(Buffer.from(last));
    }
    // The upstream may answer before the request body ended (an early 413): stop forwarding it.
    // An unfinished request leaves the h1 connection unusable, which release() sees.
    this.stopBody();
    const up = this.up;
    this.up = undefined;
    up?.complete();
    this.finish(undefined);
  }

  onUpstreamError(err: ProxyError): void {
    if (this.done) return;
    // A pooled connection the upstream had just closed: try again on a fresh one when nothing of
    // the exchange is lost (no response byte received, the body sent so far is in the retry buffer).
    const replayable = !this.bodyStarted || this.retryBuf !== undefined;
    if (err.retryable && replayable && this.responseHead === undefined && this.mayRetry()) {
      this.retries++;
      this.logRetry(err);
      this.detachUpstream(true);
      this.attempt().then(undefined, this.fail);
      return;
    }
    this.fail(err);
  }

  private readonly onDownstreamDrain = (): void => {
    this.resumeUpstream();
  };

  private pauseUpstream(): void {
    this.up?.pause();
  }

  private resumeUpstream(): void {
    this.up?.resume();
  }

  // ---- ends ----

  private readonly onDownstreamAbort = (): void => {
    if (this.done) return;
    this.detachUpstream(false);
    this.finish(new ConnectionClosedError('the client closed the connection before the response ended', 'downstream'));
  };

  /** Drops the upstream side of this exchange; `clean`: the connection may still be reused. */
  private detachUpstream(clean: boolean): void {
    // A retry pumps the body again into the next connection; never twice into one.
    const body = this.ex.body;
    if (body) {
      body.off('data', this.onReqData);
      body.off('end', this.onReqEnd);
    }
    if (this.writeTimer !== undefined) {
      clearTimeout(this.writeTimer);
      this.writeTimer = undefined;
    }
    const up = this.up;
    if (up) {
      // Sent: the upstream may be answering; it is cancelled (an HTTP/1.1 connection closes).
      this.up = undefined;
      up.detach();
    }
    const conn = this.conn;
    if (conn) {
      // Acquired, never used: back to the pool when clean.
      this.conn = undefined;
      if (conn.protocol === 'h1') {
        if (clean) this.proxy.connector.release(conn, this.peer!);
        else conn.destroy();
      }
    }
    this.responseHead = undefined;
  }

  /** A connection acquired but never used goes back as it came. */
  private releaseUnused(): void {
    const conn = this.conn;
    this.conn = undefined;
    if (conn?.protocol === 'h1') this.proxy.connector.release(conn, this.peer!);
  }

  private readonly fail = (e: unknown): void => {
    if (this.done) return;
    const err = toProxyError(e);
    this.detachUpstream(this.up === undefined);
    this.stopBody();
    if (this.ex.headersSent || this.ex.finished) {
      // Too late for an error response: cut the downstream so the client sees a truncated response.
      this.ex.abort();
      this.finish(err);
      return;
    }
    let status: number | Promise<number>;
    try {
      status = this.app.failToProxy ? this.app.failToProxy(this.session, err, this.ctx) : errorStatus(err);
    } catch (e2) {
      status = errorStatus(toProxyError(e2));
    }
    if (isPromiseLike(status)) {
      status.then((s) => this.sendError(s, err), () => this.sendError(errorStatus(err), err));
    } else {
      this.sendError(status, err);
    }
  };

  /** Every upstream failure that ends a request is logged once: cause, peer, timing, attempts. */
  private logUpstreamFailure(err: ProxyError): void {
    if (!log.enabled('warn')) return;
    const { req } = this.session;
    const cause = err.cause instanceof Error ? ` (cause: ${(err.cause as { code?: string }).code ?? err.cause.name}: ${err.cause.message})` : '';
    log.warn(
      `upstream ${this.peer?.toString() ?? '(no peer)'} failed for ${req.method} ${req.authority}${req.path} from ${this.session.clientAddr}`
      + ` after ${Date.now() - this.startedAt} ms, ${this.retries + 1} attempt(s), ${
        this.session.responseStatus >= 400 ? `answered ${this.session.responseStatus}` : 'response cut'}${cause}`,
      err,
    );
  }

  private sendError(status: number, err: ProxyError): void {
    if (this.done) return;
    if (status > 0 && !this.ex.headersSent && !this.ex.finished) this.session.respond(status);
    else this.ex.abort();
    this.finish(err);
  }

  private finish(err: ProxyError | undefined): void {
    if (this.done) return;
    this.done = true;
    if (err?.source === 'upstream') this.logUpstreamFailure(err);
    if (this.writeTimer !== undefined) clearTimeout(this.writeTimer);
    const seconds = secondsSince(this.startedAtNs);
    metrics.requestDone(this.session.responseStatus, requestRoute(this.session), seconds, err);
    if (accessLog.enabled) accessLog.request(this.session, err, seconds, this.bytesOut, this.peer?.address);
    if (this.app.logging) {
      try {
        this.app.logging(this.session, err, this.ctx);
      } catch {
        // A failing logger must not take the proxy down.
      }
    }
  }
}
