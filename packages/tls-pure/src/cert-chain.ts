import { X509Certificate } from 'node:crypto';
import type { CertKey, ErrorSource } from '@proxy/core';
import { PeerMisbehaved, fatal } from './alerts.js';
import type { ClientConfig } from './config.js';
import { verifyCertificateChain } from './verify/chain.js';

const cache = new WeakMap<CertKey, Uint8Array[]>();

/**
 * The DER of a CertKey's chain, leaf first, as the Certificate message carries it. Kept per
 * CertKey because X509Certificate.raw copies the DER out of the native object on every read.
 */
export function chainDer(certKey: CertKey): Uint8Array[] {
  let der = cache.get(certKey);
  if (!der) {
    der = certKey.chain.map((c) => new Uint8Array(c.raw));
    cache.set(certKey, der);
  }
  return der;
}

/**
 * The server certificate a client (TLS 1.2 or 1.3) goes on with: the leaf of the verified path,
 * or, with verification off, the leaf merely parsed. An empty chain is a decode_error.
 */
export function serverCertificate(chain: readonly Uint8Array[], cfg: ClientConfig, source: ErrorSource): X509Certificate {
  if (chain.length === 0) throw fatal(PeerMisbehaved.NoServerCertificate);
  if (cfg.verifyCert) return verifyCertificateChain(chain, { trust: cfg.trust, purpose: 'server', hostnames: cfg.hostnames, source })[0]!;
  try {
    return new X509Certificate(chain[0]!);
  } catch {
    throw fatal(PeerMisbehaved.UnparsableCertificate);
  }
}
