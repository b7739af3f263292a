import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CertKey, TlsSettings, type ClientHelloInfo } from '@proxy/core';
import { afterAll, expect } from 'vitest';
import { opensslClient } from '../peers/openssl-cli.js';
import { BackendTestServer } from './backend-server.js';
import type { SuiteContext } from './context.js';

/**
 * docs/tls-options.md: `callbacks.certificate` runs for every handshake, resumed ones included
 * (what a hot-reload hook relies on). Counted on a full handshake and then on a resumed one, per
 * version, with openssl s_client saving and reusing the session.
 */
export function resumptionCallbackCases(ctx: SuiteContext): void {
  ctx.area('resumption', 'server: the certificate callback runs on resumed handshakes too', () => {
    let dir: string;
    let server: BackendTestServer;
    const hellos: ClientHelloInfo[] = [];
    ctx.beforeAll(async () => {
      dir = mkdtempSync(join(tmpdir(), 'proxy-resume-callback-'));
      const pki = ctx.pki();
      const certKey = CertKey.fromFiles(pki.serverEcdsa.chain, pki.serverEcdsa.key);
      const settings = TlsSettings.withCallbacks({
        certificate: (hello) => {
          hellos.push(hello);
          return certKey;
        },
      }, certKey);
      server = await BackendTestServer.start(settings);
    });
    afterAll(async () => {
      await server?.close();
      if (dir) rmSync(dir, { recursive: true, force: true });
    });

    // A request and the server's close make s_client stay until the TLS 1.3 ticket has arrived.
    const request = 'GET / HTTP/1.1\r\nHost: localhost\r\n\r\n';
    for (const tls of ['1.3', '1.2'] as const) {
      ctx.test(`TLS ${tls}: callbacks.certificate runs once on the full and once on the resumed handshake`, async () => {
        const file = join(dir, `cb${tls}.session`);
        hellos.length = 0;
        let mark = server.mark();
        const first = await opensslClient({
          port: server.port, servername: 'localhost', tls, input: request, waitForServerClose: true,
          extraArgs: ['-sess_out', file], timeoutMs: ctx.ms(5000),
        });
        expect(first.code, first.output).toBe(0);
        expect((await server.digestAfter(mark)).sessionReused).toBe(false);
        expect(hellos.length).toBe(1);
        expect(existsSync(file), 'openssl saved a session to resume').toBe(true);

        mark = server.mark();
        const second = await opensslClient({
          port: server.port, servername: 'localhost', tls, input: request, waitForServerClose: true,
          extraArgs: ['-sess_in', file], timeoutMs: ctx.ms(5000),
        });
        expect(second.code, second.output).toBe(0);
        expect((await server.digestAfter(mark)).sessionReused).toBe(true);
        expect(second.output).toMatch(/^Reused, TLSv1\.[23]/m);
        expect(hellos.length).toBe(2);
        expect(hellos[1]?.serverName).toBe('localhost');
      });
    }
  }, ['session-tickets', 'certificate-callback']);
}
