import type { HashName, KeyKind } from './provider.js';

/** RFC 8446 section 4.2.3 SignatureScheme code points we implement. SHA-1 is never accepted. */
export const SignatureScheme = {
  rsa_pkcs1_sha256: 0x0401,
  rsa_pkcs1_sha384: 0x0501,
  rsa_pkcs1_sha512: 0x0601,
  ecdsa_secp256r1_sha256: 0x0403,
  ecdsa_secp384r1_sha384: 0x0503,
  /** TLS 1.2 only (RFC 5246 7.4.1.4.1 ecdsa + sha512); in TLS 1.3 it names P-521, which we lack. */
  ecdsa_secp521r1_sha512: 0x0603,
  /** TLS 1.2 only: ecdsa + sha224 (RFC 5246 7.4.1.4.1). */
  ecdsa_sha224: 0x0303,
  rsa_pss_rsae_sha256: 0x0804,
  rsa_pss_rsae_sha384: 0x0805,
  rsa_pss_rsae_sha512: 0x0806,
  ed25519: 0x0807,
} as const;

/** The hash a signature scheme signs over: the transcript hashes, plus SHA-224 for TLS 1.2 ECDSA. */
export type SignatureHash = HashName | 'sha224';

export interface SchemeInfo {
  hash: SignatureHash;
  /** 'ecdsa' / 'pss' / 'pkcs1' / 'ed25519' */
  algo: 'ecdsa' | 'pss' | 'pkcs1' | 'ed25519';
  /** For ECDSA in TLS 1.3 the curve is bound to the scheme. */
  curve?: KeyKind;
}

export const SCHEMES: ReadonlyMap<number, SchemeInfo> = new Map<number, SchemeInfo>([
  [0x0401, { hash: 'sha256', algo: 'pkcs1' }],
  [0x0501, { hash: 'sha384', algo: 'pkcs1' }],
  [0x0601, { hash: 'sha512', algo: 'pkcs1' }],
  [0x0403, { hash: 'sha256', algo: 'ecdsa', curve: 'ec-p256' }],
  [0x0503, { hash: 'sha384', algo: 'ecdsa', curve: 'ec-p384' }],
  // TLS 1.2: the curve does not bind the hash (RFC 5246 7.4.1.4.1); in TLS 1.3 0x0603 is P-521 and 0x0303 does not exist.
  [0x0603, { hash: 'sha512', algo: 'ecdsa', curve: 'unsupported' }],
  [0x0303, { hash: 'sha224', algo: 'ecdsa', curve: 'unsupported' }],
  [0x0804, { hash: 'sha256', algo: 'pss' }],
  [0x0805, { hash: 'sha384', algo: 'pss' }],
  [0x0806, { hash: 'sha512', algo: 'pss' }],
  [0x0807, { hash: 'sha512', algo: 'ed25519' }],
]);

/** What we offer in signature_algorithms, preference order. PKCS#1 only for TLS 1.2 and certificates. */
export const TLS13_SIGNATURE_SCHEMES = [0x0403, 0x0503, 0x0807, 0x0804, 0x0805, 0x0806];
export const TLS12_SIGNATURE_SCHEMES = [0x0403, 0x0503, 0x0807, 0x0804, 0x0805, 0x0806, 0x0401, 0x0501, 0x0601];
/** signature_algorithms we advertise (for 1.3 handshakes PKCS#1 is refused in CertificateVerify; RFC 8446 4.2.3). */
export const OFFERED_SIGNATURE_SCHEMES = TLS12_SIGNATURE_SCHEMES;

/** The scheme our key signs with, given what the peer accepts; undefined when none fits. */
export function chooseScheme(kind: KeyKind, peer: readonly number[], tls13: boolean): number | undefined {
  // TLS 1.2: an ECDSA key signs with any hash the peer takes, the curve's own first (RFC 5246 7.4.1.4.1).
  const ours: number[] =
    kind === 'ec-p256' ? (tls13 ? [0x0403] : [0x0403, 0x0503, 0x0603, 0x0303])
    : kind === 'ec-p384' ? (tls13 ? [0x0503] : [0x0503, 0x0603, 0x0403, 0x0303])
    : kind === 'ed25519' ? [0x0807]
    : kind === 'rsa' ? (tls13 ? [0x0804, 0x0805, 0x0806] : [0x0804, 0x0805, 0x0806, 0x0401, 0x0501, 0x0601])
    : [];
  return ours.find((s) => peer.includes(s));
}

/** Whether `scheme` can be verified with a key of `kind` (RFC 8446 4.4.3: 1.3 binds ECDSA curves, forbids PKCS#1). */
export function schemeFitsKey(scheme: number, kind: KeyKind, tls13: boolean): boolean {
  const info = SCHEMES.get(scheme);
  if (!info) return false;
  switch (info.algo) {
    case 'ecdsa':
      return tls13 ? info.curve === kind && kind !== 'unsupported' : kind === 'ec-p256' || kind === 'ec-p384';
    case 'ed25519':
      return kind === 'ed25519';
    case 'pss':
      return kind === 'rsa';
    case 'pkcs1':
      return !tls13 && kind === 'rsa';
  }
}
