import { ProxyError, type ErrorSource, type ProxyErrorOptions } from './proxy-error.js';

/** A certificate, key, CA or other TLS setting that cannot be used. Raised when settings are built. */
export class TlsConfigError extends ProxyError {
  /** The file the problem is in, when it came from a file. */
  readonly file: string | undefined;
  constructor(message: string, options: ProxyErrorOptions & { file?: string } = {}) {
    super('TLS_CONFIG', message, { source: 'config', ...options });
    this.file = options.file;
  }
}

/** The chosen backend cannot honour a setting; raised when the settings are compiled, never ignored. */
export class TlsFeatureUnsupportedError extends ProxyError {
  readonly backend: string;
  readonly feature: string;
  constructor(backend: string, feature: string, detail?: string) {
    super(
      'TLS_FEATURE_UNSUPPORTED',
      `the ${backend} TLS backend does not support ${feature}${detail ? `: ${detail}` : ''}`,
      { source: 'config' },
    );
    this.backend = backend;
    this.feature = feature;
  }
}

/** TLS was used but no backend package was imported. */
export class TlsNoBackendError extends ProxyError {
  constructor() {
    super(
      'TLS_NO_BACKEND',
      'no TLS backend is registered: import exactly one of @proxy/tls-openssl, @proxy/tls-boring, @proxy/tls-s2n or @proxy/tls-pure',
      { source: 'config' },
    );
  }
}

/** Two different backends were imported into one process. */
export class TlsBackendConflictError extends ProxyError {
  readonly first: string;
  readonly second: string;
  constructor(first: string, second: string) {
    super(
      'TLS_BACKEND_CONFLICT',
      `two TLS backends in one app: ${first} is registered and ${second} was imported too; an app uses exactly one`,
      { source: 'config' },
    );
    this.first = first;
    this.second = second;
  }
}

/** A TLS handshake or record-layer failure. `alert` is the TLS alert sent or received, when known. */
export class TlsHandshakeError extends ProxyError {
  readonly alert: number | undefined;
  constructor(message: string, options: ProxyErrorOptions & { alert?: number; code?: string } = {}) {
    super(options.code ?? 'TLS_HANDSHAKE', message, options);
    this.alert = options.alert;
  }
}

/**
 * The peer's certificate failed verification (chain, dates, usage, or name). Pingora's
 * `InvalidCert`: distinct from every other handshake failure, on every backend.
 */
export class InvalidCertError extends TlsHandshakeError {
  /** Machine-readable reason, e.g. "hostname-mismatch", "unknown-ca", "expired". */
  readonly reason: string;
  constructor(reason: string, message: string, options: ProxyErrorOptions & { alert?: number } = {}) {
    super(`invalid certificate (${reason}): ${message}`, { ...options, code: 'InvalidCert' });
    this.reason = reason;
  }
}

/** The handshake did not finish in time. */
export class TlsHandshakeTimeoutError extends TlsHandshakeError {
  constructor(ms: number, source: ErrorSource) {
    super(`TLS handshake did not complete within ${ms} ms`, {
      code: 'TLS_HANDSHAKE_TIMEOUT',
      source,
      retryable: source === 'upstream',
    });
  }
}

/** A fatal alert was received from the peer. */
export class TlsAlertReceivedError extends TlsHandshakeError {
  constructor(alert: number, description: string, source: ErrorSource) {
    super(`peer sent fatal alert ${alert} (${description})`, { code: 'TLS_ALERT_RECEIVED', alert, source });
  }
}

/** A protocol violation by the peer (malformed message, bad record, unexpected message). */
export class TlsProtocolError extends TlsHandshakeError {
  constructor(message: string, options: ProxyErrorOptions & { alert?: number } = {}) {
    super(message, { ...options, code: 'TLS_PROTOCOL' });
  }
}
