import { CertKey, TlsSettings, parseCertificates, type ClientHelloInfo, type SslDigest } from '@proxy/core';
import { digestToJson, parseTlsToolArgs, sServerSettings, type SslDigestJson } from '@proxy/core/tools';
import { afterAll, expect, it } from 'vitest';
import { binClient, binServer, type BinErrorDetail, type BinServer } from '../peers/backend-bin.js';
import { opensslClient, opensslServer, type OpensslClientOptions, type OpensslServer } from '../peers/openssl-cli.js';
import { BackendTestServer } from './backend-server.js';
import { backendConnect, clientOptions, type SuiteContext } from './context.js';
import type { PeerBin } from './interop-cases.js';

/** The digest fields that must be equal on every backend for the same scenario (all but `backend` and `extension`). */
function comparable(d: SslDigestJson | undefined): Record<string, unknown> | undefined {
  if (!d) return undefined;
  const pc = d.peerCertificate;
  return {
    version: d.version,
    cipher: d.cipher,
    group: d.group,
    sni: d.sni ?? undefined,
    alpn: d.alpn ?? undefined,
    sessionReused: d.sessionReused,
    peerCertificate: pc && {
      subject: pc.subject, issuer: pc.issuer, commonName: pc.commonName, organization: pc.organization,
      serial: pc.serial, sha256: pc.sha256, subjectAltNames: pc.subjectAltNames, validFrom: pc.validFrom, validTo: pc.validTo,
    },
  };
}

/** The error fields that must be equal on every backend: code, certificate reason, side. */
function comparableError(e: { code?: string; reason?: string; source?: string } | undefined): Record<string, unknown> | undefined {
  return e && { code: e.code, reason: e.reason, source: e.source };
}

function errorOf(err: unknown): BinErrorDetail {
  const e = err as { code?: string; reason?: string; source?: string; alert?: number };
  return { code: e.code ?? 'ERROR', ...(e.reason ? { reason: e.reason } : {}), ...(e.source ? { source: e.source } : {}) };
}

/** A server scenario: the s_server arguments (the same settings in-process and in the peer's bin) and the client that drives it. */
interface ServerScenario {
  name: string;
  serverArgs: (pki: ReturnType<SuiteContext['pki']>) => string[];
  client: (pki: ReturnType<SuiteContext['pki']>) => Omit<OpensslClientOptions, 'port'>;
  /** 'handshake' compares digests; 'error' compares the server's error. */
  expect: 'handshake' | 'error';
}

/**
 * The client offers one suite per version: which suite a server picks from a longer list is a
 * documented backend policy (docs/tls-options.md, "Cipher choice"), not part of the contract.
 */
const ONE_SUITE = {
  '1.3': ['-ciphersuites', 'TLS_AES_128_GCM_SHA256'],
  '1.2': ['-cipher', 'ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256'],
} as const;

