import { generateKeyPairSync, X509Certificate, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import forge from 'node-forge';

export interface CertFiles {
  cert: string;
  key: string;
}

/** Where the demo certificate is cached: $XDG_CACHE_HOME/proxy-gateway or ~/.cache/proxy-gateway. */
export function defaultCacheDir(): string {
  return join(process.env['XDG_CACHE_HOME'] ?? join(homedir(), '.cache'), 'proxy-gateway');
}

/**
 * A self-signed certificate for localhost and 127.0.0.1, made once and reused while it has a
 * week left. Made in JavaScript (node:crypto keys, node-forge X.509), so the demo needs no
 * openssl binary. The key file is written with mode 0600.
 */
export function ensureSelfSignedCert(dir = defaultCacheDir()): CertFiles {
  // "-v2": the first version wrote "@proxy" as a PrintableString, which may not hold "@";
  // Chromium refuses such a certificate (ERR_SSL_SERVER_CERT_BAD_FORMAT), so it is not reused.
  const files = { cert: join(dir, 'localhost-v2.crt'), key: join(dir, 'localhost-v2.key') };
  if (existsSync(files.cert) && existsSync(files.key)) {
    try {
      const cert = new X509Certificate(readFileSync(files.cert));
      if (new Date(cert.validTo).getTime() - Date.now() > 7 * 86_400_000) return files;
    } catch {
      // unreadable: make a new one below
    }
  }
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const keyPem = privateKey.export({ type: 'pkcs1', format: 'pem' }) as string;
  const cert = forge.pki.createCertificate();
  cert.publicKey = forge.pki.publicKeyFromPem(publicKey.export({ type: 'spki', format: 'pem' }) as string);
  cert.serialNumber = `01${randomBytes(15).toString('hex')}`;
  cert.validity.notBefore = new Date(Date.now() - 60_000);
  cert.validity.notAfter = new Date(Date.now() + 365 * 86_400_000);
  // UTF8String (RFC 5280 4.1.2.4): PrintableString has no "@", and strict parsers check. (forge
  // types valueTagClass as a class, but it takes the universal tag number.)
  const name: forge.pki.CertificateField[] = [
    { name: 'commonName', value: 'localhost' },
    { name: 'organizationName', value: '@proxy demo gateway', valueTagClass: forge.asn1.Type.UTF8 as unknown as forge.asn1.Class },
  ];
  cert.setSubject(name);
  cert.setIssuer(name);
  cert.setExtensions([
    { name: 'basicConstraints', cA: false },
    { name: 'keyUsage', digitalSignature: true, keyEncipherment: true },
    { name: 'extKeyUsage', serverAuth: true },
    { name: 'subjectAltName', altNames: [{ type: 2, value: 'localhost' }, { type: 7, ip: '127.0.0.1' }, { type: 7, ip: '::1' }] },
  ]);
  cert.sign(forge.pki.privateKeyFromPem(keyPem), forge.md.sha256.create());
  writeFileSync(files.key, keyPem, { mode: 0o600 });
  writeFileSync(files.cert, forge.pki.certificateToPem(cert));
  return files;
}
