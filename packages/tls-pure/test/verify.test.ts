import { describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { X509Certificate } from 'node:crypto';
import { InvalidCertError } from '@proxy/core';
import { certificateMatchesHost, verifyCertificateChain } from '../src/index.js';
import { dnsMatches } from '../src/verify/hostname.js';
import { makePki } from './support/pki.js';

const pki = makePki();
const ca = new X509Certificate(pki.caPem);
const der = (pem: string) => new Uint8Array(new X509Certificate(pem).raw);

function reason(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(InvalidCertError);
    return (e as InvalidCertError).reason;
  }
  return 'no error';
}

describe('RFC 6125 host names', () => {
  it('wildcards only as the whole leftmost label, matching exactly one label', () => {
    expect(dnsMatches('*.wild.test', 'a.wild.test')).toBe(true);
    expect(dnsMatches('*.wild.test', 'a.b.wild.test')).toBe(false);
    expect(dnsMatches('*.wild.test', 'wild.test')).toBe(false);
    expect(dnsMatches('a*.wild.test', 'ab.wild.test')).toBe(false);
    expect(dnsMatches('*.test', 'wild.test')).toBe(false);
    expect(dnsMatches('www.*.test', 'www.a.test')).toBe(false);
  });

  it('DNS and IP SANs of the test certificate', () => {
    const leaf = new X509Certificate(pki.ecdsa.certPem);
    expect(certificateMatchesHost(leaf, 'localhost')).toBe(true);
    expect(certificateMatchesHost(leaf, 'LOCALHOST.')).toBe(true);
    expect(certificateMatchesHost(leaf, 'x.wild.test')).toBe(true);
    expect(certificateMatchesHost(leaf, '127.0.0.1')).toBe(true);
    expect(certificateMatchesHost(leaf, '127.0.0.2')).toBe(false);
    expect(certificateMatchesHost(leaf, 'example.com')).toBe(false);
  });
});

describe('chain verification', () => {
  const base = { trust: [ca], purpose: 'server' as const, hostnames: ['localhost'], source: 'upstream' as const };

  it('accepts a good chain for every key type', () => {
    for (const c of [pki.ecdsa, pki.p384, pki.rsa, pki.ed25519]) {
      expect(verifyCertificateChain(c.chainDer, base)[0]!.subject).toContain('CN=');
    }
  });

  it('reasons: unknown-ca, self-signed, expired, not-yet-valid, hostname-mismatch, bad-usage', () => {
    expect(reason(() => verifyCertificateChain(pki.ecdsa.chainDer, { ...base, trust: [new X509Certificate(pki.otherCaPem)] }))).toBe('unknown-ca');
    expect(reason(() => verifyCertificateChain([der(pki.selfSigned.certPem)], base))).toBe('self-signed');
    expect(reason(() => verifyCertificateChain(pki.ecdsa.chainDer, { ...base, now: new Date(Date.now() + 400 * 86400_000) }))).toBe('expired');
    expect(reason(() => verifyCertificateChain(pki.ecdsa.chainDer, { ...base, now: new Date(Date.now() - 2 * 86400_000) }))).toBe('not-yet-valid');
    expect(reason(() => verifyCertificateChain(pki.ecdsa.chainDer, { ...base, hostnames: ['evil.test'] }))).toBe('hostname-mismatch');
    // A clientAuth-only certificate presented by a server.
    expect(reason(() => verifyCertificateChain(pki.client.chainDer, { ...base, hostnames: [] }))).toBe('bad-usage');
    expect(reason(() => verifyCertificateChain([], base))).toBe('no-certificate');
  });

  it('an intermediate without basicConstraints cA is refused (not-a-ca)', () => {
    // Sign a certificate with the ECDSA leaf as if it were a CA.
    const dir = pki.dir;
    execFileSync('openssl', ['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', join(dir, 'sub.key')], { stdio: 'pipe' });
    execFileSync('openssl', ['req', '-new', '-key', join(dir, 'sub.key'), '-subj', '/CN=localhost', '-out', join(dir, 'sub.csr')], { stdio: 'pipe' });
    writeFileSync(join(dir, 'sub.ext'), 'subjectAltName=DNS:localhost\n');
    execFileSync('openssl', ['x509', '-req', '-in', join(dir, 'sub.csr'), '-CA', pki.ecdsa.certPath, '-CAkey', pki.ecdsa.keyPath, '-CAcreateserial',
      '-days', '5', '-extfile', join(dir, 'sub.ext'), '-out', join(dir, 'sub.pem')], { stdio: 'pipe' });
    const sub = readFileSync(join(dir, 'sub.pem'), 'utf8');
    expect(reason(() => verifyCertificateChain([der(sub), ...pki.ecdsa.chainDer], base))).toBe('not-a-ca');
  });

  it('a tampered signature is not accepted', () => {
    // One bit of the serial number (inside the signed part, so the DER still parses) changed.
    const [leaf, intermediate] = pki.ecdsa.chainDer.map((b) => b.slice());
    expect(Array.from(leaf!.subarray(0, 2))).toEqual([0x30, 0x82]);
    expect(Array.from(leaf!.subarray(8, 13))).toEqual([0xa0, 0x03, 0x02, 0x01, 0x02]); // tbsCertificate, version v3
    expect(leaf![13]).toBe(0x02); // the serial's INTEGER tag
    leaf![16]! ^= 0x01;
    expect(reason(() => verifyCertificateChain([leaf!, intermediate!], base))).toBe('bad-signature');
  });
});

