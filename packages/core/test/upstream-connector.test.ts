import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Alpn, CertKey, Connector, HttpPeer, TlsNoBackendError, hasTlsBackend } from '../src/index.js';

let dir: string;
let caPath: string;
let caPem: string;
let otherCaPem: string;
let certKey: CertKey;
let otherCertKey: CertKey;

function selfSigned(name: string): { cert: string; key: string } {
  execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes',
    '-keyout', join(dir, `${name}.key`), '-out', join(dir, `${name}.pem`), '-days', '2', '-subj', `/CN=${name}`], { stdio: 'ignore' });
  return { cert: join(dir, `${name}.pem`), key: join(dir, `${name}.key`) };
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'proxy-connector-'));
  caPath = selfSigned('ca').cert;
  caPem = readFileSync(caPath, 'utf8');
  otherCaPem = readFileSync(selfSigned('other-ca').cert, 'utf8');
  const c = selfSigned('client');
  certKey = CertKey.fromFiles(c.cert, c.key);
  const o = selfSigned('client2');
  otherCertKey = CertKey.fromFiles(o.cert, o.key);
});
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe('Connector TLS client options', () => {
  it('ServerConf ca_file is the default trust store; a peer ca replaces it; neither means the system store', () => {
    const withCaFile = new Connector({ caFile: caPath });
    const peer = new HttpPeer('127.0.0.1:443', true, 'a.test');
    const dflt = withCaFile.tlsOptionsFor(peer).options;
    expect(dflt.caPem).toBe(caPem);
    expect(dflt.ca?.map((c) => c.subject)).toEqual(['CN=ca']);
    peer.options.ca = otherCaPem;
    const own = withCaFile.tlsOptionsFor(peer);
    expect(own.options.caPem).toBe(otherCaPem);
    expect(own.key).not.toBe(withCaFile.tlsOptionsFor(new HttpPeer('127.0.0.1:443', true, 'a.test')).key);
    const system = new Connector({}).tlsOptionsFor(new HttpPeer('127.0.0.1:443', true, 'a.test')).options;
    expect(system.ca).toBeUndefined();
    expect(system.caPem).toBeUndefined();
  });

  it('the proxy-wide client certificate applies unless the peer has its own', () => {
    const connector = new Connector({ defaultClientCertKey: certKey });
    const plain = new HttpPeer('127.0.0.1:443', true, 'a.test');
    expect(connector.tlsOptionsFor(plain).options.clientCertKey).toBe(certKey);
    const own = HttpPeer.newMtls('127.0.0.1:443', 'a.test', otherCertKey);
    expect(connector.tlsOptionsFor(own).options.clientCertKey).toBe(otherCertKey);
    expect(connector.tlsOptionsFor(own).key).not.toBe(connector.tlsOptionsFor(plain).key);
  });

  it('the config key ignores SNI, address and timeouts (one compiled connector serves them all) but not verification or ALPN', () => {
    const connector = new Connector({});
    const key = (f: (p: HttpPeer) => void, addr = '10.0.0.1:443', sni = 'a.test') => {
      const p = new HttpPeer(addr, true, sni);
      f(p);
      return connector.tlsOptionsFor(p).key;
    };
    const base = key(() => {});
    expect(key(() => {}, '10.0.0.2:8443', 'b.test')).toBe(base);
    expect(key((p) => (p.options.connectionTimeout = 5))).toBe(base);
    expect(key((p) => (p.options.verifyCert = false))).not.toBe(base);
    expect(key((p) => (p.options.verifyHostname = false))).not.toBe(base);
    expect(key((p) => (p.options.alternativeCn = 'x'))).not.toBe(base);
    expect(key((p) => (p.options.alpn = Alpn.H2H1))).not.toBe(base);
  });

  it('a client certificate is identified by its whole chain in pool keys', () => {
    const leafOnly = CertKey.fromPem(certKey.chainPem, certKey.keyPem);
    const withExtra = CertKey.fromPem(certKey.chainPem + otherCaPem, certKey.keyPem);
    const a = HttpPeer.newMtls('h:1', 's', leafOnly).reuseKey();
    const b = HttpPeer.newMtls('h:1', 's', withExtra).reuseKey();
    expect(leafOnly.fingerprint).toBe(withExtra.fingerprint);
    expect(a).not.toBe(b);
  });

  it('a TLS peer without a registered backend fails with TlsNoBackendError, never a dead stream', async () => {
    // This file registers no backend (vitest runs each file in its own module graph).
    expect(hasTlsBackend(), 'no TLS backend may be registered in this test file').toBe(false);
    const net = await import('node:net');
    const held: import('node:net').Socket[] = [];
    const server = net.createServer((s) => held.push(s));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as import('node:net').AddressInfo).port;
    try {
      await expect(Promise.resolve(new Connector({}).acquire(new HttpPeer(`127.0.0.1:${port}`, true, 'x')))).rejects.toBeInstanceOf(TlsNoBackendError);
    } finally {
      for (const s of held) s.destroy();
      await new Promise<void>((r) => server.close(() => r()));
    }
  });
});
