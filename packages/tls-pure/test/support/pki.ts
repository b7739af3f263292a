import { execFileSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CertKey } from '@proxy/core';
import { testPki, type TestCert } from '@proxy/testkit';
import { inject } from 'vitest';

/** A certificate and key on disk and parsed. */
export interface Issued {
  /** Leaf + issuing intermediate: what a server or client presents. */
  certPath: string;
  keyPath: string;
  /** The leaf alone. */
  certPem: string;
  keyPem: string;
  /** Leaf first, then the intermediate, as DER (what the peer sends on the wire). */
  chainDer: Uint8Array[];
  /** Upper-case hex SHA-256 of the leaf, as SslDigest.peerCertificate.sha256. */
  sha256: string;
  certKey: CertKey;
}

export interface Pki {
  /** A scratch directory of this process (removed at exit). */
  dir: string;
  /** The root: the trust anchor. */
  caPem: string;
  caPath: string;
  /** The root's private key, for tests that issue their own leaves. */
  caKeyPath: string;
  /** The intermediate alone (openssl's -cert_chain: what follows the leaf on the wire). */
  intermediatePath: string;
  /** An unrelated CA that issued nothing here. */
  otherCaPem: string;
  ecdsa: Issued;
  p384: Issued;
  rsa: Issued;
  ed25519: Issued;
  client: Issued;
  /** A self-signed leaf for localhost. */
  selfSigned: Issued;
}

const der = (pem: string): Uint8Array => new Uint8Array(new X509Certificate(pem).raw);

/** Where one certificate lives: leaf PEM, the presented chain (leaf + intermediate) and the key. */
interface IssuedFiles {
  certPem: string;
  chainPath: string;
  keyPath: string;
  intermediatePem: string | undefined;
}

/** Everything makePki() needs, as plain data: made once by the global setup and handed to every test file. */
export interface PkiFiles {
  dir: string;
  caPem: string;
  caPath: string;
  caKeyPath: string;
  intermediatePath: string;
  otherCaPem: string;
  ecdsa: IssuedFiles;
  p384: IssuedFiles;
  rsa: IssuedFiles;
  ed25519: IssuedFiles;
  client: IssuedFiles;
  selfSigned: IssuedFiles;
}

declare module 'vitest' {
  export interface ProvidedContext {
    purePki: PkiFiles;
  }
}

function issued(f: IssuedFiles): Issued {
  const keyPem = readFileSync(f.keyPath, 'utf8');
  const chainPem = readFileSync(f.chainPath, 'utf8');
  return {
    certPath: f.chainPath,
    keyPath: f.keyPath,
    certPem: f.certPem,
    keyPem,
    chainDer: f.intermediatePem ? [der(f.certPem), der(f.intermediatePem)] : [der(f.certPem)],
    sha256: new X509Certificate(f.certPem).fingerprint256.replace(/:/g, '').toUpperCase(),
    certKey: CertKey.fromPem(chainPem, keyPem),
  };
}

const fromTestkit = (c: TestCert, intermediatePem: string): IssuedFiles => ({ certPem: c.certPem, chainPath: c.chain, keyPath: c.key, intermediatePem });

const SERVER_EXT = 'basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\n'
  + 'subjectAltName=DNS:localhost,DNS:*.wild.test,IP:127.0.0.1\n';

/**
 * @proxy/testkit's PKI (root → intermediate → leaves; the one the conformance suite uses), plus
 * what only this backend's tests need, issued by testkit's intermediate: leaves with P-384 and
 * Ed25519 keys, and a self-signed leaf. Removed when this process exits.
 */
export function generatePkiFiles(): PkiFiles {
  const t = testPki();
  const dir = mkdtempSync(join(tmpdir(), 'tls-pure-pki-'));
  process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
  const run = (args: string[]): void => {
    execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
  };
  writeFileSync(join(dir, 'server.ext'), SERVER_EXT);
  const leaf = (name: string, keyArgs: string[], org: string): IssuedFiles => {
    const key = join(dir, `${name}.key`);
    run(['genpkey', ...keyArgs, '-out', key]);
    run(['req', '-new', '-key', key, '-subj', `/O=${org}/CN=localhost`, '-out', join(dir, `${name}.csr`)]);
    run(['x509', '-req', '-in', join(dir, `${name}.csr`), '-CA', t.intermediate.cert, '-CAkey', t.intermediate.key, '-CAcreateserial',
      '-days', '30', '-extfile', join(dir, 'server.ext'), '-out', join(dir, `${name}.pem`)]);
    const certPem = readFileSync(join(dir, `${name}.pem`), 'utf8');
    writeFileSync(join(dir, `${name}.chain.pem`), certPem + t.intermediate.certPem);
    return { certPem, chainPath: join(dir, `${name}.chain.pem`), keyPath: key, intermediatePem: t.intermediate.certPem };
  };
  const selfKey = join(dir, 'self.key');
  run(['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', selfKey]);
  run(['req', '-x509', '-new', '-key', selfKey, '-subj', '/CN=localhost', '-days', '30', '-out', join(dir, 'self.pem'),
    '-addext', 'subjectAltName=DNS:localhost']);
  return {
    dir,
    caPem: t.caPem,
    caPath: t.caFile,
    caKeyPath: t.root.key,
    intermediatePath: t.intermediate.cert,
    otherCaPem: t.untrustedCa.certPem,
    ecdsa: fromTestkit(t.serverEcdsa, t.intermediate.certPem),
    p384: leaf('p384', ['-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-384'], 'Proxy Test P-384'),
    rsa: fromTestkit(t.serverRsa, t.intermediate.certPem),
    ed25519: leaf('ed25519', ['-algorithm', 'ED25519'], 'Proxy Test Ed25519'),
    client: fromTestkit(t.client, t.intermediate.certPem),
    selfSigned: { certPem: readFileSync(join(dir, 'self.pem'), 'utf8'), chainPath: join(dir, 'self.pem'), keyPath: selfKey, intermediatePem: undefined },
  };
}

let cached: Pki | undefined;

/** The test PKI: the global setup's (one per run; key generation is the slow part), else made here. */
export function makePki(): Pki {
  if (cached) return cached;
  const f = inject('purePki') ?? generatePkiFiles();
  cached = {
    dir: f.dir,
    caPem: f.caPem,
    caPath: f.caPath,
    caKeyPath: f.caKeyPath,
    intermediatePath: f.intermediatePath,
    otherCaPem: f.otherCaPem,
    ecdsa: issued(f.ecdsa),
    p384: issued(f.p384),
    rsa: issued(f.rsa),
    ed25519: issued(f.ed25519),
    client: issued(f.client),
    selfSigned: issued(f.selfSigned),
  };
  return cached;
}
