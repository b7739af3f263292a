// s2n-specific behaviour with real sockets: self-service blinding on listeners (capped at 1 s,
// never freezing the event loop), no delay on clients, the alerts we write where s2n would only
// close, and InvalidCert reasons.
import { execFileSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import '@proxy/tls-s2n';
import {
  InvalidCertError, TlsConfigError, TlsSettings, tlsBackend, tlsClientOptions, type TlsClientOptions, type TlsStream,
} from '@proxy/core';
import { BackendTestServer, nodeTlsConnect, testPki } from '@proxy/testkit';
import { maxBlindingDelaySeconds, setMaxBlindingSeconds } from '@proxy/tls-s2n';

const pki = testPki();
let server: BackendTestServer;
let expired: BackendTestServer;

beforeAll(async () => {
  [server, expired] = await Promise.all([
    BackendTestServer.start(TlsSettings.intermediate(pki.serverEcdsa.chain, pki.serverEcdsa.key), 'echo'),
    BackendTestServer.start(TlsSettings.intermediate(pki.expired.chain, pki.expired.key), 'echo'),
  ]);
});
afterAll(() => Promise.all([server?.close(), expired?.close()]));

/** Sends `bytes` on a raw TCP connection; resolves with what came back and when the server closed. */
async function rawExchange(port: number, bytes: Buffer, limitMs = 5000): Promise<{ received: Buffer; closedAfterMs: number }> {
  const started = performance.now();
  const socket = net.connect(port, '127.0.0.1');
  const chunks: Buffer[] = [];
  socket.on('data', (d: Buffer) => chunks.push(d));
  socket.on('error', () => {});
  socket.write(bytes);
  await new Promise<void>((resolve) => {
    const timer = setTimeout(() => {
      socket.destroy();
      resolve();
    }, limitMs);
    socket.once('close', () => {
      clearTimeout(timer);
      resolve();
    });
  });
  return { received: Buffer.concat(chunks), closedAfterMs: performance.now() - started };
}

/** A handshake record announcing a ClientHello longer than what follows: malformed, not merely short. */
const MALFORMED_HELLO = Buffer.from('16030100050100000100', 'hex');

function alertRecord(description: number): Buffer {
  return Buffer.from([0x15, 0x03, 0x03, 0x00, 0x02, 0x02, description]);
}

async function connect(port: number, options: TlsClientOptions, sni: string): Promise<TlsStream> {
  const socket = net.connect(port, '127.0.0.1');
  await new Promise((resolve, reject) => socket.once('connect', resolve).once('error', reject));
  try {
    const stream = await tlsBackend().createConnector(options).connect(socket, { sni, addr: `127.0.0.1:${port}` });
    stream.on('error', () => {});
    return stream;
  } catch (error) {
    socket.destroy();
    throw error;
  }
}

const trusted = (over: Partial<TlsClientOptions> = {}): TlsClientOptions =>
  tlsClientOptions({ ca: [new X509Certificate(pki.caPem)], caPem: pki.caPem, handshakeTimeoutMs: 5000, ...over });

describe('blinding on the listener', () => {
  it('a malformed ClientHello and a good client at once: the good one is quick, the bad one closes within the cap, timers keep running', async () => {
    expect(maxBlindingDelaySeconds()).toBe(1);
    let lastTick = performance.now();
    let maxLag = 0;
    const ticker = setInterval(() => {
      const now = performance.now();
      maxLag = Math.max(maxLag, now - lastTick - 5);
      lastTick = now;
    }, 5);
    try {
      const mark = server.mark();
      const bad = rawExchange(server.port, MALFORMED_HELLO);
      const goodStarted = performance.now();
      const good = await nodeTlsConnect({ port: server.port, servername: 'localhost', ca: pki.caPem, timeoutMs: 3000 });
      const goodMs = performance.now() - goodStarted;
      good.socket.write('ping');
      await new Promise((resolve) => good.socket.once('data', resolve));
      good.socket.end();
      const { received, closedAfterMs } = await bad;
      // Bounds with room for a loaded CI machine: what they tell apart is s2n's default blinding
      // (10-30 s, and a frozen event loop) from the 1 s cap on a timer.
      expect(goodMs).toBeLessThan(1_000);
      // s2n's delay is random from a third of the cap to the cap (1 s); the alert waits for it, then the close.
      expect(closedAfterMs).toBeGreaterThan(300);
      expect(closedAfterMs).toBeLessThan(3_000);
      expect(received).toEqual(alertRecord(50)); // decode_error, in plaintext: nothing was sent before
      // s2n's built-in blinding would have slept inside s2n_negotiate, freezing every timer for
      // the whole delay; a timer on a loaded machine may still be late by a little.
      expect(maxLag).toBeLessThan(closedAfterMs * 0.75);
      // Outcomes in the order they settled: the good handshake, then the bad one after its delay.
      const outcomes = await Promise.all([server.outcomeAfter(mark), server.outcomeAfter(mark + 1)]);
      expect(outcomes.map((o) => (o.ok ? 'ok' : o.error.code))).toEqual(['ok', 'TLS_PROTOCOL']);
    } finally {
      clearInterval(ticker);
    }
  });

  it('bytes that are not TLS at all get unexpected_message at once (no blinding, no waiting for a record)', async () => {
    const { received, closedAfterMs } = await rawExchange(server.port, Buffer.from('GET / HTTP/1.1\r\nHost: x\r\n\r\n'));
    expect(received).toEqual(alertRecord(10));
    expect(closedAfterMs).toBeLessThan(300);
  });

  it('PROXY_TLS_S2N_MAX_BLINDING_SECONDS sets the cap; a bad value fails createAcceptor, not the import', () => {
    const script = `
      import { TlsSettings, tlsBackend } from '@proxy/core';
      import { maxBlindingDelaySeconds } from '@proxy/tls-s2n';
      const settings = TlsSettings.intermediate(${JSON.stringify(pki.serverEcdsa.chain)}, ${JSON.stringify(pki.serverEcdsa.key)});
      try { tlsBackend().createAcceptor(settings); console.log('ok', maxBlindingDelaySeconds()); }
      catch (e) { console.log(e.code); }`;
    const run = (value: string): string => execFileSync(process.execPath, ['--input-type=module', '-e', script], {
      cwd: fileURLToPath(new URL('..', import.meta.url)), encoding: 'utf8',
      env: { ...process.env, PROXY_TLS_S2N_MAX_BLINDING_SECONDS: value },
    }).trim();
    expect(run('3')).toBe('ok 3');
    expect(run('soon')).toBe('TLS_CONFIG');
  });

  it('the cap is set per process: 1..30 s', () => {
    expect(() => setMaxBlindingSeconds(0)).toThrow(TlsConfigError);
    expect(() => setMaxBlindingSeconds(31)).toThrow(TlsConfigError);
    setMaxBlindingSeconds(2);
    expect(maxBlindingDelaySeconds()).toBe(2);
    setMaxBlindingSeconds(1);
  });
});

describe('the connector: certificate failures are immediate and typed', () => {
  it.each([
    ['expired', () => expired.port, 'localhost', {}],
    ['hostname-mismatch', () => server.port, 'nomatch.test', {}],
    ['unknown-ca', () => server.port, 'localhost', { caPem: pki.untrustedCa.certPem, ca: [new X509Certificate(pki.untrustedCa.certPem)] }],
  ] as const)('%s: InvalidCertError with that reason, well before any blinding delay', async (reason, port, sni, over) => {
    const started = performance.now();
    const error = await connect(port(), trusted(over), sni).then(() => undefined, (e: unknown) => e);
    expect(error).toBeInstanceOf(InvalidCertError);
    expect((error as InvalidCertError).reason).toBe(reason);
    expect((error as InvalidCertError).code).toBe('TLS_INVALID_CERT');
    expect(performance.now() - started).toBeLessThan(300);
  });

  it('verification off: the expired, wrong-named certificate is accepted (s2n keeps no unvalidated chain: no peerCertificate)', async () => {
    const stream = await connect(expired.port, trusted({ verifyCert: false, verifyHostname: false }), 'nomatch.test');
    expect(stream.digest.backend).toBe('s2n');
    expect(stream.digest.peerCertificate).toBeUndefined();
    stream.destroy();
  });
});
