import http2 from 'node:http2';
import { readdirSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LegitLoad, rawExchange, rawTls, startHostileGateway, waitFor, type HostileGateway } from './gateway.js';

export interface HostileH1Options {
  /** The backend the importing test file registered, as `TlsBackend.name` spells it. */
  expectedBackend: string;
}

/** The limits the suite runs with: short, so that each case takes a second or two. */
export const HOSTILE_LIMITS = {
  requestHeaderTimeoutMs: 1_000,
  keepaliveTimeoutMs: 1_500,
  upstreamReadTimeoutMs: 2_500,
  h2IdleTimeoutMs: 1_500,
} as const;

function openFds(): number {
  try {
    return readdirSync('/proc/self/fd').length;
  } catch {
    return 0;
  }
}

/**
 * Runs `attack` with a light legitimate load beside it, then asserts (b) ≥ 99 % of the
 * legitimate requests succeeded and (c) the gateway's sockets are back to the baseline.
 */
export async function underLoad(g: HostileGateway, attack: () => Promise<void>): Promise<void> {
  const baseline = g.service.openSockets;
  const load = new LegitLoad(g.port);
  try {
    await attack();
    // Enough legitimate requests to judge, however quick the attack was.
    await waitFor(() => load.total >= 20, 5_000);
  } finally {
    await load.stop();
  }
  expect(load.total, 'legitimate requests ran').toBeGreaterThan(5);
  expect(load.successRate, `legitimate requests: ${load.failed} failed (${load.errors.slice(0, 3).join('; ')})`).toBeGreaterThanOrEqual(0.99);
  expect(await waitFor(() => g.service.openSockets <= baseline, 5_000), `open sockets ${g.service.openSockets}, baseline ${baseline}`).toBe(true);
}

/** Each shape smuggles `GET /smuggled` behind a request; every one must be refused with 400. */
const SMUGGLING: Array<[string, string]> = [
  ['Content-Length and Transfer-Encoding', 'POST / HTTP/1.1\r\nHost: localhost\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\nGET /smuggled HTTP/1.1\r\nHost: localhost\r\n\r\n'],
  ['two different Content-Lengths', 'POST / HTTP/1.1\r\nHost: localhost\r\nContent-Length: 0\r\nContent-Length: 45\r\n\r\nGET /smuggled HTTP/1.1\r\nHost: localhost\r\n\r\n'],
  ['Transfer-Encoding with chunked not last', 'POST / HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: chunked, identity\r\n\r\n0\r\n\r\nGET /smuggled HTTP/1.1\r\nHost: localhost\r\n\r\n'],
  ['obs-fold continuation line', 'GET / HTTP/1.1\r\nHost: localhost\r\nX-Folded: a\r\n b\r\n\r\nGET /smuggled HTTP/1.1\r\nHost: localhost\r\n\r\n'],
  ['invalid chunk size', 'POST / HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nGET /smuggled HTTP/1.1\r\nHost: localhost\r\n\r\n'],
  ['space before the colon of Transfer-Encoding', 'POST / HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding : chunked\r\n\r\n0\r\n\r\nGET /smuggled HTTP/1.1\r\nHost: localhost\r\n\r\n'],
  ['signed Content-Length', 'POST / HTTP/1.1\r\nHost: localhost\r\nContent-Length: +4\r\n\r\nGET /smuggled HTTP/1.1\r\nHost: localhost\r\n\r\n'],
  ['chunk size overflow', 'POST / HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: chunked\r\n\r\nfffffffffffffffff1\r\nGET /smuggled HTTP/1.1\r\nHost: localhost\r\n\r\n'],
  ['bare CR in a header line', 'GET / HTTP/1.1\r\nHost: localhost\r\nX-A: a\rGET /smuggled HTTP/1.1\r\n\r\n'],
  ['NUL in a header value', 'GET / HTTP/1.1\r\nHost: localhost\r\nX-A: a\0b\r\n\r\nGET /smuggled HTTP/1.1\r\nHost: localhost\r\n\r\n'],
  ['a space inside a header name', 'GET / HTTP/1.1\r\nHost: localhost\r\nX A: b\r\n\r\nGET /smuggled HTTP/1.1\r\nHost: localhost\r\n\r\n'],
  ['bad chunk terminator', 'POST / HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabcXX0\r\n\r\nGET /smuggled HTTP/1.1\r\nHost: localhost\r\n\r\n'],
];

