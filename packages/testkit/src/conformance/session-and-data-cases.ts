import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Duplex } from 'node:stream';
import { TlsSettings } from '@proxy/core';
import { afterAll, expect } from 'vitest';
import { nodeTlsConnect } from '../peers/node-tls.js';
import { opensslClient } from '../peers/openssl-cli.js';
import { BackendTestServer } from './backend-server.js';
import { backendConnect, clientOptions, type SuiteContext } from './context.js';

/** Writes `payload` and reads the same number of bytes back; resolves with their SHA-256. */
function echoRoundTrip(stream: Duplex, payload: Buffer, timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const hash = createHash('sha256');
    let received = 0;
    const timer = setTimeout(() => reject(new Error(`echoed ${received} of ${payload.length} bytes in ${timeoutMs} ms`)), timeoutMs);
    stream.on('data', (b: Buffer) => {
      hash.update(b);
      received += b.length;
      if (received >= payload.length) {
        clearTimeout(timer);
        resolve(hash.digest('hex'));
      }
    });
    stream.once('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    // Several writes of uneven sizes, so records and reads do not line up with writes.
    for (let at = 0; at < payload.length; at += 70_001) stream.write(payload.subarray(at, at + 70_001));
  });
}

/** Session resumption (digest.sessionReused) and bulk data through the stream both ways. */
export function sessionAndDataCases(ctx: SuiteContext): void {
  ctx.area('resumption', 'server: session resumption', () => {
    let dir: string;
    let tickets: BackendTestServer;
    let noTickets: BackendTestServer;
    let idCache: BackendTestServer | undefined;
    /** One fleet before, during and after a ticket key rotation: [k1], [k2, k1], [k3, k2]. */
    let fleet: { before: BackendTestServer; during: BackendTestServer; after: BackendTestServer } | undefined;
    ctx.beforeAll(async () => {
      dir = mkdtempSync(join(tmpdir(), 'proxy-sessions-'));
      const { serverEcdsa: c } = ctx.pki();
      [tickets, noTickets] = await Promise.all([
        BackendTestServer.start(TlsSettings.intermediate(c.chain, c.key)),
        ctx.supports('disable-session-tickets')
          ? BackendTestServer.start(TlsSettings.intermediate(c.chain, c.key).setSessionTickets(false))
          : (undefined as unknown as BackendTestServer),
      ]);
      if (ctx.supports('session-id-cache')) {
        idCache = await BackendTestServer.start(TlsSettings.intermediate(c.chain, c.key).setSessionIdCache(100));
      }
      if (ctx.supports('session-ticket-key-rotation')) {
        const [k1, k2, k3] = [randomBytes(80), randomBytes(80), randomBytes(80)];
        const withKeys = (keys: Buffer[]) => BackendTestServer.start(TlsSettings.intermediate(c.chain, c.key).setTicketKeys(keys));
        const [before, during, after] = await Promise.all([withKeys([k1]), withKeys([k2, k1]), withKeys([k3, k2])]);
        fleet = { before, during, after };
      }
    });
    afterAll(async () => {
      await Promise.all([tickets?.close(), noTickets?.close(), idCache?.close(), fleet?.before.close(), fleet?.during.close(), fleet?.after.close()]);
      if (dir) rmSync(dir, { recursive: true, force: true });
    });

    // A request and the server's close make s_client stay until the TLS 1.3 ticket has arrived.
    const request = 'GET / HTTP/1.1\r\nHost: localhost\r\n\r\n';
    const twice = async (
      server: BackendTestServer, tls: '1.2' | '1.3', name: string, clientArgs: readonly string[] = [],
    ): Promise<[boolean, boolean, string]> => {
      const file = join(dir, `${name}.session`);
      let mark = server.mark();
      const first = await opensslClient({
        port: server.port, servername: 'localhost', tls, input: request, waitForServerClose: true,
        extraArgs: [...clientArgs, '-sess_out', file], timeoutMs: ctx.ms(5000),
      });
      expect(first.code, first.output).toBe(0);
      const d1 = await server.digestAfter(mark);
      // No ticket and no session id to resume: openssl writes no session file.
      if (!existsSync(file)) return [d1.sessionReused, false, 'New, (no session to resume)'];
      mark = server.mark();
      const second = await opensslClient({
        port: server.port, servername: 'localhost', tls, input: request, waitForServerClose: true,
        extraArgs: [...clientArgs, '-sess_in', file], timeoutMs: ctx.ms(5000),
      });
      expect(second.code, second.output).toBe(0);
      const d2 = await server.digestAfter(mark);
      return [d1.sessionReused, d2.sessionReused, second.output];
    };

    for (const tls of ['1.3', '1.2'] as const) {
      ctx.test(`TLS ${tls} with tickets: the second connection resumes, digest.sessionReused true`, async () => {
        const [first, second, output] = await twice(tickets, tls, `t${tls}`);
        expect(first).toBe(false);
        expect(second).toBe(true);
        expect(output).toMatch(/^Reused, TLSv1\.[23]/m);
      });
    }

    ctx.test('TLS 1.2, a client without tickets, no session ID cache (the default): full handshakes', async () => {
      const [first, second, output] = await twice(tickets, '1.2', 'sid-off', ['-no_ticket']);
      expect(first).toBe(false);
      expect(second).toBe(false);
      expect(output).toMatch(/^New, /m);
    });

    ctx.test('TLS 1.2, a client without tickets, setSessionIdCache(100): resumes by session ID, digest.sessionReused true', async () => {
      const [first, second, output] = await twice(idCache!, '1.2', 'sid-on', ['-no_ticket']);
      expect(first).toBe(false);
      expect(second).toBe(true);
      expect(output).toMatch(/^Reused, TLSv1\.2/m);
    }, undefined, { requires: ['session-id-cache'] });

    for (const tls of ['1.3', '1.2'] as const) {
      ctx.test(`TLS ${tls}, setTicketKeys rotation: a ticket sealed under the first key resumes where that key is listed second, not where it is gone`, async () => {
        const { before, during, after } = fleet!;
        const file = (name: string): string => join(dir, `rotation-${tls}-${name}.session`);
        const connect = async (server: BackendTestServer, sessIn: string | undefined, sessOut: string): Promise<string> => {
          const r = await opensslClient({
            port: server.port, servername: 'localhost', tls, input: request, waitForServerClose: true,
            extraArgs: [...(sessIn ? ['-sess_in', sessIn] : []), '-sess_out', sessOut], timeoutMs: ctx.ms(5000),
          });
          expect(r.code, r.output).toBe(0);
          return r.output;
        };
        expect(await connect(before, undefined, file('k1'))).toMatch(/^New, /m);
        expect(await connect(during, file('k1'), file('during'))).toMatch(/^Reused, /m);
        expect(await connect(after, file('k1'), file('after'))).toMatch(/^New, /m);
        // TLS 1.3: the resumed connection handed out a fresh ticket under the new first key.
        if (tls === '1.3') expect(await connect(after, file('during'), file('after2'))).toMatch(/^Reused, TLSv1\.3/m);
      }, undefined, { requires: ['session-ticket-key-rotation'] });
    }

    ctx.test('TLS 1.3 with setSessionTickets(false): no resumption, full handshakes', async () => {
      const [first, second, output] = await twice(noTickets, '1.3', 'n13');
      expect(first).toBe(false);
      expect(second).toBe(false);
      expect(output).toMatch(/^New, /m);
    }, undefined, { requires: ['disable-session-tickets'] });
  }, ['session-tickets']);

  ctx.area('data', 'server and client: bulk data through the stream', () => {
    let echo: BackendTestServer;
    ctx.beforeAll(async () => {
      const { serverEcdsa: c } = ctx.pki();
      echo = await BackendTestServer.start(TlsSettings.intermediate(c.chain, c.key), 'echo');
    });
    afterAll(() => echo?.close());
    const payload = randomBytes(1 << 20);
    const expected = createHash('sha256').update(payload).digest('hex');

    ctx.test("1 MiB echoed to Node's tls client, byte for byte", async () => {
      const c = await nodeTlsConnect({ port: echo.port, servername: 'localhost', ca: ctx.pki().caPem, timeoutMs: ctx.ms(5000) });
      try {
        expect(await echoRoundTrip(c.socket, payload, ctx.ms(10_000))).toBe(expected);
      } finally {
        c.socket.destroy();
      }
    });

    ctx.test('1 MiB echoed with the backend on both ends (connector → acceptor), TLS 1.2', async () => {
      const stream = await backendConnect(echo.port, clientOptions(ctx.pki(), { maxVersion: 'TLSv1.2' }), 'localhost');
      try {
        expect(await echoRoundTrip(stream, payload, ctx.ms(10_000))).toBe(expected);
      } finally {
        stream.destroy();
      }
    });

    ctx.test('a clean close: the client ends, the echo server ends, both sides see end-of-stream', async () => {
      const stream = await backendConnect(echo.port, clientOptions(ctx.pki()), 'localhost');
      const ended = new Promise<string>((resolve, reject) => {
        let got = '';
        const timer = setTimeout(() => reject(new Error(`no end-of-stream after ${got.length} bytes`)), ctx.ms(3000));
        stream.on('data', (b: Buffer) => (got += b.toString()));
        stream.once('end', () => {
          clearTimeout(timer);
          resolve(got);
        });
      });
      stream.end('last words');
      expect(await ended).toBe('last words');
      stream.destroy();
    });
  });
}
