import {
  Alpn, CertKey, TlsConfigError, TlsFeatureUnsupportedError, TlsSettings, tlsBackend, type TlsFeature,
} from '@proxy/core';
import { afterAll, expect } from 'vitest';
import { BackendTestServer } from './backend-server.js';
import { tcpConnect, type SuiteContext } from './context.js';

/**
 * Settings that need exactly one feature, to check that a missing one is refused loudly; the
 * features listed here are the ones the config-errors case walks through, in this order.
 */
type SettingsBuilder = (cert: string, key: string, ca: string) => TlsSettings;

const SETTINGS_NEEDING: Partial<Record<TlsFeature, SettingsBuilder>> = {
  'tls1.2': (cert, key) => TlsSettings.intermediate(cert, key).setVersions('TLSv1.2', 'TLSv1.2'),
  'tls1.3': (cert, key) => TlsSettings.modern(cert, key),
  'alpn': (cert, key) => TlsSettings.intermediate(cert, key).enableH2(),
  'alpn-custom': (cert, key) => TlsSettings.intermediate(cert, key).setAlpn(Alpn.custom('my-proto')),
  'client-auth-required': (cert, key, ca) => TlsSettings.intermediate(cert, key).setClientAuth({ ca, required: true }),
  'client-auth-optional': (cert, key, ca) => TlsSettings.intermediate(cert, key).setClientAuth({ ca, required: false }),
  'keylog': (cert, key) => TlsSettings.intermediate(cert, key).setKeylog(() => {}),
  'certificate-callback': (cert, key) => TlsSettings.withCallbacks({ certificate: () => undefined }, CertKey.fromFiles(cert, key)),
  'disable-session-tickets': (cert, key) => TlsSettings.intermediate(cert, key).setSessionTickets(false),
  'session-id-cache': (cert, key) => TlsSettings.intermediate(cert, key).setSessionIdCache(100),
  'native': (cert, key) => TlsSettings.intermediate(cert, key).native(() => {}),
};

/** Connects to `port`, writes `send` if given, and resolves with the ms until the server closed (Infinity: not within `limitMs`). */
async function msUntilClosed(port: number, limitMs: number, send?: Buffer): Promise<number> {
  const started = Date.now();
  const socket = await tcpConnect(port);
  if (send) socket.write(send);
  return new Promise<number>((resolve) => {
    socket.on('error', () => {});
    socket.resume();
    socket.once('close', () => resolve(Date.now() - started));
    setTimeout(() => {
      socket.destroy();
      resolve(Infinity);
    }, limitMs);
  });
}

/** Handshake timeout against a silent client; configuration errors that name the file. */
export function configAndTimeoutCases(ctx: SuiteContext): void {
  ctx.area('handshake-timeout', 'server: handshake timeout', () => {
    let server: BackendTestServer;
    ctx.beforeAll(async () => {
      const { serverEcdsa: c } = ctx.pki();
      server = await BackendTestServer.start(TlsSettings.intermediate(c.chain, c.key).setHandshakeTimeout(300), 'echo');
    });
    afterAll(() => server?.close());

    ctx.test('a client that sends nothing is closed after ~300 ms with TLS_HANDSHAKE_TIMEOUT', async () => {
      const mark = server.mark();
      const closedAfter = await msUntilClosed(server.port, ctx.ms(3000));
      const err = await server.errorAfter(mark);
      expect(closedAfter).toBeGreaterThanOrEqual(250);
      expect(closedAfter).toBeLessThan(ctx.ms(1000));
      expect(err.code).toBe('TLS_HANDSHAKE_TIMEOUT');
    });

    ctx.test('a client that stops mid-ClientHello is closed too', async () => {
      const mark = server.mark();
      // A handshake record header promising 512 bytes, then 5 of them.
      const partialHello = Buffer.from([0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00, 0x01, 0xfc, 0x03]);
      const closedAfter = await msUntilClosed(server.port, ctx.ms(3000), partialHello);
      await server.errorAfter(mark);
      expect(closedAfter).toBeLessThan(ctx.ms(1000));
    });
  });

  ctx.area('config-errors', 'settings: bad certificate and key files', () => {
    const expectConfigError = (build: () => unknown, file: string): void => {
      let caught: unknown;
      try {
        const settings = build();
        if (settings instanceof TlsSettings) tlsBackend().createAcceptor(settings);
      } catch (err) {
        caught = err;
      }
      expect(caught).toBeInstanceOf(TlsConfigError);
      expect((caught as TlsConfigError).file).toBe(file);
      expect((caught as Error).message).toContain(file);
    };

    ctx.test('a missing certificate file: TlsConfigError naming it', () => {
      const { bad, serverEcdsa } = ctx.pki();
      expectConfigError(() => TlsSettings.intermediate(bad.missing, serverEcdsa.key), bad.missing);
    });

    ctx.test('a certificate file that is not PEM: TlsConfigError naming it', () => {
      const { bad, serverEcdsa } = ctx.pki();
      expectConfigError(() => TlsSettings.intermediate(bad.notPem, serverEcdsa.key), bad.notPem);
    });

    ctx.test('a key file that is not PEM: TlsConfigError naming it', () => {
      const { bad, serverEcdsa } = ctx.pki();
      expectConfigError(() => TlsSettings.modern(serverEcdsa.chain, bad.emptyFile), bad.emptyFile);
    });

    ctx.test('a key that does not match the certificate: TlsConfigError naming the key file', () => {
      const { serverEcdsa, serverRsa } = ctx.pki();
      expectConfigError(() => TlsSettings.intermediate(serverEcdsa.chain, serverRsa.key), serverRsa.key);
    });

    ctx.test('a client CA file that is missing: TlsConfigError naming it', () => {
      const { bad, serverEcdsa } = ctx.pki();
      expectConfigError(
        () => TlsSettings.intermediate(serverEcdsa.chain, serverEcdsa.key).setClientAuth({ ca: bad.missing, required: true }),
        bad.missing,
      );
    });

    ctx.test('features the backend does not declare are refused when compiled (TlsFeatureUnsupportedError)', () => {
      const { serverEcdsa, caFile } = ctx.pki();
      const backend = tlsBackend();
      for (const [feature, build] of Object.entries(SETTINGS_NEEDING) as Array<[TlsFeature, SettingsBuilder]>) {
        const settings = build(serverEcdsa.chain, serverEcdsa.key, caFile);
        if (backend.features.has(feature)) {
          expect(() => backend.createAcceptor(settings), `${feature} is declared, so it compiles`).not.toThrow();
        } else {
          expect(() => backend.createAcceptor(settings), `${feature} is not declared`).toThrow(TlsFeatureUnsupportedError);
        }
      }
    });
  });
}