/**
 * Hostile HTTP/1.1 clients and a broken origin against a gateway on the importing package's
 * backend (issue 11): slowloris, idle keep-alive, oversized heads, request smuggling, an
 * origin that never answers, aborted transfers. Each case runs beside a light legitimate load
 * (≥ 99 % must succeed) and ends with the gateway's sockets back at the baseline.
 */
export function describeHostileH1(opts: HostileH1Options): void {
  describe(`hostile HTTP/1.1 clients (${opts.expectedBackend})`, () => {
    let g: HostileGateway;
    beforeAll(async () => {
      g = await startHostileGateway(HOSTILE_LIMITS);
    }, 20_000);
    afterAll(async () => {
      await g?.stop();
    });

    it('slowloris: connections dribbling a header byte every 200 ms get 408 at request_header_timeout_ms and are closed', async () => {
      await underLoad(g, async () => {
        const clients = await Promise.all(Array.from({ length: 25 }, () => rawTls(g.port)));
        const received = clients.map(() => [] as Buffer[]);
        clients.forEach((c, i) => {
          c.on('data', (d: Buffer) => received[i]!.push(d));
          c.write('GET /slowloris HTTP/1.1\r\nHost: localhost\r\n');
        });
        const drip = setInterval(() => {
          for (const c of clients) if (!c.destroyed && c.writable) c.write('X');
        }, 200);
        const started = Date.now();
        const allClosed = await waitFor(() => clients.every((c) => c.destroyed || c.readableEnded), 5_000);
        clearInterval(drip);
        const took = Date.now() - started;
        for (const c of clients) c.destroy();
        expect(allClosed).toBe(true);
        expect(took).toBeGreaterThanOrEqual(HOSTILE_LIMITS.requestHeaderTimeoutMs - 100);
        for (const r of received) expect(Buffer.concat(r).toString('latin1')).toMatch(/^HTTP\/1\.1 408 /);
        expect(g.originSaw).not.toContain('/slowloris');
      });
    }, 20_000);

    it('a connection that never sends a request is closed at request_header_timeout_ms', async () => {
      const r = await rawExchange(g.port, '', 4_000);
      expect(r.closed).toBe(true);
      expect(r.status).toBe(408);
    }, 10_000);

    it('an idle keep-alive connection is closed after keepalive_timeout_ms, not before', async () => {
      const s = await rawTls(g.port);
      let text = '';
      s.on('data', (d: Buffer) => {
        text += d.toString('latin1');
      });
      const closed = new Promise<number>((resolve) => s.once('close', () => resolve(Date.now())));
      s.write('GET /ka HTTP/1.1\r\nHost: localhost\r\n\r\n');
      expect(await waitFor(() => text.includes('ok /ka'), 3_000)).toBe(true);
      const idleFrom = Date.now();
      const at = await Promise.race([closed, new Promise<number>((r) => setTimeout(() => r(0), 5_000))]);
      s.destroy();
      expect(at).toBeGreaterThan(0);
      expect(at - idleFrom).toBeGreaterThanOrEqual(HOSTILE_LIMITS.keepaliveTimeoutMs - 200);
    }, 10_000);

    const oversized: Array<[string, () => string, number]> = [
      ['a 64 KiB header field', () => `GET /big-head HTTP/1.1\r\nHost: localhost\r\nX-Big: ${'a'.repeat(64 * 1024)}\r\n\r\n`, 431],
      ['a 1 MiB header block', () => `GET /big-head HTTP/1.1\r\nHost: localhost\r\n${`X-Big: ${'a'.repeat(1000)}\r\n`.repeat(1024)}\r\n`, 431],
      ['10,000 header fields', () => `GET /many HTTP/1.1\r\nHost: localhost\r\n${'a: b\r\n'.repeat(10_000)}\r\n`, 431],
      ['200 small header fields (over max_request_headers)', () => `GET /many HTTP/1.1\r\nHost: localhost\r\n${Array.from({ length: 200 }, (_, i) => `x-${i}: y\r\n`).join('')}\r\n`, 431],
      ['a 16 KiB request target', () => `GET /${'u'.repeat(16 * 1024)} HTTP/1.1\r\nHost: localhost\r\n\r\n`, 414],
    ];
    for (const [name, request, status] of oversized) {
      it(`${name}: ${status} and the connection is closed`, async () => {
        await underLoad(g, async () => {
          const r = await rawExchange(g.port, request(), 4_000);
          expect(r.status).toBe(status);
          expect(r.closed).toBe(true);
        });
        expect(g.originSaw.some((p) => p === '/big-head' || p === '/many' || p.startsWith('/uuuu'))).toBe(false);
      }, 15_000);
    }

    it('request smuggling shapes all get 400 and the origin never sees the smuggled request', async () => {
      await underLoad(g, async () => {
        for (const [name, bytes] of SMUGGLING) {
          const r = await rawExchange(g.port, bytes, 3_000);
          expect(r.status, name).toBe(400);
          expect(r.closed, name).toBe(true);
        }
      });
      expect(g.originSaw).not.toContain('/smuggled');
    }, 30_000);

    it('an origin that never answers: 504 at upstream_read_timeout_ms on HTTP/1.1 and on HTTP/2', async () => {
      await underLoad(g, async () => {
        const started = Date.now();
        const session = http2.connect(`https://localhost:${g.port}`, { rejectUnauthorized: false });
        session.on('error', () => {});
        const h2Status = new Promise<number>((resolve) => {
          const req = session.request({ ':path': '/hang' });
          const t = setTimeout(() => resolve(-1), HOSTILE_LIMITS.upstreamReadTimeoutMs + 5_000);
          req.on('response', (h) => {
            clearTimeout(t);
            resolve(Number(h[':status']));
          });
          req.on('error', () => resolve(-2));
          req.resume();
        });
        const [h1, status] = await Promise.all([
          rawExchange(g.port, 'GET /hang HTTP/1.1\r\nHost: localhost\r\n\r\n', HOSTILE_LIMITS.upstreamReadTimeoutMs + 5_000),
          h2Status,
        ]);
        session.destroy();
        expect(h1.status).toBe(504);
        expect(status).toBe(504);
        expect(Date.now() - started).toBeGreaterThanOrEqual(HOSTILE_LIMITS.upstreamReadTimeoutMs - 100);
      });
    }, 30_000);

    it('aborted uploads and downloads leak no socket, upstream connection or descriptor', async () => {
      const fdsBefore = openFds();
      await underLoad(g, async () => {
        const round = async (i: number): Promise<void> => {
          const s = await rawTls(g.port);
          if (i % 2 === 0) {
            // Download: read the first bytes of a 4 MiB response, then leave.
            s.write('GET /big HTTP/1.1\r\nHost: localhost\r\n\r\n');
            await new Promise<void>((resolve) => {
              s.once('data', () => resolve());
              setTimeout(resolve, 2_000);
            });
          } else {
            // Upload: announce 1 MiB, send 64 KiB, leave.
            s.write(`POST /upload HTTP/1.1\r\nHost: localhost\r\nContent-Length: ${1024 * 1024}\r\n\r\n`);
            s.write(Buffer.alloc(64 * 1024, 0x63));
            await new Promise((r) => setTimeout(r, 5));
          }
          s.destroy();
        };
        for (let i = 0; i < 100; i += 10) await Promise.all(Array.from({ length: 10 }, (_, k) => round(i + k)));
      });
      // Aborted exchanges leave no upstream connection behind (idle pooled ones may stay).
      expect(await waitFor(() => g.originSockets() <= 8, 5_000), `origin sockets ${g.originSockets()}`).toBe(true);
      if (fdsBefore > 0) expect(await waitFor(() => openFds() <= fdsBefore + 16, 5_000), `fds ${openFds()} (before ${fdsBefore})`).toBe(true);
    }, 60_000);
  });
}
