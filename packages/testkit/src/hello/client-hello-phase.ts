// Core's ClientHello phase on whichever backend the calling test file imported: the parsed
// ClientHello (and its JA4/JA3) in the connection filter, the connection info and the digest;
// strict SNI's unrecognized_name; the filter's deny; the per-JA4 rate limit; a ClientHello
// split over records and reads; garbage. Real clients (Node's tls, openssl s_client, curl,
// gnutls-cli) on loopback, the same assertions on every backend.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { connect as tcpConnect, createServer as createTcpServer, type AddressInfo, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect as tlsConnect } from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ClientHelloReader, ConnectionLimits, accessLog, HttpPeer, Server, ServerConf, TlsClientHelloError, TlsSettings, httpProxyService,
  limitCounters, type ClientHello, type HandshakeFailureInfo, type ProxyError, type ProxyHttp,
} from '@proxy/core';
import { testPki } from '../pki.js';
import { curl } from '../peers/curl.js';
import { gnutlsClient } from '../peers/gnutls-cli.js';
import { opensslClient } from '../peers/openssl-cli.js';

interface Failure { info: HandshakeFailureInfo; error: ProxyError }

/** Answers every request with what the session knows of the ClientHello. */
const app: ProxyHttp<undefined> = {
  newCtx: () => undefined,
  upstreamPeer: () => new HttpPeer('127.0.0.1:1', false, ''),
  requestFilter(session) {
    const d = session.digest?.clientHello;
    const c = session.connection.clientHello;
    session.respond(200, { 'content-type': 'application/json' }, JSON.stringify({
      digestJa4: d?.ja4, connectionJa4: c?.ja4, stateJa4: session.connection.state['ja4'], sni: d?.serverName, alpn: d?.alpn,
    }));
    return true;
  },
};

/**
 * A TCP server that reads one ClientHello per connection with core's reader (the reference for
 * "what this client sends"), then closes; `capture` runs a client against it.
 */
