import { X509Certificate } from 'node:crypto';
import forge from 'node-forge';
import { InvalidCertError, systemTrustStorePem, type ErrorSource, type InvalidCertReason } from '@proxy/core';
import { AlertDescription } from '../alerts.js';
import { certificateMatchesHost } from './hostname.js';

export interface VerifyOptions {
  /** Trust anchors. */
  trust: readonly X509Certificate[];
  /** 'server' checks serverAuth EKU and (optionally) the host name; 'client' checks clientAuth. */
  purpose: 'server' | 'client';
  /** Names of which at least one must match the leaf (server purpose); empty skips the name check. */
  hostnames: readonly string[];
  now?: Date;
  source: ErrorSource;
}

const MAX_CHAIN = 10;

function invalid(reason: InvalidCertReason, message: string, alert: number, source: ErrorSource): InvalidCertError {
  return new InvalidCertError(reason, message, { alert, source });
}

interface CertExtension {
  critical: boolean;
  /** The DER of the extension value (inside the OCTET STRING), as a forge binary string. */
  value: string;
}

const extensionCache = new WeakMap<X509Certificate, Map<string, CertExtension>>();

/** The certificate's extensions by OID, read with node-forge's ASN.1 parser (RFC 5280 4.1). */
function extensionsOf(cert: X509Certificate): Map<string, CertExtension> {
  const hit = extensionCache.get(cert);
  if (hit) return hit;
  const out = new Map<string, CertExtension>();
  try {
    const asn = forge.asn1.fromDer(forge.util.createBuffer(cert.raw.toString('binary')));
    const tbs = (asn.value as forge.asn1.Asn1[])[0]!;
    for (const part of tbs.value as forge.asn1.Asn1[]) {
      if (part.tagClass !== forge.asn1.Class.CONTEXT_SPECIFIC || (part.type as number) !== 3) continue;
      for (const ext of (part.value as forge.asn1.Asn1[])[0]!.value as forge.asn1.Asn1[]) {
        const fields = ext.value as forge.asn1.Asn1[];
        const oid = forge.asn1.derToOid(forge.util.createBuffer(fields[0]!.value as string));
        const critical = fields.length === 3 && (fields[1]!.value as string) !== '\x00';
        out.set(oid, { critical, value: fields[fields.length - 1]!.value as string });
      }
    }
  } catch {
    // An unparsable extension block leaves the map empty; node has already parsed the certificate.
  }
  extensionCache.set(cert, out);
  return out;
}

/** Signature algorithms we refuse on certificates: MD5 and SHA-1 (RFC 9155 retires SHA-1 signatures). */
const WEAK_SIGNATURES = new Set(['1.2.840.113549.1.1.4', '1.2.840.113549.1.1.5', '1.2.840.10045.4.1', '1.2.840.10040.4.3']);

/** The OID of the algorithm the issuer signed `cert` with (RFC 5280 4.1.1.2). */
function signatureAlgorithmOid(cert: X509Certificate): string | undefined {
  try {
    const asn = forge.asn1.fromDer(forge.util.createBuffer(cert.raw.toString('binary')));
    const alg = (asn.value as forge.asn1.Asn1[])[1]!;
    return forge.asn1.derToOid(forge.util.createBuffer((alg.value as forge.asn1.Asn1[])[0]!.value as string));
  } catch {
    return undefined;
  }
}

function checkSignatureAlgorithm(cert: X509Certificate, source: ErrorSource): void {
  const oid = signatureAlgorithmOid(cert);
  if (oid && WEAK_SIGNATURES.has(oid)) {
    throw invalid('weak-signature', `certificate signed with a retired algorithm (${oid})`, AlertDescription.bad_certificate, source);
  }
}

/** keyUsage bits (RFC 5280 4.2.1.3), most significant first; undefined when absent. */
function keyUsageBits(cert: X509Certificate): number | undefined {
  const ext = extensionsOf(cert).get('2.5.29.15');
  if (!ext) return undefined;
  try {
    const bitString = forge.asn1.fromDer(forge.util.createBuffer(ext.value)).value as string;
    // First byte is the count of unused bits; then the bits.
    const b0 = bitString.charCodeAt(1) || 0;
    const b1 = bitString.length > 2 ? bitString.charCodeAt(2) : 0;
    return (b0 << 8) | b1;
  } catch {
    return 0;
  }
}

