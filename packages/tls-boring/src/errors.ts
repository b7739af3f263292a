import type { TlsHandshakeError} from '@proxy/core';
import {
  InvalidCertError, TlsAlertReceivedError, TlsProtocolError, type ErrorSource, type InvalidCertReason,
} from '@proxy/core';
import { ERR_ALERT_RECEIVED, ERR_NO_PEER_CERT, ERR_VERIFY } from './native.js';

/** BoringSSL's X509_V_ERR_* codes (x509.h) onto core's InvalidCert reasons (as tls-openssl's VERIFY_REASONS by name). */
export const X509_V_ERR_REASONS: ReadonlyMap<number, InvalidCertReason> = new Map<number, InvalidCertReason>([
  [2, 'unknown-ca'], // UNABLE_TO_GET_ISSUER_CERT
  [4, 'bad-signature'], // UNABLE_TO_DECRYPT_CERT_SIGNATURE
  [6, 'malformed'], // UNABLE_TO_DECODE_ISSUER_PUBLIC_KEY
  [7, 'bad-signature'], // CERT_SIGNATURE_FAILURE
  [9, 'not-yet-valid'], // CERT_NOT_YET_VALID
  [10, 'expired'], // CERT_HAS_EXPIRED
  [13, 'malformed'], // ERROR_IN_CERT_NOT_BEFORE_FIELD
  [14, 'malformed'], // ERROR_IN_CERT_NOT_AFTER_FIELD
  [18, 'self-signed'], // DEPTH_ZERO_SELF_SIGNED_CERT
  [19, 'unknown-ca'], // SELF_SIGNED_CERT_IN_CHAIN
  [20, 'unknown-ca'], // UNABLE_TO_GET_ISSUER_CERT_LOCALLY
  [21, 'unknown-ca'], // UNABLE_TO_VERIFY_LEAF_SIGNATURE
  [22, 'chain-too-long'], // CERT_CHAIN_TOO_LONG
  [24, 'not-a-ca'], // INVALID_CA
  [25, 'chain-too-long'], // PATH_LENGTH_EXCEEDED
  [26, 'bad-usage'], // INVALID_PURPOSE
  [27, 'unknown-ca'], // CERT_UNTRUSTED
  [28, 'verify-failed'], // CERT_REJECTED
  [32, 'bad-usage'], // KEYUSAGE_NO_CERTSIGN
  [34, 'unsupported-critical-extension'], // UNHANDLED_CRITICAL_EXTENSION
  [37, 'not-a-ca'], // INVALID_NON_CA
  [39, 'bad-usage'], // KEYUSAGE_NO_DIGITAL_SIGNATURE
  [41, 'malformed'], // INVALID_EXTENSION
  [62, 'hostname-mismatch'], // HOSTNAME_MISMATCH
  [64, 'hostname-mismatch'], // IP_ADDRESS_MISMATCH
]);

/** TLS alert descriptions (RFC 8446 6.2 and RFC 5246 7.2) by number, for messages. */
const ALERT_NAMES: Record<number, string> = {
  0: 'close_notify', 10: 'unexpected_message', 20: 'bad_record_mac', 22: 'record_overflow', 40: 'handshake_failure',
  42: 'bad_certificate', 43: 'unsupported_certificate', 44: 'certificate_revoked', 45: 'certificate_expired',
  46: 'certificate_unknown', 47: 'illegal_parameter', 48: 'unknown_ca', 49: 'access_denied', 50: 'decode_error',
  51: 'decrypt_error', 70: 'protocol_version', 71: 'insufficient_security', 80: 'internal_error',
  86: 'inappropriate_fallback', 90: 'user_canceled', 100: 'no_renegotiation', 109: 'missing_extension',
  110: 'unsupported_extension', 112: 'unrecognized_name', 113: 'bad_certificate_status_response',
  115: 'unknown_psk_identity', 116: 'certificate_required', 120: 'no_application_protocol',
};

export function alertName(alert: number): string {
  return ALERT_NAMES[alert] ?? `alert ${alert}`;
}

/** The typed error for what a failed native call reported (connError's tuple). */
export function engineError(
  [kind, sentAlert, receivedAlert, verifyResult, message]: [number, number, number, number, string], source: ErrorSource,
): TlsHandshakeError {
  const alert = sentAlert >= 0 ? sentAlert : undefined;
  if (kind === ERR_ALERT_RECEIVED && receivedAlert >= 0) return new TlsAlertReceivedError(receivedAlert, alertName(receivedAlert), source);
  if (kind === ERR_VERIFY) {
    const reason = X509_V_ERR_REASONS.get(verifyResult) ?? 'verify-failed';
    return new InvalidCertError(reason, `BoringSSL X509_V_ERR ${verifyResult}: ${message}`, { source, alert });
  }
  if (kind === ERR_NO_PEER_CERT) return new InvalidCertError('no-certificate', `the peer sent no certificate: ${message}`, { source, alert });
  const sent = alert !== undefined ? ` (sent ${alertName(alert)})` : '';
  return new TlsProtocolError(`TLS failure: ${message}${sent}`, { source, alert });
}
