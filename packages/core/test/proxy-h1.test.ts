import { createHash, randomBytes } from 'node:crypto';
import http from 'node:http';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HttpPeer, type ProxyHttp, type ProxyError, type Session } from '../src/index.js';
import { rawExchange, request, startH1Origin, startProxy, type Origin } from './support/proxy-harness.js';

interface Ctx {
  reused: boolean[];
  errors: Array<ProxyError | undefined>;
}

const sha = (b: Buffer): string => createHash('sha256').update(b).digest('hex');

describe('HttpProxy over HTTP/1.1 (plain TCP both sides)', () => {
  let origin: Origin;
  const seen: http.IncomingMessage[] = [];
  const logged: Array<{ status: number; error: ProxyError | undefined }> = [];
  const reusedLog: boolean[] = [];

  beforeAll(async () => {
    origin = await startH1Origin((req, res) => {
      seen.push(req);
      const url = new URL(req.url!, 'http://x');
      if (url.pathname === '/echo') {
        const chunks: Buffer[] = [];
        req.on('data', (c: Buffer) => chunks.push(c));
        req.on('end', () => {
          const body = Buffer.concat(chunks);
          res.writeHead(200, { 'content-type': 'application/octet-stream', 'x-sha': sha(body), 'x-len': String(body.length) });
          res.end(body);
        });
        return;
      }
      if (url.pathname === '/big') {
        // Chunked, several MB: the proxy must stream it with backpressure.
        const total = Number(url.searchParams.get('n'));
        const block = Buffer.alloc(64 * 1024, 0x61);
        let sent = 0;
        res.writeHead(200, { 'content-type': 'text/plain', connection: 'keep-alive, x-secret', 'x-secret': 'hop', 'keep-alive': 'timeout=30' });
        const pump = (): void => {
          while (sent < total) {
            sent += block.length;
            if (!res.write(block)) {
              res.once('drain', pump);
              return;
            }
          }
          res.end();
        };
        pump();
        return;
      }
      if (url.pathname === '/head') {
        res.writeHead(200, { 'content-length': '1234' });
        res.end();
        return;
      }
      if (url.pathname === '/204') {
        res.writeHead(204, { 'x-empty': 'yes' });
        res.end();
        return;
      }
      if (url.pathname === '/too-big') {
        // Answers at once, without reading the body.
        res.writeHead(413, { 'content-length': '0' });
        res.end();
        return;
      }
      if (url.pathname === '/slow') {
        setTimeout(() => res.end('late'), 1500);
        return;
      }
      res.setHeader('x-origin', 'yes');
      res.end(JSON.stringify({ path: req.url, host: req.headers.host, xff: req.headers['x-forwarded-for'], rawHeaders: req.rawHeaders }));
    });
  });
  afterAll(async () => {
    await origin.close();
  });

  function app(overrides: Partial<ProxyHttp<Ctx>> = {}, peerFor?: (s: Session) => HttpPeer): ProxyHttp<Ctx> {
    return {
      newCtx: () => ({ reused: [], errors: [] }),
      upstreamPeer: (s) => peerFor?.(s) ?? new HttpPeer(origin.addr, false, ''),
      connectedToUpstream: (_s, reused) => {
        reusedLog.push(reused);
      },
      logging: (s, error) => {
        logged.push({ status: s.responseStatus, error });
      },
      ...overrides,
    };
  }

  it('proxies a GET: Host kept, X-Forwarded-For appended, hop-by-hop fields dropped', async () => {
    const p = await startProxy(app());
    try {
      const res = await request(p.port, {
        path: '/a?b=c',
        headers: {
          host: 'example.test',
          'x-forwarded-for': '10.0.0.1',
          connection: 'keep-alive, x-drop-me',
          'x-drop-me': '1',
          'keep-alive': 'timeout=5',
          'proxy-authorization': 'secret',
          te: 'trailers',
          'x-keep': 'kept',
        },
      });
      expect(res.status).toBe(200);
      expect(res.headers['x-origin']).toBe('yes');
      const body = JSON.parse(res.body.toString());
      expect(body.path).toBe('/a?b=c');
      expect(body.host).toBe('example.test');
      expect(body.xff).toBe('10.0.0.1, 127.0.0.1');
      const names = (body.rawHeaders as string[]).filter((_, i) => i % 2 === 0).map((n) => n.toLowerCase());
      expect(names).toContain('x-keep');
      for (const hop of ['x-drop-me', 'keep-alive', 'proxy-authorization', 'te']) expect(names).not.toContain(hop);
      expect(logged.at(-1)).toEqual({ status: 200, error: undefined });
    } finally {
      await p.close();
    }
  });

  it('reuses the upstream connection for keep-alive requests (connectedToUpstream reused)', async () => {
    const p = await startProxy(app());
    const before = origin.connections;
    reusedLog.length = 0;
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    try {
      for (let i = 0; i < 5; i++) expect((await request(p.port, { agent })).status).toBe(200);
      expect(origin.connections - before).toBe(1);
      expect(reusedLog).toEqual([false, true, true, true, true]);
      expect(p.proxy.connector.pool.idleCount).toBe(1);
    } finally {
      agent.destroy();
      await p.close();
    }
  });

  it('streams a 4 MB request body (Content-Length) and a chunked one both ways', async () => {
    const p = await startProxy(app());
    try {
      const body = randomBytes(4 * 1024 * 1024);
      const res = await request(p.port, { method: 'POST', path: '/echo', body });
      expect(res.status).toBe(200);
      expect(res.headers['x-sha']).toBe(sha(body));
      expect(sha(res.body)).toBe(sha(body));

      const parts = Array.from({ length: 50 }, () => randomBytes(17_000));
      const all = Buffer.concat(parts);
      const res2 = await request(p.port, {
        method: 'PUT',
        path: '/echo',
        body: async function* () {
          for (const part of parts) yield part;
        },
      });
      expect(res2.status).toBe(200);
      expect(res2.headers['x-len']).toBe(String(all.length));
      expect(sha(res2.body)).toBe(sha(all));
    } finally {
      await p.close();
    }
  });

  it('Expect: 100-continue is answered by the proxy and not forwarded', async () => {
    const p = await startProxy(app());
    try {
      const body = randomBytes(100_000);
      const res = await new Promise<{ status: number; sha: string; continued: boolean }>((resolve, reject) => {
        let continued = false;
        const req = http.request({ host: '127.0.0.1', port: p.port, method: 'POST', path: '/echo', headers: { expect: '100-continue', 'content-length': body.length }, agent: false }, (r) => {
          r.resume();
          r.on('end', () => resolve({ status: r.statusCode!, sha: String(r.headers['x-sha']), continued }));
        });
        req.on('continue', () => {
          continued = true;
          req.end(body);
        });
        req.on('error', reject);
      });
      expect(res.continued).toBe(true);
      expect(res.status).toBe(200);
      expect(res.sha).toBe(sha(body));
      expect(seen.at(-1)!.headers.expect).toBeUndefined();
    } finally {
      await p.close();
    }
  });

  it('an upstream answering before the request body ended: the client gets the answer, the connection is not reused', async () => {
    const p = await startProxy(app());
    try {
      const res = await request(p.port, { method: 'POST', path: '/too-big', body: Buffer.alloc(4 * 1024 * 1024) }).catch((e: Error) => e);
      // Either the client reads the 413, or (if it was still writing when the proxy finished) a reset.
      if (!(res instanceof Error)) expect(res.status).toBe(413);
      expect(logged.at(-1)!.status).toBe(413);
      expect(p.proxy.connector.pool.idleCount).toBe(0);
      expect((await request(p.port)).status).toBe(200);
    } finally {
      await p.close();
    }
  });

  it('streams a large chunked response and strips hop-by-hop response fields', async () => {
    const p = await startProxy(app());
    try {
      const n = 8 * 1024 * 1024;
      const res = await request(p.port, { path: `/big?n=${n}` });
      expect(res.status).toBe(200);
      expect(res.body.length).toBe(n);
      expect(res.headers['x-secret']).toBeUndefined();
      // Node's server re-frames the body itself, with its own keep-alive header.
      expect(res.headers['keep-alive']).not.toBe('timeout=30');
    } finally {
      await p.close();
    }
  });

  it('handles HEAD and 204 responses without bodies, on a reused connection', async () => {
    const p = await startProxy(app());
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    try {
      const head = await request(p.port, { method: 'HEAD', path: '/head', agent });
      expect(head.status).toBe(200);
      expect(head.headers['content-length']).toBe('1234');
      expect(head.body.length).toBe(0);
      const nc = await request(p.port, { path: '/204', agent });
      expect(nc.status).toBe(204);
      expect(nc.headers['x-empty']).toBe('yes');
      const after = await request(p.port, { path: '/after', agent });
      expect(JSON.parse(after.body.toString()).path).toBe('/after');
    } finally {
      agent.destroy();
      await p.close();
    }
  });

  it('requestFilter can answer by itself; upstreamRequestFilter and an async responseFilter edit heads', async () => {
    const p = await startProxy(app({
      requestFilter: (s) => {
        if (s.req.path === '/deny') {
          s.respond(403, { 'x-why': 'filtered' }, 'no');
          return true;
        }
        return false;
      },
      upstreamRequestFilter: (_s, up) => {
        up.headers.set('x-added', 'by-filter');
        up.path = '/rewritten';
      },
      responseFilter: async (_s, resp) => {
        await new Promise((r) => setTimeout(r, 5));
        resp.headers.set('x-resp', 'edited');
        resp.headers.remove('x-origin');
      },
    }));
    try {
      const denied = await request(p.port, { path: '/deny' });
      expect(denied.status).toBe(403);
      expect(denied.headers['x-why']).toBe('filtered');
      expect(denied.body.toString()).toBe('no');
      const ok = await request(p.port, { path: '/x' });
      expect(ok.status).toBe(200);
      expect(ok.headers['x-resp']).toBe('edited');
      expect(ok.headers['x-origin']).toBeUndefined();
      const body = JSON.parse(ok.body.toString());
      expect(body.path).toBe('/rewritten');
      expect(body.rawHeaders).toContain('by-filter');
    } finally {
      await p.close();
    }
  });

  it('async earlyRequestFilter and requestFilter are awaited; answering nothing after true is a 500', async () => {
    const order: string[] = [];
    const p = await startProxy(app({
      earlyRequestFilter: async (s) => {
        await new Promise((r) => setTimeout(r, 5));
        order.push(`early ${s.req.path}`);
      },
      requestFilter: async (s) => {
        await new Promise((r) => setTimeout(r, 5));
        order.push(`filter ${s.req.path}`);
        if (s.req.path === '/deny') {
          s.respond(401, {}, 'who?');
          return true;
        }
        return s.req.path === '/silent';
      },
    }));
    try {
      expect((await request(p.port, { path: '/deny' })).status).toBe(401);
      expect((await request(p.port, { path: '/silent' })).status).toBe(500);
      expect(logged.at(-1)!.error?.code).toBe('NO_RESPONSE');
      const ok = await request(p.port, { path: '/pass' });
      expect(JSON.parse(ok.body.toString()).path).toBe('/pass');
      expect(order).toEqual(['early /deny', 'filter /deny', 'early /silent', 'filter /silent', 'early /pass', 'filter /pass']);
    } finally {
      await p.close();
    }
  });

  it('502 on a refused connect, and failToConnect can retry another peer', async () => {
    const dead = net.createServer();
    await new Promise<void>((r) => dead.listen(0, '127.0.0.1', r));
    const deadAddr = `127.0.0.1:${(dead.address() as AddressInfo).port}`;
    await new Promise<void>((r) => dead.close(() => r()));

    const p1 = await startProxy(app({}, () => new HttpPeer(deadAddr, false, '')), { maxRetries: 2 });
    try {
      const res = await request(p1.port);
      expect(res.status).toBe(502);
      expect(logged.at(-1)!.error!.code).toBe('UPSTREAM_CONNECT_REFUSED');
    } finally {
      await p1.close();
    }

    let attempts = 0;
    const p2 = await startProxy(app({
      failToConnect: (_s, _peer, _ctx, err) => {
        err.retryable = true;
      },
    }, () => (attempts++ === 0 ? new HttpPeer(deadAddr, false, '') : new HttpPeer(origin.addr, false, ''))));
    try {
      const res = await request(p2.port);
      expect(res.status).toBe(200);
      expect(attempts).toBe(2);
    } finally {
      await p2.close();
    }

    const p3 = await startProxy(app({
      failToConnect: (_s, _peer, _ctx, err) => {
        err.retryable = false;
      },
      failToProxy: () => 503,
    }, () => new HttpPeer(deadAddr, false, '')));
    try {
      expect((await request(p3.port)).status).toBe(503);
    } finally {
      await p3.close();
    }
  });

  it('504 when the upstream does not answer within readTimeout', async () => {
    const p = await startProxy(app({}, () => {
      const peer = new HttpPeer(origin.addr, false, '');
      peer.options.readTimeout = 200;
      return peer;
    }));
    try {
      const res = await request(p.port, { path: '/slow' });
      expect(res.status).toBe(504);
      expect(logged.at(-1)!.error!.code).toBe('UPSTREAM_READ_TIMEOUT');
    } finally {
      await p.close();
    }
  });

  it('retries on a fresh connection when a reused one is closed as the request arrives', async () => {
    // Answers the first request of each connection, then drops the connection on the second
    // without a word (as a server whose keep-alive timer just fired would).
    let conns = 0;
    const flaky = net.createServer((s) => {
      conns++;
      let seen = '';
      let answered = false;
      s.on('data', (c: Buffer) => {
        seen += c.toString('latin1');
        const requests = seen.match(/^(GET|POST) /gm)?.length ?? 0;
        if (requests > 1) s.destroy();
        else if (!answered && (!seen.startsWith('POST') || seen.endsWith('payload'))) {
          answered = true;
          s.write('HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok');
        }
      });
    });
    await new Promise<void>((r) => flaky.listen(0, '127.0.0.1', r));
    const addr = `127.0.0.1:${(flaky.address() as AddressInfo).port}`;
    const p = await startProxy(app({}, () => new HttpPeer(addr, false, '')));
    try {
      expect((await request(p.port)).body.toString()).toBe('ok');
      const second = await request(p.port);
      expect(second.status).toBe(200);
      expect(second.body.toString()).toBe('ok');
      expect(conns).toBe(2);
      // With a small request body: the bytes already sent are replayed on the new connection.
      const third = await request(p.port, { method: 'POST', body: 'payload' });
      expect(third.status).toBe(200);
      expect(conns).toBe(3);
    } finally {
      await p.close();
      await new Promise<void>((r) => flaky.close(() => r()));
    }
  });

  it('takes another connection when the pooled one closes while a phase is still running', async () => {
    // Each connection answers once, without announcing a close; the origin closes the pooled
    // connection while the second request's connectedToUpstream phase runs (no timing race
    // with the second request's arrival).
    let conns = 0;
    const originSockets: net.Socket[] = [];
    const closer = net.createServer((s) => {
      conns++;
      originSockets.push(s);
      s.once('data', () => s.write('HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok'));
    });
    await new Promise<void>((r) => closer.listen(0, '127.0.0.1', r));
    const addr = `127.0.0.1:${(closer.address() as AddressInfo).port}`;
    const reusedSeen: boolean[] = [];
    const p = await startProxy(app({
      connectedToUpstream: async (_s, reused) => {
        reusedSeen.push(reused);
        if (!reused) return;
        const origin = originSockets.at(-1)!;
        const gone = new Promise((r) => origin.once('close', r));
        origin.destroy();
        await gone;
        // Give the proxy's side of the socket time to read the FIN before the phase ends.
        await new Promise((r) => setTimeout(r, 50));
      },
    }, () => new HttpPeer(addr, false, '')));
    try {
      expect((await request(p.port)).status).toBe(200);
      const second = await request(p.port);
      expect(second.status).toBe(200);
      expect(second.body.toString()).toBe('ok');
      expect(reusedSeen).toEqual([false, true, false]);
      expect(conns).toBe(2);
    } finally {
      await p.close();
      await new Promise<void>((r) => closer.close(() => r()));
    }
  });

  it('504 when the upstream stops taking request bytes for writeTimeout', async () => {
    const stuck = new Set<net.Socket>();
    const sink = net.createServer((s) => {
      stuck.add(s);
      s.pause();
    });
    await new Promise<void>((r) => sink.listen(0, '127.0.0.1', r));
    const addr = `127.0.0.1:${(sink.address() as AddressInfo).port}`;
    const p = await startProxy(app({}, () => {
      const peer = new HttpPeer(addr, false, '');
      peer.options.writeTimeout = 200;
      return peer;
    }));
    try {
      const res = await request(p.port, { method: 'POST', path: '/echo', body: Buffer.alloc(32 * 1024 * 1024) }).catch((e: Error) => e);
      // The proxy answers 504 before the client finished sending; either the client sees it or the reset.
      if (!(res instanceof Error)) expect(res.status).toBe(504);
      expect(logged.at(-1)!.error?.code).toBe('UPSTREAM_WRITE_TIMEOUT');
    } finally {
      for (const s of stuck) s.destroy();
      await p.close();
      await new Promise<void>((r) => sink.close(() => r()));
    }
  });

  it('serves downstream Duplexes that are not net.Sockets', async () => {
    const p = await startProxy(app(), {}, { wrap: true });
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    try {
      for (let i = 0; i < 3; i++) {
        const res = await request(p.port, { path: `/w${i}`, agent });
        expect(JSON.parse(res.body.toString()).path).toBe(`/w${i}`);
      }
      const body = randomBytes(1024 * 1024);
      const echo = await request(p.port, { method: 'POST', path: '/echo', body, agent });
      expect(sha(echo.body)).toBe(sha(body));
    } finally {
      agent.destroy();
      await p.close();
    }
  });

  it('session exposes the connection filter state and the client address', async () => {
    let state: Record<string, unknown> | undefined;
    let client = '';
    const p = await startProxy(app({
      requestFilter: (s) => {
        state = s.connection.state;
        client = s.clientAddr;
        s.respond(200, {}, 'ok');
        return true;
      },
    }), {}, { state: { tenant: 't1' } });
    try {
      await request(p.port);
      expect(state).toEqual({ tenant: 't1' });
      expect(client).toMatch(/^127\.0\.0\.1:\d+$/);
    } finally {
      await p.close();
    }
  });

  it('a client leaving mid-request is logged as a downstream ConnectionClosed and the upstream connection is dropped', async () => {
    const p = await startProxy(app());
    try {
      const sock = net.connect(p.port, '127.0.0.1');
      sock.write('GET /slow HTTP/1.1\r\nHost: x\r\n\r\n');
      await new Promise((r) => setTimeout(r, 100));
      sock.destroy();
      await new Promise((r) => setTimeout(r, 100));
      expect(logged.at(-1)!.error?.code).toBe('HTTP_CONNECTION_CLOSED');
      expect(logged.at(-1)!.error?.source).toBe('downstream');
      expect(p.proxy.connector.pool.idleCount).toBe(0);
      expect((await request(p.port)).status).toBe(200);
    } finally {
      await p.close();
    }
  });

  it('closes a client that stalls mid-headers after the inactivity timeout', async () => {
    const p = await startProxy(app(), {}, { options: { downstreamInactivityTimeoutMs: 200 } });
    try {
      const t0 = Date.now();
      const out = await rawExchange(p.port, 'GET / HTTP/1.1\r\nHost: x\r\nX-Slow: ');
      expect(out).toBe('');
      expect(Date.now() - t0).toBeGreaterThanOrEqual(150);
      expect(Date.now() - t0).toBeLessThan(5000);
    } finally {
      await p.close();
    }
  });

  it('phases that throw become error responses, never a crash', async () => {
    let which = '';
    const p = await startProxy(app({
      newCtx: () => {
        if (which === 'newCtx') throw new Error('ctx');
        return { reused: [], errors: [] };
      },
      requestFilter: () => {
        if (which === 'requestFilter') throw new Error('filter');
        return false;
      },
      upstreamResponseFilter: () => {
        if (which === 'upstreamResponseFilter') throw new Error('resp');
      },
      logging: (s, error) => {
        logged.push({ status: s.responseStatus, error });
        if (which === 'logging') throw new Error('log');
      },
    }));
    try {
      for (const [phase, status] of [['newCtx', 500], ['requestFilter', 500], ['upstreamResponseFilter', 500], ['logging', 200]] as const) {
        which = phase;
        expect((await request(p.port)).status, phase).toBe(status);
      }
      which = '';
      expect((await request(p.port)).status).toBe(200);
    } finally {
      await p.close();
    }
  });

  it('answers 400 to a malformed request', async () => {
    const p = await startProxy(app());
    try {
      const out = await rawExchange(p.port, 'GET / HTTP/1.1\r\nHost: x\r\nBad Header\r\n\r\n');
      expect(out).toMatch(/^HTTP\/1\.1 400/);
    } finally {
      await p.close();
    }
  });

  it('graceful shutdown lets an in-flight request finish and closes idle connections', async () => {
    const p = await startProxy(app());
    const agent = new http.Agent({ keepAlive: true });
    try {
      await request(p.port, { agent });
      // A second connection, busy: the idle one above must close, this one must finish.
      const inflight = request(p.port, { path: '/slow' });
      await new Promise((r) => setTimeout(r, 200));
      expect(p.proxy.connectionCount).toBe(2);
      const t0 = Date.now();
      await p.proxy.shutdown(5000);
      const res = await inflight;
      expect(res.status).toBe(200);
      expect(res.body.toString()).toBe('late');
      expect(res.headers.connection).toBe('close');
      expect(Date.now() - t0).toBeLessThan(4000);
      expect(p.proxy.connectionCount).toBe(0);
    } finally {
      agent.destroy();
      await p.close();
    }
  });
});
