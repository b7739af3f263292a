import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CertKey } from '@proxy/core';

/** A certificate and key on disk and parsed. */
export interface Issued {
  certPath: string;
  keyPath: string;
  certPem: string;
  keyPem: string;
  certKey: CertKey;
}

export interface Pki {
  dir: string;
  caPem: string;
  caPath: string;
  /** A second, unrelated CA. */
  otherCaPem: string;
  ecdsa: Issued;
  p384: Issued;
  rsa: Issued;
  ed25519: Issued;
  client: Issued;
  selfSigned: Issued;
}

type KeyAlg = 'p256' | 'p384' | 'rsa' | 'ed25519';

function genKey(dir: string, name: string, alg: KeyAlg): string {
  const path = join(dir, `${name}.key`);
  const args = alg === 'rsa' ? ['genpkey', '-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:2048']
    : alg === 'ed25519' ? ['genpkey', '-algorithm', 'ED25519']
    : ['genpkey', '-algorithm', 'EC', '-pkeyopt', `ec_paramgen_curve:${alg === 'p256' ? 'P-256' : 'P-384'}`];
  execFileSync('openssl', [...args, '-out', path], { stdio: 'pipe' });
  return path;
}

function issue(dir: string, caCert: string, caKey: string, name: string, alg: KeyAlg, ext: string, days = ['-days', '30']): Issued {
  const keyPath = genKey(dir, name, alg);
  const csr = join(dir, `${name}.csr`);
  const extFile = join(dir, `${name}.ext`);
  writeFileSync(extFile, ext);
  execFileSync('openssl', ['req', '-new', '-key', keyPath, '-subj', `/CN=${name}/O=Pure Test`, '-out', csr], { stdio: 'pipe' });
  const certPath = join(dir, `${name}.pem`);
  execFileSync('openssl', ['x509', '-req', '-in', csr, '-CA', caCert, '-CAkey', caKey, '-CAcreateserial', ...days, '-extfile', extFile, '-out', certPath], { stdio: 'pipe' });
  return load(certPath, keyPath);
}

function load(certPath: string, keyPath: string): Issued {
  const certPem = readFileSync(certPath, 'utf8');
  const keyPem = readFileSync(keyPath, 'utf8');
  return { certPath, keyPath, certPem, keyPem, certKey: CertKey.fromPem(certPem, keyPem) };
}

function makeCa(dir: string, name: string): { cert: string; key: string } {
  const key = genKey(dir, name, 'p256');
  const cert = join(dir, `${name}.pem`);
  execFileSync('openssl', ['req', '-x509', '-new', '-key', key, '-subj', `/CN=${name}`, '-days', '30', '-out', cert,
    '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign']);
  return { cert, key };
}

const SERVER_EXT = 'basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\nsubjectAltName=DNS:localhost,DNS:*.wild.test,IP:127.0.0.1\n';
const CLIENT_EXT = 'basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=clientAuth\n';

let cached: Pki | undefined;

/**
 * A throwaway PKI made with the openssl CLI: one CA, leaves of every key type we sign with.
 * The vitest global setup makes it once per run (PURE_TLS_PKI_DIR); a file run alone makes its own.
 */
export function makePki(): Pki {
  if (cached) return cached;
  const shared = process.env['PURE_TLS_PKI_DIR'];
  if (shared && existsSync(join(shared, 'done'))) return (cached = loadPki(shared));
  const dir = mkdtempSync(join(tmpdir(), 'tls-pure-pki-'));
  generatePki(dir);
  return (cached = loadPki(dir));
}

function loadPki(dir: string): Pki {
  const leaf = (name: string) => load(join(dir, `${name}.pem`), join(dir, `${name}.key`));
  return {
    dir,
    caPem: readFileSync(join(dir, 'ca.pem'), 'utf8'),
    caPath: join(dir, 'ca.pem'),
    otherCaPem: readFileSync(join(dir, 'other-ca.pem'), 'utf8'),
    ecdsa: leaf('ecdsa'),
    p384: leaf('p384'),
    rsa: leaf('rsa'),
    ed25519: leaf('ed25519'),
    client: leaf('client'),
    selfSigned: leaf('self'),
  };
}

/** Writes every certificate and key into `dir`, then a `done` marker. */
export function generatePki(dir: string): void {
  const ca = makeCa(dir, 'ca');
  makeCa(dir, 'other-ca');
  const rsaExt = SERVER_EXT.replace('digitalSignature', 'digitalSignature,keyEncipherment');
  const selfKey = genKey(dir, 'self', 'p256');
  const selfCert = join(dir, 'self.pem');
  execFileSync('openssl', ['req', '-x509', '-new', '-key', selfKey, '-subj', '/CN=localhost', '-days', '30', '-out', selfCert,
    '-addext', 'subjectAltName=DNS:localhost'], { stdio: 'pipe' });
  issue(dir, ca.cert, ca.key, 'ecdsa', 'p256', SERVER_EXT);
  issue(dir, ca.cert, ca.key, 'p384', 'p384', SERVER_EXT);
  issue(dir, ca.cert, ca.key, 'rsa', 'rsa', rsaExt);
  issue(dir, ca.cert, ca.key, 'ed25519', 'ed25519', SERVER_EXT);
  issue(dir, ca.cert, ca.key, 'client', 'p256', CLIENT_EXT);
  writeFileSync(join(dir, 'done'), '');
}
