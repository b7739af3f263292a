import { TlsProtocolError, TlsHandshakeError, alertName } from '@proxy/core';

export { AlertDescription, alertName } from '@proxy/core';

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
