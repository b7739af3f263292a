import { X509Certificate } from 'node:crypto';
import { INTERMEDIATE_TLS12_SUITES, TLS13_SUITES, type SslDigest } from '@proxy/core';
import { expect } from 'vitest';
import { IANA_GROUPS } from './names.js';

export interface DigestExpectation {
  backend: string;
  version: 'TLSv1.2' | 'TLSv1.3';
  sni: string | undefined;
  alpn: string | undefined;
  /** The server certificate's key type, which the TLS 1.2 suite name carries. */
  serverKey?: 'ECDSA' | 'RSA';
  /** The group, when the peer told us which one it used. */
  group?: string;
  /** The cipher, when the peer told us (IANA). */
  cipher?: string;
}

/** The digest fields every backend must fill the same way. */
export function expectDigest(d: SslDigest, e: DigestExpectation): void {
  expect(d.backend).toBe(e.backend);
  expect(d.version).toBe(e.version);
  if (e.version === 'TLSv1.3') expect(TLS13_SUITES).toContain(d.cipher);
  else expect(INTERMEDIATE_TLS12_SUITES).toContain(d.cipher);
  if (e.version === 'TLSv1.2' && e.serverKey) expect(d.cipher).toContain(`_${e.serverKey}_`);
  if (e.cipher) expect(d.cipher).toBe(e.cipher);
  expect(IANA_GROUPS as readonly (string | undefined)[]).toContain(d.group);
  if (e.group) expect(d.group).toBe(e.group);
  expect(d.sni).toBe(e.sni);
  expect(d.alpn).toBe(e.alpn);
  expect(d.sessionReused).toBe(false);
}

/** peerCertificate must describe exactly `pem`'s leaf, in the contract's formats. */
export function expectPeerCertificate(d: SslDigest, pem: string): void {
  const cert = new X509Certificate(pem);
  const pc = d.peerCertificate;
  expect(pc, 'digest.peerCertificate').toBeDefined();
  if (!pc) return;
  const cn = /CN=([^\n]+)/.exec(cert.subject)?.[1];
  const o = /(?:^|\n)O=([^\n]+)/.exec(cert.subject)?.[1];
  expect(pc.commonName).toBe(cn);
  expect(pc.organization).toBe(o);
  expect(pc.subject).toContain(`CN=${cn}`);
  expect(pc.issuer).toContain(/CN=([^\n]+)/.exec(cert.issuer)?.[1]);
  expect(pc.serial).toBe(cert.serialNumber.toUpperCase().replace(/^0+(?=.)/, ''));
  expect(pc.serial).toMatch(/^[0-9A-F]+$/);
  expect(pc.sha256).toBe(cert.fingerprint256.replace(/:/g, ''));
  for (const san of (cert.subjectAltName ?? '').split(/,\s*/).filter(Boolean)) {
    expect(pc.subjectAltNames).toContain(san.replace(/^IP Address:/, 'IP:'));
  }
  expect(pc.validFrom.getTime()).toBe(new Date(cert.validFrom).getTime());
  expect(pc.validTo.getTime()).toBe(new Date(cert.validTo).getTime());
  expect(Buffer.compare(pc.der, cert.raw)).toBe(0);
}
