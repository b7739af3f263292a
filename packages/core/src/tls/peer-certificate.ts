import type { X509Certificate } from 'node:crypto';
import type { PeerCertificateInfo } from './digest.js';

/** The one conversion from an X.509 certificate to the digest's `peerCertificate`, used by every backend. */
export function peerCertificateInfo(cert: X509Certificate): PeerCertificateInfo {
  const subjectFields = fields(cert.subject);
  return {
    subject: joinName(cert.subject),
    issuer: joinName(cert.issuer),
    commonName: subjectFields.get('CN'),
    organization: subjectFields.get('O'),
    serial: cert.serialNumber.toUpperCase().replace(/^0+(?=.)/, ''),
    sha256: cert.fingerprint256.replace(/:/g, '').toUpperCase(),
    subjectAltNames: (cert.subjectAltName ?? '')
      .split(/,\s*/)
      .filter((s) => s.length > 0)
      .map((s) => s.replace(/^IP Address:/, 'IP:').replace(/^email:/i, 'email:')),
    validFrom: new Date(cert.validFrom),
    validTo: new Date(cert.validTo),
    der: cert.raw,
  };
}

/** Node prints names one attribute per line in certificate order; we join them as "C=US, O=Example, CN=leaf". */
function joinName(name: string): string {
  return name.split('\n').filter(Boolean).join(', ');
}

function fields(name: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of name.split('\n')) {
    const i = line.indexOf('=');
    if (i > 0 && !out.has(line.slice(0, i))) out.set(line.slice(0, i), line.slice(i + 1));
  }
  return out;
}
