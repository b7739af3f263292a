import { createSecureContext } from 'node:tls';
import { log } from '@proxy/core';

/**
 * Whether this Node's OpenSSL has the hybrid post-quantum group X25519MLKEM768 (OpenSSL 3.5:
 * Node 22.20+ and 24.5+), found by asking OpenSSL to take it as a group list.
 */
export const HYBRID_GROUP_SUPPORTED: boolean = (() => {
  try {
    createSecureContext({ ecdhCurve: 'X25519MLKEM768' });
    return true;
  } catch {
    return false;
  }
})();

let told = false;

/** On an OpenSSL without the hybrid group, says once (at first TLS use) that key exchange is classical. */
export function noteClassicalKeyExchange(): void {
  if (HYBRID_GROUP_SUPPORTED || told) return;
  told = true;
  log.info(`tls-openssl: OpenSSL ${process.versions.openssl} (Node ${process.version}) has no X25519MLKEM768; key exchange is classical (x25519, P-256, P-384)`);
}
