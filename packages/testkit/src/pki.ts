import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * The test PKI, generated with the `openssl` CLI into a temporary directory the first time a
 * process asks for it, and removed when the process exits. Everything is ECDSA P-256 unless
 * the name says RSA; leaves are issued by the intermediate, so a chain file (leaf +
 * intermediate) and the root as trust anchor is the realistic setup.
 *
 *   root CA ─┬─ intermediate CA ─┬─ serverEcdsa, serverRsa   localhost, 127.0.0.1, test.local, *.wild.test
 *            │                   ├─ otherHost                other.test (second SNI name)
 *            │                   ├─ wrongHost                wrong.test only
 *            │                   ├─ expired                  same names as serverEcdsa, expired in 2020
 *            │                   └─ client                   client.test (clientAuth)
 *   untrusted CA ─ untrustedClient                          client.test, from a CA nobody trusts
 */

export interface TestCert {
  /** Path of the leaf certificate alone. */
  cert: string;
  /** Path of the private key (PKCS#8 PEM). */
  key: string;
  /** Path of leaf + issuing intermediate (for CA-issued leaves; the leaf alone otherwise). */
  chain: string;
  certPem: string;
  keyPem: string;
  chainPem: string;
  /** The subject's common name. */
  commonName: string;
}

export interface TestPki {
  dir: string;
  root: TestCert;
  intermediate: TestCert;
  /** The root alone: the trust anchor to give verifiers. */
  caFile: string;
  caPem: string;
  /** Root + intermediate: for peers that want the whole issuing path in their store. */
  caBundle: string;
  caBundlePem: string;
  serverEcdsa: TestCert;
  serverRsa: TestCert;
  otherHost: TestCert;
  wrongHost: TestCert;
  expired: TestCert;
  client: TestCert;
  untrustedCa: TestCert;
  untrustedClient: TestCert;
  /** Files for configuration-error tests. */
  bad: { notPem: string; missing: string; emptyFile: string };
}

/** Names every server leaf (except otherHost and wrongHost) answers. */
const SERVER_SAN = 'DNS:localhost,IP:127.0.0.1,DNS:test.local,DNS:*.wild.test';

let cached: TestPki | undefined;

/** The per-process test PKI (generated on first call, about a second). */
export function testPki(): TestPki {
  cached ??= generatePki();
  return cached;
}

function openssl(args: string[], cwd: string): void {
  execFileSync('openssl', args, { cwd, stdio: ['ignore', 'ignore', 'pipe'] });
}

