import type { HashName, KeyKind } from './provider.js';

/** RFC 8446 section 4.2.3 SignatureScheme code points we implement. SHA-1 is never accepted. */
export const SignatureScheme = {
  rsa_pkcs1_sha256: 0x0401,
  rsa_pkcs1_sha384: 0x0501,
  rsa_pkcs1_sha512: 0x0601,
  ecdsa_secp256r1_sha256: 0x0403,
  ecdsa_secp384r1_sha384: 0x0503,
  rsa_pss_rsae_sha256: 0x0804,
  rsa_pss_rsae_sha384: 0x0805,
  rsa_pss_rsae_sha512: 0x0806,
  ed25519: 0x0807,
} as const;

export interface SchemeInfo {
  hash: HashName;
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
  const ours: number[] =
    kind === 'ec-p256' ? [0x0403]
    : kind === 'ec-p384' ? [0x0503]
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
      return tls13 ? info.curve === kind : kind === 'ec-p256' || kind === 'ec-p384';
    case 'ed25519':
      return kind === 'ed25519';
    case 'pss':
      return kind === 'rsa';
    case 'pkcs1':
      return !tls13 && kind === 'rsa';
  }
}