const SERVER_SCENARIOS: readonly ServerScenario[] = [
  {
    name: 'TLS 1.3, ALPN h2, SNI test.local',
    serverArgs: (p) => ['-cert', p.serverEcdsa.chain, '-key', p.serverEcdsa.key, '-alpn', 'h2,http/1.1'],
    client: () => ({ servername: 'test.local', alpn: ['h2'], tls: '1.3' }),
    expect: 'handshake',
  },
  {
    name: 'TLS 1.2, ALPN http/1.1, SNI localhost',
    serverArgs: (p) => ['-cert', p.serverEcdsa.chain, '-key', p.serverEcdsa.key, '-alpn', 'h2,http/1.1'],
    client: () => ({ servername: 'localhost', alpn: ['http/1.1'], tls: '1.2' }),
    expect: 'handshake',
  },
  {
    name: 'TLS 1.3, no SNI, no ALPN, RSA certificate',
    serverArgs: (p) => ['-cert', p.serverRsa.chain, '-key', p.serverRsa.key],
    client: () => ({ tls: '1.3' }),
    expect: 'handshake',
  },
  {
    name: 'TLS 1.2, optional client certificate sent: peerCertificate field by field',
    serverArgs: (p) => ['-cert', p.serverEcdsa.chain, '-key', p.serverEcdsa.key, '-verify', '2', '-CAfile', p.caFile],
    client: (p) => ({ servername: 'localhost', tls: '1.2', cert: p.client.cert, key: p.client.key, certChain: p.intermediate.cert }),
    expect: 'handshake',
  },
  {
    name: 'TLS 1.3, required client certificate from an untrusted CA: code and reason',
    serverArgs: (p) => ['-cert', p.serverEcdsa.chain, '-key', p.serverEcdsa.key, '-Verify', '2', '-CAfile', p.caFile],
    client: (p) => ({ servername: 'localhost', tls: '1.3', cert: p.untrustedClient.cert, key: p.untrustedClient.key }),
    expect: 'error',
  },
  {
    name: 'TLS 1.2, required client certificate, none sent: code and reason',
    serverArgs: (p) => ['-cert', p.serverEcdsa.chain, '-key', p.serverEcdsa.key, '-Verify', '2', '-CAfile', p.caFile],
    client: () => ({ servername: 'localhost', tls: '1.2' }),
    expect: 'error',
  },
];

/** A connector scenario: this backend's connector and the peer's bin s_client against the same openssl s_server. */
interface ConnectorScenario {
  name: string;
  server: 'good' | 'wrongHost' | 'expired';
  sni: string;
  version: 'TLSv1.2' | 'TLSv1.3';
  /** Trust the untrusted CA instead of the test root. */
  untrusted?: boolean;
  expect: 'handshake' | 'error';
}

const CONNECTOR_SCENARIOS: readonly ConnectorScenario[] = [
  { name: 'TLS 1.3 to a good server', server: 'good', sni: 'test.local', version: 'TLSv1.3', expect: 'handshake' },
  { name: 'TLS 1.2 to a good server', server: 'good', sni: 'localhost', version: 'TLSv1.2', expect: 'handshake' },
  { name: 'wrong host', server: 'wrongHost', sni: 'test.local', version: 'TLSv1.3', expect: 'error' },
  { name: 'expired certificate', server: 'expired', sni: 'localhost', version: 'TLSv1.3', expect: 'error' },
  { name: 'untrusted issuer', server: 'good', sni: 'localhost', version: 'TLSv1.2', untrusted: true, expect: 'error' },
];

/**
 * The same scripted scenario on this backend (in-process) and on each peer backend's bin (a
 * separate process): the digests, the error codes and reasons must be equal field by field.
 * Callback traces cannot cross into another process, so this backend's trace is compared with
 * the one every backend must produce for the scenario.
 */