describe('chain constraints', () => {
  const run = (args: string[]) => execFileSync('openssl', args, { stdio: 'pipe' });
  const dir = pki.dir;
  const key = (name: string) => {
    run(['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', join(dir, `${name}.key`)]);
    return join(dir, `${name}.key`);
  };
  const sign = (name: string, caCert: string, caKey: string, ext: string) => {
    run(['req', '-new', '-key', key(name), '-subj', `/CN=${name}`, '-out', join(dir, `${name}.csr`)]);
    writeFileSync(join(dir, `${name}.ext`), ext);
    run(['x509', '-req', '-in', join(dir, `${name}.csr`), '-CA', caCert, '-CAkey', caKey, '-CAcreateserial', '-days', '5', '-extfile', join(dir, `${name}.ext`), '-out', join(dir, `${name}.pem`)]);
    return { cert: join(dir, `${name}.pem`), key: join(dir, `${name}.key`), pem: readFileSync(join(dir, `${name}.pem`), 'utf8') };
  };
  const LEAF = 'basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\nsubjectAltName=DNS:localhost\n';

  it('pathLenConstraint: a root allowing no intermediates refuses a chain with one (chain-too-long)', () => {
    const rootKey = key('pl-root');
    const rootCert = join(dir, 'pl-root.pem');
    run(['req', '-x509', '-new', '-key', rootKey, '-subj', '/CN=pl-root', '-days', '5', '-out', rootCert,
      '-addext', 'basicConstraints=critical,CA:TRUE,pathlen:0', '-addext', 'keyUsage=critical,keyCertSign']);
    const inter = sign('pl-inter', rootCert, rootKey, 'basicConstraints=critical,CA:TRUE\nkeyUsage=critical,keyCertSign\n');
    const leaf = sign('pl-leaf', inter.cert, inter.key, LEAF);
    const trust = [new X509Certificate(readFileSync(rootCert))];
    const opts = { trust, purpose: 'server' as const, hostnames: ['localhost'], source: 'upstream' as const };
    expect(reason(() => verifyCertificateChain([der(leaf.pem), der(inter.pem)], opts))).toBe('chain-too-long');
    // The same root may issue the leaf directly.
    const direct = sign('pl-direct', rootCert, rootKey, LEAF);
    expect(verifyCertificateChain([der(direct.pem)], opts)).toHaveLength(2);
  });

  it('certificates signed with RSA PKCS#1 v1.5 and RSA-PSS by an RSA CA verify; a SHA-1 signature does not', () => {
    run(['genpkey', '-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:2048', '-out', join(dir, 'rsa-ca.key')]);
    run(['req', '-x509', '-new', '-key', join(dir, 'rsa-ca.key'), '-subj', '/CN=rsa-ca', '-days', '5', '-out', join(dir, 'rsa-ca.pem'),
      '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign']);
    const caCert = join(dir, 'rsa-ca.pem');
    const caKey = join(dir, 'rsa-ca.key');
    const opts = { trust: [new X509Certificate(readFileSync(caCert))], purpose: 'server' as const, hostnames: ['localhost'], source: 'upstream' as const };
    const pkcs1 = sign('rsa-pkcs1-leaf', caCert, caKey, LEAF);
    expect(verifyCertificateChain([der(pkcs1.pem)], opts)).toHaveLength(2);
    run(['req', '-new', '-key', key('rsa-pss-leaf'), '-subj', '/CN=rsa-pss-leaf', '-out', join(dir, 'rsa-pss-leaf.csr')]);
    writeFileSync(join(dir, 'rsa-pss-leaf.ext'), LEAF);
    run(['x509', '-req', '-in', join(dir, 'rsa-pss-leaf.csr'), '-CA', caCert, '-CAkey', caKey, '-CAcreateserial', '-days', '5',
      '-sigopt', 'rsa_padding_mode:pss', '-sigopt', 'rsa_pss_saltlen:32', '-sha256', '-extfile', join(dir, 'rsa-pss-leaf.ext'), '-out', join(dir, 'rsa-pss-leaf.pem')]);
    const pss = readFileSync(join(dir, 'rsa-pss-leaf.pem'), 'utf8');
    expect(verifyCertificateChain([der(pss)], opts)).toHaveLength(2);
    run(['req', '-new', '-key', key('rsa-sha1-leaf'), '-subj', '/CN=rsa-sha1-leaf', '-out', join(dir, 'rsa-sha1-leaf.csr')]);
    run(['x509', '-req', '-in', join(dir, 'rsa-sha1-leaf.csr'), '-CA', caCert, '-CAkey', caKey, '-CAcreateserial', '-days', '5',
      '-sha1', '-extfile', join(dir, 'rsa-pss-leaf.ext'), '-out', join(dir, 'rsa-sha1-leaf.pem')]);
    expect(reason(() => verifyCertificateChain([der(readFileSync(join(dir, 'rsa-sha1-leaf.pem'), 'utf8'))], opts))).toBe('weak-signature');
  });

  it('an unknown critical extension is refused (unsupported-critical-extension); non-critical is fine', () => {
    const caKey = pki.caKeyPath;
    const crit = sign('crit-leaf', pki.caPath, caKey, `${LEAF}1.3.6.1.4.1.99999.1=critical,ASN1:NULL\n`);
    const nonCrit = sign('noncrit-leaf', pki.caPath, caKey, `${LEAF}1.3.6.1.4.1.99999.1=ASN1:NULL\n`);
    const opts = { trust: [ca], purpose: 'server' as const, hostnames: ['localhost'], source: 'upstream' as const };
    expect(reason(() => verifyCertificateChain([der(crit.pem)], opts))).toBe('unsupported-critical-extension');
    expect(verifyCertificateChain([der(nonCrit.pem)], opts)).toHaveLength(2);
  });
});
