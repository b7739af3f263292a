import { X509Certificate } from 'node:crypto';
import { Alpn, type TlsClientOptions } from '@proxy/core';
import type { Pki } from './pki.js';

export function clientOptions(pki: Pki, over: Partial<TlsClientOptions> = {}): TlsClientOptions {
  return {
    verifyCert: true,
    verifyHostname: true,
    ca: [new X509Certificate(pki.caPem)],
    caPem: pki.caPem,
    alternativeCn: undefined,
    alpn: undefined,
    clientCertKey: undefined,
    minVersion: 'TLSv1.2',
    maxVersion: 'TLSv1.3',
    keylog: undefined,
    handshakeTimeoutMs: 5000,
    ...over,
  };
}

export { Alpn };
