import http2 from 'node:http2';
import https from 'node:https';
import { describe, expect, it } from 'vitest';
import { startHostileGateway, waitFor } from './gateway.js';

export interface GracefulShutdownOptions {
  expectedBackend: string;
}

/** How a load request ended. `refused`: the request never reached the gateway (a fresh connect refused, or an h2 stream the GOAWAY said was not processed). */
type Outcome = 'ok' | 'refused' | 'failed';

/**
 * Graceful shutdown under keep-alive load (issue 11): HTTP/1.1 and HTTP/2 clients send
 * requests back to back (some of them slow, in flight across the stop) while the server
 * stops. Every request the gateway accepted must be answered: zero failed. A request that
 * could not reach it any more (connection refused once the listener closed; an h2 stream
 * above the GOAWAY's last stream id, which the protocol says was not processed) is not a
 * failure, as with nginx's `-s quit`.
 */
export function describeGracefulShutdown(opts: GracefulShutdownOptions): void {
  describe(`graceful shutdown under keep-alive load (${opts.expectedBackend})`, () => {
    it('drops no request', async () => {
      const g = await startHostileGateway({ gracefulShutdownTimeoutSeconds: 5 });
      const counts: Record<Outcome, number> = { ok: 0, refused: 0, failed: 0 };
      const failures: string[] = [];
      let running = true;
      const agent = new https.Agent({ keepAlive: true, maxSockets: 2, rejectUnauthorized: false });
      // A reset on a reused keep-alive socket before any response: the gateway closed that idle
      // connection as the request left (HTTP/1.1's keep-alive race, RFC 9112 §9.3.1), so it
      // never processed it. Clients retry exactly this case once on a fresh connection (Node's
      // docs on `reusedSocket`, browsers); so does this one, and the retry's outcome counts.
      const h1 = (path: string, retry = true): Promise<Outcome> => new Promise((resolve) => {
        const req = https.get({ host: '127.0.0.1', port: g.port, path, agent, servername: 'localhost' }, (res) => {
          res.resume();
          res.on('end', () => resolve(res.statusCode === 200 ? 'ok' : 'failed'));
          res.on('error', (e) => {
            failures.push(`h1 response: ${e.message}`);
            resolve('failed');
          });
        });
        let answered = false;
        req.on('response', () => {
          answered = true;
        });
        req.on('error', (e: NodeJS.ErrnoException) => {
          if (e.code === 'ECONNREFUSED') resolve('refused');
          else if (retry && !answered && req.reusedSocket && e.code === 'ECONNRESET') resolve(h1(path, false));
          else {
            failures.push(`h1 ${path}: ${e.code ?? ''} ${e.message}`);
            resolve('failed');
          }
        });
      });
      let session: http2.ClientHttp2Session | undefined;
      let lastStreamId = Infinity;
      const h2 = (path: string): Promise<Outcome> => new Promise((resolve) => {
        if (!session || session.closed || session.destroyed) {
          lastStreamId = Infinity;
          session = http2.connect(`https://localhost:${g.port}`, { rejectUnauthorized: false });
          session.on('error', () => {});
          session.on('goaway', (_code: number, last: number) => {
            lastStreamId = last;
          });
        }
        let req: http2.ClientHttp2Stream;
        try {
          req = session.request({ ':path': path });
        } catch {
          resolve('refused'); // the session got its GOAWAY: the request never left
          return;
        }
        let status = 0;
        req.on('response', (h) => {
          status = Number(h[':status']);
        });
        req.on('error', () => {});
        req.resume();
        req.on('close', () => {
          if (status === 200 && req.rstCode === http2.constants.NGHTTP2_NO_ERROR) resolve('ok');
          else if (status === 0 && (req.id === undefined || req.id > lastStreamId || req.rstCode === http2.constants.NGHTTP2_REFUSED_STREAM)) resolve('refused');
          else if (status === 0 && session?.destroyed && req.id === undefined) resolve('refused');
          else {
            failures.push(`h2 ${path}: status ${status} rst ${req.rstCode} id ${req.id} last ${lastStreamId}`);
            resolve('failed');
          }
        });
      });
      const loop = async (i: number): Promise<void> => {
        let n = 0;
        while (running) {
          const path = n++ % 4 === 0 ? '/delay' : '/legit';
          const outcome = i % 2 === 0 ? await h1(path) : await h2(path);
          counts[outcome]++;
          if (outcome === 'refused') break; // the gateway is gone for this client
        }
      };
      const loops = Array.from({ length: 4 }, (_, i) => loop(i));
      // Until the load is well under way (however loaded the machine), then stop in the middle of it.
      await waitFor(() => counts.ok >= 20, 15_000);
      const okBefore = counts.ok;
      await g.server.stop();
      running = false;
      await Promise.all(loops);
      agent.destroy();
      session?.destroy();
      await g.stop();
      expect(okBefore, 'the load ran before the stop').toBeGreaterThanOrEqual(20);
      expect(counts.failed, failures.slice(0, 5).join('; ')).toBe(0);
    }, 45_000);
  });
}
