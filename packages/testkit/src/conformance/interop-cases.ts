import { TlsSettings } from '@proxy/core';
import { afterAll, expect, it } from 'vitest';
import { binClient, binServer, type BinServer } from '../peers/backend-bin.js';
import { BackendTestServer } from './backend-server.js';
import { backendConnect, clientOptions, exchange, type SuiteContext } from './context.js';

export interface PeerBin {
  /** Backend name the peer reports (e.g. "pure"). */
  name: string;
  /** Its bin (s_server/s_client of @proxy/core/tools). */
  binPath: string;
}

/**
 * Other backends' bins to interoperate with: the `peerBins` option, plus PROXY_INTEROP_BINS
 * ("pure=/path/to/bin.js,boringssl=/path/...") so an interop-matrix run can add peers without
 * coupling one backend package's tests to another's build.
 */
export function peerBinsFrom(option: readonly PeerBin[] | undefined, env = process.env): PeerBin[] {
  const fromEnv = (env['PROXY_INTEROP_BINS'] ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)
    .map((s) => {
      const i = s.indexOf('=');
      return { name: s.slice(0, i), binPath: s.slice(i + 1) };
    })
    .filter((p) => p.name && p.binPath);
  return [...(option ?? []), ...fromEnv];
}

/** This backend against each peer backend's bin, both directions, TLS 1.3 and 1.2. */
export function interopCases(ctx: SuiteContext, peers: readonly PeerBin[]): void {
  ctx.area('interop', 'interop: other backends in separate processes', () => {
    if (peers.length === 0) {
      it.skip('no peer backends given (peerBins option or PROXY_INTEROP_BINS)', () => {});
      return;
    }
    const servers = new Map<string, BinServer>();
    let local: BackendTestServer;
    ctx.beforeAll(async () => {
      const { serverEcdsa: c } = ctx.pki();
      local = await BackendTestServer.start(TlsSettings.intermediate(c.chain, c.key).enableH2(), 'echo');
      await Promise.all(peers.map(async (p) => {
        servers.set(p.name, await binServer(p.binPath, ['-cert', c.chain, '-key', c.key, '-alpn', 'h2,http/1.1'], ctx.ms(15_000)));
      }));
    }, ctx.ms(30_000));
    afterAll(() => Promise.all([local?.close(), ...[...servers.values()].map((s) => s.close())]));

    for (const peer of peers) {
      for (const version of ['TLSv1.3', 'TLSv1.2'] as const) {
        ctx.test(`${ctx.opts.expectedBackend} connector → ${peer.name} s_server, ${version}`, async () => {
          const server = servers.get(peer.name)!;
          const before = server.connections();
          const stream = await backendConnect(
            server.port, clientOptions(ctx.pki(), { minVersion: version, maxVersion: version, alpn: undefined }), 'test.local',
          );
          try {
            expect(await exchange(stream, `to ${peer.name}\n`, new RegExp(`to ${peer.name}\n`), ctx.ms(3000))).toBe(`to ${peer.name}\n`);
            await server.waitForConnections(before + 1, ctx.ms(3000));
            const remote = server.handshakes().at(-1)!;
            expect(remote.backend).toBe(peer.name);
            expect(remote.version).toBe(version);
            expect(remote.cipher).toBe(stream.digest.cipher);
          } finally {
            stream.destroy();
          }
        });

        ctx.test(`${peer.name} s_client → ${ctx.opts.expectedBackend} server, ${version}`, async () => {
          const mark = local.mark();
          const flag = version === 'TLSv1.3' ? '-tls1_3' : '-tls1_2';
          const r = await binClient(
            peer.binPath, local.port, ['-servername', 'test.local', '-CAfile', ctx.pki().caFile, '-alpn', 'h2', flag],
            `from ${peer.name}\n`, ctx.ms(10_000),
          );
          const d = await local.digestAfter(mark);
          expect(r.code, r.stderr).toBe(0);
          expect(r.digest).toMatchObject({ backend: peer.name, version, cipher: d.cipher, alpn: 'h2' });
          expect(d.version).toBe(version);
          expect(r.received).toContain(`from ${peer.name}`);
        });
      }
    }
  });
}
