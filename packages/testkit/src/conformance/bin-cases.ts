import { TlsSettings } from '@proxy/core';
import { afterAll, expect } from 'vitest';
import { binClient, binServer, type BinServer } from '../peers/backend-bin.js';
import { opensslClient } from '../peers/openssl-cli.js';
import { BackendTestServer } from './backend-server.js';
import { backendConnect, clientOptions, exchange, type SuiteContext } from './context.js';
import { expectInvalidCertDetail } from './expect-error.js';

/**
 * The backend's own bin in a separate process, both directions: what the interop matrix runs
 * against the other backends, and what users debug handshakes with.
 */
export function binCases(ctx: SuiteContext): void {
  const backend = ctx.opts.expectedBackend;

  ctx.area('bin', 'bin: s_server and s_client in separate processes', () => {
    let echo: BinServer;
    let www: BinServer;
    let inProcess: BackendTestServer;
    ctx.beforeAll(async () => {
      const { serverEcdsa: c, caFile } = ctx.pki();
      [echo, www, inProcess] = await Promise.all([
        binServer(ctx.opts.binPath, [
          '-cert', c.chain, '-key', c.key, '-alpn', 'h2',
          ...(ctx.supports('client-auth-optional') ? ['-CAfile', caFile, '-verify', '1'] : []),
        ], ctx.ms(15_000)),
        binServer(ctx.opts.binPath, ['-cert', c.chain, '-key', c.key, '-www'], ctx.ms(15_000)),
        BackendTestServer.start(TlsSettings.intermediate(c.chain, c.key).enableH2(), 'echo'),
      ]);
    }, ctx.ms(30_000));
    afterAll(() => Promise.all([echo?.close(), www?.close(), inProcess?.close()]));

    ctx.test('in-process connector → bin s_server: both sides report the same session; data echoes', async () => {
      const before = echo.connections();
      const stream = await backendConnect(echo.port, clientOptions(ctx.pki(), { alpn: undefined }), 'test.local');
      try {
        expect(await exchange(stream, 'round trip\n', /round trip\n/, ctx.ms(3000))).toBe('round trip\n');
        await echo.waitForConnections(before + 1, ctx.ms(3000));
        const remote = echo.handshakes().at(-1)!;
        expect(remote.backend).toBe(backend);
        expect(remote.version).toBe(stream.digest.version);
        expect(remote.cipher).toBe(stream.digest.cipher);
        expect(remote.sni).toBe('test.local');
        expect(stream.digest.backend).toBe(backend);
      } finally {
        stream.destroy();
      }
    });

    ctx.test('bin s_client → in-process server: DIGEST line, echo through stdin/stdout', async () => {
      const mark = inProcess.mark();
      const r = await binClient(
        ctx.opts.binPath, inProcess.port, ['-servername', 'test.local', '-CAfile', ctx.pki().caFile, '-alpn', 'h2,http/1.1'],
        'echo me\n', ctx.ms(10_000),
      );
      const d = await inProcess.digestAfter(mark);
      expect(r.code, r.stderr).toBe(0);
      expect(r.digest).toMatchObject({ backend, version: d.version, cipher: d.cipher, alpn: 'h2', sni: 'test.local' });
      expect(r.digest?.peerCertificate?.commonName).toBe('localhost');
      expect(r.received).toContain('echo me');
    });

    ctx.test('bin s_client → bin s_server -www: the page names the backend and the session', async () => {
      const r = await binClient(
        ctx.opts.binPath, www.port, ['-servername', 'localhost', '-CAfile', ctx.pki().caFile, '-ign_eof'],
        'GET / HTTP/1.1\r\nHost: localhost\r\n\r\n', ctx.ms(10_000),
      );
      expect(r.code, r.stderr).toBe(0);
      expect(r.received).toMatch(/^HTTP\/1\.1 200 OK/);
      expect(r.received).toContain(`backend: ${backend}`);
      expect(r.received).toMatch(/library: \S+/);
      expect(r.received).toContain(`cipher: ${r.digest?.cipher}`);
    });

    ctx.test('bin s_client with a client certificate → bin s_server -verify: the server prints it', async () => {
      const { client, caFile } = ctx.pki();
      const before = echo.connections();
      const r = await binClient(
        ctx.opts.binPath, echo.port, ['-servername', 'localhost', '-CAfile', caFile, '-cert', client.chain, '-key', client.key, '-alpn', 'h2'],
        '', ctx.ms(10_000),
      );
      expect(r.code, r.stderr).toBe(0);
      await echo.waitForConnections(before + 1, ctx.ms(3000));
      expect(echo.handshakes().at(-1)?.peerCertificate?.commonName, echo.process.tail()).toBe('client.test');
    }, undefined, { requires: ['client-auth-optional'] });

    ctx.test('bin s_client verifies by default: a name the certificate lacks is TLS_INVALID_CERT hostname-mismatch, exit 1', async () => {
      const r = await binClient(
        ctx.opts.binPath, www.port, ['-verify_hostname', 'nomatch.test', '-CAfile', ctx.pki().caFile], '', ctx.ms(10_000),
      );
      expect(r.code).toBe(1);
      expect(r.errorCode, r.stderr).toBe('TLS_INVALID_CERT');
      expectInvalidCertDetail(r.error, 'hostname-mismatch', r.stderr);
    });

    ctx.test('bin s_client -verify_hostname NAME checks NAME even when the SNI matches', async () => {
      const r = await binClient(
        ctx.opts.binPath, www.port, ['-servername', 'localhost', '-verify_hostname', 'nomatch.test', '-CAfile', ctx.pki().caFile], '',
        ctx.ms(10_000),
      );
      expect(r.code).toBe(1);
      expectInvalidCertDetail(r.error, 'hostname-mismatch', r.stderr);
      const ok = await binClient(
        ctx.opts.binPath, www.port, ['-servername', 'localhost', '-verify_hostname', 'a.wild.test', '-CAfile', ctx.pki().caFile], '',
        ctx.ms(10_000),
      );
      expect(ok.code, ok.stderr).toBe(0);
    });

    ctx.test('bin s_client without -CAfile uses the system store: the test CA is not in it (unknown-ca)', async () => {
      const r = await binClient(ctx.opts.binPath, www.port, ['-servername', 'localhost'], '', ctx.ms(10_000));
      expect(r.code).toBe(1);
      expectInvalidCertDetail(r.error, 'unknown-ca', r.stderr);
    });

    ctx.test('bin s_client -noverify accepts it', async () => {
      const r = await binClient(ctx.opts.binPath, www.port, ['-servername', 'localhost', '-noverify'], '', ctx.ms(10_000));
      expect(r.code, r.stderr).toBe(0);
      expect(r.digest?.backend).toBe(backend);
    });

    ctx.test('bin s_server: an ALPN mismatch from openssl s_client is an ERROR line, and the connection is closed', async () => {
      const before = echo.connections();
      const r = await opensslClient({ port: echo.port, servername: 'localhost', alpn: ['http/1.1'], timeoutMs: ctx.ms(5000) });
      expect(r.code).not.toBe(0);
      await echo.waitForConnections(before + 1, ctx.ms(3000));
      expect(echo.errors().length).toBeGreaterThan(0);
      expect(echo.process.running).toBe(true);
    });
  });
}
