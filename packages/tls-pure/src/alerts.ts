import { TlsHandshakeError } from '@proxy/core';

export { AlertDescription, alertName } from '@proxy/core';
export { CONDITION_ALERTS, PeerMisbehaved, PureTlsProtocolError, fatal } from './conditions.js';

/** True for the typed errors the engine may throw; anything else is a bug we convert to internal_error. */
export function isTlsError(e: unknown): e is TlsHandshakeError {
  return e instanceof TlsHandshakeError;
}