async function captureClientHello(client: (port: number) => Promise<unknown>): Promise<{ hello: ClientHello; bytes: Buffer }> {
  let found: { hello: ClientHello; bytes: Buffer } | undefined;
  const server = createTcpServer((s: Socket) => {
    const reader = new ClientHelloReader();
    s.on('error', () => {});
    s.on('data', (chunk: Buffer) => {
      const r = reader.push(chunk);
      if (r.status === 'done') found ??= { hello: r.hello, bytes: Buffer.from(reader.bytes) };
      if (r.status !== 'more') s.destroy();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  try {
    await client((server.address() as AddressInfo).port).catch(() => undefined);
  } finally {
    await new Promise<void>((r) => server.close(() => r()));
  }
  if (!found) throw new Error('the client sent no ClientHello');
  return found;
}

/** Node's tls client: one HTTP/1.1 GET, the JSON answer (or the error). */
function nodeGet(port: number, servername: string | undefined, extra: { ciphers?: string } = {}): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    const s = tlsConnect({
      host: '127.0.0.1', port, rejectUnauthorized: false, ALPNProtocols: ['http/1.1'],
      ...(servername ? { servername } : {}), ...extra,
    });
    let body = '';
    s.setTimeout(5000, () => s.destroy(new Error('timeout')));
    s.once('secureConnect', () => s.write('GET / HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n'));
    s.on('data', (d: Buffer) => (body += d.toString()));
    s.once('error', reject);
    s.once('close', () => {
      const json = body.slice(body.indexOf('\r\n\r\n') + 4);
      try {
        resolve(JSON.parse(json) as Record<string, unknown>);
      } catch {
        reject(new Error(`no JSON answer: ${JSON.stringify(body)}`));
      }
    });
  });
}

/** Sends raw bytes, returns everything the server sent until it closed. */
function rawExchange(port: number, bytes: Buffer, timeoutMs = 3000): Promise<Buffer> {
  return new Promise((resolve) => {
    const s = tcpConnect({ host: '127.0.0.1', port });
    const got: Buffer[] = [];
    const timer = setTimeout(() => s.destroy(), timeoutMs);
    s.on('error', () => {});
    s.on('data', (d: Buffer) => got.push(d));
    s.once('close', () => {
      clearTimeout(timer);
      resolve(Buffer.concat(got));
    });
    s.write(bytes);
  });
}

/**
 * A relay that re-frames the client's first flight: the ClientHello goes on in handshake
 * records of `fragment` bytes, written `segment` bytes at a time with Nagle off and a pause
 * between writes; everything after it is relayed as is. The TLS transcript covers handshake
 * messages, not their framing, so the handshake still succeeds.
 */
async function refragmentingRelay(targetPort: number, fragment: number, segment: number): Promise<{ port: number; close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  const server = createTcpServer((client) => {
    const upstream = tcpConnect({ port: targetPort, host: '127.0.0.1', noDelay: true });
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on('error', () => {
        client.destroy();
        upstream.destroy();
      });
      s.on('close', () => sockets.delete(s));
    }
    const reader = new ClientHelloReader();
    let first = true;
    client.on('data', (chunk: Buffer) => {
      if (!first) {
        upstream.write(chunk);
        return;
      }
      if (reader.push(chunk).status === 'more') return;
      first = false;
      const all = reader.bytes;
      const msgEnd = 5 + all.readUInt16BE(3);
      const msg = all.subarray(5, msgEnd);
      const framed: Buffer[] = [];
      for (let p = 0; p < msg.length; p += fragment) {
        const piece = msg.subarray(p, p + fragment);
        framed.push(Buffer.from([22, 3, 1, piece.length >> 8, piece.length & 0xff]), piece);
      }
      const out = Buffer.concat([...framed, all.subarray(msgEnd)]);
      client.pause();
      void (async () => {
        for (let p = 0; p < out.length; p += segment) {
          upstream.write(out.subarray(p, p + segment));
          await new Promise((r) => setTimeout(r, 1));
        }
        client.resume();
      })();
    });
    client.on('end', () => upstream.end());
    upstream.pipe(client);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    port: (server.address() as AddressInfo).port,
    close: () => new Promise<void>((r) => {
      for (const s of sockets) s.destroy();
      server.close(() => r());
    }),
  };
}

const ALERT = (description: number): Buffer => Buffer.from([0x15, 0x03, 0x03, 0x00, 0x02, 0x02, description]);

/** Runs the ClientHello phase cases against the registered backend (the caller imports it). */
export function describeClientHelloPhase(backendName: string): void {
  describe(`ClientHello phase (${backendName})`, () => {
    const pki = testPki();
    const failures: Failure[] = [];
    const seen: ClientHello[] = [];
    let server: Server;
    let openPort = 0;
    let strictPort = 0;
    let limitedPort = 0;
    const record = (info: HandshakeFailureInfo, error: ProxyError): void => {
      failures.push({ info, error });
    };
    const lastFailure = async (): Promise<Failure> => {
      await expect.poll(() => failures.length).toBeGreaterThan(0);
      return failures[failures.length - 1]!;
    };

    const logDir = mkdtempSync(join(tmpdir(), 'hello-phase-'));
    const accessLogFile = join(logDir, 'access.log');

    beforeAll(async () => {
      const conf = new ServerConf({ gracefulShutdownTimeoutSeconds: 1, accessLog: accessLogFile, logFormat: 'json' });
      const svc = httpProxyService(conf, app, 'hello');
      svc.addTls('127.0.0.1:0', TlsSettings.intermediate(pki.serverEcdsa.chain, pki.serverEcdsa.key).setHandshakeFailed(record));
      // Strict SNI with the certificate's own names: localhost, test.local, *.wild.test.
      svc.addTls('127.0.0.1:0', TlsSettings.intermediate(pki.serverEcdsa.chain, pki.serverEcdsa.key).setStrictSni().setHandshakeFailed(record));
      svc.setConnectionFilter({
        filter: () => true,
        clientHello(hello, _peer, ctx) {
          seen.push(hello);
          ctx.state['ja4'] = hello.ja4;
          if (hello.serverName === 'deny.test') return false;
          if (hello.serverName === 'slow-deny.test') return new Promise((r) => setTimeout(() => r(false), 30));
          if (hello.serverName === 'slow-allow.test') return new Promise((r) => setTimeout(() => r(true), 30));
          return true;
        },
      });
      const limited = httpProxyService(conf, app, 'limited')
        .setConnectionLimits(new ConnectionLimits({ maxConnections: 10_000, maxNewConnectionsPerSecondPerJa4: 3 }));
      limited.addTls('127.0.0.1:0', TlsSettings.intermediate(pki.serverEcdsa.chain, pki.serverEcdsa.key).setHandshakeFailed(record));
      server = new Server(conf);
      server.addService(svc);
      server.addService(limited);
      await server.start();
      [openPort, strictPort] = svc.addresses().map((a) => a.port) as [number, number];
      limitedPort = limited.addresses()[0]!.port;
    });
    afterAll(async () => {
      await server.stop();
      rmSync(logDir, { recursive: true, force: true });
    });

    it('hands the parsed ClientHello to the filter, the connection info and the digest, with the JA4 of the bytes the client sent', async () => {
      seen.length = 0;
      const answer = await nodeGet(openPort, 'hello.test');
      const ref = await captureClientHello((port) => nodeGet(port, 'hello.test'));
      expect(seen).toHaveLength(1);
      const h = seen[0]!;
      expect(h.serverName).toBe('hello.test');
      expect(h.alpn).toEqual(['http/1.1']);
      expect(h.legacyVersion).toBe(0x0303);
      expect(h.supportedVersions).toContain(0x0304);
      expect(h.cipherSuites.length).toBeGreaterThan(0);
      expect(h.groups.length).toBeGreaterThan(0);
      expect(h.keyShareGroups.every((g) => h.groups.includes(g))).toBe(true);
      expect(h.signatureAlgorithms.length).toBeGreaterThan(0);
      expect(h.extensions.slice(0, 3)).toEqual(ref.hello.extensions.slice(0, 3));
      expect(h.ja4).toBe(ref.hello.ja4);
      expect(h.ja3).toBe(ref.hello.ja3);
      expect(h.ja4).toMatch(/^t13d\d{4}h1_[0-9a-f]{12}_[0-9a-f]{12}$/);
      expect(answer).toMatchObject({ digestJa4: h.ja4, connectionJa4: h.ja4, stateJa4: h.ja4, sni: 'hello.test', alpn: ['http/1.1'] });
      // The access log line of that request carries both fingerprints.
      await accessLog.flush();
      const lines = readFileSync(accessLogFile, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
      expect(lines.find((l) => l['sni'] === 'hello.test')).toMatchObject({ ja4: h.ja4, ja3: h.ja3 });
    });

    it('gives each real client a stable JA4 of its own: Node, openssl s_client, curl, gnutls-cli', async () => {
      const clients: Record<string, (port: number) => Promise<unknown>> = {
        node: (port) => nodeGet(port, 'localhost'),
        openssl: (port) => opensslClient({ port, servername: 'localhost', input: 'GET / HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n', waitForServerClose: true }),
        curl: (port) => curl({ port, http: '1.1', insecure: true }),
        gnutls: (port) => gnutlsClient({ port, servername: 'localhost', input: 'GET / HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n' }),
      };
      const ja4s: Record<string, string> = {};
      for (const [name, run] of Object.entries(clients)) {
        const ref = (await captureClientHello(run)).hello.ja4;
        for (let i = 0; i < 2; i++) {
          seen.length = 0;
          await run(openPort);
          await expect.poll(() => seen.length, { timeout: 5000 }).toBe(1);
          expect(seen[0]!.ja4, `${name}, connection ${i + 1}`).toBe(ref);
        }
        ja4s[name] = ref;
      }
      expect(new Set(Object.values(ja4s)).size, JSON.stringify(ja4s)).toBe(4);
    });

    it('reassembles a ClientHello split over several records and many TCP segments; the handshake goes on', async () => {
      const direct = await captureClientHello((port) => nodeGet(port, 'split.test'));
      const relay = await refragmentingRelay(openPort, 90, 13);
      try {
        seen.length = 0;
        const answer = await nodeGet(relay.port, 'split.test');
        expect(seen).toHaveLength(1);
        expect(seen[0]!.ja4).toBe(direct.hello.ja4);
        expect(answer).toMatchObject({ sni: 'split.test', digestJa4: direct.hello.ja4 });
      } finally {
        await relay.close();
      }
    });

    it('strict SNI: names the certificate covers go on; any other name, or none, gets a fatal unrecognized_name before the backend runs', async () => {
      expect(await nodeGet(strictPort, 'localhost')).toMatchObject({ sni: 'localhost' });
      expect(await nodeGet(strictPort, 'a.wild.test')).toMatchObject({ sni: 'a.wild.test' });
      for (const name of ['unknown.test', 'a.b.wild.test', undefined]) {
        failures.length = 0;
        const hello = (await captureClientHello((port) => nodeGet(port, name))).bytes;
        expect((await rawExchange(strictPort, hello)).equals(ALERT(112)), `SNI ${name ?? '(none)'}`).toBe(true);
        const f = await lastFailure();
        expect(f.error.code).toBe('TLS_UNRECOGNIZED_NAME');
        expect((f.error as ProxyError & { alert?: number }).alert).toBe(112);
        expect(f.info.serverName).toBe(name);
        expect(f.info.clientHello?.serverName).toBe(name);
      }
      const s = await opensslClient({ port: strictPort, servername: 'unknown.test' });
      expect(s.output).toMatch(/tlsv1 unrecognized name.*SSL alert number 112/);
    });

    it('the filter\'s clientHello phase denies with access_denied (sync and async) and allows (async)', async () => {
      for (const name of ['deny.test', 'slow-deny.test']) {
        failures.length = 0;
        const before = limitCounters.get('LIMIT_ACCESS_DENIED');
        const hello = (await captureClientHello((port) => nodeGet(port, name))).bytes;
        expect((await rawExchange(openPort, hello)).equals(ALERT(49)), name).toBe(true);
        const f = await lastFailure();
        expect(f.error.code).toBe('LIMIT_ACCESS_DENIED');
        expect(f.info.clientHello?.serverName).toBe(name);
        expect(limitCounters.get('LIMIT_ACCESS_DENIED')).toBe(before + 1);
      }
      expect(await nodeGet(openPort, 'slow-allow.test')).toMatchObject({ sni: 'slow-allow.test' });
    });

    it('limits new connections per second per JA4; other fingerprints still get in', async () => {
      failures.length = 0;
      const before = limitCounters.get('LIMIT_FINGERPRINT_RATE');
      // The first connection opens this fingerprint's one-second window; the burst fits in it.
      const started = Date.now();
      const results = await Promise.allSettled(Array.from({ length: 5 }, () => nodeGet(limitedPort, 'localhost')));
      const elapsed = Date.now() - started;
      const other = await nodeGet(limitedPort, 'localhost', { ciphers: 'ECDHE-ECDSA-AES128-GCM-SHA256' });
      expect(other).toMatchObject({ sni: 'localhost' });
      if (elapsed > 900) return; // a machine this slow spread the burst over two windows: nothing to assert
      expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(3);
      expect(limitCounters.get('LIMIT_FINGERPRINT_RATE')).toBe(before + 2);
      expect(failures.filter((f) => f.error.code === 'LIMIT_FINGERPRINT_RATE')).toHaveLength(2);
    });

    it('closes on bytes that are not TLS without a byte, and answers a malformed or oversized ClientHello with decode_error', async () => {
      failures.length = 0;
      expect((await rawExchange(openPort, Buffer.from('GET / HTTP/1.1\r\nhost: x\r\n\r\n'))).length).toBe(0);
      let f = await lastFailure();
      expect(f.error).toBeInstanceOf(TlsClientHelloError);
      expect((f.error as TlsClientHelloError).reason).toBe('not-tls');

      failures.length = 0;
      const good = (await captureClientHello((port) => nodeGet(port, 'localhost'))).bytes;
      // One byte short: the record and handshake lengths shrunk to match, so the last extension is truncated.
      const bad = Buffer.from(good.subarray(0, 5 + good.readUInt16BE(3) - 1));
      bad.writeUInt16BE(bad.length - 5, 3);
      bad.writeUIntBE(bad.length - 9, 6, 3);
      expect((await rawExchange(openPort, bad)).equals(ALERT(50))).toBe(true);
      f = await lastFailure();
      expect((f.error as TlsClientHelloError).reason).toBe('malformed');

      failures.length = 0;
      expect((await rawExchange(openPort, Buffer.from([22, 3, 1, 0, 4, 1, 0x02, 0x01, 0x45]))).equals(ALERT(50))).toBe(true);
      f = await lastFailure();
      expect((f.error as TlsClientHelloError).reason).toBe('too-large');
    });
  });
}
