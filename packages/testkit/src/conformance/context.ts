import { connect, type Socket } from 'node:net';
import {
  parseCertificates, tlsBackend, tlsClientOptions, type BackendName, type TlsClientOptions, type TlsFeature, type TlsStream,
} from '@proxy/core';
import { beforeAll, describe, it } from 'vitest';
import { testPki, type TestPki } from '../pki.js';
import type { FeatureMatrixRecorder } from './results.js';

/** Groups of conformance cases; `skip` in the options names them. */
export type ConformanceArea =
  | 'handshake'
  | 'rsa'
  | 'alpn'
  | 'sni'
  | 'client-auth'
  | 'keylog'
  | 'handshake-timeout'
  | 'config-errors'
  | 'resumption'
  | 'data'
  | 'connector'
  | 'bin'
  | 'connection-filter'
  | 'interop'
  | 'post-quantum';

export interface TlsConformanceOptions {
  /** The npm package of the backend, e.g. "@proxy/tls-openssl"; the test file imports it first. */
  backendPackage: string;
  /** The backend's bin (s_server/s_client of @proxy/core/tools), run with `node` in separate processes. */
  binPath: string;
  /** The name the backend reports in `TlsBackend.name` and every digest. */
  expectedBackend: BackendName;
  /** Areas not to run, with the reason (recorded as "skipped" in the feature matrix). */
  skip?: Partial<Record<ConformanceArea, string>>;
  /**
   * Cases known to fail on this backend, by exact case name, with the reason (a bug to fix).
   * They are skipped, printed with the reason and recorded as "known-issue"; remove the entry
   * once the backend is fixed.
   */
  knownIssues?: Record<string, string>;
  /** Other backends' bins to interoperate with (also PROXY_INTEROP_BINS="name=/path/bin.js,..."). */
  peerBins?: ReadonlyArray<{ name: string; binPath: string }>;
  /** Scale for every peer timeout (slow CI machines); default 1. */
  timeoutScale?: number;
}

export interface SuiteContext {
  opts: TlsConformanceOptions;
  pki(): TestPki;
  /** Milliseconds scaled by `timeoutScale`. */
  ms(n: number): number;
  /** A describe block for one area; skipped (and recorded so) when the options say so or features are missing. */
  area(area: ConformanceArea, title: string, body: () => void, requires?: readonly TlsFeature[]): void;
  /**
   * One case, recorded in the feature matrix under the enclosing area. `requires` lists the
   * features it needs beyond the area's; a backend without them records it as "unsupported".
   */
  test(name: string, fn: () => Promise<void>, timeoutMs?: number, options?: { requires?: readonly TlsFeature[] }): void;
  /** Whether the backend declares every one of these features. */
  supports(...features: TlsFeature[]): boolean;
  /** vitest's beforeAll, left out when the enclosing area is skipped (its servers may need missing features). */
  beforeAll(fn: () => Promise<unknown> | unknown, timeoutMs?: number): void;
}

export function createSuiteContext(opts: TlsConformanceOptions, recorder: FeatureMatrixRecorder): SuiteContext {
  const scale = opts.timeoutScale ?? 1;
  let currentArea: ConformanceArea = 'handshake';
  let currentSkip: { status: 'skipped' | 'unsupported' | 'known-issue'; detail: string } | undefined;
  const ctx: SuiteContext = {
    opts,
    pki: testPki,
    ms: (n) => Math.round(n * scale),
    area(area, title, body, requires = []) {
      const missing = requires.filter((f) => !tlsBackend().features.has(f));
      const skipReason = opts.skip?.[area];
      describe(title, () => {
        const previous = [currentArea, currentSkip] as const;
        currentArea = area;
        currentSkip = skipReason !== undefined
          ? { status: 'skipped', detail: skipReason }
          : missing.length > 0
            ? { status: 'unsupported', detail: `backend lacks ${missing.join(', ')}` }
            : undefined;
        try {
          body();
        } finally {
          [currentArea, currentSkip] = previous;
        }
      });
    },
    supports: (...features) => features.every((f) => tlsBackend().features.has(f)),
    beforeAll(fn, timeoutMs = ctx.ms(30_000)) {
      if (!currentSkip) beforeAll(fn, timeoutMs);
    },
    test(name, fn, timeoutMs = ctx.ms(15_000), options = {}) {
      const area = currentArea;
      const knownIssue = opts.knownIssues?.[name];
      const missing = (options.requires ?? []).filter((f) => !tlsBackend().features.has(f));
      const skip = currentSkip
        ?? (missing.length > 0 ? { status: 'unsupported' as const, detail: `backend lacks ${missing.join(', ')}` } : undefined)
        ?? (knownIssue !== undefined ? { status: 'known-issue' as const, detail: `known issue: ${knownIssue}` } : undefined);
      if (skip) {
        recorder.record({ area, name, status: skip.status, detail: skip.detail });
        it.skip(`${name} (${skip.detail})`, () => {});
        return;
      }
      // Declared now so the matrix keeps the suite's order; a case that never runs (filtered with -t) stays "skipped".
      recorder.record({ area, name, status: 'skipped', detail: 'not run' });
      it(name, async () => {
        const started = Date.now();
        try {
          await fn();
          recorder.record({ area, name, status: 'pass', durationMs: Date.now() - started });
        } catch (err) {
          recorder.record({ area, name, status: 'fail', detail: (err as Error).message?.split('\n')[0], durationMs: Date.now() - started });
          throw err;
        }
      }, timeoutMs);
    },
  };
  return ctx;
}

/**
 * Connector options for tests: verification on against the test root, TLS 1.2-1.3, no ALPN,
 * a short handshake timeout, overridden by `over`.
 */
export function clientOptions(pki: TestPki, over: Partial<TlsClientOptions> = {}): TlsClientOptions {
  return tlsClientOptions({
    ca: parseCertificates(pki.caPem, pki.caFile, 'CA'),
    caPem: pki.caPem,
    handshakeTimeoutMs: 5000,
    ...over,
  });
}

export function tcpConnect(port: number, host = '127.0.0.1'): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = connect({ port, host });
    s.once('connect', () => {
      s.off('error', reject);
      resolve(s);
    });
    s.once('error', reject);
  });
}

/** TCP connect + the backend's connector handshake, as core's upstream Connector does. */
export async function backendConnect(
  port: number, options: TlsClientOptions, sni: string, host = '127.0.0.1',
): Promise<TlsStream> {
  const socket = await tcpConnect(port, host);
  try {
    const stream = await tlsBackend().createConnector(options).connect(socket, { sni, addr: `${host}:${port}` });
    stream.on('error', () => {});
    return stream;
  } catch (err) {
    socket.destroy();
    throw err;
  }
}

/** Writes `data` and collects what comes back until `expect` matches or the peer closes. */
export function exchange(stream: TlsStream, data: string, expect: RegExp, timeoutMs = 3000): Promise<string> {
  return new Promise((resolve, reject) => {
    let got = '';
    const finish = (ok: boolean): void => {
      clearTimeout(timer);
      stream.off('data', onData);
      stream.off('close', onClose);
      if (ok) resolve(got);
      else reject(new Error(`expected ${expect} from the peer, got ${JSON.stringify(got)}`));
    };
    const onData = (b: Buffer): void => {
      got += b.toString('utf8');
      if (expect.test(got)) finish(true);
    };
    const onClose = (): void => finish(expect.test(got));
    const timer = setTimeout(() => finish(false), timeoutMs);
    stream.on('data', onData);
    stream.on('close', onClose);
    stream.write(data);
  });
}
