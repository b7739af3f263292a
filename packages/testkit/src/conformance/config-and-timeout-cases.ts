import {
  Alpn, CertKey, TlsConfigError, TlsFeatureUnsupportedError, TlsSettings, tlsBackend, type TlsFeature,
} from '@proxy/core';
import { afterAll, expect } from 'vitest';
import { BackendTestServer } from './backend-server.js';
import { tcpConnect, type SuiteContext } from './context.js';

/** Settings that need exactly one feature, to check that a missing one is refused loudly. */
function settingsNeeding(feature: TlsFeature, cert: string, key: string, ca: string): TlsSettings | undefined {
  const base = (): TlsSettings => TlsSettings.intermediate(cert, key);
  switch (feature) {
    case 'tls1.2': return base().setVersions('TLSv1.2', 'TLSv1.2');
    case 'tls1.3': return TlsSettings.modern(cert, key);
    case 'alpn': return base().enableH2();
    case 'alpn-custom': return base().setAlpn(Alpn.custom('my-proto'));
    case 'client-auth-required': return base().setClientAuth({ ca, required: true });
    case 'client-auth-optional': return base().setClientAuth({ ca, required: false });
    case 'keylog': return base().setKeylog(() => {});
    case 'certificate-callback': return TlsSettings.withCallbacks({ certificate: () => undefined }, CertKey.fromFiles(cert, key));
    case 'disable-session-tickets': return base().setSessionTickets(false);
    case 'native': return base().native(() => {});
    default: return undefined;
  }
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
      const started = Date.now();
      const socket = await tcpConnect(server.port);
      const closedAfter = await new Promise<number>((resolve) => {
        socket.on('error', () => {});
        socket.resume();
        socket.once('close', () => resolve(Date.now() - started));
        setTimeout(() => {
          socket.destroy();
          resolve(Infinity);
        }, ctx.ms(3000));
      });
      const err = await server.errorAfter(mark);
      expect(closedAfter).toBeGreaterThanOrEqual(250);
      expect(closedAfter).toBeLessThan(ctx.ms(1000));
      expect(err.code).toBe('TLS_HANDSHAKE_TIMEOUT');
    });

    ctx.test('a client that stops mid-ClientHello is closed too', async () => {
      const mark = server.mark();
      const started = Date.now();
      const socket = await tcpConnect(server.port);
      // A handshake record header promising 512 bytes, then 5 of them.
      socket.write(Buffer.from([0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00, 0x01, 0xfc, 0x03]));
      const closedAfter = await new Promise<number>((resolve) => {
        socket.on('error', () => {});
        socket.resume();
        socket.once('close', () => resolve(Date.now() - started));
        setTimeout(() => {
          socket.destroy();
          resolve(Infinity);
        }, ctx.ms(3000));
      });
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

    ctx.test('a missing certificate file: TlsConfigError naming it', async () => {
      const { bad, serverEcdsa } = ctx.pki();
      expectConfigError(() => TlsSettings.intermediate(bad.missing, serverEcdsa.key), bad.missing);
    });

    ctx.test('a certificate file that is not PEM: TlsConfigError naming it', async () => {
      const { bad, serverEcdsa } = ctx.pki();
      expectConfigError(() => TlsSettings.intermediate(bad.notPem, serverEcdsa.key), bad.notPem);
    });

    ctx.test('a key file that is not PEM: TlsConfigError naming it', async () => {
      const { bad, serverEcdsa } = ctx.pki();
      expectConfigError(() => TlsSettings.modern(serverEcdsa.chain, bad.emptyFile), bad.emptyFile);
    });

    ctx.test('a key that does not match the certificate: TlsConfigError naming the key file', async () => {
      const { serverEcdsa, serverRsa } = ctx.pki();
      expectConfigError(() => TlsSettings.intermediate(serverEcdsa.chain, serverRsa.key), serverRsa.key);
    });

    ctx.test('a client CA file that is missing: TlsConfigError naming it', async () => {
      const { bad, serverEcdsa } = ctx.pki();
      expectConfigError(
        () => TlsSettings.intermediate(serverEcdsa.chain, serverEcdsa.key).setClientAuth({ ca: bad.missing, required: true }),
        bad.missing,
      );
    });

    ctx.test('features the backend does not declare are refused when compiled (TlsFeatureUnsupportedError)', async () => {
      const { serverEcdsa, caFile } = ctx.pki();
      const backend = tlsBackend();
      const all: TlsFeature[] = [
        'tls1.2', 'tls1.3', 'alpn', 'alpn-custom', 'client-auth-required', 'client-auth-optional', 'keylog',
        'certificate-callback', 'disable-session-tickets', 'native',
      ];
      for (const feature of all) {
        const settings = settingsNeeding(feature, serverEcdsa.chain, serverEcdsa.key, caFile)!;
        if (backend.features.has(feature)) {
          expect(() => backend.createAcceptor(settings), `${feature} is declared, so it compiles`).not.toThrow();
        } else {
          expect(() => backend.createAcceptor(settings), `${feature} is not declared`).toThrow(TlsFeatureUnsupportedError);
        }
      }
    });
  });
}
