// Listeners, the connection filter, the session's view of the connection, and graceful stop,
// on the OpenSSL backend with real clients (openssl s_client, curl).
import '@proxy/tls-openssl';
import { createServer, type Server as HttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  HttpPeer, Server, ServerConf, TlsSettings, httpProxyService, type ConnectionFilter, type ProxyHttp, type Service,
} from '@proxy/core';
import { curl, opensslClient, testPki } from '@proxy/testkit';

const pki = testPki();
let origin: HttpServer;
let originAddr: string;
/** Resolved when the origin starts answering /slow: the request is then surely in flight. */
let slowArrived: () => void = () => undefined;

beforeAll(async () => {
  // The origin answers /slow after 800 ms, everything else at once.
  origin = createServer((req, res) => {
    const reply = () => res.end(`origin saw ${req.url}`);
    if (req.url === '/slow') {
      slowArrived();
      setTimeout(reply, 800);
    }
    else reply();
  });
  await new Promise<void>((r) => origin.listen(0, '127.0.0.1', r));
  originAddr = `127.0.0.1:${(origin.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((r) => origin.close(() => r())));

function proxyApp(): ProxyHttp<undefined> {
  return {
    newCtx: () => undefined,
    upstreamPeer: () => new HttpPeer(originAddr, false, ''),
    requestFilter(session) {
      if (session.req.path !== '/state') return false;
      session.respond(200, { 'content-type': 'application/json' }, JSON.stringify({
        state: session.connection.state,
        sni: session.digest?.sni,
        backend: session.digest?.backend,
      }));
      return true;
    },
  };
}

async function startService(filter?: ConnectionFilter): Promise<{ server: Server; svc: Service; tlsPort: number; tcpPort: number }> {
  const conf = new ServerConf({ gracefulShutdownTimeoutSeconds: 3 });
  const svc = httpProxyService(conf, proxyApp());
  svc.addTls('127.0.0.1:0', TlsSettings.intermediate(pki.serverEcdsa.chain, pki.serverEcdsa.key));
  svc.addTcp('127.0.0.1:0');
  if (filter) svc.setConnectionFilter(filter);
  const server = new Server(conf);
  server.addService(svc);
  await server.start();
  const [tls, tcp] = svc.addresses();
  return { server, svc, tlsPort: tls!.port, tcpPort: tcp!.port };
}

describe('listeners', () => {
  it('serves h2 and http/1.1 on a TLS endpoint and plain HTTP on a TCP endpoint of the same service', async () => {
    const { server, tlsPort, tcpPort } = await startService();
    try {
      const h2 = await curl({ port: tlsPort, http: '2', caFile: pki.caFile, path: '/a' });
      expect(h2.status).toBe(200);
      expect(h2.alpn).toBe('h2');
      expect(h2.body).toBe('origin saw /a');
      const h1 = await curl({ port: tlsPort, http: '1.1', caFile: pki.caFile, path: '/b' });
      expect(h1.alpn).toBe('http/1.1');
      expect(h1.body).toBe('origin saw /b');
      const res = await fetch(`http://127.0.0.1:${tcpPort}/c`);
      expect(await res.text()).toBe('origin saw /c');
    } finally {
      await server.stop();
    }
  });
});

describe('connection filter', () => {
  it('closes a rejected connection before any TLS byte is sent', async () => {
    let calls = 0;
    const { server, tlsPort } = await startService({ filter: () => { calls++; return false; } });
    try {
      const r = await opensslClient({ port: tlsPort, servername: 'localhost', timeoutMs: 5000 });
      expect(calls).toBe(1);
      expect(r.output).toMatch(/read 0 bytes/);
      expect(r.version).toBeUndefined();
    } finally {
      await server.stop();
    }
  });

  it('stamps state that the session sees, and a slow filter does not hold up other connections', async () => {
    let n = 0;
    let firstFiltered!: () => void;
    const firstArrived = new Promise<void>((resolve) => (firstFiltered = resolve));
    const filter: ConnectionFilter = {
      async filter(peer, ctx) {
        const mine = ++n;
        ctx.state['order'] = mine;
        ctx.state['peerIp'] = peer.ip;
        if (mine === 1) {
          firstFiltered();
          await new Promise((r) => setTimeout(r, 1500));
        }
        return true;
      },
    };
    const { server, tlsPort } = await startService(filter);
    try {
      const started = Date.now();
      const slow = curl({ port: tlsPort, http: '1.1', caFile: pki.caFile, path: '/state' }).then((r) => ({ r, at: Date.now() - started }));
      // The second client starts once the first is inside the filter (a fixed delay raced curl's start-up on a loaded machine).
      await firstArrived;
      const fast = await curl({ port: tlsPort, http: '2', caFile: pki.caFile, path: '/state' });
      const fastAt = Date.now() - started;
      expect(JSON.parse(fast.body)).toEqual({ state: { order: 2, peerIp: '127.0.0.1' }, sni: 'localhost', backend: 'openssl' });
      const s = await slow;
      expect(JSON.parse(s.r.body).state.order).toBe(1);
      expect(fastAt).toBeLessThan(s.at);
      expect(s.at).toBeGreaterThanOrEqual(1400);
    } finally {
      await server.stop();
    }
  });
});

describe('graceful stop', () => {
  it('finishes an in-flight request, then refuses new connections', async () => {
    const { server, tlsPort } = await startService();
    const arrived = new Promise<void>((resolve) => { slowArrived = resolve; });
    const inFlight = curl({ port: tlsPort, http: '1.1', caFile: pki.caFile, path: '/slow', timeoutMs: 10_000 });
    await arrived;
    const stopped = server.stop();
    const r = await inFlight;
    expect(r.status).toBe(200);
    expect(r.body).toBe('origin saw /slow');
    await stopped;
    const after = await curl({ port: tlsPort, http: '1.1', caFile: pki.caFile, timeoutMs: 2000 });
    expect(after.status).toBe(0);
  });
});
