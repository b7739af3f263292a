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
      'no TLS backend is registered: import exactly one TLS backend package (e.g. @proxy/tls-openssl, the default, or @proxy/tls-pure) before the first TLS use',
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
 * Why a peer certificate was refused: one vocabulary for every backend, so that a test or a
 * caller can switch on it whatever library ran the check. Each backend maps its own verdicts
 * (OpenSSL's X509_V_ERR_*, s2n's S2N_ERR_CERT_*, tls-pure's chain checks) onto these.
 */
export const INVALID_CERT_REASONS = [
  /** No path to a trusted root: unknown issuer, or an untrusted self-signed root in the chain. */
  'unknown-ca',
  /** The leaf itself is self-signed and not trusted. */
  'self-signed',
  'expired',
  'not-yet-valid',
  /** Neither the SNI nor `alternativeCn` (nor the address) is among the certificate's names. */
  'hostname-mismatch',
  /** An issuer lacks basicConstraints CA:TRUE. */
  'not-a-ca',
  /** keyUsage or extendedKeyUsage does not allow this use (server or client authentication, cert signing). */
  'bad-usage',
  /** A signature in the chain does not verify. */
  'bad-signature',
  /** Signed with a retired algorithm (MD5, SHA-1) or a too-small key. */
  'weak-signature',
  /** Longer than the verifier allows, or a pathLenConstraint is exceeded. */
  'chain-too-long',
  /** A critical extension the verifier does not understand. */
  'unsupported-critical-extension',
  /** The peer sent no certificate where one is required. */
  'no-certificate',
  /** The certificate does not parse. */
  'malformed',
  /** The library refused the certificate and gave no finer reason (or a user hook rejected it). */
  'verify-failed',
] as const;
export type InvalidCertReason = (typeof INVALID_CERT_REASONS)[number];

/**
 * The peer's certificate failed verification (chain, dates, usage, or name). Pingora's
 * `InvalidCert`: distinct from every other handshake failure, on every backend.
 */
export class InvalidCertError extends TlsHandshakeError {
  /** The canonical code. */
  static readonly CODE = 'TLS_INVALID_CERT';
  /** Pingora's name for it, still matched by `hasErrorCode(err, 'InvalidCert')`. */
  static readonly ALIAS = 'InvalidCert';
  /** Machine-readable reason, the same on every backend. */
  readonly reason: InvalidCertReason;
  constructor(reason: InvalidCertReason, message: string, options: ProxyErrorOptions & { alert?: number } = {}) {
    super(`invalid certificate (${reason}): ${message}`, { ...options, code: InvalidCertError.CODE });
    this.reason = reason;
  }
}

/**
 * The backend package is installed but its native library is not usable here (not built, an
 * unsupported platform, a missing symbol). Raised at first use, never at import, with the fix.
 */
export class TlsBackendUnavailableError extends ProxyError {
  readonly backend: string;
  constructor(backend: string, message: string, options: { cause?: unknown } = {}) {
    super('TLS_BACKEND_UNAVAILABLE', `the ${backend} TLS backend is unavailable: ${message}`, { source: 'config', ...options });
    this.backend = backend;
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

/**
 * The first bytes of a downstream connection are not a usable ClientHello (core reads it
 * before any backend runs): bytes that are not TLS (closed without a byte sent), a record
 * over 2^14 bytes (`record_overflow`), a ClientHello over the largest legal size or one that
 * does not parse (`decode_error`), another message first (`unexpected_message`).
 */
export class TlsClientHelloError extends TlsHandshakeError {
  readonly reason: 'not-tls' | 'record-overflow' | 'not-client-hello' | 'too-large' | 'malformed' | 'closed';
  constructor(reason: TlsClientHelloError['reason'], message: string, alert: number | undefined) {
    super(message, { code: 'TLS_BAD_CLIENT_HELLO', source: 'downstream', ...(alert !== undefined ? { alert } : {}) });
    this.reason = reason;
  }
}

/**
 * A listener with strict SNI refused a ClientHello whose server name none of its certificates
 * covers (or that named none), with a fatal `unrecognized_name` alert (RFC 6066 §3), before
 * any backend ran: nginx's `ssl_reject_handshake`.
 */
export class TlsUnrecognizedNameError extends TlsHandshakeError {
  readonly serverName: string | undefined;
  constructor(serverName: string | undefined) {
    super(serverName === undefined ? 'the ClientHello names no server (strict SNI)' : `no certificate for server name ${serverName} (strict SNI)`,
      { code: 'TLS_UNRECOGNIZED_NAME', source: 'downstream', alert: 112 });
    this.serverName = serverName;
  }
}
