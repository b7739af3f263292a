import { ProxyError, type ErrorSource } from './proxy-error.js';

/** Connecting to an upstream failed (refused, unreachable). Retrying another peer can help. */
export class ConnectError extends ProxyError {
  constructor(message: string, options: { cause?: unknown; code?: 'UPSTREAM_CONNECT_FAILED' | 'UPSTREAM_CONNECT_REFUSED' } = {}) {
    super(options.code ?? 'UPSTREAM_CONNECT_FAILED', message, { source: 'upstream', retryable: true, cause: options.cause });
  }
}

/** The error code of each timer, by the side it ran on. */
const TIMEOUT_CODES = {
  connection: 'UPSTREAM_CONNECT_TIMEOUT',
  totalConnection: 'UPSTREAM_CONNECT_TIMEOUT',
  read: 'UPSTREAM_READ_TIMEOUT',
  write: 'UPSTREAM_WRITE_TIMEOUT',
  idle: 'UPSTREAM_IDLE_TIMEOUT',
  handshake: 'TLS_HANDSHAKE_TIMEOUT',
} as const;

/**
 * A connect, handshake, read, write or idle timer fired. Upstream timers are UPSTREAM_*_TIMEOUT
 * (the connect ones retryable); the same timers on the downstream side are HTTP_*_TIMEOUT.
 */
export class TimeoutError extends ProxyError {
  readonly timeout: 'connection' | 'totalConnection' | 'read' | 'write' | 'idle' | 'handshake';
  constructor(timeout: TimeoutError['timeout'], ms: number, source: ErrorSource) {
    const connecting = timeout === 'connection' || timeout === 'totalConnection';
    const upstreamCode = TIMEOUT_CODES[timeout];
    const code = source === 'downstream' && timeout !== 'handshake' ? upstreamCode.replace(/^UPSTREAM_/, 'HTTP_') : upstreamCode;
    super(code, `${timeout} timeout after ${ms} ms`, {
      source,
      retryable: connecting,
    });
    this.timeout = timeout;
  }
}

/** A malformed HTTP message: HTTP_PROTOCOL from the client, UPSTREAM_PROTOCOL from an origin. */
export class HttpProtocolError extends ProxyError {
  constructor(message: string, source: ErrorSource, cause?: unknown) {
    super(source === 'upstream' ? 'UPSTREAM_PROTOCOL' : 'HTTP_PROTOCOL', message, { source, cause });
  }
}

/**
 * The connection was closed before the exchange finished: HTTP_CONNECTION_CLOSED when the
 * client left, UPSTREAM_CONNECTION_CLOSED when the origin did.
 */
export class ConnectionClosedError extends ProxyError {
  constructor(message: string, source: ErrorSource, options: { retryable?: boolean; cause?: unknown } = {}) {
    super(source === 'upstream' ? 'UPSTREAM_CONNECTION_CLOSED' : 'HTTP_CONNECTION_CLOSED', message, { source, ...options });
  }
}

/** A configuration file or value that cannot be used. */
export class ConfigError extends ProxyError {
  readonly file: string | undefined;
  constructor(message: string, options: { file?: string; cause?: unknown } = {}) {
    super('CONFIG_INVALID', message, { source: 'config', cause: options.cause });
    this.file = options.file;
  }
}
