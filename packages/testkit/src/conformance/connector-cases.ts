import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  Alpn, CertKey, InvalidCertError, parseCertificates, tlsBackend, type InvalidCertReason, type TlsClientOptions,
} from '@proxy/core';
import { afterAll, expect } from 'vitest';
import { gnutlsServer, type GnutlsServer } from '../peers/gnutls-cli.js';
import { opensslServer, type OpensslServer } from '../peers/openssl-cli.js';
import { backendConnect, clientOptions, exchange, tcpConnect, type SuiteContext } from './context.js';
import { expectDigest, expectPeerCertificate } from './expect-digest.js';
import { expectInvalidCert } from './expect-error.js';
import { TLS13_LABELS, parseKeylog, waitForKeylogLines } from './keylog-cases.js';

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

async function expectInvalidCertRejection(p: Promise<unknown>, reason: InvalidCertReason): Promise<void> {
  expectInvalidCert(await expectRejects(p, InvalidCertError.CODE), reason);
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
    let keylogged: OpensslServer;
    let www: OpensslServer;
    let keylogDir: string;
    let gnutls: GnutlsServer;
    let silent: Server;
    const silentSockets: Socket[] = [];
    ctx.beforeAll(async () => {
      const pki = ctx.pki();
      const leaf = (c: typeof pki.serverEcdsa) => ({ cert: c.cert, key: c.key, certChain: pki.intermediate.cert });
      silent = createServer((s) => silentSockets.push(s.on('error', () => {})));
      keylogDir = mkdtempSync(join(tmpdir(), 'proxy-connector-keylog-'));
      [good, goodH2, wrongHost, expired, mtls, keylogged, gnutls, www] = await Promise.all([
        opensslServer(leaf(pki.serverEcdsa)),
        opensslServer({ ...leaf(pki.serverRsa), alpn: ['h2', 'http/1.1'] }),
        opensslServer(leaf(pki.wrongHost)),
        opensslServer(leaf(pki.expired)),
        opensslServer({ ...leaf(pki.serverEcdsa), clientAuth: { caFile: pki.caFile, required: true } }),
        opensslServer({ ...leaf(pki.serverEcdsa), keylogFile: join(keylogDir, 'server.keylog') }),
        gnutlsServer({ cert: pki.serverEcdsa.chain, key: pki.serverEcdsa.key }),
        opensslServer({ ...leaf(pki.serverEcdsa), www: true }),
        new Promise<void>((r) => silent.listen(0, '127.0.0.1', () => r())),
      ]);
    });
    afterAll(async () => {
      for (const s of silentSockets) s.destroy();
      silent?.close();
      await Promise.all([good, goodH2, wrongHost, expired, mtls, keylogged, gnutls, www].map((s) => s?.close()));
      if (keylogDir) rmSync(keylogDir, { recursive: true, force: true });
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

    ctx.test('wrong host: TLS_INVALID_CERT, reason hostname-mismatch', async () => {
      await expectInvalidCertRejection(backendConnect(wrongHost.port, clientOptions(ctx.pki()), 'test.local'), 'hostname-mismatch');
    });

    ctx.test('wrong host but alternativeCn names it: accepted', async () => {
      const stream = await backendConnect(wrongHost.port, clientOptions(ctx.pki(), { alternativeCn: 'wrong.test' }), 'test.local');
      stream.destroy();
      expect(stream.digest.peerCertificate?.commonName).toBe('wrong.test');
    });

    ctx.test('expired certificate: TLS_INVALID_CERT, reason expired', async () => {
      await expectInvalidCertRejection(backendConnect(expired.port, clientOptions(ctx.pki()), 'localhost'), 'expired');
    });

    ctx.test('untrusted issuer (another CA as trust store): TLS_INVALID_CERT, reason unknown-ca', async () => {
      const { untrustedCa } = ctx.pki();
      const options = clientOptions(ctx.pki(), {
        caPem: untrustedCa.certPem, ca: parseCertificates(untrustedCa.certPem, untrustedCa.cert, 'CA'),
      });
      await expectInvalidCertRejection(backendConnect(good.port, options, 'localhost'), 'unknown-ca');
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

    ctx.test('no SNI (sni ""): none is sent, and the name checked is the address (127.0.0.1 is in the SANs)', async () => {
      const before = gnutls.process.stdout.length;
      const stream = await backendConnect(gnutls.port, clientOptions(ctx.pki()), '');
      try {
        expect(await exchange(stream, 'no sni\n', /no sni/, ctx.ms(3000))).toContain('no sni');
        expect(stream.digest.sni ?? '').toBe('');
        expect(gnutls.process.stdout.slice(before)).not.toMatch(/Given server name/);
      } finally {
        stream.destroy();
      }
    });

    ctx.test('key log on the client side matches openssl s_server -keylogfile (TLS 1.3)', async () => {
      const lines: string[] = [];
      const stream = await backendConnect(keylogged.port, clientOptions(ctx.pki(), { keylog: { callback: (l) => lines.push(l) } }), 'localhost');
      // Once s_server has our data it has our Finished too (and logged CLIENT_TRAFFIC_SECRET_0).
      stream.write('keylogged\n');
      await keylogged.process.waitFor(/keylogged/, ctx.ms(3000), 'stdout');
      stream.destroy();
      const mine = parseKeylog(lines.join('\n'));
      expect(mine.length, 'client key-log lines').toBeGreaterThanOrEqual(4);
      const clientRandom = mine[0]!.clientRandom;
      const file = join(keylogDir, 'server.keylog');
      const readServer = (): string => (existsSync(file) ? readFileSync(file, 'utf8') : '');
      const serverLines = () => parseKeylog(readServer()).filter((l) => l.clientRandom === clientRandom);
      await waitForKeylogLines(readServer, clientRandom, TLS13_LABELS.length, ctx.ms(2000), file);
      for (const label of TLS13_LABELS) {
        const ours = mine.filter((l) => l.label === label);
        expect(ours, label).toHaveLength(1);
        expect(ours[0]!.secret).toBe(serverLines().find((l) => l.label === label)?.secret);
      }
    });

    /**
     * Three connections through ONE compiled connector (core keeps one per set of options) to
     * openssl s_server -www, whose status page says whether it resumed; each reads the whole
     * page, so a TLS 1.3 ticket has arrived before the next connection starts.
     */
    const threeConnections = async (over: Partial<TlsClientOptions>): Promise<Array<{ client: boolean; server: string }>> => {
      const connector = tlsBackend().createConnector(clientOptions(ctx.pki(), over));
      const seen: Array<{ client: boolean; server: string }> = [];
      for (let i = 0; i < 3; i++) {
        const socket = await tcpConnect(www.port);
        const stream = await connector.connect(socket, { sni: 'localhost', addr: `127.0.0.1:${www.port}` }).catch((err: unknown) => {
          socket.destroy();
          throw err;
        });
        stream.on('error', () => {});
        try {
          const page = await exchange(stream, 'GET / HTTP/1.0\r\n\r\n', /<\/BODY>/i, ctx.ms(3000));
          seen.push({ client: stream.digest.sessionReused, server: /^(New|Reused), /m.exec(page)?.[1] ?? '?' });
        } finally {
          stream.destroy();
        }
      }
      return seen;
    };

    for (const version of ['TLSv1.3', 'TLSv1.2'] as const) {
      ctx.test(`session resumption (${version}): the connector resumes with openssl s_server by default, digest.sessionReused`, async () => {
        const seen = await threeConnections({ minVersion: version, maxVersion: version });
        expect(seen).toEqual([
          { client: false, server: 'New' },
          { client: true, server: 'Reused' },
          { client: true, server: 'Reused' },
        ]);
      });
    }

    ctx.test('session resumption off (sessionResumption false): every connection is a full handshake', async () => {
      const seen = await threeConnections({ sessionResumption: false });
      expect(seen).toEqual(Array.from({ length: 3 }, () => ({ client: false, server: 'New' })));
    });

    ctx.test('handshake timeout against a server that never answers: TLS_HANDSHAKE_TIMEOUT within ~1 s', async () => {
      const started = Date.now();
      const port = (silent.address() as AddressInfo).port;
      await expectRejects(backendConnect(port, clientOptions(ctx.pki(), { handshakeTimeoutMs: 300 }), 'localhost'), 'TLS_HANDSHAKE_TIMEOUT');
      expect(Date.now() - started).toBeLessThan(ctx.ms(1000));
    });
  });
}
