import http from 'node:http';
import http2 from 'node:http2';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HttpPeer, Server, ServerConf, TlsSettings, httpProxyService, type ProxyHttp, type Service } from '@proxy/core';
import { testPki } from '../pki.js';
import {
  RawH2Client, dataFrame, headersFrame, requestFields, rstStreamFrame, windowUpdateFrame,
} from '../peers/raw-h2.js';

export interface HostileH2Options {
  /** The backend the importing test file registered, as `TlsBackend.name` spells it. */
  expectedBackend: string;
}

/** A gateway in this process: TLS listener (h2 + http/1.1) in front of a loopback HTTP/1.1 origin. */
interface Gateway {
  port: number;
  service: Service;
  server: Server;
  origin: http.Server;
}

async function startGateway(): Promise<Gateway> {
  const pki = testPki();
  const origin = http.createServer((req, res) => {
    req.resume();
    req.on('end', () => res.end(`ok ${req.url}`));
  });
  await new Promise<void>((resolve) => origin.listen(0, '127.0.0.1', resolve));
  const originPort = (origin.address() as AddressInfo).port;
  const app: ProxyHttp<undefined> = {
    newCtx: () => undefined,
    upstreamPeer: () => new HttpPeer(`127.0.0.1:${originPort}`, false, ''),
  };
  const conf = new ServerConf({});
  const service = httpProxyService(conf, app);
  service.addTls('127.0.0.1:0', TlsSettings.intermediate(pki.serverEcdsa.chain, pki.serverEcdsa.key));
  const server = new Server(conf);
  server.addService(service);
  await server.start();
  return { port: service.addresses()[0]!.port, service, server, origin };
}

/** A legitimate h2 GET through the gateway; resolves with the status. */
function legitimateGet(port: number, path = '/legit'): Promise<number> {
  return new Promise((resolve, reject) => {
    const session = http2.connect(`https://localhost:${port}`, { rejectUnauthorized: false });
    session.on('error', reject);
    const req = session.request({ ':path': path });
    let status = 0;
    req.on('response', (h) => {
      status = Number(h[':status']);
    });
    req.on('error', reject);
    req.resume();
    req.on('end', () => {
      session.close();
      resolve(status);
    });
  });
}

/** The gateway-side TCP sockets still open. */
function openConnections(g: Gateway): number {
  return g.service.openSockets;
}

async function waitFor(pred: () => boolean, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (pred()) return true;
    await new Promise((r) => setTimeout(r, 25));
  }
  return pred();
}

/**
 * Hostile HTTP/2 clients against a gateway on the importing package's backend (issue: one h2
 * client could kill the process; GOAWAY'd sessions piled up in CLOSE-WAIT). Raw frames, since
 * node:http2 will not send these sequences. Each case asserts that the process is still
 * serving a legitimate client afterwards, and that the hostile connection's socket is gone.
 * An unhandled 'error' anywhere in the gateway fails the run (vitest reports it), which is what
 * the first cases guard against.
 */
export function describeHostileH2(opts: HostileH2Options): void {
  describe(`hostile HTTP/2 clients (${opts.expectedBackend})`, () => {
    let g: Gateway;
    beforeAll(async () => {
      g = await startGateway();
    }, 20_000);
    afterAll(async () => {
      await g?.server.stop();
      await new Promise<void>((resolve) => g?.origin.close(() => resolve()));
    });

    // A new stream and a connection error in the same read: Node destroys the stream before it
    // is handed to the proxy (the crash was an unhandled 'error' on that ServerHttp2Stream).
    const sameReadCases: Array<[string, () => Buffer[]]> = [
      ['HEADERS then WINDOW_UPDATE 0 on stream 0', () => [headersFrame(1, requestFields('localhost')), windowUpdateFrame(0, 0)]],
      ['POST content-length 0 then a DATA frame', () => [
        headersFrame(1, requestFields('localhost', '/', 'POST', [['content-length', '0']]), false),
        dataFrame(1, Buffer.from('unexpected'), true),
      ]],
      ['129 streams against a limit of 128', () => Array.from({ length: 129 }, (_, i) => headersFrame(1 + 2 * i, requestFields('localhost')))],
    ];
    for (const [name, frames] of sameReadCases) {
      it(`survives ${name}, and still serves`, async () => {
        for (let round = 0; round < 3; round++) {
          const c = await RawH2Client.connect(g.port);
          c.open(...frames());
          await c.waitClosed(300);
          c.destroy();
        }
        expect(await legitimateGet(g.port)).toBe(200);
      });
    }

    it('a session nghttp2 gave up on (rapid reset) is destroyed, not left in CLOSE-WAIT', async () => {
      const before = openConnections(g);
      const clients: RawH2Client[] = [];
      for (let i = 0; i < 3; i++) {
        const c = await RawH2Client.connect(g.port);
        const frames: Buffer[] = [];
        for (let s = 0; s < 2_000; s++) frames.push(headersFrame(1 + 2 * s, requestFields('localhost')), rstStreamFrame(1 + 2 * s));
        c.open(...frames);
        clients.push(c);
      }
      // The clients leave without reading; the gateway must notice and free the sockets.
      for (const c of clients) c.socket.end();
      const freed = await waitFor(() => openConnections(g) <= before, 12_000);
      for (const c of clients) c.destroy();
      expect(freed).toBe(true);
      expect(await legitimateGet(g.port)).toBe(200);
    }, 20_000);
  });
}
