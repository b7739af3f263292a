import { ProxyError, type ErrorSource } from './proxy-error.js';

/**
 * Errors raised when a client or an origin reaches one of the proxy's resource limits
 * (docs/limits.md). Each names the limit (`limit`, the config key that sets it) and says what
 * the peer saw (`status`: the HTTP status sent, 0 when the connection was only closed).
 */
export abstract class LimitError extends ProxyError {
  /** The config key of the limit that was reached (snake_case, as in YAML). */
  readonly limit: string;
  /** The HTTP status the client was sent; 0: none (the connection was closed). */
  readonly status: number;
  constructor(code: string, message: string, limit: string, status: number, source: ErrorSource, retryable = false) {
    super(code, message, { source, retryable });
    this.limit = limit;
    this.status = status;
  }
}

/** The request head did not arrive completely within request_header_timeout_ms (slowloris). */
export class HeaderTimeoutError extends LimitError {
  constructor(ms: number) {
    super('HTTP_HEADER_TIMEOUT', `request head not complete within ${ms} ms`, 'request_header_timeout_ms', 408, 'downstream');
  }
}

/** The request head is larger than max_request_header_bytes, or has more than max_request_headers fields. */
export class HeadersTooLargeError extends LimitError {
  constructor(message: string, limit: 'max_request_header_bytes' | 'max_request_headers') {
    super('HTTP_HEADERS_TOO_LARGE', message, limit, 431, 'downstream');
  }
}

/** The request line (method, target, version) is longer than max_request_line_bytes. */
export class UriTooLongError extends LimitError {
  constructor(length: number, max: number) {
    super('HTTP_URI_TOO_LONG', `request target of ${length} bytes exceeds ${max}`, 'max_request_line_bytes', 414, 'downstream');
  }
}

/** A malformed HTTP/1.1 request (framing that enables smuggling, bad syntax): 400, connection closed. */
export class BadRequestError extends LimitError {
  /** llhttp's error code (HPE_*), when the parser found it. */
  readonly parserCode: string | undefined;
  constructor(message: string, parserCode?: string) {
    super('HTTP_BAD_REQUEST', message, 'http1_strict_parsing', 400, 'downstream');
    this.parserCode = parserCode;
  }
}

/** An HTTP/2 client went over one of the per-connection budgets: GOAWAY ENHANCE_YOUR_CALM. */
export class H2FloodError extends LimitError {
  readonly frame: 'RST_STREAM' | 'SETTINGS' | 'PING' | 'DATA';
  constructor(frame: H2FloodError['frame'], count: number, windowMs: number, limit: string) {
    super('HTTP_H2_FLOOD', `${count} ${frame} frames within ${windowMs} ms`, limit, 0, 'downstream');
    this.frame = frame;
  }
}

/** An HTTP/2 request with a header field RFC 9113 §8.2.1 calls malformed: stream reset with PROTOCOL_ERROR. */
export class H2MalformedHeaderError extends LimitError {
  constructor(message: string) {
    super('HTTP_H2_MALFORMED_HEADER', message, 'h2_strict_header_fields', 0, 'downstream');
  }
}

/** A connection refused before the handshake by the built-in connection limits. */
export class ConnectionLimitError extends LimitError {
  readonly peerIp: string;
  constructor(
    message: string,
    limit: 'max_connections' | 'max_connections_per_ip' | 'max_new_connections_per_second_per_ip' | 'deny_cidrs' | 'allow_cidrs',
    peerIp: string,
  ) {
    super(limit === 'deny_cidrs' || limit === 'allow_cidrs' ? 'LIMIT_ACCESS_DENIED' : 'LIMIT_CONNECTIONS', message, limit, 0, 'downstream');
    this.peerIp = peerIp;
  }
}

/** The connection filter's `clientHello` phase refused a ClientHello: closed before the handshake went on. */
export class ClientHelloDeniedError extends LimitError {
  constructor(message: string) {
    super('LIMIT_ACCESS_DENIED', message, 'connection_filter', 0, 'downstream');
  }
}

/** Too many new connections per second with one JA4 fingerprint (max_new_connections_per_second_per_ja4). */
export class FingerprintRateLimitError extends LimitError {
  readonly ja4: string;
  constructor(ja4: string, max: number) {
    super('LIMIT_FINGERPRINT_RATE', `more than ${max} new connections in a second with JA4 ${ja4}`, 'max_new_connections_per_second_per_ja4', 0, 'downstream');
    this.ja4 = ja4;
  }
}

/**
 * A request body larger than the route allows (`max_request_body_bytes`, nginx's
 * `client_max_body_size`): 413 when no response has started (a declared Content-Length is
 * refused before anything is forwarded), else the stream is reset.
 */
export class RequestBodyTooLargeError extends LimitError {
  constructor(bytes: number, max: number, declared: boolean) {
    super('HTTP_BODY_TOO_LARGE', declared ? `request body of ${bytes} bytes (Content-Length) exceeds ${max}` : `request body exceeds ${max} bytes`,
      'max_request_body_bytes', 413, 'downstream');
  }
}
