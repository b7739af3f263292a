/**
 * Upstream TLS through the registered backend's connector against nginx as the origin, the way Pingora's
 * proxy tests do: full verification, SNI/hostname checks, alternative names, per-peer trust
 * stores, client certificates through an intermediate CA, pool reuse boundaries, connect and
 * handshake timeouts, and HTTP/2 upstreams. The proxy's downstream is plain TCP here; the
 * downstream TLS side is the listener's business.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it as vitestIt } from 'vitest';
import {
  Alpn, CertKey, HttpPeer, HttpProxy, connectionInfo, type ProxyError, type ProxyHttp, type Session, type SslDigest,
} from '@proxy/core';
import { freePort } from '../peers/ports.js';
import { expectInvalidCert } from './expect-error.js';
import { testPki, type TestPki } from '../pki.js';

const NGINX = '/usr/sbin/nginx';
const hasNginx = spawnSync(NGINX, ['-v']).status === 0;

interface Ctx {
  reused?: boolean;
  upstreamDigest?: SslDigest | undefined;
}

interface Outcome {
  status: number;
  body: string;
  headers: http.IncomingHttpHeaders;
  reused: boolean | undefined;
  error: ProxyError | undefined;
  digest: SslDigest | undefined;
}

async function waitForPort(port: number, ms: number): Promise<void> {
  const end = Date.now() + ms;
  for (;;) {
    const ok = await new Promise<boolean>((resolve) => {
      const s = net.connect(port, '127.0.0.1');
      s.once('connect', () => {
        s.destroy();
        resolve(true);
      });
      s.once('error', () => resolve(false));
    });
    if (ok) return;
    if (Date.now() > end) throw new Error(`nginx did not listen on ${port}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/**
 * A proxy on a loopback TCP port whose upstreamPeer is `peerFor(session)`; each request's
 * outcome (status, reuse flag, error, upstream digest) is recorded in `outcomes` by path.
 */
