// Large response bodies through the proxy on this backend, byte for byte. Plain-TCP HTTP/1.1
// upstream connections read into one buffer shared by all of them, and body chunks go downstream
// as views of it ("borrowed"), straight into the TLS stream when it consumes them at once: these
// cases catch any path that keeps such a view past the read (a queued write behind a slow
// client, a stash while paused, a partial head), since the bytes would then be overwritten by a
// later read of another connection.
import { createHash, randomBytes } from 'node:crypto';
import { createServer, request as httpRequest, type IncomingMessage, type Server as HttpServer, type ServerResponse } from 'node:http';
import { Agent, request as httpsRequest } from 'node:https';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HttpPeer, Server, ServerConf, TlsSettings, httpProxyService, tlsBackend, type ProxyHttp } from '@proxy/core';
import { testPki } from '../pki.js';

/** The proxy's large-body cases against the registered backend (import the backend package first). */
export function describeBorrowedBodies(): void {
  const pki = testPki();
  const sha = (b: Buffer): string => createHash('sha256').update(b).digest('hex');

  /** Several MiB of random bytes, so no two reads of a shared buffer look alike. */
  const BODY = randomBytes(5 * 1024 * 1024 + 12_345);
  const BODY_SHA = sha(BODY);
  /** A second body on the same origin: concurrent responses must not leak into each other. */
  const OTHER = randomBytes(3 * 1024 * 1024 + 777);
  const OTHER_SHA = sha(OTHER);

  let origin: HttpServer;
  let originAddr: string;
  let server: Server;
  let tlsPort: number;
  let tcpPort: number;

  /** Small reads on the client side, so a slow client backs the proxy up sooner (http's highWaterMark, missing from this @types/node). */
  const SMALL_READS: object = { highWaterMark: 4096 };
  const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

  /** Writes `body` in pieces of varying size with short pauses, so the proxy sees short reads as well as full ones. */
  async function dribble(res: ServerResponse, body: Buffer): Promise<void> {
    let off = 0;
    let i = 0;
    while (off < body.length) {
      const n = Math.min(body.length - off, [1, 700, 16_384, 65_536, 200_000, 3][i++ % 6]!);
      const ok = res.write(body.subarray(off, off + n));
      off += n;
      if (!ok) await new Promise((r) => res.once('drain', r));
      else if (i % 7 === 0) await sleep(1);
    }
    res.end();
  }

  beforeAll(async () => {
    origin = createServer((req, res) => {
      const body = req.url?.includes('other') ? OTHER : BODY;
      if (req.url?.startsWith('/cl')) {
        // Content-Length, written in one go: full 64 KiB reads on the proxy's side.
        res.writeHead(200, { 'content-length': String(body.length), 'content-type': 'application/octet-stream' });
        res.end(body);
      } else if (req.url?.startsWith('/chunked')) {
        res.writeHead(200, { 'content-type': 'application/octet-stream' });
        void dribble(res, body);
      } else if (req.url?.startsWith('/close')) {
        // No length, no chunking: the body ends when the origin closes.
        res.useChunkedEncodingByDefault = false;
        res.shouldKeepAlive = false;
        res.writeHead(200, { 'content-type': 'application/octet-stream', connection: 'close' });
        void dribble(res, body);
      } else {
        res.writeHead(404);
        res.end();
      }
    });
    await new Promise<void>((r) => origin.listen(0, '127.0.0.1', r));
    originAddr = `127.0.0.1:${(origin.address() as AddressInfo).port}`;

    const app: ProxyHttp<undefined> = {
      newCtx: () => undefined,
      upstreamPeer: () => new HttpPeer(originAddr, false, ''),
    };
    const conf = new ServerConf({ gracefulShutdownTimeoutSeconds: 1 });
    const svc = httpProxyService(conf, app);
    svc.addTls('127.0.0.1:0', TlsSettings.intermediate(pki.serverEcdsa.chain, pki.serverEcdsa.key));
    svc.addTcp('127.0.0.1:0');
    server = new Server(conf);
    server.addService(svc);
    await server.start();
    const [tls, tcp] = svc.addresses();
    tlsPort = tls!.port;
    tcpPort = tcp!.port;
  });

  afterAll(async () => {
    await server?.stop();
    await new Promise<void>((r) => origin.close(() => r()));
  });

  interface Got {
    status: number;
    sha: string;
    length: number;
  }

  /**
   * GET `path` through the proxy. `slow`: the client stops reading for a while at first and then
   * takes its time with each chunk, so the proxy's writes to it back up (its socket buffers fill).
   */
  function get(path: string, opts: { tls: boolean; slow: boolean; agent?: Agent }): Promise<Got> {
    return new Promise((resolve, reject) => {
      const onResponse = (res: IncomingMessage): void => {
        const hash = createHash('sha256');
        let length = 0;
        let chunks = 0;
        res.on('data', (c: Buffer) => {
          hash.update(c);
          length += c.length;
          chunks++;
          if (opts.slow && chunks % 8 === 0 && chunks < 400) {
            res.pause();
            setTimeout(() => res.resume(), 2);
          }
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, sha: hash.digest('hex'), length }));
        res.on('error', reject);
        if (opts.slow) {
          res.pause();
          setTimeout(() => res.resume(), 300);
        }
      };
      const req = opts.tls
        ? httpsRequest({ host: '127.0.0.1', port: tlsPort, path, ca: pki.caPem, servername: 'localhost', agent: opts.agent, ...SMALL_READS }, onResponse)
        : httpRequest({ host: '127.0.0.1', port: tcpPort, path, ...SMALL_READS }, onResponse);
      req.on('error', reject);
      req.end();
    });
  }

  function expectBody(got: Got, which: 'body' | 'other'): void {
    const want = which === 'body' ? BODY : OTHER;
    expect(got.status).toBe(200);
    expect(got.length).toBe(want.length);
    expect(got.sha).toBe(which === 'body' ? BODY_SHA : OTHER_SHA);
  }

  describe(`large bodies from a plain-TCP HTTP/1.1 origin (${tlsBackend().name})`, () => {
    for (const kind of ['cl', 'chunked', 'close'] as const) {
      it(`${kind}: a fast TLS client gets the origin's exact bytes`, async () => {
        expectBody(await get(`/${kind}`, { tls: true, slow: false }), 'body');
      }, 30_000);

      it(`${kind}: a slow TLS client (backpressure) gets the origin's exact bytes`, async () => {
        // A fast plain-TCP request alongside: its upstream reads reuse the shared buffer while the
        // slow client's bytes wait.
        const [slow, fast] = await Promise.all([get(`/${kind}`, { tls: true, slow: true }), get('/cl-other', { tls: false, slow: false })]);
        expectBody(slow, 'body');
        expectBody(fast, 'other');
      }, 30_000);
    }

    it('fast and slow clients at once, over TLS and plain TCP, each get their own bytes', async () => {
      // Interleaved reads of many upstream connections through the one shared buffer.
      const agent = new Agent({ keepAlive: true, maxSockets: 8 });
      try {
        const cases: Array<[string, 'body' | 'other', { tls: boolean; slow: boolean; agent?: Agent }]> = [];
        for (const kind of ['cl', 'chunked', 'close']) {
          cases.push([`/${kind}`, 'body', { tls: true, slow: true, agent }]);
          cases.push([`/${kind}-other`, 'other', { tls: true, slow: false, agent }]);
          cases.push([`/${kind}-other`, 'other', { tls: false, slow: true }]);
          cases.push([`/${kind}`, 'body', { tls: false, slow: false }]);
        }
        const results = await Promise.all(cases.map(([path, , opts]) => get(path, opts)));
        results.forEach((got, i) => expectBody(got, cases[i]![1]));
        // Keep-alive: a second round on the same client connections (and pooled upstream ones).
        const again = await Promise.all([get('/cl', { tls: true, slow: false, agent }), get('/chunked-other', { tls: true, slow: true, agent })]);
        expectBody(again[0], 'body');
        expectBody(again[1], 'other');
      } finally {
        agent.destroy();
      }
    }, 60_000);
  });
}
