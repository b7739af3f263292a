import { TlsSettings } from '@proxy/core';
import { afterAll, expect } from 'vitest';
import { gnutlsClient } from '../peers/gnutls-cli.js';
import { nodeTlsConnect } from '../peers/node-tls.js';
import { opensslClient } from '../peers/openssl-cli.js';
import { BackendTestServer } from './backend-server.js';
import type { SuiteContext } from './context.js';
import { expectPeerCertificate } from './expect-digest.js';
import { expectInvalidCert } from './expect-error.js';

/** Downstream mTLS: required and optional client certificates, good, missing and untrusted. */
export function clientAuthCases(ctx: SuiteContext): void {
  ctx.area('client-auth', 'server: client certificates', () => {
    let required: BackendTestServer;
    let optional: BackendTestServer;
    ctx.beforeAll(async () => {
      const { serverEcdsa: c, caFile } = ctx.pki();
      const start = (req: boolean): Promise<BackendTestServer> | undefined =>
        ctx.supports(req ? 'client-auth-required' : 'client-auth-optional')
          ? BackendTestServer.start(TlsSettings.intermediate(c.chain, c.key).setClientAuth({ ca: caFile, required: req }), 'echo')
          : undefined;
      [required, optional] = (await Promise.all([start(true), start(false)])) as [BackendTestServer, BackendTestServer];
    });
    afterAll(() => Promise.all([required?.close(), optional?.close()]));

    const withCert = (): { cert: string; key: string; certChain: string } => {
      const { client, intermediate } = ctx.pki();
      return { cert: client.cert, key: client.key, certChain: intermediate.cert };
    };

    ctx.test('required, good certificate (openssl, chain via the intermediate): digest.peerCertificate describes it', async () => {
      const mark = required.mark();
      const r = await opensslClient({ port: required.port, servername: 'localhost', ...withCert(), input: 'ping\n', timeoutMs: ctx.ms(5000) });
      const d = await required.digestAfter(mark);
      expect(r.code, r.output).toBe(0);
      expectPeerCertificate(d, ctx.pki().client.certPem);
      expect(d.peerCertificate?.commonName).toBe('client.test');
      expect(d.peerCertificate?.organization).toBe('Proxy Test Clients');
    }, undefined, { requires: ['client-auth-required'] });

    ctx.test('required, good certificate (gnutls-cli sends the chain file)', async () => {
      const mark = required.mark();
      const { client } = ctx.pki();
      const r = await gnutlsClient({ port: required.port, servername: 'localhost', cert: client.chain, key: client.key, tls: '1.2', timeoutMs: ctx.ms(5000) });
      const d = await required.digestAfter(mark);
      expect(r.code, r.output).toBe(0);
      expect(d.peerCertificate?.commonName).toBe('client.test');
    }, undefined, { requires: ['client-auth-required'] });

    ctx.test("required, good certificate (Node's tls)", async () => {
      const mark = required.mark();
      const { client } = ctx.pki();
      const c = await nodeTlsConnect({
        port: required.port, servername: 'localhost', rejectUnauthorized: false, cert: client.chainPem, key: client.keyPem,
        timeoutMs: ctx.ms(5000),
      });
      try {
        // TLS 1.3: the client is done before the server has checked its certificate, so wait for the server.
        expect((await required.digestAfter(mark)).peerCertificate?.commonName).toBe('client.test');
      } finally {
        c.socket.destroy();
      }
    }, undefined, { requires: ['client-auth-required'] });

    ctx.test('required, no certificate: refused, TLS_INVALID_CERT reason no-certificate', async () => {
      const mark = required.mark();
      const r = await opensslClient({ port: required.port, servername: 'localhost', input: 'ping\n', timeoutMs: ctx.ms(5000) });
      expectInvalidCert(await required.errorAfter(mark), 'no-certificate');
      expect(r.output).not.toMatch(/^ping$/m);
      expect(r.output).toMatch(/alert|error/i);
    }, undefined, { requires: ['client-auth-required'] });

    ctx.test('required, certificate from an untrusted CA: refused, TLS_INVALID_CERT reason unknown-ca', async () => {
      const mark = required.mark();
      const { untrustedClient } = ctx.pki();
      const r = await opensslClient({
        port: required.port, servername: 'localhost', cert: untrustedClient.cert, key: untrustedClient.key, input: 'ping\n',
        timeoutMs: ctx.ms(5000),
      });
      expectInvalidCert(await required.errorAfter(mark), 'unknown-ca');
      expect(r.output).toMatch(/alert|error/i);
    }, undefined, { requires: ['client-auth-required'] });

    ctx.test('optional, no certificate: accepted, digest.peerCertificate undefined', async () => {
      const mark = optional.mark();
      const r = await opensslClient({ port: optional.port, servername: 'localhost', timeoutMs: ctx.ms(5000) });
      const d = await optional.digestAfter(mark);
      expect(r.code, r.output).toBe(0);
      expect(d.peerCertificate).toBeUndefined();
    }, undefined, { requires: ['client-auth-optional'] });

    ctx.test('optional, good certificate: digest.peerCertificate set', async () => {
      const mark = optional.mark();
      await opensslClient({ port: optional.port, servername: 'localhost', ...withCert(), timeoutMs: ctx.ms(5000) });
      expectPeerCertificate(await optional.digestAfter(mark), ctx.pki().client.certPem);
    }, undefined, { requires: ['client-auth-optional'] });

    ctx.test('optional, certificate from an untrusted CA: refused (a certificate sent is checked), reason unknown-ca', async () => {
      const mark = optional.mark();
      const { untrustedClient } = ctx.pki();
      await opensslClient({ port: optional.port, servername: 'localhost', cert: untrustedClient.cert, key: untrustedClient.key, timeoutMs: ctx.ms(5000) });
      expectInvalidCert(await optional.errorAfter(mark), 'unknown-ca');
    }, undefined, { requires: ['client-auth-optional'] });
  });
}
