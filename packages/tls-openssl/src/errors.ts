import {
  InvalidCertError, TlsAlertReceivedError, alertByName, TlsHandshakeError, type ErrorSource, type InvalidCertReason,
} from '@proxy/core';

/** OpenSSL X509 verification results (as Node names them) to InvalidCert reasons. */
export const VERIFY_REASONS: Readonly<Record<string, InvalidCertReason>> = {
  CERT_HAS_EXPIRED: 'expired',
  CERT_NOT_YET_VALID: 'not-yet-valid',
  DEPTH_ZERO_SELF_SIGNED_CERT: 'self-signed',
  SELF_SIGNED_CERT_IN_CHAIN: 'unknown-ca',
  UNABLE_TO_GET_ISSUER_CERT: 'unknown-ca',
  UNABLE_TO_GET_ISSUER_CERT_LOCALLY: 'unknown-ca',
  UNABLE_TO_VERIFY_LEAF_SIGNATURE: 'unknown-ca',
  CERT_UNTRUSTED: 'unknown-ca',
  CERT_REJECTED: 'verify-failed',
  CERT_SIGNATURE_FAILURE: 'bad-signature',
  INVALID_CA: 'not-a-ca',
  INVALID_PURPOSE: 'bad-usage',
  PATH_LENGTH_EXCEEDED: 'chain-too-long',
  CERT_CHAIN_TOO_LONG: 'chain-too-long',
  UNHANDLED_CRITICAL_EXTENSION: 'unsupported-critical-extension',
  EE_KEY_TOO_SMALL: 'weak-signature',
  CA_KEY_TOO_SMALL: 'weak-signature',
  CA_MD_TOO_WEAK: 'weak-signature',
  UNABLE_TO_DECODE_ISSUER_PUBLIC_KEY: 'malformed',
  ERROR_IN_CERT_NOT_BEFORE_FIELD: 'malformed',
  ERROR_IN_CERT_NOT_AFTER_FIELD: 'malformed',
  HOSTNAME_MISMATCH: 'hostname-mismatch',
  ERR_TLS_CERT_ALTNAME_INVALID: 'hostname-mismatch',
};

/** Turns what Node's tls emitted into the typed error every backend raises. */
export function mapTlsError(err: unknown, source: ErrorSource): TlsHandshakeError {
  if (err instanceof TlsHandshakeError) return err;
  const e = err as NodeJS.ErrnoException & { reason?: string };
  const code = e?.code ?? '';
  const reason = VERIFY_REASONS[code];
  if (reason) return new InvalidCertError(reason, e.message, { source, cause: err });
  // e.g. ERR_SSL_SSLV3_ALERT_BAD_CERTIFICATE / ERR_SSL_TLSV1_ALERT_UNKNOWN_CA / ..._NO_APPLICATION_PROTOCOL
  const alertMatch = /ALERT_([A-Z_]+)$/.exec(code);
  if (alertMatch) {
    const name = alertMatch[1]!.toLowerCase();
    const alert = alertByName(name);
    if (alert !== undefined) {
      const received = new TlsAlertReceivedError(alert, name, source);
      (received as { cause?: unknown }).cause = err;
      return received;
    }
  }
  if (code === 'ERR_SSL_CERTIFICATE_VERIFY_FAILED') {
    return new InvalidCertError('verify-failed', e.message, { source, cause: err });
  }
  const retryable = source === 'upstream' && (code === 'ECONNRESET' || code === 'EPIPE');
  return new TlsHandshakeError(`TLS handshake failed: ${e?.message ?? String(err)}`, { source, cause: err, retryable });
}
