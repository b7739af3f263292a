/**
 * Translations from what the peer programs print to the digest's IANA names, so a case can
 * check that the backend and the peer agree on what was negotiated.
 */

const OPENSSL_TLS12: Record<string, string> = {
  'ECDHE-ECDSA-AES128-GCM-SHA256': 'TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256',
  'ECDHE-RSA-AES128-GCM-SHA256': 'TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256',
  'ECDHE-ECDSA-AES256-GCM-SHA384': 'TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384',
  'ECDHE-RSA-AES256-GCM-SHA384': 'TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384',
  'ECDHE-ECDSA-CHACHA20-POLY1305': 'TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256',
  'ECDHE-RSA-CHACHA20-POLY1305': 'TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256',
};

/** OpenSSL's cipher name → IANA (TLS 1.3 names are already IANA). */
export function ianaCipherFromOpenssl(name: string): string {
  return OPENSSL_TLS12[name] ?? name;
}

/** openssl s_client's "Server Temp Key: X25519, 253 bits" / "ECDH, prime256v1, 256 bits" → IANA group. */
export function groupFromOpensslTempKey(tempKey: string): string | undefined {
  const t = tempKey.toLowerCase();
  if (t.startsWith('x25519')) return 'x25519';
  if (t.startsWith('x448')) return 'x448';
  if (t.includes('prime256v1') || t.includes('p-256')) return 'secp256r1';
  if (t.includes('secp384r1') || t.includes('p-384')) return 'secp384r1';
  if (t.includes('secp521r1') || t.includes('p-521')) return 'secp521r1';
  return undefined;
}

/** gnutls-cli's key exchange ("ECDHE-X25519", "ECDHE-SECP256R1") → IANA group. */
export function groupFromGnutls(kx: string): string | undefined {
  const m = /(X25519|X448|SECP256R1|SECP384R1|SECP521R1)/i.exec(kx);
  return m ? m[1]!.toLowerCase() : undefined;
}

/** gnutls-cli's cipher ("AES-128-GCM", "CHACHA20-POLY1305") → the bulk-cipher part of an IANA name. */
export function ianaBulkFromGnutls(cipher: string): string {
  return cipher.replace(/-/g, '_');
}

export const IANA_GROUPS = ['x25519', 'x448', 'secp256r1', 'secp384r1', 'secp521r1', 'X25519MLKEM768'] as const;
