import { tlsBackend } from '@proxy/core';
import { afterAll, describe, expect, it } from 'vitest';
import { killAllPeers } from '../peers/peer-process.js';
import { alpnAndSniCases } from './alpn-sni-cases.js';
import { binCases } from './bin-cases.js';
import { clientAuthCases } from './client-auth-cases.js';
import { configAndTimeoutCases } from './config-and-timeout-cases.js';
import { connectionFilterCases } from './connection-filter-cases.js';
import { connectorCases } from './connector-cases.js';
import { createSuiteContext, type TlsConformanceOptions } from './context.js';
import { interopCases, peerBinsFrom } from './interop-cases.js';
import { keylogCases } from './keylog-cases.js';
import { pqCases } from './pq-cases.js';
import { FeatureMatrixRecorder } from './results.js';
import { serverHandshakeCases } from './server-handshake-cases.js';
import { sessionAndDataCases } from './session-and-data-cases.js';

/**
 * THE conformance suite every TLS backend runs against itself. The calling test file imports
 * the backend package first (which registers it), then calls this:
 *
 *   import '@proxy/tls-openssl';
 *   describeTlsConformance({ backendPackage: '@proxy/tls-openssl', binPath, expectedBackend: 'openssl' });
 *
 * Servers run in-process (createAcceptor over net.createServer), clients through
 * createConnector; the peers are real programs (openssl, gnutls, curl), Node's tls, and the
 * backend's own bin in separate processes. Results go to PROXY_CONFORMANCE_OUT when set.
 */
export function describeTlsConformance(opts: TlsConformanceOptions): void {
  describe(`TLS backend conformance: ${opts.backendPackage}`, () => {
    let registered: ReturnType<typeof tlsBackend> | undefined;
    try {
      registered = tlsBackend();
    } catch {
      registered = undefined;
    }
    if (!registered) {
      it(`${opts.backendPackage} is registered (import it before describeTlsConformance)`, () => {
        expect(() => tlsBackend()).not.toThrow();
      });
      return;
    }
    const backend = registered;
    const recorder = new FeatureMatrixRecorder({
      backend: backend.name, packageName: backend.packageName, library: backend.library, features: [...backend.features].sort(),
    });
    const ctx = createSuiteContext(opts, recorder);

    afterAll(async () => {
      await killAllPeers();
      recorder.write();
    });

    it('the registered backend is the one under test', () => {
      expect(backend.packageName).toBe(opts.backendPackage);
      expect(backend.name).toBe(opts.expectedBackend);
      expect(backend.library.length).toBeGreaterThan(0);
    });

    serverHandshakeCases(ctx);
    alpnAndSniCases(ctx);
    clientAuthCases(ctx);
    keylogCases(ctx);
    configAndTimeoutCases(ctx);
    sessionAndDataCases(ctx);
    connectorCases(ctx);
    binCases(ctx);
    connectionFilterCases(ctx);
    pqCases(ctx);
    interopCases(ctx, peerBinsFrom(opts.peerBins));
  });
}