/** basicConstraints (RFC 5280 4.2.1.9): cA and pathLenConstraint. */
function basicConstraints(cert: X509Certificate): { ca: boolean; pathLen: number | undefined } {
  const ext = extensionsOf(cert).get('2.5.29.19');
  if (!ext) return { ca: false, pathLen: undefined };
  try {
    const seq = forge.asn1.fromDer(forge.util.createBuffer(ext.value)).value as forge.asn1.Asn1[];
    let ca = false;
    let pathLen: number | undefined;
    for (const f of seq) {
      if (f.type === forge.asn1.Type.BOOLEAN) ca = (f.value as string) !== '\x00';
      if (f.type === forge.asn1.Type.INTEGER) pathLen = forge.util.createBuffer(f.value as string).getInt((f.value as string).length * 8);
    }
    return { ca, pathLen };
  } catch {
    return { ca: false, pathLen: undefined };
  }
}

/** Extensions we act on, or may ignore when critical (policies: we accept any policy). */
const UNDERSTOOD = new Set([
  '2.5.29.15', '2.5.29.19', '2.5.29.37', '2.5.29.17', '2.5.29.14', '2.5.29.35',
  '2.5.29.32', '2.5.29.36', '2.5.29.54',
]);

/** RFC 5280 4.2: a certificate with a critical extension we do not process is rejected. */
function checkCriticalExtensions(cert: X509Certificate, source: ErrorSource): void {
  for (const [oid, ext] of extensionsOf(cert)) {
    if (ext.critical && !UNDERSTOOD.has(oid)) {
      throw invalid('unsupported-critical-extension', `critical extension ${oid} is not supported`, AlertDescription.unsupported_certificate, source);
    }
  }
}

const KU_DIGITAL_SIGNATURE = 0x8000;
const KU_KEY_CERT_SIGN = 0x0400;

function checkDates(cert: X509Certificate, now: Date, source: ErrorSource, what: string): void {
  if (now < new Date(cert.validFrom)) throw invalid('not-yet-valid', `${what} is not valid before ${cert.validFrom}`, AlertDescription.bad_certificate, source);
  if (now > new Date(cert.validTo)) throw invalid('expired', `${what} expired on ${cert.validTo}`, AlertDescription.certificate_expired, source);
}

/**
 * Builds a path from the leaf through the peer's intermediates to a trust anchor and checks it
 * (RFC 5280 section 6, simplified): each signature, validity dates, basicConstraints cA and
 * keyUsage keyCertSign on issuers, extendedKeyUsage on the leaf, then the host name (RFC 6125).
 * Certificate signatures (RSA PKCS#1, RSA-PSS, ECDSA, Ed25519) are checked by X509Certificate.verify.
 */
export function verifyCertificateChain(chainDer: readonly Uint8Array[], opts: VerifyOptions): X509Certificate[] {
  const path = buildPath(chainDer, opts);
  checkHostname(path[0]!, opts.hostnames, opts.source);
  return path;
}

