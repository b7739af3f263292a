import type { ClientHello } from './client-hello.js';

/** The peer certificate as every backend reports it (same field formats everywhere). */
export interface PeerCertificateInfo {
  /** RFC 2253-style subject, e.g. "CN=client.test,O=Example". */
  subject: string;
  issuer: string;
  commonName: string | undefined;
  organization: string | undefined;
  /** Serial number as upper-case hexadecimal without separators or leading zeros. */
  serial: string;
  /** SHA-256 of the DER certificate, upper-case hex without separators. */
  sha256: string;
  /** Subject alternative names as "DNS:x" / "IP:x" / "URI:x" / "email:x". */
  subjectAltNames: string[];
  validFrom: Date;
  validTo: Date;
  /** The DER encoding, for callers that need more. */
  der: Buffer;
}

export type TlsVersion = 'TLSv1.2' | 'TLSv1.3';

/**
 * What a finished handshake negotiated. Pingora's `SslDigest`: the same shape and the same
 * formats on every backend, so filters and logs need not know which library ran.
 */
export interface SslDigest {
  backend: 'openssl' | 'boringssl' | 's2n' | 'pure';
  version: TlsVersion;
  /** IANA cipher suite name, e.g. "TLS_AES_128_GCM_SHA256", "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256". */
  cipher: string;
  /** Key-exchange group, IANA name: "x25519", "secp256r1", "secp384r1", "x448", "secp521r1". Undefined when not known. */
  group: string | undefined;
  /** The SNI the client sent (server side) or that we sent (client side). */
  sni: string | undefined;
  /** Negotiated ALPN protocol, if any. */
  alpn: string | undefined;
  sessionReused: boolean;
  peerCertificate: PeerCertificateInfo | undefined;
  /**
   * The ClientHello core parsed before the backend ran (server side, connections accepted by a
   * Listener): what the client offered, JA4 and JA3.
   */
  clientHello?: ClientHello;
  /** What `handshakeComplete` returned, if a callback was set. */
  extension?: unknown;
}
