import http2 from 'node:http2';
import type { Duplex } from 'node:stream';
import { ConnectionClosedError, ProxyError } from '../errors/index.js';
import type { SslDigest } from '../tls/digest.js';

/**
 * One upstream HTTP/2 connection, shared by up to `maxStreams` concurrent requests. node:http2
 * drives the framing over our stream (`createConnection` hands it the TLS stream the backend
 * produced, or the socket for h2c).
 */
export class H2Connection {
  readonly protocol = 'h2' as const;
  readonly session: http2.ClientHttp2Session;
  /** Streams opened on this connection so far. */
  uses = 0;
  active = 0;
  /** Set by the pool: called when the connection can take no more streams, ever. */
  onGone: ((conn: H2Connection) => void) | undefined;
  /** Set by the pool: called when the last active stream finished. */
  onIdle: ((conn: H2Connection) => void) | undefined;
  idleTimer: NodeJS.Timeout | undefined;
  private dead = false;
  private remoteMaxStreams = Infinity;

  private constructor(
    transport: Duplex,
    readonly key: string,
    readonly digest: SslDigest | undefined,
    readonly addr: string,
    readonly maxStreams: number,
    authority: string,
  ) {
    this.session = http2.connect(authority, { createConnection: () => transport });
    this.session.on('error', () => {});
    this.session.on('remoteSettings', (s: http2.Settings) => {
      if (s.maxConcurrentStreams !== undefined) this.remoteMaxStreams = s.maxConcurrentStreams;
    });
    this.session.once('goaway', this.markGone);
    this.session.once('close', this.markGone);
  }

  /**
   * Opens the session and waits for the upstream's SETTINGS, so the first request already knows
   * the stream limit, and a server that is not speaking h2 fails here rather than mid-request.
   */
  static open(transport: Duplex, key: string, digest: SslDigest | undefined, addr: string, maxStreams: number, tls: boolean): Promise<H2Connection> {
    const conn = new H2Connection(transport, key, digest, addr, maxStreams, `${tls ? 'https' : 'http'}://${addr}`);
    return new Promise((resolve, reject) => {
      const session = conn.session;
      const onConnect = (): void => {
        session.off('close', onClose);
        session.off('error', onError);
        resolve(conn);
      };
      const onError = (err: Error): void => {
        session.off('connect', onConnect);
        session.off('close', onClose);
        conn.close();
        reject(err instanceof ProxyError ? err : new ConnectionClosedError(`HTTP/2 session to ${addr} failed: ${err.message}`, 'upstream', { cause: err, retryable: true }));
      };
      const onClose = (): void => {
        session.off('connect', onConnect);
        session.off('error', onError);
        reject(new ConnectionClosedError(`HTTP/2 session to ${addr} closed before SETTINGS`, 'upstream', { retryable: true }));
      };
      session.once('connect', onConnect);
      session.once('error', onError);
      session.once('close', onClose);
    });
  }

  get closed(): boolean {
    return this.dead || this.session.closed || this.session.destroyed;
  }

  /** True while another stream may be opened. */
  get hasCapacity(): boolean {
    return !this.closed && this.active < Math.min(this.maxStreams, this.remoteMaxStreams);
  }

  /** Opens a stream; the caller must call `streamDone` when it closes. */
  request(headers: http2.OutgoingHttpHeaders, endStream: boolean): http2.ClientHttp2Stream {
    this.uses++;
    this.active++;
    return this.session.request(headers, { endStream });
  }

  streamDone(): void {
    this.active--;
    if (this.active === 0 && !this.closed) this.onIdle?.(this);
  }

  /** Graceful: GOAWAY, in-flight streams finish. */
  close(): void {
    this.markGone();
    if (!this.session.closed) this.session.close();
  }

  destroy(): void {
    this.markGone();
    this.session.destroy();
  }

  private readonly markGone = (): void => {
    if (this.dead) return;
    this.dead = true;
    if (this.idleTimer) clearTimeout(this.idleTimer);
    const cb = this.onGone;
    this.onGone = undefined;
    cb?.(this);
  };
}
