import type { TlsClientOptions } from './backend.js';

/**
 * Client TLS options with the secure defaults filled in: certificate and hostname verification
 * on, the default trust store, TLS 1.2 and 1.3, no ALPN, no client certificate, no key log, no
 * handshake timer, session resumption on. `over` sets the rest.
 */
export function tlsClientOptions(over: Partial<TlsClientOptions> = {}): TlsClientOptions {
  return {
    verifyCert: true,
    verifyHostname: true,
    ca: undefined,
    caPem: undefined,
    alternativeCn: undefined,
    alpn: undefined,
    clientCertKey: undefined,
    minVersion: 'TLSv1.2',
    maxVersion: 'TLSv1.3',
    keylog: undefined,
    handshakeTimeoutMs: undefined,
    sessionResumption: true,
    ...over,
  };
}
