/** IANA cipher-suite names (what SslDigest reports) to OpenSSL's names (what Node's `ciphers` takes). */
const TLS12_SUITE_OPENSSL: Record<string, string> = {
  TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256: 'ECDHE-ECDSA-AES128-GCM-SHA256',
  TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256: 'ECDHE-RSA-AES128-GCM-SHA256',
  TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384: 'ECDHE-ECDSA-AES256-GCM-SHA384',
  TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384: 'ECDHE-RSA-AES256-GCM-SHA384',
  TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256: 'ECDHE-ECDSA-CHACHA20-POLY1305',
  TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256: 'ECDHE-RSA-CHACHA20-POLY1305',
};

/** Node's `ciphers` option: TLS 1.3 suites keep their IANA names, TLS 1.2 ones take OpenSSL's. */
export function opensslCipherList(tls12: readonly string[], tls13: readonly string[]): string {
  const names = tls12.map((s) => {
    const n = TLS12_SUITE_OPENSSL[s];
    if (!n) throw new TypeError(`no OpenSSL name for cipher suite ${s}`);
    return n;
  });
  return [...tls13, ...names].join(':');
}

/** IANA group names to OpenSSL's curve names for `ecdhCurve`. */
const GROUP_OPENSSL: Record<string, string> = {
  x25519: 'X25519',
  secp256r1: 'P-256',
  secp384r1: 'P-384',
  secp521r1: 'P-521',
  x448: 'X448',
  X25519MLKEM768: 'X25519MLKEM768',
};

export function opensslGroupList(groups: readonly string[]): string {
  return groups.map((g) => GROUP_OPENSSL[g] ?? g).join(':');
}

/** TLS NamedGroup code points (RFC 8446 section 4.2.7) to IANA names. */
export const GROUP_BY_CODE: ReadonlyMap<number, string> = new Map([
  [0x0017, 'secp256r1'],
  [0x0018, 'secp384r1'],
  [0x0019, 'secp521r1'],
  [0x001d, 'x25519'],
  [0x001e, 'x448'],
  [0x11ec, 'X25519MLKEM768'],
]);

/** Names Node's getEphemeralKeyInfo() reports, to IANA names. */
export function groupFromNodeName(name: string | undefined): string | undefined {
  switch (name) {
    case undefined: return undefined;
    case 'X25519': return 'x25519';
    case 'X448': return 'x448';
    case 'prime256v1': return 'secp256r1';
    case 'secp384r1': return 'secp384r1';
    case 'secp521r1': return 'secp521r1';
    case 'X25519MLKEM768': return 'X25519MLKEM768';
    default: return name.toLowerCase();
  }
}
