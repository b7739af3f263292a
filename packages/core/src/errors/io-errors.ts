import { ProxyError, type ErrorSource } from './proxy-error.js';

/** Connecting to an upstream failed (refused, unreachable). Retrying another peer can help. */
export class ConnectError extends ProxyError {
  constructor(message: string, options: { cause?: unknown; code?: string } = {}) {
    super(options.code ?? 'CONNECT_FAILED', message, { source: 'upstream', retryable: true, cause: options.cause });
  }
}

/** A connect, handshake, read, write or idle timer fired. */
export class TimeoutError extends ProxyError {
  readonly timeout: 'connection' | 'totalConnection' | 'read' | 'write' | 'idle' | 'handshake';
  constructor(timeout: TimeoutError['timeout'], ms: number, source: ErrorSource) {
    const connecting = timeout === 'connection' || timeout === 'totalConnection';
    super(connecting ? 'CONNECT_TIMEOUT' : 'IO_TIMEOUT', `${timeout} timeout after ${ms} ms`, {
      source,
      retryable: connecting,
    });
    this.timeout = timeout;
  }
}

/** A malformed HTTP message from either side. */
export class HttpProtocolError extends ProxyError {
  constructor(message: string, source: ErrorSource, cause?: unknown) {
    super('HTTP_PROTOCOL', message, { source, cause });
  }
}

/** The connection was closed before the exchange finished. */
export class ConnectionClosedError extends ProxyError {
  constructor(message: string, source: ErrorSource, options: { retryable?: boolean; cause?: unknown } = {}) {
    super('CONNECTION_CLOSED', message, { source, ...options });
  }
}

/** A configuration file or value that cannot be used. */
export class ConfigError extends ProxyError {
  readonly file: string | undefined;
  constructor(message: string, options: { file?: string; cause?: unknown } = {}) {
    super('CONFIG', message, { source: 'config', cause: options.cause });
    this.file = options.file;
  }
}