export function compareCases(ctx: SuiteContext, peers: readonly PeerBin[]): void {
  const backend = ctx.opts.expectedBackend;

  ctx.area('compare', 'cross-backend: the same scenario, field by field', () => {
    ctx.test('callback trace: certificate(hello) then handshakeComplete(digest), the extension lands in the digest', async () => {
      const { serverEcdsa: c } = ctx.pki();
      const trace: Array<Record<string, unknown>> = [];
      const settings = TlsSettings.withCallbacks({
        certificate: (hello: ClientHelloInfo) => {
          trace.push({ cb: 'certificate', serverName: hello.serverName, hasPeerAddr: typeof hello.peerAddr === 'string' });
          return undefined;
        },
        handshakeComplete: (d: SslDigest) => {
          trace.push({ cb: 'handshakeComplete', backend: d.backend, sni: d.sni, version: d.version, sessionReused: d.sessionReused });
          return { tag: 'x' };
        },
      }, CertKey.fromFiles(c.chain, c.key));
      const server = await BackendTestServer.start(settings, 'echo');
      try {
        for (const [sni, tls] of [['test.local', '1.3'], [undefined, '1.2']] as const) {
          const mark = server.mark();
          const r = await opensslClient({ port: server.port, servername: sni, tls, timeoutMs: ctx.ms(5000) });
          expect(r.code, r.output).toBe(0);
          expect((await server.digestAfter(mark)).extension).toEqual({ tag: 'x' });
        }
      } finally {
        await server.close();
      }
      expect(trace).toEqual([
        { cb: 'certificate', serverName: 'test.local', hasPeerAddr: true },
        { cb: 'handshakeComplete', backend, sni: 'test.local', version: 'TLSv1.3', sessionReused: false },
        { cb: 'certificate', serverName: undefined, hasPeerAddr: true },
        { cb: 'handshakeComplete', backend, sni: undefined, version: 'TLSv1.2', sessionReused: false },
      ]);
    }, undefined, { requires: ['certificate-callback'] });

    ctx.test('callback trace: a certificate callback that throws fails the handshake with TLS_HANDSHAKE, handshakeComplete never runs', async () => {
      const { serverEcdsa: c } = ctx.pki();
      const trace: string[] = [];
      const settings = TlsSettings.withCallbacks({
        certificate: () => {
          trace.push('certificate');
          throw new Error('no certificate today');
        },
        handshakeComplete: () => {
          trace.push('handshakeComplete');
          return undefined;
        },
      }, CertKey.fromFiles(c.chain, c.key));
      const server = await BackendTestServer.start(settings, 'echo');
      try {
        const mark = server.mark();
        const r = await opensslClient({ port: server.port, servername: 'localhost', timeoutMs: ctx.ms(5000) });
        expect(r.code).not.toBe(0);
        const err = await server.errorAfter(mark);
        expect(comparableError(err as never)).toEqual({ code: 'TLS_HANDSHAKE', reason: undefined, source: 'downstream' });
      } finally {
        await server.close();
      }
      expect(trace).toEqual(['certificate']);
    }, undefined, { requires: ['certificate-callback'] });

    if (peers.length === 0) {
      it.skip('no peer backends given (peerBins option or PROXY_INTEROP_BINS): field-by-field comparison skipped', () => {});
      return;
    }

    // One in-process server and one bin s_server per distinct argument list.
    const local = new Map<string, BackendTestServer>();
    const remote = new Map<string, BinServer>();
    const origins: Partial<Record<ConnectorScenario['server'], OpensslServer>> = {};
    const argsKey = (args: string[]): string => args.join(' ');
    ctx.beforeAll(async () => {
      const pki = ctx.pki();
      const distinct = new Map(SERVER_SCENARIOS.map((s) => [argsKey(s.serverArgs(pki)), s.serverArgs(pki)]));
      const leaf = (c: typeof pki.serverEcdsa) => ({ cert: c.cert, key: c.key, certChain: pki.intermediate.cert });
      // The peer bins start a few at a time: a dozen Node processes loading at once on two busy
      // cores took longer than any start-up timeout (each is timed from its own spawn).
      const remoteStarts = peers.flatMap((peer) => [...distinct].map(([key, args]) => async () => {
        remote.set(`${peer.name} ${key}`, await binServer(peer.binPath, args, ctx.ms(15_000)));
      }));
      const startRemotes = async (): Promise<void> => {
        for (let i = 0; i < remoteStarts.length; i += 3) await Promise.all(remoteStarts.slice(i, i + 3).map((start) => start()));
      };
      await Promise.all([
        ...[...distinct].map(async ([key, args]) => {
          const parsed = parseTlsToolArgs(['s_server', ...args]);
          if (parsed.command !== 's_server') throw new Error('not s_server');
          local.set(key, await BackendTestServer.start(sServerSettings(parsed.options), 'echo'));
        }),
        startRemotes(),
        opensslServer(leaf(pki.serverEcdsa)).then((s) => (origins.good = s)),
        opensslServer(leaf(pki.wrongHost)).then((s) => (origins.wrongHost = s)),
        opensslServer(leaf(pki.expired)).then((s) => (origins.expired = s)),
      ]);
    }, ctx.ms(120_000));
    afterAll(() => Promise.all([
      ...[...local.values()].map((s) => s.close()),
      ...[...remote.values()].map((s) => s.close()),
      ...Object.values(origins).map((s) => s?.close()),
    ]));

    for (const peer of peers) {
      for (const sc of SERVER_SCENARIOS) {
        ctx.test(`server, ${backend} vs ${peer.name}: ${sc.name}`, async () => {
          const pki = ctx.pki();
          const key = argsKey(sc.serverArgs(pki));
          const mine = local.get(key)!;
          const theirs = remote.get(`${peer.name} ${key}`)!;
          const mark = mine.mark();
          const client = sc.client(pki);
          const extraArgs = [...(client.extraArgs ?? []), ...(client.tls ? ONE_SUITE[client.tls] : [])];
          await opensslClient({ ...client, extraArgs, port: mine.port, timeoutMs: ctx.ms(5000) });
          const before = theirs.connections();
          await opensslClient({ ...client, extraArgs, port: theirs.port, timeoutMs: ctx.ms(5000) });
          await theirs.waitForConnections(before + 1, ctx.ms(5000));
          const outcome = await mine.outcomeAfter(mark, ctx.ms(5000));
          if (sc.expect === 'handshake') {
            expect(outcome.ok, outcome.ok ? '' : outcome.error.message).toBe(true);
            const localDigest = outcome.ok ? digestToJson(outcome.digest) : undefined;
            const remoteDigest = theirs.handshakes().at(-1);
            expect(remoteDigest?.backend).toBe(peer.name);
            expect(comparable(localDigest)).toEqual(comparable(remoteDigest));
          } else {
            expect(outcome.ok, 'the handshake should have failed').toBe(false);
            const localError = outcome.ok ? undefined : errorOf(outcome.error);
            const remoteError = theirs.errorDetails().at(-1);
            expect(comparableError(localError)).toEqual(comparableError(remoteError));
          }
        }, ctx.ms(30_000));
      }

      for (const sc of CONNECTOR_SCENARIOS) {
        ctx.test(`connector, ${backend} vs ${peer.name}: ${sc.name}`, async () => {
          const pki = ctx.pki();
          const origin = origins[sc.server]!;
          const ca = sc.untrusted ? pki.untrustedCa : undefined;
          const options = clientOptions(pki, {
            minVersion: sc.version, maxVersion: sc.version,
            ...(ca ? { caPem: ca.certPem, ca: parseCertificates(ca.certPem, ca.cert, 'CA') } : {}),
          });
          let localDigest: SslDigestJson | undefined;
          let localError: BinErrorDetail | undefined;
          try {
            const stream = await backendConnect(origin.port, options, sc.sni);
            localDigest = digestToJson(stream.digest);
            stream.destroy();
          } catch (err) {
            localError = errorOf(err);
          }
          const r = await binClient(peer.binPath, origin.port, [
            '-servername', sc.sni, '-CAfile', ca ? ca.cert : pki.caFile, sc.version === 'TLSv1.3' ? '-tls1_3' : '-tls1_2',
          ], '', ctx.ms(10_000));
          if (sc.expect === 'handshake') {
            expect(localError, JSON.stringify(localError)).toBeUndefined();
            expect(r.code, r.stderr).toBe(0);
            expect(r.digest?.backend).toBe(peer.name);
            expect(comparable(localDigest)).toEqual(comparable(r.digest));
          } else {
            expect(localError, 'the connector should have failed').toBeDefined();
            expect(r.code, r.stdout).toBe(1);
            expect(comparableError(localError)).toEqual(comparableError(r.error));
          }
        }, ctx.ms(30_000));
      }
    }
  });
}
