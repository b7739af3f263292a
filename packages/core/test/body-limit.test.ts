// Per-request body limit (session.maxRequestBodyBytes, the gateway's route max_request_body_bytes):
// a declared Content-Length over it is answered 413 before anything reaches the origin; a
// chunked or HTTP/2 body growing past it ends the upstream request and gets 413 (or a reset once
// the response has started). HTTP/1.1 and HTTP/2 downstream, a real origin on loopback.
import http2 from 'node:http2';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HttpPeer, limitCounters, type ProxyHttp } from '../src/index.js';
import { request, startH1Origin, startProxy, type Origin } from './support/proxy-harness.js';

const LIMIT = 1000;

describe('max request body (413)', () => {
  let origin: Origin;
  /** Requests the origin saw, and the body bytes it received for each, by path. */
  const seen = new Map<string, { bytes: number; aborted: boolean }>();

  beforeAll(async () => {
    origin = await startH1Origin((req, res) => {
      const entry = { bytes: 0, aborted: false };
      seen.set(req.url ?? '', entry);
      req.on('data', (c: Buffer) => (entry.bytes += c.length));
      req.on('aborted', () => (entry.aborted = true));
      req.on('error', () => (entry.aborted = true));
      if (req.url === '/early') {
        // Answers (and starts streaming) before reading the body.
        res.writeHead(200);
        res.write('started');
        return;
      }
      req.on('end', () => res.end(`got ${entry.bytes}`));
    });
  });
  afterAll(() => origin.close());

  const app: ProxyHttp<unknown> = {
    newCtx: () => ({}),
    requestFilter(session) {
      if (session.req.path !== '/unlimited') session.maxRequestBodyBytes = LIMIT;
      return false;
    },
    upstreamPeer: () => new HttpPeer(origin.addr, false, ''),
  };

  async function* chunks(n: number, size: number): AsyncIterable<Buffer> {
    for (let i = 0; i < n; i++) {
      yield Buffer.alloc(size, 0x61);
      await new Promise((r) => setTimeout(r, 5));
    }
  }

  it('HTTP/1.1: a Content-Length over the limit gets 413 and the origin sees nothing; at the limit it passes', async () => {
    const p = await startProxy(app);
    try {
      seen.clear();
      const before = limitCounters.get('HTTP_BODY_TOO_LARGE');
      const r = await request(p.port, { method: 'POST', path: '/declared', body: Buffer.alloc(LIMIT + 1) });
      expect(r.status).toBe(413);
      expect(r.headers['connection']).toBe('close');
      expect(seen.has('/declared')).toBe(false);
      expect(limitCounters.get('HTTP_BODY_TOO_LARGE')).toBe(before + 1);
      const ok = await request(p.port, { method: 'POST', path: '/fits', body: Buffer.alloc(LIMIT) });
      expect(ok.status).toBe(200);
      expect(ok.body.toString()).toBe(`got ${LIMIT}`);
      const unlimited = await request(p.port, { method: 'POST', path: '/unlimited', body: Buffer.alloc(LIMIT * 5) });
      expect(unlimited.status).toBe(200);
    } finally {
      await p.close();
    }
  });

  it('HTTP/1.1: a chunked body crossing the limit ends the upstream request and gets 413', async () => {
    const p = await startProxy(app);
    try {
      seen.clear();
      const r = await request(p.port, { method: 'POST', path: '/chunked', body: () => chunks(5, 300) });
      expect(r.status).toBe(413);
      await expect.poll(() => seen.get('/chunked')?.aborted).toBe(true);
      expect(seen.get('/chunked')!.bytes).toBeLessThanOrEqual(LIMIT);
    } finally {
      await p.close();
    }
  });

  it('HTTP/1.1: once the response has started, crossing the limit cuts the response', async () => {
    const p = await startProxy(app);
    try {
      await expect(request(p.port, { method: 'POST', path: '/early', body: () => chunks(8, 300) })).rejects.toThrow();
    } finally {
      await p.close();
    }
  });

  it('HTTP/2: a content-length over the limit gets 413, a DATA stream crossing it gets 413, the session carries on', async () => {
    const p = await startProxy(app, {}, { h2: true });
    const client = http2.connect(`http://127.0.0.1:${p.port}`);
    const post = (path: string, body: Buffer[], declared?: number): Promise<number> => new Promise((resolve, reject) => {
      const s = client.request({ ':method': 'POST', ':path': path, ...(declared !== undefined ? { 'content-length': declared } : {}) });
      let status = 0;
      s.on('response', (h) => (status = Number(h[':status'])));
      s.on('data', () => {});
      s.on('close', () => resolve(status));
      s.on('error', reject);
      void (async () => {
        for (const b of body) {
          if (s.destroyed || s.closed) return;
          s.write(b);
          await new Promise((r) => setTimeout(r, 5));
        }
        if (!s.destroyed) s.end();
      })();
    });
    try {
      seen.clear();
      expect(await post('/h2-declared', [Buffer.alloc(LIMIT + 1)], LIMIT + 1)).toBe(413);
      expect(seen.has('/h2-declared')).toBe(false);
      expect(await post('/h2-stream', [Buffer.alloc(600), Buffer.alloc(600), Buffer.alloc(600)])).toBe(413);
      await expect.poll(() => seen.get('/h2-stream')?.aborted).toBe(true);
      expect(await post('/h2-fits', [Buffer.alloc(500), Buffer.alloc(500)])).toBe(200);
    } finally {
      client.close();
      await p.close();
    }
  });
});
