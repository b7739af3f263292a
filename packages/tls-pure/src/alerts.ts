import { TlsProtocolError, TlsHandshakeError } from '@proxy/core';

/** RFC 8446 section 6: alert descriptions. */
export const AlertDescription = {
  close_notify: 0,
  unexpected_message: 10,
  bad_record_mac: 20,
  record_overflow: 22,
  handshake_failure: 40,
  bad_certificate: 42,
  unsupported_certificate: 43,
  certificate_revoked: 44,
  certificate_expired: 45,
  certificate_unknown: 46,
  illegal_parameter: 47,
  unknown_ca: 48,
  access_denied: 49,
  decode_error: 50,
  decrypt_error: 51,
  protocol_version: 70,
  insufficient_security: 71,
  internal_error: 80,
  inappropriate_fallback: 86,
  user_canceled: 90,
  no_renegotiation: 100,
  missing_extension: 109,
  unsupported_extension: 110,
  unrecognized_name: 112,
  bad_certificate_status_response: 113,
  unknown_psk_identity: 115,
  certificate_required: 116,
  no_application_protocol: 120,
} as const;

const NAMES = new Map<number, string>(Object.entries(AlertDescription).map(([k, v]) => [v, k]));

export function alertName(code: number): string {
  return NAMES.get(code) ?? `unknown(${code})`;
}

/**
 * A fatal protocol error that carries the alert to send (RFC 8446 section 6.2). The engine
 * catches it, queues the alert, and rethrows it to the adapter.
 */
export function fatal(alert: number, message: string): TlsProtocolError {
  return new TlsProtocolError(`${message} (sending ${alertName(alert)})`, { alert });
}

/** True for the typed errors the engine may throw; anything else is a bug we convert to internal_error. */
export function isTlsError(e: unknown): e is TlsHandshakeError {
  return e instanceof TlsHandshakeError;
}
