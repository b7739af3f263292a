/**
 * TLS alert descriptions (RFC 8446 §6, plus TLS 1.2's no_renegotiation, RFC 5246 §7.2): the one
 * table every backend names alerts with, so an error's `alert` means the same number everywhere.
 */
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

export type AlertName = keyof typeof AlertDescription;

const NAMES = new Map<number, AlertName>(
  (Object.entries(AlertDescription) as Array<[AlertName, number]>).map(([k, v]) => [v, k]),
);

/** The RFC name of an alert code, or `unknown(N)`. */
export function alertName(code: number): string {
  return NAMES.get(code) ?? `unknown(${code})`;
}

/** The code of an alert by its RFC name (as OpenSSL's error codes spell it, lower-cased), or undefined. */
export function alertByName(name: string): number | undefined {
  return Object.prototype.hasOwnProperty.call(AlertDescription, name) ? AlertDescription[name as AlertName] : undefined;
}
