import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { Alpn, CertKey, parseCertificates } from '@proxy/core';
import { afterAll, beforeAll, expect } from 'vitest';
import { gnutlsServer, type GnutlsServer } from '../peers/gnutls-cli.js';
import { opensslServer, type OpensslServer } from '../peers/openssl-cli.js';
import { backendConnect, clientOptions, exchange, type SuiteContext } from './context.js';
import { expectDigest, expectPeerCertificate } from './expect-digest.js';

async function expectRejects(p: Promise<unknown>, code: string): Promise<Error & { code?: string }> {
  let caught: (Error & { code?: string }) | undefined;
  try {
    const stream = (await p) as { destroy?: () => void };
    stream.destroy?.();
  } catch (err) {
    caught = err as Error & { code?: string };
  }
  expect(caught, `the connector should fail with ${code}`).toBeDefined();
  expect(caught!.code, caught!.message).toBe(code);
  return caught!;
}

/** The backend as a client (TlsConnector) against openssl s_server and gnutls-serv. */
export function connectorCases(ctx: SuiteContext): void {
  const backend = ctx.opts.expectedBackend;

  ctx.area('connector', 'client: verification, ALPN, client certificates', () => {
    let good: OpensslServer;
    let goodH2: OpensslServer;
    let wrongHost: OpensslServer;
    let expired: OpensslServer;
    let mtls: OpensslServer;
    let gnutls: GnutlsServer;
    let silent: Server;
    const silentSockets: Socket[] = [];
    beforeAll(async () => {
      const pki = ctx.pki();
      const leaf = (c: typeof pki.serverEcdsa) => ({ cert: c.cert, key: c.key, certChain: pki.intermediate.cert });
      silent = createServer((s) => silentSockets.push(s.on('error', () => {})));
      [good, goodH2, wrongHost, expired, mtls, gnutls] = await Promise.all([
        opensslServer(leaf(pki.serverEcdsa)),
        opensslServer({ ...leaf(pki.serverRsa), alpn: ['h2', 'http/1.1'] }),
        opensslServer(leaf(pki.wrongHost)),
        opensslServer(leaf(pki.expired)),
        opensslServer({ ...leaf(pki.serverEcdsa), clientAuth: { caFile: pki.caFile, required: true } }),
        gnutlsServer({ cert: pki.serverEcdsa.chain, key: pki.serverEcdsa.key }),
        new Promise<void>((r) => silent.listen(0, '127.0.0.1', () => r())),
      ]);
    });
    afterAll(async () => {
      for (const s of silentSockets) s.destroy();
      silent?.close();
      await Promise.all([good, goodH2, wrongHost, expired, mtls, gnutls].map((s) => s?.close()));
    });

    ctx.test('openssl s_server, TLS 1.3: verifies the chain and the name; data flows', async () => {
      const stream = await backendConnect(good.port, clientOptions(ctx.pki()), 'test.local');
      try {
        expectDigest(stream.digest, { backend, version: 'TLSv1.3', sni: 'test.local', alpn: undefined });
        expectPeerCertificate(stream.digest, ctx.pki().serverEcdsa.certPem);
        stream.write('hello from the connector\n');
        await good.process.waitFor(/hello from the connector/, ctx.ms(3000), 'stdout');
      } finally {
        stream.destroy();
      }
    });

    ctx.test('openssl s_server, TLS 1.2 only on our side: an ECDHE_ECDSA suite', async () => {
      const stream = await backendConnect(good.port, clientOptions(ctx.pki(), { maxVersion: 'TLSv1.2' }), 'localhost');
      stream.destroy();
      expectDigest(stream.digest, { backend, version: 'TLSv1.2', sni: 'localhost', alpn: undefined, serverKey: 'ECDSA' });
    });

    ctx.test('ALPN h2,http/1.1 offered: the RSA server picks h2', async () => {
      const stream = await backendConnect(goodH2.port, clientOptions(ctx.pki(), { alpn: Alpn.H2H1 }), 'test.local');
      stream.destroy();
      expect(stream.digest.alpn).toBe('h2');
      expect(stream.digest.peerCertificate?.organization).toBe('Proxy Test RSA');
    });

    ctx.test('gnutls-serv: verifies and echoes', async () => {
      const stream = await backendConnect(gnutls.port, clientOptions(ctx.pki()), 'test.local');
      try {
        expect(stream.digest.version).toBe('TLSv1.3');
        expect(await exchange(stream, 'ping\n', /ping/, ctx.ms(3000))).toContain('ping');
      } finally {
        stream.destroy();
      }
    });

    ctx.test('a wildcard name (a.wild.test) matches *.wild.test', async () => {
      const stream = await backendConnect(good.port, clientOptions(ctx.pki()), 'a.wild.test');
      stream.destroy();
      expect(stream.digest.sni).toBe('a.wild.test');
    });

    ctx.test('wrong host: InvalidCert', async () => {
      await expectRejects(backendConnect(wrongHost.port, clientOptions(ctx.pki()), 'test.local'), 'InvalidCert');
    });

    ctx.test('wrong host but alternativeCn names it: accepted', async () => {
      const stream = await backendConnect(wrongHost.port, clientOptions(ctx.pki(), { alternativeCn: 'wrong.test' }), 'test.local');
      stream.destroy();
      expect(stream.digest.peerCertificate?.commonName).toBe('wrong.test');
    });

    ctx.test('expired certificate: InvalidCert', async () => {
      await expectRejects(backendConnect(expired.port, clientOptions(ctx.pki()), 'localhost'), 'InvalidCert');
    });

    ctx.test('untrusted issuer (another CA as trust store): InvalidCert', async () => {
      const { untrustedCa } = ctx.pki();
      const options = clientOptions(ctx.pki(), {
        caPem: untrustedCa.certPem, ca: parseCertificates(untrustedCa.certPem, untrustedCa.cert, 'CA'),
      });
      await expectRejects(backendConnect(good.port, options, 'localhost'), 'InvalidCert');
    });

    ctx.test('verification off: the expired, wrong-named certificate is accepted', async () => {
      const stream = await backendConnect(expired.port, clientOptions(ctx.pki(), { verifyCert: false, verifyHostname: false }), 'nomatch.test');
      stream.destroy();
      expect(stream.digest.peerCertificate?.organization).toBe('Proxy Test Expired');
    });

    ctx.test('client certificate presented to openssl s_server -Verify', async () => {
      const { client } = ctx.pki();
      const stream = await backendConnect(
        mtls.port, clientOptions(ctx.pki(), { clientCertKey: CertKey.fromFiles(client.chain, client.key) }), 'localhost',
      );
      try {
        stream.write('with cert\n');
        await mtls.process.waitFor(/with cert/, ctx.ms(3000), 'stdout');
        expect(mtls.process.output).toMatch(/subject=.*CN = client\.test/);
      } finally {
        stream.destroy();
      }
    });

    ctx.test('handshake timeout against a server that never answers: TLS_HANDSHAKE_TIMEOUT within ~1 s', async () => {
      const started = Date.now();
      const port = (silent.address() as AddressInfo).port;
      await expectRejects(backendConnect(port, clientOptions(ctx.pki(), { handshakeTimeoutMs: 300 }), 'localhost'), 'TLS_HANDSHAKE_TIMEOUT');
      expect(Date.now() - started).toBeLessThan(ctx.ms(1000));
    });
  });
}