async function startProxy(peerFor: (s: Session) => HttpPeer, make: (app: ProxyHttp<Ctx>) => HttpProxy<Ctx>) {
  const last: { reused?: boolean; error?: ProxyError; digest?: SslDigest } = {};
  const app: ProxyHttp<Ctx> = {
    newCtx: () => ({}),
    upstreamPeer: (s) => peerFor(s),
    connectedToUpstream: (_s, reused, _peer, digest, ctx) => {
      ctx.reused = reused;
      ctx.upstreamDigest = digest;
    },
    logging: (_s, error, ctx) => {
      last.reused = ctx.reused;
      last.error = error;
      last.digest = ctx.upstreamDigest;
    },
  };
  const proxy = make(app);
  const server = net.createServer((socket) => {
    proxy.handleConnection(socket, {
      info: connectionInfo(socket),
      digest: undefined,
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  return {
    proxy,
    async get(path = '/'): Promise<Outcome> {
      delete last.reused;
      delete last.error;
      delete last.digest;
      const res = await new Promise<{ status: number; body: string; headers: http.IncomingHttpHeaders }>((resolve, reject) => {
        http.get({ host: '127.0.0.1', port, path, agent }, (r) => {
          let body = '';
          r.setEncoding('utf8');
          r.on('data', (c: string) => (body += c));
          r.on('end', () => resolve({ status: r.statusCode!, body, headers: r.headers }));
        }).on('error', reject);
      });
      // logging runs right after the response is handed over; give it a tick.
      await new Promise((r) => setImmediate(r));
      return { ...res, reused: last.reused, error: last.error, digest: last.digest };
    },
    /** A request on its own new downstream connection (for concurrency). */
    getFresh(path: string): Promise<{ status: number; headers: http.IncomingHttpHeaders }> {
      return new Promise((resolve, reject) => {
        http.get({ host: '127.0.0.1', port, path, agent: false }, (r) => {
          r.resume();
          r.on('end', () => resolve({ status: r.statusCode!, headers: r.headers }));
        }).on('error', reject);
      });
    },
    async close() {
      agent.destroy();
      await proxy.shutdown(100);
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}

export interface UpstreamConformanceOptions {
  /** SslDigest.backend the registered backend reports ("openssl", "pure", ...). */
  expectedBackend: string;
  /** Cases known to fail on this backend, by exact name, with the reason: skipped and printed. */
  knownIssues?: Record<string, string>;
}

/**
 * The upstream (connector) half of the conformance suite: the registered backend's connector,
 * driven through HttpProxy, against nginx as the TLS origin (as Pingora's own proxy tests do).
 * The calling test file imports its backend package first.
 */
export function describeUpstreamConformance(opts: UpstreamConformanceOptions): void {
describe.skipIf(!hasNginx)(`upstream TLS against nginx (${opts.expectedBackend} backend)`, () => {
  // A known issue is skipped with its reason printed, never silently passed.
  const it = Object.assign((name: string, fn: () => Promise<void>, timeout?: number) => {
    const reason = opts.knownIssues?.[name];
    if (reason !== undefined) {
      vitestIt.skip(`${name} [known issue: ${reason}]`, fn, timeout);
      return;
    }
    vitestIt(name, fn, timeout);
  }, { skip: vitestIt.skip });
  let pki: TestPki;
  let dir: string;
  let nginx: ChildProcess;
  let nginxLog = '';
  let tlsPort = 0; // server certificate with several SANs, no client auth
  let mtlsPort = 0; // requires a client certificate issued through the intermediate
  let h2Port = 0; // same certificate, HTTP/2 via ALPN
  let tlsAddr = '';

  beforeAll(async () => {
    pki = testPki();
    dir = mkdtempSync(join(tmpdir(), 'proxy-nginx-'));
    mkdirSync(join(dir, 'logs'));
    [tlsPort, mtlsPort, h2Port] = [await freePort(), await freePort(), await freePort()];
    tlsAddr = `127.0.0.1:${tlsPort}`;
    const s = pki.serverEcdsa;
    writeFileSync(join(dir, 'nginx.conf'), `
user root;
worker_processes 1;
events { worker_connections 256; }
http {
  access_log off;
  client_body_temp_path ${dir}/body;
  proxy_temp_path ${dir}/proxy;
  fastcgi_temp_path ${dir}/fastcgi;
  uwsgi_temp_path ${dir}/uwsgi;
  scgi_temp_path ${dir}/scgi;
  keepalive_requests 10000;
  keepalive_timeout 60s;
  ssl_protocols TLSv1.2 TLSv1.3;
  server {
    listen 127.0.0.1:${tlsPort} ssl;
    listen 127.0.0.1:${h2Port} ssl http2;
    ssl_certificate ${s.chain};
    ssl_certificate_key ${s.key};
    location / {
      add_header X-Conn $connection always;
      return 200 "ok sni=$ssl_server_name proto=$server_protocol\\n";
    }
  }
  server {
    listen 127.0.0.1:${mtlsPort} ssl;
    ssl_certificate ${s.chain};
    ssl_certificate_key ${s.key};
    ssl_client_certificate ${pki.caFile};
    ssl_verify_client on;
    ssl_verify_depth 2;
    location / {
      add_header X-Conn $connection always;
      return 200 "mtls dn=$ssl_client_s_dn\\n";
    }
  }
}
`);
    nginx = spawn(NGINX, ['-p', dir, '-c', join(dir, 'nginx.conf'), '-g', `daemon off; pid ${dir}/nginx.pid; error_log stderr;`], { stdio: ['ignore', 'ignore', 'pipe'] });
    nginx.stderr!.on('data', (c: Buffer) => (nginxLog += c.toString()));
    try {
      await Promise.all([waitForPort(tlsPort, 5000), waitForPort(mtlsPort, 5000), waitForPort(h2Port, 5000)]);
    } catch (e) {
      throw new Error(`${(e as Error).message}\n${nginxLog}`, { cause: e });
    }
  });

  afterAll(async () => {
    if (nginx && nginx.exitCode === null) {
      // SIGTERM, not SIGKILL: the master must take its worker down with it, or the worker is
      // orphaned and keeps the ports. SIGKILL only if it does not exit in time.
      const exited = new Promise((r) => nginx.once('exit', r));
      nginx.kill('SIGTERM');
      const timer = setTimeout(() => nginx.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(timer);
    }
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const peer = (addr: string, sni: string, tweak?: (p: HttpPeer) => void): HttpPeer => {
    const p = new HttpPeer(addr, true, sni);
    p.options.ca = pki.caPem;
    tweak?.(p);
    return p;
  };

  it('verifies the chain and the name; every SAN of the certificate works', async () => {
    for (const sni of ['localhost', 'test.local', 'any.wild.test']) {
      const px = await startProxy(() => peer(tlsAddr, sni), (app) => HttpProxy.new(app));
      try {
        const r = await px.get();
        expect(r.status, sni).toBe(200);
        expect(r.body).toBe(`ok sni=${sni} proto=HTTP/1.1\n`);
        expect(r.digest?.backend).toBe(opts.expectedBackend);
        expect(r.digest?.peerCertificate?.commonName).toBe('localhost');
      } finally {
        await px.close();
      }
    }
  });

  it('an empty SNI sends none; the name checked is then the address (an IP SAN here)', async () => {
    const px = await startProxy(() => peer(tlsAddr, ''), (app) => HttpProxy.new(app));
    try {
      const r = await px.get();
      expect(r.status).toBe(200);
      expect(r.body).toBe('ok sni= proto=HTTP/1.1\n');
    } finally {
      await px.close();
    }
  });

  it('an SNI not in the certificate fails with TLS_INVALID_CERT hostname-mismatch (502) unless verifyHostname is off; alternativeCn is accepted', async () => {
    let tweak: (p: HttpPeer) => void = () => {};
    const px = await startProxy(() => peer(tlsAddr, 'not-in-cert.test', tweak), (app) => HttpProxy.new(app));
    try {
      const bad = await px.get();
      expect(bad.status).toBe(502);
      expectInvalidCert(bad.error, 'hostname-mismatch');
      expect(bad.error?.message).toMatch(/hostname|not-in-cert|altnames|name/i);

      tweak = (p) => (p.options.verifyHostname = false);
      expect((await px.get()).status).toBe(200);

      tweak = (p) => (p.options.alternativeCn = 'test.local');
      expect((await px.get()).status).toBe(200);

      tweak = (p) => (p.options.alternativeCn = 'also-wrong.test');
      const stillBad = await px.get();
      expect(stillBad.status).toBe(502);
      expectInvalidCert(stillBad.error, 'hostname-mismatch');
    } finally {
      await px.close();
    }
  });

  it('trust store: system store rejects the test CA (TLS_INVALID_CERT unknown-ca); per-peer ca and conf.caFile accept it', async () => {
    let withCa = false;
    const sys = await startProxy(() => {
      const p = new HttpPeer(tlsAddr, true, 'localhost');
      if (withCa) p.options.ca = Buffer.from(pki.caPem);
      return p;
    }, (app) => HttpProxy.new(app));
    try {
      const r = await sys.get();
      expect(r.status).toBe(502);
      expectInvalidCert(r.error, 'unknown-ca');
      withCa = true;
      expect((await sys.get()).status).toBe(200);
    } finally {
      await sys.close();
    }
    const conf = await startProxy(() => new HttpPeer(tlsAddr, true, 'localhost'), (app) => HttpProxy.new(app, { caFile: pki.caFile }));
    try {
      expect((await conf.get()).status).toBe(200);
    } finally {
      await conf.close();
    }
  });

  it('verifyCert off accepts an untrusted chain', async () => {
    const px = await startProxy(() => {
      const p = new HttpPeer(tlsAddr, true, 'localhost');
      p.options.verifyCert = false;
      return p;
    }, (app) => HttpProxy.new(app));
    try {
      expect((await px.get()).status).toBe(200);
    } finally {
      await px.close();
    }
  });

  it('mTLS through an intermediate: no certificate 400, leaf alone 400, full chain 200', async () => {
    const mtlsAddr = `127.0.0.1:${mtlsPort}`;
    const leafOnly = CertKey.fromPem(pki.client.certPem, pki.client.keyPem);
    const chain = CertKey.fromPem(pki.client.chainPem, pki.client.keyPem);
    let certKey: CertKey | undefined;
    const px = await startProxy(() => peer(mtlsAddr, 'localhost', (p) => (p.options.clientCertKey = certKey)), (app) => HttpProxy.new(app));
    try {
      expect((await px.get()).status).toBe(400);
      certKey = leafOnly;
      expect((await px.get()).status).toBe(400);
      certKey = chain;
      const ok = await px.get();
      expect(ok.status).toBe(200);
      expect(ok.body).toMatch(/CN=client\.test/);
      expect((await px.get()).reused).toBe(true);
    } finally {
      await px.close();
    }
    // HttpProxy.newMtls: the proxy-wide certificate for peers without their own; HttpPeer.newMtls: per peer.
    const viaProxy = await startProxy(() => peer(mtlsAddr, 'localhost'), (app) => HttpProxy.newMtls(app, {}, pki.client.chainPem, pki.client.keyPem));
    try {
      expect((await viaProxy.get()).status).toBe(200);
    } finally {
      await viaProxy.close();
    }
    const viaPeer = await startProxy(() => {
      const p = HttpPeer.newMtls(mtlsAddr, 'localhost', chain);
      p.options.ca = pki.caPem;
      return p;
    }, (app) => HttpProxy.new(app));
    try {
      expect((await viaPeer.get()).status).toBe(200);
    } finally {
      await viaPeer.close();
    }
  });

  it('reuses pooled connections only for identical TLS parameters', async () => {
    const chain = CertKey.fromPem(pki.client.chainPem, pki.client.keyPem);
    let variant = 'base';
    const px = await startProxy(() => peer(tlsAddr, 'localhost', (p) => {
      if (variant === 'cert') p.options.clientCertKey = chain;
      if (variant === 'noverify') p.options.verifyHostname = false;
      if (variant === 'altcn') p.options.alternativeCn = 'test.local';
    }), (app) => HttpProxy.new(app));
    try {
      const first = await px.get();
      expect(first.reused).toBe(false);
      const second = await px.get();
      expect(second.reused).toBe(true);
      expect(second.headers['x-conn']).toBe(first.headers['x-conn']);
      const seenConns = new Set([first.headers['x-conn']]);
      for (const v of ['cert', 'noverify', 'altcn']) {
        variant = v;
        const r = await px.get();
        expect(r.status, v).toBe(200);
        expect(r.reused, v).toBe(false);
        expect(seenConns.has(r.headers['x-conn']), v).toBe(false);
        seenConns.add(r.headers['x-conn']);
        expect((await px.get()).reused, `${v} again`).toBe(true);
      }
      variant = 'base';
      const back = await px.get();
      expect(back.reused).toBe(true);
      expect(back.headers['x-conn']).toBe(first.headers['x-conn']);
      // Four distinct option sets were compiled, once each.
      expect(px.proxy.connector.configCache.size).toBe(4);
    } finally {
      await px.close();
    }
  });

  it('resumes the TLS session on a new connection to the same upstream by default (digest.sessionReused); sessionResumption false does not', async () => {
    let resume = true;
    // No pooling: every request makes a new TLS connection through the one cached connector.
    const px = await startProxy(() => peer(tlsAddr, 'localhost', (p) => (p.options.sessionResumption = resume)),
      (app) => HttpProxy.new(app, { upstreamKeepalivePoolSize: 0 }));
    try {
      const seen: Array<boolean | undefined> = [];
      for (let i = 0; i < 3; i++) {
        const r = await px.get();
        expect(r.status).toBe(200);
        expect(r.reused).toBe(false);
        seen.push(r.digest?.sessionReused);
      }
      expect(seen).toEqual([false, true, true]);
      resume = false;
      const off: Array<boolean | undefined> = [];
      for (let i = 0; i < 2; i++) off.push((await px.get()).digest?.sessionReused);
      expect(off).toEqual([false, false]);
    } finally {
      await px.close();
    }
  });

  it('s2nConfigCacheSize 0 compiles a connector every time and caches nothing', async () => {
    const px = await startProxy(() => peer(tlsAddr, 'localhost'), (app) => HttpProxy.new(app, { s2nConfigCacheSize: 0, upstreamKeepalivePoolSize: 0 }));
    try {
      expect((await px.get()).status).toBe(200);
      expect((await px.get()).reused).toBe(false);
      expect(px.proxy.connector.configCache.size).toBe(0);
    } finally {
      await px.close();
    }
  });

  it('compiled connectors live in an LRU of s2nConfigCacheSize entries', async () => {
    let cn = 'a.test';
    const make = () => peer(tlsAddr, 'localhost', (p) => {
      p.options.verifyHostname = false;
      p.options.alternativeCn = cn;
    });
    const px = await startProxy(make, (app) => HttpProxy.new(app, { s2nConfigCacheSize: 2, upstreamKeepalivePoolSize: 0 }));
    // No pooling: every request connects, so every request consults the cache.
    try {
      const cache = px.proxy.connector.configCache;
      const keyOf = (name: string) => {
        cn = name;
        return px.proxy.connector.tlsOptionsFor(make()).key;
      };
      for (const name of ['a.test', 'b.test', 'a.test', 'c.test']) {
        cn = name;
        expect((await px.get()).status).toBe(200);
      }
      expect(cache.size).toBe(2);
      // b.test was the least recently used when c.test arrived.
      expect(cache.has(keyOf('a.test'))).toBe(true);
      expect(cache.has(keyOf('b.test'))).toBe(false);
      expect(cache.has(keyOf('c.test'))).toBe(true);
    } finally {
      await px.close();
    }
  });

  it('HTTP/2 upstream when ALPN picks h2; HTTP/1.1 when the upstream does not offer it', async () => {
    let addr = `127.0.0.1:${h2Port}`;
    const px = await startProxy(() => peer(addr, 'localhost', (p) => (p.options.alpn = Alpn.H2H1)), (app) => HttpProxy.new(app));
    try {
      const r = await px.get('/h2');
      expect(r.status).toBe(200);
      expect(r.body).toBe('ok sni=localhost proto=HTTP/2.0\n');
      expect(r.digest?.alpn).toBe('h2');
      const again = await px.get('/h2b');
      expect(again.reused).toBe(true);
      expect(again.headers['x-conn']).toBe(r.headers['x-conn']);
      // Concurrent requests from separate clients share the one h2 connection.
      const burst = await Promise.all(Array.from({ length: 10 }, () => px.getFresh('/burst')));
      for (const b of burst) {
        expect(b.status).toBe(200);
        expect(b.headers['x-conn']).toBe(r.headers['x-conn']);
      }
      addr = tlsAddr;
      const h1 = await px.get('/h1');
      expect(h1.body).toBe('ok sni=localhost proto=HTTP/1.1\n');
      expect(h1.digest?.alpn === undefined || h1.digest?.alpn === 'http/1.1').toBe(true);
    } finally {
      await px.close();
    }
  });

  it('connect timeout against a port that never accepts, handshake timeout against a server that never answers (504)', async () => {
    // A listener with backlog 0 that never accepts, its one queue slot taken: further SYNs go unanswered.
    const py = spawn('python3', ['-c', [
      'import socket,sys,time',
      's=socket.socket(); s.bind(("127.0.0.1",0)); s.listen(0)',
      'fill=socket.create_connection(s.getsockname())',
      'print(s.getsockname()[1]); sys.stdout.flush(); time.sleep(30)',
    ].join('\n')], { stdio: ['ignore', 'pipe', 'inherit'] });
    const blackholePort = await new Promise<number>((resolve) => py.stdout.once('data', (d: Buffer) => resolve(Number(d.toString().trim()))));
    // Accepts, reads nothing, answers nothing: the ClientHello goes unanswered.
    const muted = new Set<net.Socket>();
    const mute = net.createServer((s) => {
      muted.add(s);
      s.pause();
    });
    await new Promise<void>((r) => mute.listen(0, '127.0.0.1', r));
    const mutePort = (mute.address() as AddressInfo).port;

    let target = `127.0.0.1:${blackholePort}`;
    let total: number | undefined;
    const px = await startProxy(() => peer(target, 'localhost', (p) => {
      p.options.connectionTimeout = total ? 5000 : 300;
      p.options.totalConnectionTimeout = total;
    }), (app) => HttpProxy.new(app, { maxRetries: 0 }));
    try {
      let t0 = Date.now();
      const c = await px.get();
      expect(c.status).toBe(504);
      expect(c.error?.code).toBe('UPSTREAM_CONNECT_TIMEOUT');
      expect(c.error?.message).toMatch(/TCP connect .* timed out/);
      expect(Date.now() - t0).toBeLessThan(5000);

      target = `127.0.0.1:${mutePort}`;
      t0 = Date.now();
      const h = await px.get();
      expect(h.status).toBe(504);
      expect(h.error?.code).toBe('UPSTREAM_CONNECT_TIMEOUT');
      expect(h.error?.message).toMatch(/TLS handshake .* timed out/);
      expect(Date.now() - t0).toBeLessThan(5000);

      // totalConnectionTimeout bounds connect + handshake together.
      total = 200;
      const t = await px.get();
      expect(t.status).toBe(504);
      expect(t.error?.code).toBe('UPSTREAM_CONNECT_TIMEOUT');
      expect((t.error as unknown as { timeout: string }).timeout).toBe('totalConnection');
    } finally {
      await px.close();
      py.kill('SIGKILL');
      // A paused socket never notices the peer left: close them, or close() waits forever.
      for (const s of muted) s.destroy();
      await new Promise<void>((r) => mute.close(() => r()));
    }
  });
});
}