function buildPath(chainDer: readonly Uint8Array[], opts: VerifyOptions): X509Certificate[] {
  const { source } = opts;
  const now = opts.now ?? new Date();
  if (chainDer.length === 0) throw invalid('no-certificate', 'the peer sent no certificate', AlertDescription.certificate_required, source);
  let parsed: X509Certificate[];
  try {
    parsed = chainDer.map((d) => new X509Certificate(d));
  } catch {
    throw invalid('malformed', 'the peer certificate does not parse', AlertDescription.bad_certificate, source);
  }
  const leaf = parsed[0]!;
  checkDates(leaf, now, source, 'the certificate');
  const eku = leaf.keyUsage;
  const wantEku = opts.purpose === 'server' ? '1.3.6.1.5.5.7.3.1' : '1.3.6.1.5.5.7.3.2';
  if (eku && eku.length > 0 && !eku.includes(wantEku) && !eku.includes('2.5.29.37.0')) {
    throw invalid('bad-usage', `extendedKeyUsage does not allow ${opts.purpose} authentication`, AlertDescription.unsupported_certificate, source);
  }
  checkCriticalExtensions(leaf, source);
  checkSignatureAlgorithm(leaf, source);
  const leafKu = keyUsageBits(leaf);
  if (leafKu !== undefined && !(leafKu & KU_DIGITAL_SIGNATURE)) {
    throw invalid('bad-usage', 'keyUsage lacks digitalSignature', AlertDescription.unsupported_certificate, source);
  }

  // Walk issuer by issuer: prefer a trust anchor, else an intermediate the peer sent.
  const path: X509Certificate[] = [leaf];
  let current = leaf;
  const isAnchor = (c: X509Certificate) => opts.trust.some((t) => t.raw.equals(c.raw));
  for (let depth = 0; depth < MAX_CHAIN; depth++) {
    if (isAnchor(current)) return path;
    const anchor = opts.trust.find((t) => issuedBy(current, t));
    if (anchor) {
      checkIssuer(anchor, now, source, true, path.length - 1);
      path.push(anchor);
      return path;
    }
    const next = parsed.slice(1).find((c) => !path.includes(c) && issuedBy(current, c));
    if (!next) {
      if (issuedBy(current, current)) {
        throw invalid('self-signed', 'self-signed certificate not in the trust store', AlertDescription.unknown_ca, source);
      }
      if (parsed.slice(1).some((c) => c.subject === current.issuer) || opts.trust.some((t) => t.subject === current.issuer)) {
        throw invalid('bad-signature', 'certificate signature does not verify', AlertDescription.bad_certificate, source);
      }
      throw invalid('unknown-ca', `no trusted issuer for ${current.issuer.replace(/\n/g, ', ')}`, AlertDescription.unknown_ca, source);
    }
    checkIssuer(next, now, source, false, path.length - 1);
    checkSignatureAlgorithm(next, source);
    path.push(next);
    current = next;
  }
  throw invalid('chain-too-long', 'certificate chain too long', AlertDescription.bad_certificate, source);
}

/** RFC 5280 6.1.3: the issuer name chains and the signature verifies with the issuer's key. */
function issuedBy(child: X509Certificate, issuer: X509Certificate): boolean {
  return child.issuer === issuer.subject && verifiesSafe(child, issuer);
}

function verifiesSafe(child: X509Certificate, issuer: X509Certificate): boolean {
  try {
    return child.verify(issuer.publicKey);
  } catch {
    return false;
  }
}

/** `below`: how many intermediates sit between this issuer and the leaf (for pathLenConstraint). */
function checkIssuer(cert: X509Certificate, now: Date, source: ErrorSource, anchor: boolean, below: number): void {
  if (!anchor) {
    checkDates(cert, now, source, 'an intermediate certificate');
    checkCriticalExtensions(cert, source);
  } else if (now > new Date(cert.validTo)) throw invalid('expired', 'the trust anchor has expired', AlertDescription.certificate_expired, source);
  const bc = basicConstraints(cert);
  if (!cert.ca && !bc.ca) throw invalid('not-a-ca', 'an issuer is not a CA (basicConstraints)', AlertDescription.bad_certificate, source);
  if (bc.pathLen !== undefined && below > bc.pathLen) {
    throw invalid('chain-too-long', `an issuer allows ${bc.pathLen} intermediates below it, the chain has ${below}`, AlertDescription.bad_certificate, source);
  }
  const ku = keyUsageBits(cert);
  if (ku !== undefined && !(ku & KU_KEY_CERT_SIGN)) throw invalid('bad-usage', 'an issuer lacks keyCertSign', AlertDescription.bad_certificate, source);
}

export function checkHostname(leaf: X509Certificate, hostnames: readonly string[], source: ErrorSource): void {
  if (hostnames.length === 0) return;
  if (!hostnames.some((h) => certificateMatchesHost(leaf, h))) {
    throw invalid('hostname-mismatch', `certificate does not match ${hostnames.join(' or ')}`, AlertDescription.bad_certificate, source);
  }
}

let systemStore: X509Certificate[] | undefined;
/**
 * Core's default trust store (systemTrustStorePem: the system CA bundle, else Node's bundled
 * Mozilla roots) as certificates; one that does not parse is skipped.
 */
export function systemTrustStore(): X509Certificate[] {
  if (systemStore) return systemStore;
  const pems = systemTrustStorePem().match(/-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g) ?? [];
  systemStore = pems.flatMap((p) => {
    try {
      return [new X509Certificate(p)];
    } catch {
      return [];
    }
  });
  return systemStore;
}
