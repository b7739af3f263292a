import { randomBytes } from 'node:crypto';
import type { Socket } from 'node:net';
import { Duplex } from 'node:stream';
import { connect as tlsConnect, type TLSSocket } from 'node:tls';
import { TlsSettings } from '@proxy/core';
import { afterAll, expect } from 'vitest';
import { BackendTestServer } from './backend-server.js';
import { tcpConnect, type SuiteContext } from './context.js';

/**
 * A real TLS client (Node's tls) over a TCP socket that the test can also write raw bytes to:
 * the handshake and the records of `tls` go through `raw`, and `inject` puts a record of the
 * test's own on the wire between them, as a hostile or broken peer would.
 */
export interface TappedTlsClient {
  tls: TLSSocket;
  raw: Socket;
  /** Writes bytes to the TCP connection directly, bypassing the TLS client. */
  inject(bytes: Buffer): void;
  /** Resolves with the milliseconds from now until the server ended the TCP connection (FIN or RST), or rejects after `timeoutMs`. */
  closedWithin(timeoutMs: number): Promise<number>;
  destroy(): void;
}

export async function tappedTlsClient(
  port: number, o: { ca: string; servername: string; version: 'TLSv1.2' | 'TLSv1.3'; timeoutMs: number },
): Promise<TappedTlsClient> {
  const raw = await tcpConnect(port);
  raw.on('error', () => {});
  let closed = false;
  const closeWaiters: Array<() => void> = [];
  const onGone = (): void => {
    if (closed) return;
    closed = true;
    for (const w of closeWaiters) w();
  };
  raw.once('end', onGone);
  raw.once('close', onGone);
  const tap = new Duplex({
    read() {},
    write(chunk: Buffer, _enc, cb) {
      if (raw.destroyed) return cb();
      raw.write(chunk, () => cb());
    },
    final(cb) {
      cb();
    },
  });
  tap.on('error', () => {});
  raw.on('data', (b: Buffer) => tap.push(b));
  raw.once('end', () => tap.push(null));
  const tls = tlsConnect({
    socket: tap, servername: o.servername, ca: o.ca, minVersion: o.version, maxVersion: o.version,
  });
  tls.on('error', () => {});
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no TLS handshake within ${o.timeoutMs} ms`)), o.timeoutMs);
    tls.once('secureConnect', () => {
      clearTimeout(timer);
      resolve();
    });
    tls.once('close', () => {
      clearTimeout(timer);
      reject(new Error('the server closed the connection during the handshake'));
    });
  });
  return {
    tls,
    raw,
    inject: (bytes) => raw.write(bytes),
    closedWithin(timeoutMs) {
      const started = Date.now();
      return new Promise((resolve, reject) => {
        if (closed) return resolve(0);
        const timer = setTimeout(
          () => reject(new Error(`the server kept the TCP connection open for ${timeoutMs} ms after the fault`)),
          timeoutMs,
        );
        closeWaiters.push(() => {
          clearTimeout(timer);
          resolve(Date.now() - started);
        });
      });
    },
    destroy() {
      tls.destroy();
      raw.destroy();
    },
  };
}

/** A TLS record header + body. */
function record(type: number, body: Buffer): Buffer {
  const head = Buffer.from([type, 0x03, 0x03, 0, 0]);
  head.writeUInt16BE(body.length, 3);
  return Buffer.concat([head, body]);
}

/**
 * Records no peer may send once the handshake is done. Each must make the server answer with a
 * fatal alert and close the connection at once (as openssl s_server and nginx do), not leave it
 * to an idle timer. TLS 1.3 and 1.2; the server is the backend's acceptor in this process.
 */
export const POST_HANDSHAKE_FAULTS: ReadonlyArray<{ name: string; bytes: () => Buffer }> = [
  { name: 'a record of content type 0', bytes: () => record(0, Buffer.from([1, 2, 3])) },
  { name: 'an empty alert record', bytes: () => record(21, Buffer.alloc(0)) },
  { name: 'a ChangeCipherSpec after Finished', bytes: () => record(20, Buffer.from([1])) },
  { name: 'a corrupted ciphertext (application data that fails to decrypt)', bytes: () => record(23, randomBytes(48)) },
];

/** Faults a peer commits after a finished handshake: every backend ends the connection at once. */
export function tlsFaultCases(ctx: SuiteContext): void {
  ctx.area('tls-faults', 'server: faults after the handshake close the connection at once', () => {
    let echo: BackendTestServer;
    ctx.beforeAll(async () => {
      const { serverEcdsa: c } = ctx.pki();
      echo = await BackendTestServer.start(TlsSettings.intermediate(c.chain, c.key), 'echo');
    });
    afterAll(() => echo?.close());

    const connect = async (version: 'TLSv1.2' | 'TLSv1.3'): Promise<TappedTlsClient> => {
      const mark = echo.mark();
      const client = await tappedTlsClient(echo.port, { ca: ctx.pki().caPem, servername: 'localhost', version, timeoutMs: ctx.ms(5000) });
      await echo.digestAfter(mark);
      // Data flows before the fault, so the connection is fully established on both sides.
      const echoed = new Promise<void>((resolve) => client.tls.once('data', () => resolve()));
      client.tls.write('ping');
      await echoed;
      return client;
    };

    for (const version of ['TLSv1.3', 'TLSv1.2'] as const) {
      for (const fault of POST_HANDSHAKE_FAULTS) {
        ctx.test(`${version}: ${fault.name} after the handshake: the server closes the connection at once`, async () => {
          const client = await connect(version);
          try {
            client.inject(fault.bytes());
            expect(await client.closedWithin(ctx.ms(3000))).toBeLessThan(ctx.ms(3000));
          } finally {
            client.destroy();
          }
        });
      }
    }

    ctx.test('TLS 1.2: a client-initiated renegotiation is refused (no_renegotiation or a close), repeatedly', async () => {
      for (let attempt = 0; attempt < 3; attempt++) {
        const client = await connect('TLSv1.2');
        try {
          // Node reports a finished renegotiation with 'secure'; a refusal makes its OpenSSL give up
          // (a no_renegotiation warning is fatal to a renegotiating client) or sees the close.
          const outcome = await new Promise<string>((resolve) => {
            const timer = setTimeout(() => resolve('no answer'), ctx.ms(3000));
            const settle = (what: string) => () => {
              clearTimeout(timer);
              resolve(what);
            };
            client.tls.once('secure', settle('renegotiated'));
            client.tls.once('error', settle('refused'));
            client.tls.once('close', settle('refused'));
            if (!client.tls.renegotiate({ rejectUnauthorized: false }, () => {})) settle('client could not start')();
          });
          expect(outcome).toBe('refused');
        } finally {
          client.destroy();
        }
      }
    }, ctx.ms(20_000));
  });
}
