import { X509Certificate } from 'node:crypto';
import { Alpn, tlsClientOptions, type TlsClientOptions } from '@proxy/core';
import type { Pki } from './pki.js';

export function clientOptions(pki: Pki, over: Partial<TlsClientOptions> = {}): TlsClientOptions {
  return tlsClientOptions({ ca: [new X509Certificate(pki.caPem)], caPem: pki.caPem, handshakeTimeoutMs: 5000, ...over });
}

export { Alpn };
