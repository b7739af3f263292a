import type { CertKey } from '@proxy/core';

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
