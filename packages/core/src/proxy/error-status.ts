import {
  ConnectError, HttpProtocolError, LimitError, ProxyError, TimeoutError, TlsHandshakeError, TlsHandshakeTimeoutError,
} from '../errors/index.js';

/**
 * The default status of the error response for a failed request (what failToProxy returns
 * unless overridden): 504 for timeouts, 502 for any other upstream failure (refused, reset,
 * TLS failures including InvalidCert, malformed responses), 400 for a malformed request, a
 * limit's own status (413 for a request body over the route's limit), 0 (no response, the
 * connection is closed) when the client itself went away, 500 otherwise.
 */
export function errorStatus(err: ProxyError): number {
  if (err instanceof LimitError && err.status > 0) return err.status;
  if (err instanceof TimeoutError || err instanceof TlsHandshakeTimeoutError) return 504;
  if (err instanceof ConnectError || err instanceof TlsHandshakeError) return 502;
  switch (err.source) {
    case 'upstream':
      return 502;
    case 'downstream':
      return err instanceof HttpProtocolError ? 400 : 0;
    default:
      return 500;
  }
}

/** Anything thrown by a phase becomes a ProxyError; foreign errors are internal ones. */
export function toProxyError(e: unknown): ProxyError {
  if (e instanceof ProxyError) return e;
  const message = e instanceof Error ? e.message : String(e);
  return new ProxyError('INTERNAL', message, { source: 'internal', cause: e });
}
