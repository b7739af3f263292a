import { Alpn, CertKey, TlsSettings, type ClientHelloInfo } from '@proxy/core';
import { afterAll, expect } from 'vitest';
import { dribbleRelay } from '../peers/dribble-relay.js';
import { gnutlsClient } from '../peers/gnutls-cli.js';
import { nodeTlsConnect } from '../peers/node-tls.js';
import { opensslClient } from '../peers/openssl-cli.js';
import { BackendTestServer } from './backend-server.js';
import type { SuiteContext } from './context.js';

/** ALPN selection (h2, http/1.1, custom, no overlap) and SNI certificate selection. */
export function alpnAndSniCases(ctx: SuiteContext): void {
  ctx.area('alpn', 'server: ALPN', () => {
    let h2h1: BackendTestServer;
    let h2only: BackendTestServer;
    let custom: BackendTestServer;
    ctx.beforeAll(async () => {
      const { serverEcdsa: c } = ctx.pki();
      [h2h1, h2only, custom] = await Promise.all([
        BackendTestServer.start(TlsSettings.intermediate(c.chain, c.key).enableH2(), 'echo'),
        BackendTestServer.start(TlsSettings.intermediate(c.chain, c.key).setAlpn(Alpn.H2), 'echo'),
        ctx.supports('alpn-custom')
          ? BackendTestServer.start(TlsSettings.intermediate(c.chain, c.key).setAlpn(Alpn.custom('my-proto', 'other/2')), 'echo')
          : (undefined as unknown as BackendTestServer),
      ]);
    });
    afterAll(() => Promise.all([h2h1?.close(), h2only?.close(), custom?.close()]));

    ctx.test('h2,http/1.1 server: a client offering http/1.1 then h2 gets h2 (server preference)', async () => {
      const mark = h2h1.mark();
      const r = await opensslClient({ port: h2h1.port, servername: 'localhost', alpn: ['http/1.1', 'h2'], timeoutMs: ctx.ms(5000) });
      expect(r.code, r.output).toBe(0);
      expect(r.alpn).toBe('h2');
      expect((await h2h1.digestAfter(mark)).alpn).toBe('h2');
    });

    ctx.test('h2,http/1.1 server: an http/1.1-only client gets http/1.1', async () => {
      const mark = h2h1.mark();
      const r = await gnutlsClient({ port: h2h1.port, servername: 'localhost', alpn: ['http/1.1'], timeoutMs: ctx.ms(5000) });
      expect(r.code, r.output).toBe(0);
      expect(r.alpn).toBe('http/1.1');
      expect((await h2h1.digestAfter(mark)).alpn).toBe('http/1.1');
    });

    ctx.test('custom protocol names are negotiated', async () => {
      const mark = custom.mark();
      const r = await opensslClient({ port: custom.port, servername: 'localhost', alpn: ['x', 'other/2'], timeoutMs: ctx.ms(5000) });
      expect(r.code, r.output).toBe(0);
      expect(r.alpn).toBe('other/2');
      expect((await custom.digestAfter(mark)).alpn).toBe('other/2');
    }, undefined, { requires: ['alpn-custom'] });

    ctx.test('no overlap: the handshake fails with a no_application_protocol alert (120)', async () => {
      const mark = h2only.mark();
      const r = await opensslClient({ port: h2only.port, servername: 'localhost', alpn: ['http/1.1'], timeoutMs: ctx.ms(5000) });
      const err = await h2only.errorAfter(mark);
      expect(r.code).not.toBe(0);
      expect(r.output).toMatch(/no application protocol/);
      expect(err.code).toMatch(/^TLS_/);
    });

    ctx.test('a client offering no ALPN still connects, digest.alpn undefined', async () => {
      const mark = h2only.mark();
      const r = await opensslClient({ port: h2only.port, servername: 'localhost', timeoutMs: ctx.ms(5000) });
      expect(r.code, r.output).toBe(0);
      expect((await h2only.digestAfter(mark)).alpn).toBeUndefined();
    });
  }, ['alpn']);

  ctx.area('sni', 'server: SNI certificate selection with withCallbacks', () => {
    let server: BackendTestServer;
    const hellos: ClientHelloInfo[] = [];
    ctx.beforeAll(async () => {
      const pki = ctx.pki();
      const other = CertKey.fromFiles(pki.otherHost.chain, pki.otherHost.key);
      const settings = TlsSettings.withCallbacks({
        certificate: (hello) => {
          hellos.push(hello);
          return hello.serverName === 'other.test' ? other : undefined;
        },
        handshakeComplete: (d) => ({ seenSni: d.sni ?? null }),
      }, CertKey.fromFiles(pki.serverEcdsa.chain, pki.serverEcdsa.key));
      server = await BackendTestServer.start(settings, 'echo');
    });
    afterAll(() => server?.close());

    ctx.test('a name the callback knows gets its certificate (openssl verifies other.test)', async () => {
      const mark = server.mark();
      hellos.length = 0;
      const r = await opensslClient({
        port: server.port, servername: 'other.test', caFile: ctx.pki().caFile, verifyHostname: 'other.test', timeoutMs: ctx.ms(5000),
      });
      const d = await server.digestAfter(mark);
      expect(r.code, r.output).toBe(0);
      expect(r.peerSubject).toContain('CN = other.test');
      expect(r.verifyCode).toBe(0);
      expect(d.sni).toBe('other.test');
      expect(hellos[0]?.serverName).toBe('other.test');
      expect(hellos[0]?.peerAddr).toMatch(/^127\.0\.0\.1:\d+$/);
    });

    ctx.test('other names fall back to the default certificate (gnutls-cli sees CN=localhost)', async () => {
      const mark = server.mark();
      const r = await gnutlsClient({ port: server.port, servername: 'test.local', caFile: ctx.pki().caFile, timeoutMs: ctx.ms(5000) });
      const d = await server.digestAfter(mark);
      expect(r.code, r.output).toBe(0);
      expect(r.peerSubject).toContain('CN=localhost');
      expect(d.sni).toBe('test.local');
    });

    ctx.test('a ClientHello arriving in 7-byte TCP segments is reassembled: SNI still selects other.test', async () => {
      const relay = await dribbleRelay(server.port);
      try {
        const mark = server.mark();
        const c = await nodeTlsConnect({
          port: relay.port, servername: 'other.test', ca: ctx.pki().caPem, timeoutMs: ctx.ms(10_000),
        });
        try {
          // Wait for the server's side before closing: our Finished is still trickling through the relay.
          expect((await server.digestAfter(mark, ctx.ms(10_000))).sni).toBe('other.test');
        } finally {
          c.socket.destroy();
        }
        expect(relay.segments()).toBeGreaterThan(20);
        expect(c.peerCertificate.subject.CN).toBe('other.test');
      } finally {
        await relay.close();
      }
    }, ctx.ms(20_000));

    ctx.test('SNI is matched case-insensitively (OTHER.Test)', async () => {
      const mark = server.mark();
      const r = await opensslClient({ port: server.port, servername: 'OTHER.Test', timeoutMs: ctx.ms(5000) });
      const d = await server.digestAfter(mark);
      expect(r.code, r.output).toBe(0);
      expect(r.peerSubject).toContain('CN = other.test');
      expect(d.sni?.toLowerCase()).toBe('other.test');
    });

    ctx.test('handshakeComplete: its return value becomes digest.extension', async () => {
      const mark = server.mark();
      await opensslClient({ port: server.port, servername: 'other.test', timeoutMs: ctx.ms(5000) });
      expect((await server.digestAfter(mark)).extension).toEqual({ seenSni: 'other.test' });
    });
  }, ['certificate-callback']);
}