function generatePki(): TestPki {
  const dir = mkdtempSync(join(tmpdir(), 'proxy-testkit-pki-'));
  process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
  const path = (name: string): string => join(dir, name);

  const newKey = (name: string, kind: 'ec' | 'rsa'): string => {
    const args = kind === 'ec'
      ? ['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256']
      : ['genpkey', '-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:2048'];
    openssl([...args, '-out', path(`${name}.key`)], dir);
    return path(`${name}.key`);
  };

  const selfSignedCa = (name: string, cn: string): void => {
    newKey(name, 'ec');
    openssl([
      'req', '-x509', '-new', '-key', path(`${name}.key`), '-out', path(`${name}.pem`), '-days', '3650',
      '-subj', `/O=Proxy Test/CN=${cn}`, '-sha256', '-set_serial', serial(),
      '-addext', 'basicConstraints=critical,CA:TRUE',
      '-addext', 'keyUsage=critical,keyCertSign,cRLSign',
      '-addext', 'subjectKeyIdentifier=hash',
    ], dir);
  };

  const extFile = (name: string, lines: string[]): string => {
    writeFileSync(path(`${name}.ext`), `${lines.join('\n')}\n`);
    return path(`${name}.ext`);
  };

  const leafExt = (name: string, san: string | undefined, usage: 'serverAuth' | 'clientAuth'): string => extFile(name, [
    'basicConstraints=critical,CA:FALSE',
    'keyUsage=critical,digitalSignature,keyEncipherment',
    `extendedKeyUsage=${usage}`,
    'subjectKeyIdentifier=hash',
    'authorityKeyIdentifier=keyid',
    ...(san ? [`subjectAltName=${san}`] : []),
  ]);

  const csr = (name: string, subject: string): void => {
    openssl(['req', '-new', '-key', path(`${name}.key`), '-subj', subject, '-out', path(`${name}.csr`)], dir);
  };

  const sign = (name: string, issuer: string, ext: string, days: number): void => {
    openssl([
      'x509', '-req', '-in', path(`${name}.csr`), '-CA', path(`${issuer}.pem`), '-CAkey', path(`${issuer}.key`),
      '-set_serial', serial(), '-days', String(days), '-sha256', '-extfile', ext, '-out', path(`${name}.pem`),
    ], dir);
  };

  const issue = (
    name: string, kind: 'ec' | 'rsa', subject: string, san: string | undefined,
    usage: 'serverAuth' | 'clientAuth', issuer: string,
  ): void => {
    newKey(name, kind);
    csr(name, subject);
    sign(name, issuer, leafExt(name, san, usage), 30);
  };

  selfSignedCa('root', 'Proxy Test Root CA');
  newKey('intermediate', 'ec');
  csr('intermediate', '/O=Proxy Test/CN=Proxy Test Intermediate CA');
  sign('intermediate', 'root', extFile('intermediate', [
    'basicConstraints=critical,CA:TRUE,pathlen:0',
    'keyUsage=critical,keyCertSign,cRLSign',
    'subjectKeyIdentifier=hash',
    'authorityKeyIdentifier=keyid',
  ]), 3650);

  issue('server-ecdsa', 'ec', '/O=Proxy Test/CN=localhost', SERVER_SAN, 'serverAuth', 'intermediate');
  issue('server-rsa', 'rsa', '/O=Proxy Test RSA/CN=localhost', SERVER_SAN, 'serverAuth', 'intermediate');
  issue('other-host', 'ec', '/O=Proxy Test Other/CN=other.test', 'DNS:other.test', 'serverAuth', 'intermediate');
  issue('wrong-host', 'ec', '/O=Proxy Test/CN=wrong.test', 'DNS:wrong.test', 'serverAuth', 'intermediate');
  issue('client', 'ec', '/O=Proxy Test Clients/CN=client.test', 'DNS:client.test', 'clientAuth', 'intermediate');
  selfSignedCa('untrusted-ca', 'Untrusted Test CA');
  issue('untrusted-client', 'ec', '/O=Untrusted Clients/CN=client.test', 'DNS:client.test', 'clientAuth', 'untrusted-ca');
  issueExpired(dir, path, newKey, csr, leafExt('expired', SERVER_SAN, 'serverAuth'));

  const read = (file: string): string => readFileSync(path(file), 'utf8');
  const intermediatePem = read('intermediate.pem');
  const cert = (name: string, cn: string, chained: boolean): TestCert => {
    const certPem = read(`${name}.pem`);
    const chainPem = chained ? certPem + intermediatePem : certPem;
    writeFileSync(path(`${name}.chain.pem`), chainPem);
    return {
      cert: path(`${name}.pem`), key: path(`${name}.key`), chain: path(`${name}.chain.pem`),
      certPem, keyPem: read(`${name}.key`), chainPem, commonName: cn,
    };
  };

  const root = cert('root', 'Proxy Test Root CA', false);
  writeFileSync(path('ca-bundle.pem'), root.certPem + intermediatePem);
  writeFileSync(path('not-pem.txt'), 'this is not a PEM file\n');
  writeFileSync(path('empty.pem'), '');
  return {
    dir,
    root,
    intermediate: cert('intermediate', 'Proxy Test Intermediate CA', false),
    caFile: root.cert,
    caPem: root.certPem,
    caBundle: path('ca-bundle.pem'),
    caBundlePem: read('ca-bundle.pem'),
    serverEcdsa: cert('server-ecdsa', 'localhost', true),
    serverRsa: cert('server-rsa', 'localhost', true),
    otherHost: cert('other-host', 'other.test', true),
    wrongHost: cert('wrong-host', 'wrong.test', true),
    expired: cert('expired', 'localhost', true),
    client: cert('client', 'client.test', true),
    untrustedCa: cert('untrusted-ca', 'Untrusted Test CA', false),
    untrustedClient: cert('untrusted-client', 'client.test', false),
    bad: { notPem: path('not-pem.txt'), missing: path('does-not-exist.pem'), emptyFile: path('empty.pem') },
  };
}

/**
 * `openssl x509 -req` cannot back-date a certificate, `openssl ca` can: a throwaway CA
 * database issues the expired leaf (valid January 2020 only) from the intermediate.
 */
function issueExpired(
  dir: string,
  path: (name: string) => string,
  newKey: (name: string, kind: 'ec' | 'rsa') => string,
  csr: (name: string, subject: string) => void,
  ext: string,
): void {
  newKey('expired', 'ec');
  csr('expired', '/O=Proxy Test Expired/CN=localhost');
  const db = path('ca-db');
  mkdirSync(db);
  writeFileSync(join(db, 'index.txt'), '');
  writeFileSync(join(db, 'serial'), `${serial().slice(2)}\n`);
  writeFileSync(path('ca.cnf'), [
    '[ca]', 'default_ca = test_ca',
    '[test_ca]', `database = ${join(db, 'index.txt')}`, `new_certs_dir = ${db}`, `serial = ${join(db, 'serial')}`,
    'default_md = sha256', 'policy = any', 'unique_subject = no', 'copy_extensions = none',
    '[any]', 'commonName = supplied', 'organizationName = optional', '',
  ].join('\n'));
  execFileSync('openssl', [
    'ca', '-batch', '-notext', '-config', path('ca.cnf'), '-cert', path('intermediate.pem'),
    '-keyfile', path('intermediate.key'), '-in', path('expired.csr'), '-out', path('expired.pem'),
    '-startdate', '20200101000000Z', '-enddate', '20200201000000Z', '-extfile', ext,
  ], { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
}

/** A random positive 64-bit serial, as openssl's 0x-prefixed hex. */
function serial(): string {
  const b = randomBytes(8);
  b[0] = (b[0]! & 0x7f) | 0x10;
  return `0x${b.toString('hex')}`;
}
