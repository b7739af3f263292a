import { TlsSettings } from '@proxy/core';
import { afterAll, expect } from 'vitest';
import { curl } from '../peers/curl.js';
import { gnutlsClient } from '../peers/gnutls-cli.js';
import { nodeTlsConnect, readAll } from '../peers/node-tls.js';
import { opensslClient } from '../peers/openssl-cli.js';
import { BackendTestServer } from './backend-server.js';
import type { SuiteContext } from './context.js';
import { expectDigest } from './expect-digest.js';
import { groupFromGnutls, groupFromOpensslTempKey, ianaBulkFromGnutls, ianaCipherFromOpenssl } from './names.js';

/**
 * The backend as a server (in this process) against real clients: TLS 1.2 and 1.3 with an
 * ECDSA and an RSA certificate, checked from both ends (the digest and the peer's report).
 */
export function serverHandshakeCases(ctx: SuiteContext): void {
  const backend = ctx.opts.expectedBackend;

  ctx.area('handshake', 'server: TLS 1.2 and 1.3 handshakes with real clients (ECDSA)', () => {
    let server: BackendTestServer;
    ctx.beforeAll(async () => {
      const pki = ctx.pki();
      server = await BackendTestServer.start(TlsSettings.intermediate(pki.serverEcdsa.chain, pki.serverEcdsa.key).enableH2());
    });
    afterAll(() => server?.close());

    for (const tls of ['1.3', '1.2'] as const) {
      const version = `TLSv${tls}` as const;
      ctx.test(`openssl s_client ${version}: digest and the client agree, chain verifies`, async () => {
        const mark = server.mark();
        const r = await opensslClient({
          port: server.port, servername: 'test.local', alpn: ['h2', 'http/1.1'], caFile: ctx.pki().caFile,
          verifyHostname: 'test.local', tls, timeoutMs: ctx.ms(5000),
        });
        const d = await server.digestAfter(mark);
        expect(r.code, r.output).toBe(0);
        expect(r.verifyCode).toBe(0);
        expect(r.version).toBe(version);
        expect(r.alpn).toBe('h2');
        expect(r.peerSubject).toContain('CN = localhost');
        expectDigest(d, {
          backend, version, sni: 'test.local', alpn: 'h2', serverKey: 'ECDSA',
          cipher: ianaCipherFromOpenssl(r.cipher ?? ''), group: groupFromOpensslTempKey(r.tempKey ?? ''),
        });
        expect(d.peerCertificate).toBeUndefined();
      });

      ctx.test(`gnutls-cli ${version}: an independent TLS stack completes the handshake`, async () => {
        const mark = server.mark();
        const r = await gnutlsClient({
          port: server.port, servername: 'test.local', alpn: ['http/1.1'], caFile: ctx.pki().caFile, tls,
          timeoutMs: ctx.ms(5000),
        });
        const d = await server.digestAfter(mark);
        expect(r.code, r.output).toBe(0);
        expect(r.trusted).toBe(true);
        expect(r.version).toBe(`TLS${tls}`);
        expect(r.alpn).toBe('http/1.1');
        expectDigest(d, {
          backend, version, sni: 'test.local', alpn: 'http/1.1', serverKey: 'ECDSA',
          group: groupFromGnutls(r.keyExchange ?? ''),
        });
        expect(d.cipher).toContain(ianaBulkFromGnutls(r.cipher ?? '?'));
      });
    }

    ctx.test('curl HTTP/1.1: a request gets an answer over the backend stream', async () => {
      const mark = server.mark();
      const r = await curl({ port: server.port, host: 'test.local', caFile: ctx.pki().caFile, http: '1.1', timeoutMs: ctx.ms(5000) });
      const d = await server.digestAfter(mark);
      expect(r.code, r.trace).toBe(0);
      expect(r.status).toBe(200);
      expect(r.alpn).toBe('http/1.1');
      expect(JSON.parse(r.body)).toMatchObject({ backend, sni: 'test.local', alpn: 'http/1.1' });
      expectDigest(d, { backend, version: 'TLSv1.3', sni: 'test.local', alpn: 'http/1.1' });
    });

    ctx.test('curl --http2: ALPN selects h2 (server preference)', async () => {
      const mark = server.mark();
      // The test server speaks only HTTP/1.1, so curl's h2 request itself fails; the handshake is what counts.
      const r = await curl({ port: server.port, host: 'test.local', caFile: ctx.pki().caFile, http: '2', timeoutMs: ctx.ms(3000) });
      const d = await server.digestAfter(mark);
      expect(r.alpn, r.trace).toBe('h2');
      expect(d.alpn).toBe('h2');
    });

    ctx.test("Node's tls client: verifies the chain, sees the same cipher", async () => {
      const mark = server.mark();
      const c = await nodeTlsConnect({
        port: server.port, servername: 'test.local', ca: ctx.pki().caPem, ALPNProtocols: ['http/1.1'],
        timeoutMs: ctx.ms(5000),
      });
      try {
        const d = await server.digestAfter(mark);
        expect(c.authorized).toBe(true);
        expect(c.peerCertificate.subject.CN).toBe('localhost');
        expectDigest(d, { backend, version: 'TLSv1.3', sni: 'test.local', alpn: 'http/1.1', cipher: c.cipher.standardName });
        c.socket.write('GET / HTTP/1.1\r\nHost: test.local\r\n\r\n');
        expect(await readAll(c.socket, ctx.ms(3000))).toMatch(/^HTTP\/1\.1 200 OK/);
      } finally {
        c.socket.destroy();
      }
    });

    ctx.test('no SNI and no ALPN from the client: digest.sni and digest.alpn are undefined', async () => {
      const mark = server.mark();
      const r = await opensslClient({ port: server.port, caFile: ctx.pki().caFile, timeoutMs: ctx.ms(5000) });
      const d = await server.digestAfter(mark);
      expect(r.code, r.output).toBe(0);
      expect(d.sni).toBeUndefined();
      expect(d.alpn).toBeUndefined();
    });
  });

  ctx.area('handshake', 'server: protocol versions and key-exchange groups', () => {
    let modern: BackendTestServer;
    let tls12: BackendTestServer;
    ctx.beforeAll(async () => {
      const { serverEcdsa: c, serverRsa: rsa } = ctx.pki();
      // RSA for TLS 1.2: there a client's supported_groups also limits ECDSA certificate curves,
      // so a P-384-only client could not use a P-256 certificate at all.
      [modern, tls12] = await Promise.all([
        BackendTestServer.start(TlsSettings.modern(c.chain, c.key), 'echo'),
        BackendTestServer.start(TlsSettings.intermediate(rsa.chain, rsa.key).setVersions('TLSv1.2', 'TLSv1.2'), 'echo'),
      ]);
    });
    afterAll(() => Promise.all([modern?.close(), tls12?.close()]));

    ctx.test('modern (TLS 1.3 only): a TLS 1.2 client is refused with a protocol_version alert', async () => {
      const mark = modern.mark();
      const r = await opensslClient({ port: modern.port, servername: 'localhost', tls: '1.2', timeoutMs: ctx.ms(5000) });
      await modern.errorAfter(mark);
      expect(r.code).not.toBe(0);
      expect(r.output).toMatch(/protocol version/);
    });

    ctx.test('setVersions(TLSv1.2, TLSv1.2): a TLS 1.3-only client is refused, a default client gets TLS 1.2', async () => {
      let mark = tls12.mark();
      const refused = await opensslClient({ port: tls12.port, servername: 'localhost', tls: '1.3', timeoutMs: ctx.ms(5000) });
      await tls12.errorAfter(mark);
      expect(refused.code).not.toBe(0);
      mark = tls12.mark();
      const r = await opensslClient({ port: tls12.port, servername: 'localhost', timeoutMs: ctx.ms(5000) });
      expect(r.code, r.output).toBe(0);
      expect((await tls12.digestAfter(mark)).version).toBe('TLSv1.2');
    });

    ctx.test('TLS 1.3 key share for a group the server does not take (P-521): HelloRetryRequest to P-256', async () => {
      const mark = modern.mark();
      const r = await opensslClient({
        port: modern.port, servername: 'localhost', tls: '1.3', extraArgs: ['-groups', 'P-521:P-256'], timeoutMs: ctx.ms(5000),
      });
      expect(r.code, r.output).toBe(0);
      expect((await modern.digestAfter(mark)).group).toBe('secp256r1');
    });

    for (const [groups, group] of [['P-256', 'secp256r1'], ['P-384', 'secp384r1'], ['X25519', 'x25519']] as const) {
      ctx.test(`a client offering only ${groups}: digest.group is ${group} (TLS 1.3 and 1.2)`, async () => {
        for (const [server, tls] of [[modern, '1.3'], [tls12, '1.2']] as const) {
          const mark = server.mark();
          const r = await opensslClient({ port: server.port, servername: 'localhost', tls, extraArgs: ['-groups', groups], timeoutMs: ctx.ms(5000) });
          expect(r.code, r.output).toBe(0);
          expect((await server.digestAfter(mark)).group, `TLS ${tls}`).toBe(group);
        }
      });
    }
  });

  ctx.area('rsa', 'server: RSA-2048 certificate', () => {
    let server: BackendTestServer;
    ctx.beforeAll(async () => {
      const pki = ctx.pki();
      server = await BackendTestServer.start(TlsSettings.intermediate(pki.serverRsa.chain, pki.serverRsa.key));
    });
    afterAll(() => server?.close());

    ctx.test('openssl s_client TLSv1.2: an ECDHE_RSA suite', async () => {
      const mark = server.mark();
      const r = await opensslClient({ port: server.port, servername: 'localhost', caFile: ctx.pki().caFile, tls: '1.2', timeoutMs: ctx.ms(5000) });
      const d = await server.digestAfter(mark);
      expect(r.code, r.output).toBe(0);
      expect(r.peerSubject).toContain('O = Proxy Test RSA');
      expectDigest(d, { backend, version: 'TLSv1.2', sni: 'localhost', alpn: undefined, serverKey: 'RSA', cipher: ianaCipherFromOpenssl(r.cipher ?? '') });
    });

    ctx.test('gnutls-cli TLSv1.3: RSA-PSS signature accepted', async () => {
      const mark = server.mark();
      const r = await gnutlsClient({ port: server.port, servername: 'localhost', caFile: ctx.pki().caFile, tls: '1.3', timeoutMs: ctx.ms(5000) });
      const d = await server.digestAfter(mark);
      expect(r.code, r.output).toBe(0);
      expect(r.peerSubject).toContain('O=Proxy Test RSA');
      expectDigest(d, { backend, version: 'TLSv1.3', sni: 'localhost', alpn: undefined });
    });
  });
}
