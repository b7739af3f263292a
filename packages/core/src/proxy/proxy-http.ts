import type { ProxyError } from '../errors/index.js';
import type { RequestHead, ResponseHead } from '../http/messages.js';
import type { SslDigest } from '../tls/digest.js';
import type { HttpPeer } from '../upstream/peer.js';
import type { Session } from './session.js';

type MaybePromise<T> = T | Promise<T>;

/**
 * The phases of one proxied request (Pingora's ProxyHttp), in the order they run:
 *
 *   earlyRequestFilter → requestFilter → upstreamPeer → (connect) → connectedToUpstream
 *   → upstreamRequestFilter → (request sent) → upstreamResponseFilter → responseFilter
 *   → (body streamed) → logging
 *
 * On a connect failure failToConnect runs, and the request goes back to upstreamPeer when the
 * error is (left or made) retryable, up to ServerConf.maxRetries times. Any other failure runs
 * failToProxy, which picks the status of the error response, then logging.
 * Only `newCtx` and `upstreamPeer` are required. Phases returning a Promise are awaited; those
 * that do not are called without any await, which keeps the common path cheap.
 */
export interface ProxyHttp<Ctx> {
  /** Per-request state handed to every phase. */
  newCtx(): Ctx;
  /** Where to send this request. Called again after a retryable connect failure. */
  upstreamPeer(session: Session, ctx: Ctx): MaybePromise<HttpPeer>;
  /** Runs first, before any other filter (e.g. to set up per-request state from the connection). */
  earlyRequestFilter?(session: Session, ctx: Ctx): MaybePromise<void>;
  /** Return true when the filter already answered (with `session.respond`); nothing is proxied then. */
  requestFilter?(session: Session, ctx: Ctx): MaybePromise<boolean>;
  /** A connection to `peer` is ready; `reused` when it came from the pool. `digest`: the upstream TLS handshake. */
  connectedToUpstream?(session: Session, reused: boolean, peer: HttpPeer, digest: SslDigest | undefined, ctx: Ctx): MaybePromise<void>;
  /** Edit the head sent upstream (a copy of the downstream one, hop-by-hop fields removed, X-Forwarded-For added). */
  upstreamRequestFilter?(session: Session, upstreamRequest: RequestHead, ctx: Ctx): MaybePromise<void>;
  /** Sees (and may edit) the upstream response head as received, hop-by-hop fields removed. Synchronous. */
  upstreamResponseFilter?(session: Session, upstreamResponse: ResponseHead, ctx: Ctx): void;
  /** Edit the response head sent downstream. */
  responseFilter?(session: Session, upstreamResponse: ResponseHead, ctx: Ctx): MaybePromise<void>;
  /**
   * Connecting to `peer` failed. Set `error.retryable` to decide whether upstreamPeer is asked
   * again (ConnectError and connect timeouts arrive retryable; TLS failures such as InvalidCert
   * do not). May return a replacement error.
   */
  failToConnect?(session: Session, peer: HttpPeer, ctx: Ctx, error: ProxyError): ProxyError | void;
  /**
   * The request failed. Returns the status of the error response sent downstream (0: send none,
   * close instead); by default `errorStatus(error)`: 502 upstream failures, 504 timeouts,
   * 400 malformed requests, 500 internal errors. Not used when the response head was already sent.
   */
  failToProxy?(session: Session, error: ProxyError, ctx: Ctx): MaybePromise<number>;
  /** Always runs last, once per request; `error` is undefined when the request succeeded. */
  logging?(session: Session, error: ProxyError | undefined, ctx: Ctx): void;
}
