import type { DownstreamExchange } from '../http/downstream.js';
import { HeaderMap } from '../http/header-map.js';
import type { RequestHead } from '../http/messages.js';
import type { ConnectionInfo } from '../tls/backend.js';
import type { SslDigest } from '../tls/digest.js';

/** One downstream request as the phases see it. */
export class Session {
  /** The downstream request head (method, path, authority, headers), as received. */
  readonly req: RequestHead;
  /** The downstream TLS handshake; undefined on plain TCP listeners. */
  readonly digest: SslDigest | undefined;
  /** The downstream connection: addresses and what the connection filter stamped in `state`. */
  readonly connection: ConnectionInfo;
  /** "ip:port" of the client. */
  readonly clientAddr: string;
  /** HTTP version of the downstream exchange. */
  readonly httpVersion: 1 | 2;
  /** Status sent downstream, once sent. */
  responseStatus = 0;
  /**
   * The largest request body this request may carry, in bytes (nginx's `client_max_body_size`);
   * undefined: no limit. Set it in `earlyRequestFilter` or `requestFilter` (the gateway sets its
   * route's `max_request_body_bytes`): a larger Content-Length is answered 413 before anything is
   * forwarded; a body that grows past it ends the upstream request and gets 413, or a reset once
   * the response has started.
   */
  maxRequestBodyBytes: number | undefined;

  constructor(
    /** The downstream exchange; for the proxy's own use. */
    readonly downstream: DownstreamExchange,
  ) {
    this.req = downstream.req;
    this.digest = downstream.conn.digest;
    this.connection = downstream.conn.info;
    this.clientAddr = downstream.conn.info.peerAddr;
    this.httpVersion = downstream.httpVersion;
  }

  /** True once a response head went downstream. */
  get responseSent(): boolean {
    return this.downstream.headersSent;
  }

  /**
   * Answers the request directly (from requestFilter, or to serve an error page). Sets
   * Content-Length from `body`.
   */
  respond(status: number, headers?: HeaderMap | Record<string, string | string[]> | string[], body?: string | Buffer): void {
    const map = headers instanceof HeaderMap ? headers.clone()
      : Array.isArray(headers) ? new HeaderMap(headers.slice())
      : headers ? HeaderMap.fromObject(headers) : new HeaderMap();
    const bytes = body === undefined ? undefined : typeof body === 'string' ? Buffer.from(body) : body;
    const bodyless = status === 204 || status === 304 || (status >= 100 && status < 200);
    if (!bodyless) map.set('content-length', String(bytes ? bytes.length : 0));
    const noBody = bodyless || !bytes || bytes.length === 0 || this.req.method === 'HEAD';
    this.responseStatus = status;
    this.downstream.writeHead(status, map, noBody);
    this.downstream.end(noBody ? undefined : bytes);
  }
}
