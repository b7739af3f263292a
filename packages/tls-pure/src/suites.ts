import type { AeadName, HashName } from './crypto/provider.js';

export interface CipherSuite {
  readonly code: number;
  /** IANA name, as SslDigest.cipher reports it. */
  readonly name: string;
  readonly version: 'TLSv1.2' | 'TLSv1.3';
  readonly aead: AeadName;
  readonly hash: HashName;
  readonly keyLen: number;
  /** TLS 1.2 signature algorithm of the server certificate (RFC 8422 section 6). */
  readonly auth?: 'ecdsa' | 'rsa';
}

/** RFC 8446 appendix B.4. */
export const TLS13_CIPHER_SUITES: readonly CipherSuite[] = [
  { code: 0x1301, name: 'TLS_AES_128_GCM_SHA256', version: 'TLSv1.3', aead: 'aes-128-gcm', hash: 'sha256', keyLen: 16 },
  { code: 0x1302, name: 'TLS_AES_256_GCM_SHA384', version: 'TLSv1.3', aead: 'aes-256-gcm', hash: 'sha384', keyLen: 32 },
  { code: 0x1303, name: 'TLS_CHACHA20_POLY1305_SHA256', version: 'TLSv1.3', aead: 'chacha20-poly1305', hash: 'sha256', keyLen: 32 },
];

/** RFC 5289 (ECDHE + AES-GCM) and RFC 7905 (ECDHE + ChaCha20-Poly1305). No RSA key exchange, no CBC. */
export const TLS12_CIPHER_SUITES: readonly CipherSuite[] = [
  { code: 0xc02b, name: 'TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256', version: 'TLSv1.2', aead: 'aes-128-gcm', hash: 'sha256', keyLen: 16, auth: 'ecdsa' },
  { code: 0xc02f, name: 'TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256', version: 'TLSv1.2', aead: 'aes-128-gcm', hash: 'sha256', keyLen: 16, auth: 'rsa' },
  { code: 0xc02c, name: 'TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384', version: 'TLSv1.2', aead: 'aes-256-gcm', hash: 'sha384', keyLen: 32, auth: 'ecdsa' },
  { code: 0xc030, name: 'TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384', version: 'TLSv1.2', aead: 'aes-256-gcm', hash: 'sha384', keyLen: 32, auth: 'rsa' },
  { code: 0xcca9, name: 'TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256', version: 'TLSv1.2', aead: 'chacha20-poly1305', hash: 'sha256', keyLen: 32, auth: 'ecdsa' },
  { code: 0xcca8, name: 'TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256', version: 'TLSv1.2', aead: 'chacha20-poly1305', hash: 'sha256', keyLen: 32, auth: 'rsa' },
];

/**
 * The server's preference order for one ClientHello: `configured`, with the ChaCha20-Poly1305
 * suites moved first when AES-GCM is not in hardware on our side, or when the client's first
 * AEAD suite is ChaCha20 (a client without AES instructions says so by its order). This is what
 * Go's crypto/tls and BoringSSL do: each side then gets the cipher that is fast and constant-time
 * for it. Only the order changes; the set stays what was configured.
 */
export function serverSuitePreference(
  configured: readonly CipherSuite[], hardwareAes: boolean, clientSuites: readonly number[],
): readonly CipherSuite[] {
  const firstKnown = clientSuites.map(suiteByCode).find((s) => s !== undefined);
  const clientPrefersChaCha = firstKnown?.aead === 'chacha20-poly1305';
  if (hardwareAes && !clientPrefersChaCha) return configured;
  return [...configured.filter((s) => s.aead === 'chacha20-poly1305'), ...configured.filter((s) => s.aead !== 'chacha20-poly1305')];
}

export const ALL_SUITES: readonly CipherSuite[] = [...TLS13_CIPHER_SUITES, ...TLS12_CIPHER_SUITES];

export function suiteByCode(code: number): CipherSuite | undefined {
  return ALL_SUITES.find((s) => s.code === code);
}

export function suiteByName(name: string): CipherSuite | undefined {
  return ALL_SUITES.find((s) => s.name === name);
}

/**
 * RFC 8446 4.2.7 / RFC 8422 5.1.1 NamedGroup code points, by the names SslDigest.group reports
 * (IANA's: X25519MLKEM768 is draft-ietf-tls-ecdhe-mlkem's hybrid, 0x11EC).
 */
export const GROUP_CODES = { X25519MLKEM768: 0x11ec, x25519: 0x001d, secp256r1: 0x0017, secp384r1: 0x0018 } as const;
/** A key-exchange group this backend speaks: the provider's (EC)DHE groups and the hybrid KEM. */
export type NamedGroup = keyof typeof GROUP_CODES;
export function groupName(code: number): NamedGroup | undefined {
  return (Object.keys(GROUP_CODES) as NamedGroup[]).find((k) => GROUP_CODES[k] === code);
}
